//! The Audit log tab: sign-ins and failures, sign-outs, revocations and admin changes, newest
//! first.

use leptos::prelude::*;

use super::Pager;
use crate::{
    components::format::short_time, components::load::LoadFailed, domain::AuditPage,
    fns::admin::admin_audit,
};

/// Events per page: a screenful of recent activity.
const PER_PAGE: u32 = 50;

#[component]
pub fn AuditPanel() -> impl IntoView {
    let page = RwSignal::new(1_u32);
    let events = Resource::new(
        move || page.get(),
        |page| admin_audit(Some(page), Some(PER_PAGE)),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(found) => view! { <AuditTable found page/> }.into_any(),
                    Err(err) => view! {
                        <LoadFailed what="the audit log" error=err retry=move || events.refetch()/>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn AuditTable(found: AuditPage, page: RwSignal<u32>) -> impl IntoView {
    let table = if found.events.is_empty() {
        view! { <p class="muted">"Nothing has happened yet."</p> }.into_any()
    } else {
        view! {
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
                    {found.events.into_iter().map(|e| view! {
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
        .into_any()
    };
    view! {
        {table}
        <Pager page per_page=found.per_page total=found.total noun="events"/>
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
