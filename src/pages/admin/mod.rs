//! `/admin`: the admin console. Users (search, paging, disable, promote, their sessions), the
//! audit trail, and customer records. Non-admins get the Forbidden page; the server checks the
//! role again on every call.

mod audit;
mod customers;
mod users;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::{RequireAdmin, RequireAuth};

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin"/>
        <RequireAuth>
            <RequireAdmin>
                <h1>"Admin"</h1>
                <AdminConsole/>
            </RequireAdmin>
        </RequireAuth>
    }
    .into_any()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Users,
    Audit,
    Customers,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Users, Tab::Audit, Tab::Customers];

    fn label(self) -> &'static str {
        match self {
            Tab::Users => "Users",
            Tab::Audit => "Audit log",
            Tab::Customers => "Customers",
        }
    }
}

#[component]
fn AdminConsole() -> impl IntoView {
    let tab = RwSignal::new(Tab::Users);
    let tabs = Tab::ALL.map(|t| {
        view! {
            <button
                type="button"
                role="tab"
                id=format!("tab-{}", t.label().to_lowercase().replace(' ', "-"))
                aria-selected=move || (tab.get() == t).to_string()
                on:click=move |_| tab.set(t)
            >
                {t.label()}
            </button>
        }
    });
    view! {
        <div class="tabs" role="tablist" aria-label="Admin sections">{tabs.into_iter().collect_view()}</div>
        <section role="tabpanel" class="tab-panel" aria-label=move || tab.get().label()>
            {move || match tab.get() {
                Tab::Users => view! { <users::UsersPanel/> }.into_any(),
                Tab::Audit => view! { <audit::AuditPanel/> }.into_any(),
                Tab::Customers => view! { <customers::CustomersPanel/> }.into_any(),
            }}
        </section>
    }
    .into_any()
}

/// "Previous · Page 2 of 5 (83 users) · Next". Changing `page` loads that page (the panel's
/// Resource reads it).
#[component]
fn Pager(page: RwSignal<u32>, per_page: u32, total: u64, noun: &'static str) -> impl IntoView {
    let pages = u64::from(per_page.max(1));
    let pages = total.div_ceil(pages).max(1) as u32;
    view! {
        <nav class="pager" aria-label=format!("{noun} pages")>
            <button type="button" disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p -= 1)>
                "Previous"
            </button>
            <span aria-live="polite">
                {move || format!("Page {} of {pages} ({total} {noun})", page.get())}
            </span>
            <button type="button" disabled=move || { page.get() >= pages } on:click=move |_| page.update(|p| *p += 1)>
                "Next"
            </button>
        </nav>
    }
    .into_any()
}
