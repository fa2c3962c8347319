//! `/customers`: customer records from `GET /api/customers`, sortable by any column.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api,
    auth::{RequireAuth, use_auth},
    domain::Customer,
    error::AppError,
    pages::forbidden::Forbidden,
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

#[derive(Clone, Debug, PartialEq)]
enum Load {
    Loading,
    Ready(Vec<Customer>),
    Failed(AppError),
}

#[component]
fn CustomerTable() -> impl IntoView {
    let auth = use_auth();
    let load = RwSignal::new(Load::Loading);
    let sort = RwSignal::new((Column::Name, true));
    let fetch = move || {
        load.set(Load::Loading);
        leptos::task::spawn_local(async move {
            load.set(match auth.check(api::list_customers().await) {
                Ok(list) => Load::Ready(list),
                Err(err) => Load::Failed(err),
            });
        });
    };
    Effect::new(move |_| fetch());

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

    move || {
        match load.get() {
        Load::Loading => view! {
            <table class="data skeleton" aria-busy="true" aria-label="Loading customers">
                <tbody>
                    {(0..5).map(|_| view! { <tr><td></td><td></td><td></td><td></td><td></td></tr> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
        Load::Failed(AppError::Forbidden { .. }) => view! { <Forbidden/> }.into_any(),
        Load::Failed(err) => view! {
            <div class="alert" role="alert">
                <p>"Could not load customers: " {err.message().to_owned()}</p>
                <button type="button" on:click=move |_| fetch()>"Retry"</button>
            </div>
        }
        .into_any(),
        Load::Ready(list) if list.is_empty() => {
            view! { <p class="muted">"No customers yet."</p> }.into_any()
        }
        Load::Ready(list) => {
            let rows = move || {
                sorted(list.clone())
                    .into_iter()
                    .map(|c| view! {
                        <tr>
                            <td>{c.name}</td>
                            <td>{c.email}</td>
                            <td>{c.company}</td>
                            <td>{c.plan}</td>
                            <td>{c.created_at.get(..10).unwrap_or_default().to_owned()}</td>
                        </tr>
                    })
                    .collect_view()
            };
            view! {
                <table class="data">
                    <thead><tr>{Column::ALL.map(header).into_iter().collect_view()}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
    }
    }
}
