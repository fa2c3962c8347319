//! `/sessions`: every browser and device signed in to the account, with a way to sign any of
//! them out (SECURITY S8).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api,
    auth::{RequireAuth, use_auth},
    components::{format::short_time, load::Load, task::Scope},
    domain::{SessionInfo, device},
    error::AppError,
};

#[component]
pub fn SessionsPage() -> impl IntoView {
    view! {
        <Title text="Sessions"/>
        <RequireAuth>
            <h1>"Your sessions"</h1>
            <p class="muted">
                "These browsers and devices are signed in to your account. Sign out any you do not recognise."
            </p>
            <SessionList/>
        </RequireAuth>
    }
    .into_any()
}

#[component]
fn SessionList() -> impl IntoView {
    let auth = use_auth();
    let scope = Scope::current();
    let sessions = RwSignal::new(Vec::<SessionInfo>::new());
    let load = RwSignal::new(Load::Loading);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);

    let fetch = move || {
        load.set(Load::Loading);
        scope.spawn(async move {
            match auth.check(api::list_sessions().await) {
                Ok(list) => {
                    sessions.set(list);
                    load.set(Load::Ready);
                }
                Err(err) => load.set(Load::Failed(err.message().to_owned())),
            }
        });
    };
    Effect::new(move |_| fetch());

    let end_one = move |id: String| {
        error.set(None);
        notice.set(None);
        scope.spawn(async move {
            match auth.check(api::end_session(&id).await) {
                Ok(()) => {
                    sessions.update(|list| list.retain(|s| s.id != id));
                    notice.set(Some("That session is signed out.".into()));
                }
                // Already gone (it expired, or another tab ended it): show what is left.
                Err(AppError::NotFound { .. }) => fetch(),
                Err(err) => error.set(Some(err.message().to_owned())),
            }
        });
    };
    let end_others = move |_| {
        error.set(None);
        notice.set(None);
        scope.spawn(async move {
            match auth.check(api::end_other_sessions().await) {
                Ok(()) => {
                    sessions.update(|list| list.retain(|s| s.current));
                    notice.set(Some("Every other session is signed out.".into()));
                }
                Err(err) => error.set(Some(err.message().to_owned())),
            }
        });
    };
    let has_others = move || sessions.with(|list| list.iter().any(|s| !s.current));

    view! {
        <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        <p class="ok" role="status">{move || notice.get()}</p>
        {move || match load.get() {
            Load::Loading => view! {
                <ul class="session-list skeleton" aria-busy="true" aria-label="Loading sessions">
                    <li class="card"></li>
                    <li class="card"></li>
                </ul>
            }
            .into_any(),
            Load::Failed(message) => view! {
                <div class="alert" role="alert">
                    <p>"Could not load your sessions: " {message}</p>
                    <button type="button" on:click=move |_| fetch()>"Retry"</button>
                </div>
            }
            .into_any(),
            Load::Ready => view! {
                <ul class="session-list">
                    <For each=move || sessions.get() key=|s| s.id.clone() let:session>
                        <SessionItem session on_end=end_one/>
                    </For>
                </ul>
                <button type="button" class="danger" disabled=move || !has_others() on:click=end_others>
                    "Sign out all other sessions"
                </button>
            }
            .into_any(),
        }}
    }
    .into_any()
}

/// One session: what it is, where from, when; and its sign-out button unless it is this one.
#[component]
pub fn SessionItem(
    session: SessionInfo,
    /// Called with the session's id when its sign-out button is pressed; `None` shows no button.
    #[prop(optional, into)]
    on_end: Option<Callback<String>>,
) -> impl IntoView {
    let device = device::describe(&session.user_agent);
    let id = session.id.clone();
    let button = (!session.current)
        .then_some(on_end)
        .flatten()
        .map(|on_end| {
            let label = format!("Sign out {device}");
            view! {
                <button type="button" aria-label=label on:click=move |_| on_end.run(id.clone())>
                    "Sign out"
                </button>
            }
        });
    view! {
        <li class="card session" data-testid="session" class:current=session.current>
            <div class="session-head">
                <strong>{device.clone()}</strong>
                {session.current.then(|| view! { <span class="badge">"This device"</span> })}
            </div>
            <dl class="facts">
                <dt>"IP address"</dt><dd>{session.ip}</dd>
                <dt>"Signed in"</dt><dd>{short_time(&session.created_at)}</dd>
                <dt>"Last active"</dt><dd>{short_time(&session.last_seen_at)}</dd>
            </dl>
            {button}
        </li>
    }
    .into_any()
}
