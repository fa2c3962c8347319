//! The Audit log tab: sign-ins and failures, sign-outs, revocations and admin changes, newest
//! first.

use leptos::prelude::*;

use super::{Load, Pager};
use crate::{
    api,
    auth::use_auth,
    components::{format::short_time, task::Scope},
    domain::AuditEvent,
};

/// Events per page: a screenful of recent activity.
const PER_PAGE: u32 = 50;

#[component]
pub fn AuditPanel() -> impl IntoView {
    let auth = use_auth();
    let scope = Scope::current();
    let events = RwSignal::new(Vec::<AuditEvent>::new());
    let load = RwSignal::new(Load::Loading);
    let page = RwSignal::new(1_u32);
    let per_page = RwSignal::new(PER_PAGE);
    let total = RwSignal::new(0_u64);

    let fetch = move || {
        let p = page.get_untracked();
        load.set(Load::Loading);
        scope.spawn(async move {
            match auth.check(api::admin_audit(p, PER_PAGE).await) {
                Ok(found) if found.page == page.get_untracked() => {
                    events.set(found.events);
                    per_page.set(found.per_page);
                    total.set(found.total);
                    load.set(Load::Ready);
                }
                // An older page, answered after the visitor moved on.
                Ok(_) => {}
                Err(err) => load.set(Load::Failed(err.message().to_owned())),
            }
        });
    };
    Effect::new(move |_| fetch());

    view! {
        {move || match load.get() {
            Load::Loading => view! { <p class="muted" aria-busy="true">"Loading the audit log…"</p> }.into_any(),
            Load::Failed(message) => view! {
                <div class="alert" role="alert">
                    <p>"Could not load the audit log: " {message}</p>
                    <button type="button" on:click=move |_| fetch()>"Retry"</button>
                </div>
            }
            .into_any(),
            Load::Ready if events.with_untracked(Vec::is_empty) => {
                view! { <p class="muted">"Nothing has happened yet."</p> }.into_any()
            }
            Load::Ready => view! {
                <table class="data audit">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Event"</th>
                            <th scope="col">"Account"</th>
                            <th scope="col">"By"</th>
                            <th scope="col">"IP address"</th>
                            <th scope="col">"Detail"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {events.get().into_iter().map(|e| view! {
                            <tr data-testid="audit-row" data-kind=e.kind.clone()>
                                <td>{short_time(&e.at)}</td>
                                <td>{label(&e.kind)}</td>
                                <td>{e.email.unwrap_or_default()}</td>
                                <td>{e.actor_email.unwrap_or_default()}</td>
                                <td>{e.ip}</td>
                                <td>{e.detail}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        }}
        <Pager page per_page total noun="events" on_change=move |_| fetch()/>
    }
    .into_any()
}

/// A reader's name for an event kind.
fn label(kind: &str) -> String {
    match kind {
        "sign_up" => "Signed up",
        "sign_in" => "Signed in",
        "sign_in_failed" => "Sign-in failed",
        "sign_in_throttled" => "Sign-in throttled",
        "sign_out" => "Signed out",
        "password_changed" => "Password changed",
        "session_revoked" => "Session ended",
        "user_disabled" => "Account disabled",
        "user_enabled" => "Account enabled",
        "admin_granted" => "Made admin",
        "admin_revoked" => "Admin role removed",
        "customer_created" => "Customer added",
        "customer_updated" => "Customer edited",
        "customer_deleted" => "Customer deleted",
        other => other,
    }
    .to_owned()
}
