//! `/customers`: customer records from the `list_customers` server function, rendered with the
//! page and sortable by any column.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::RequireAuth, components::load::LoadFailed, domain::Customer, error::AppError,
    fns::customers::list_customers, pages::forbidden::Forbidden,
};

#[component]
pub fn CustomersPage() -> impl IntoView {
    view! {
        <Title text="Customers"/>
        <RequireAuth>
            <h1>"Customers"</h1>
            <CustomerTable/>
        </RequireAuth>
    }
}

/// The sortable columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Name,
    Email,
    Company,
    Plan,
    Since,
}

impl Column {
    const ALL: [Column; 5] = [
        Column::Name,
        Column::Email,
        Column::Company,
        Column::Plan,
        Column::Since,
    ];

    fn label(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::Email => "Email",
            Column::Company => "Company",
            Column::Plan => "Plan",
            Column::Since => "Customer since",
        }
    }

    fn key(self, customer: &Customer) -> String {
        match self {
            Column::Name => customer.name.to_lowercase(),
            Column::Email => customer.email.to_lowercase(),
            Column::Company => customer.company.to_lowercase(),
            Column::Plan => customer.plan.clone(),
            Column::Since => customer.created_at.clone(),
        }
    }
}

#[component]
fn CustomerTable() -> impl IntoView {
    let customers = Resource::new(|| (), |_| list_customers());
    view! {
        <Suspense fallback=|| view! {
            <table class="data skeleton" aria-busy="true" aria-label="Loading customers">
                <tbody>
                    {(0..5).map(|_| view! { <tr><td></td><td></td><td></td><td></td><td></td></tr> }).collect_view()}
                </tbody>
            </table>
        }>
            {move || Suspend::new(async move {
                match customers.await {
                    Ok(list) if list.is_empty() => {
                        view! { <p class="muted">"No customers yet."</p> }.into_any()
                    }
                    Ok(list) => view! { <SortedTable list/> }.into_any(),
                    Err(AppError::Forbidden { .. }) => view! { <Forbidden/> }.into_any(),
                    Err(err) => view! {
                        <LoadFailed what="customers" error=err retry=move || customers.refetch()/>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The customers, sorted by the column last chosen (by name at first).
#[component]
fn SortedTable(list: Vec<Customer>) -> impl IntoView {
    let sort = RwSignal::new((Column::Name, true));
    let sorted = move |mut list: Vec<Customer>| {
        let (column, ascending) = sort.get();
        list.sort_by_key(|customer| column.key(customer));
        if !ascending {
            list.reverse();
        }
        list
    };
    let header = move |column: Column| {
        let state = move || match sort.get() {
            (c, true) if c == column => "ascending",
            (c, false) if c == column => "descending",
            _ => "none",
        };
        view! {
            <th scope="col" aria-sort=state>
                <button
                    type="button"
                    class="sort"
                    on:click=move |_| sort.update(|(c, asc)| {
                        if *c == column { *asc = !*asc } else { *c = column; *asc = true }
                    })
                >
                    {column.label()}
                </button>
            </th>
        }
    };
    let rows = move || {
        sorted(list.clone())
            .into_iter()
            .map(|c| {
                view! {
                    <tr>
                        <td>{c.name}</td>
                        <td>{c.email}</td>
                        <td>{c.company}</td>
                        <td>{c.plan}</td>
                        <td>{c.created_at.get(..10).unwrap_or_default().to_owned()}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <table class="data">
            <thead><tr>{Column::ALL.map(header).into_iter().collect_view()}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
