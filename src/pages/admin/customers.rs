//! The Customers tab: add, edit and delete customer records.

use leptos::prelude::*;

use crate::{
    components::load::LoadFailed,
    domain::{Customer, customer::Plan},
    error::AppError,
    fns::customers::{CreateCustomer, DeleteCustomer, UpdateCustomer, list_customers},
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
    let customers = Resource::new(|| (), |_| list_customers());
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading customers…"</p> }>
            {move || Suspend::new(async move {
                match customers.await {
                    Ok(list) => view! { <CustomerAdmin initial=list/> }.into_any(),
                    Err(err) => view! {
                        <LoadFailed what="customers" error=err retry=move || customers.refetch()/>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The form that adds a customer, and the table of them with their edit and delete forms.
#[component]
fn CustomerAdmin(initial: Vec<Customer>) -> impl IntoView {
    let customers = RwSignal::new(initial);
    let error = RwSignal::new(None::<String>);
    let create = ServerAction::<CreateCustomer>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| match create.value().get() {
        Some(Ok(created)) => {
            error.set(None);
            customers.update(|list| list.push(created));
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
        Some(Err(err)) => error.set(Some(describe(&err))),
        None => {}
    });

    view! {
        <ActionForm action=create node_ref=form attr:class="card form customer-add">
            <h2>"Add a customer"</h2>
            <CustomerFields customer=None/>
            <button class="primary" type="submit">"Add customer"</button>
        </ActionForm>
        <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
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
    let id = customer.id;
    let editing = RwSignal::new(false);
    let save = ServerAction::<UpdateCustomer>::new();
    let delete = ServerAction::<DeleteCustomer>::new();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(saved)) => {
            error.set(None);
            editing.set(false);
            customers.update(|list| {
                if let Some(slot) = list.iter_mut().find(|c| c.id == id) {
                    *slot = saved;
                }
            });
        }
        Some(Err(err)) => error.set(Some(describe(&err))),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(()) | Err(AppError::NotFound { .. })) => {
            error.set(None);
            customers.update(|list| list.retain(|c| c.id != id));
        }
        Some(Err(err)) => error.set(Some(describe(&err))),
        None => {}
    });
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
                    <ActionForm action=delete attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="danger" aria-label=format!("Delete {}", customer.name)>
                            "Delete"
                        </button>
                    </ActionForm>
                </td>
            </tr>
            <Show when=move || editing.get()>
                <tr class="detail">
                    <td colspan="5">
                        <EditForm customer=edited.clone() save/>
                    </td>
                </tr>
            </Show>
        </tbody>
    }
    .into_any()
}

#[component]
fn EditForm(customer: Customer, save: ServerAction<UpdateCustomer>) -> impl IntoView {
    let id = customer.id;
    view! {
        <ActionForm action=save attr:class="form customer-edit">
            <input type="hidden" name="id" value=id/>
            <CustomerFields customer=Some(customer)/>
            <button class="primary" type="submit">"Save"</button>
        </ActionForm>
    }
}
