//! `/admin`: the admin console. Users (search, paging, disable, promote, their sessions), the
//! audit trail, and customer records. Non-admins get the Forbidden page; the server checks the
//! role again on every call.

mod audit;
mod customers;
mod users;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::{RequireAdmin, RequireAuth},
    components::load::Load,
};

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

/// "Previous · Page 2 of 5 (83 users) · Next". Changing the page calls `on_change`.
#[component]
fn Pager(
    page: RwSignal<u32>,
    #[prop(into)] per_page: Signal<u32>,
    #[prop(into)] total: Signal<u64>,
    noun: &'static str,
    #[prop(into)] on_change: Callback<()>,
) -> impl IntoView {
    let pages = move || {
        let per_page = u64::from(per_page.get().max(1));
        total.get().div_ceil(per_page).max(1) as u32
    };
    let go = move |to: u32| {
        page.set(to);
        on_change.run(());
    };
    view! {
        <nav class="pager" aria-label=format!("{noun} pages")>
            <button type="button" disabled=move || { page.get() <= 1 } on:click=move |_| go(page.get_untracked() - 1)>
                "Previous"
            </button>
            <span aria-live="polite">
                {move || format!("Page {} of {} ({} {noun})", page.get(), pages(), total.get())}
            </span>
            <button type="button" disabled=move || { page.get() >= pages() } on:click=move |_| go(page.get_untracked() + 1)>
                "Next"
            </button>
        </nav>
    }
    .into_any()
}
