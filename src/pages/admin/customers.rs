//! The Customers tab: add, edit and delete customer records.

use leptos::prelude::*;

use super::Load;
use crate::{
    api,
    auth::use_auth,
    components::form::{reset_form, submitted_value},
    components::task::Scope,
    domain::{Customer, NewCustomerRequest, UpdateCustomerRequest, customer::Plan},
    error::AppError,
};

/// A refusal as one line: the fields the server named, or its message.
fn describe(err: &AppError) -> String {
    match err {
        AppError::Validation { fields, .. } if !fields.is_empty() => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.message().to_owned(),
    }
}

#[component]
pub fn CustomersPanel() -> impl IntoView {
    let auth = use_auth();
    let scope = Scope::current();
    let customers = RwSignal::new(Vec::<Customer>::new());
    let load = RwSignal::new(Load::Loading);
    let error = RwSignal::new(None::<String>);

    let fetch = move || {
        load.set(Load::Loading);
        scope.spawn(async move {
            match auth.check(api::list_customers().await) {
                Ok(list) => {
                    customers.set(list);
                    load.set(Load::Ready);
                }
                Err(err) => load.set(Load::Failed(err.message().to_owned())),
            }
        });
    };
    Effect::new(move |_| fetch());

    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = NewCustomerRequest {
            name: submitted_value(&event, "name"),
            email: submitted_value(&event, "email"),
            company: submitted_value(&event, "company"),
            plan: Some(submitted_value(&event, "plan")),
        };
        let form = event.target();
        error.set(None);
        scope.spawn(async move {
            match auth.check(api::create_customer(&body).await) {
                Ok(created) => {
                    customers.update(|list| list.push(created));
                    if let Some(form) = form {
                        reset_form(form);
                    }
                }
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };

    view! {
        <form class="card form customer-add" on:submit=add>
            <h2>"Add a customer"</h2>
            <CustomerFields customer=None/>
            <button class="primary" type="submit">"Add customer"</button>
        </form>
        <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        {move || match load.get() {
            Load::Loading => view! { <p class="muted" aria-busy="true">"Loading customers…"</p> }.into_any(),
            Load::Failed(message) => view! {
                <div class="alert" role="alert">
                    <p>"Could not load customers: " {message}</p>
                    <button type="button" on:click=move |_| fetch()>"Retry"</button>
                </div>
            }
            .into_any(),
            Load::Ready => view! {
                <table class="data customers-admin">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Company"</th>
                            <th scope="col">"Plan"</th>
                            <th scope="col">"Actions"</th>
                        </tr>
                    </thead>
                    <For each=move || customers.get() key=|c| format!("{c:?}") let:customer>
                        <CustomerRow customer customers error/>
                    </For>
                </table>
            }
            .into_any(),
        }}
    }
    .into_any()
}

/// The labelled inputs of a customer, filled from `customer` when editing.
#[component]
fn CustomerFields(customer: Option<Customer>) -> impl IntoView {
    let prefix = customer
        .as_ref()
        .map_or("new".to_owned(), |c| format!("edit-{}", c.id));
    let value = |get: fn(&Customer) -> String| customer.as_ref().map(get).unwrap_or_default();
    let plan = customer
        .as_ref()
        .map_or("free".to_owned(), |c| c.plan.clone());
    let field = |name: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 value: String,
                 required: bool| {
        let id = format!("{prefix}-{name}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id name=name type=kind value=value required=required maxlength="100"/>
            </div>
        }
    };
    view! {
        {field("name", "Name", "text", value(|c| c.name.clone()), true)}
        {field("email", "Email", "email", value(|c| c.email.clone()), true)}
        {field("company", "Company", "text", value(|c| c.company.clone()), false)}
        <div class="field">
            <label for=format!("{prefix}-plan")>"Plan"</label>
            <select id=format!("{prefix}-plan") name="plan">
                {Plan::ALL.map(|p| {
                    let selected = p.as_str() == plan;
                    view! { <option value=p.as_str() selected=selected>{p.as_str()}</option> }
                }).into_iter().collect_view()}
            </select>
        </div>
    }
    .into_any()
}

#[component]
fn CustomerRow(
    customer: Customer,
    customers: RwSignal<Vec<Customer>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let auth = use_auth();
    let scope = Scope::current();
    let id = customer.id;
    let editing = RwSignal::new(false);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = UpdateCustomerRequest {
            name: Some(submitted_value(&event, "name")),
            email: Some(submitted_value(&event, "email")),
            company: Some(submitted_value(&event, "company")),
            plan: Some(submitted_value(&event, "plan")),
        };
        error.set(None);
        scope.spawn(async move {
            match auth.check(api::update_customer(id, &body).await) {
                Ok(saved) => {
                    editing.set(false);
                    customers.update(|list| {
                        if let Some(slot) = list.iter_mut().find(|c| c.id == id) {
                            *slot = saved;
                        }
                    });
                }
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };
    let delete = move |_| {
        error.set(None);
        scope.spawn(async move {
            match auth.check(api::delete_customer(id).await) {
                Ok(()) | Err(AppError::NotFound { .. }) => {
                    customers.update(|list| list.retain(|c| c.id != id))
                }
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };
    let name = customer.name.clone();
    let edited = customer.clone();
    view! {
        <tbody>
            <tr data-testid="customer-row">
                <td>{customer.name.clone()}</td>
                <td>{customer.email.clone()}</td>
                <td>{customer.company.clone()}</td>
                <td>{customer.plan.clone()}</td>
                <td class="actions">
                    <button
                        type="button"
                        aria-expanded=move || editing.get().to_string()
                        aria-label=format!("Edit {name}")
                        on:click=move |_| editing.update(|e| *e = !*e)
                    >
                        {move || if editing.get() { "Cancel" } else { "Edit" }}
                    </button>
                    <button type="button" class="danger" aria-label=format!("Delete {}", customer.name) on:click=delete>
                        "Delete"
                    </button>
                </td>
            </tr>
            <Show when=move || editing.get()>
                <tr class="detail">
                    <td colspan="5">
                        <form class="form customer-edit" on:submit=save>
                            <CustomerFields customer=Some(edited.clone())/>
                            <button class="primary" type="submit">"Save"</button>
                        </form>
                    </td>
                </tr>
            </Show>
        </tbody>
    }
    .into_any()
}
