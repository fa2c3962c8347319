//! `/sessions`: every browser and device signed in to the account, with a way to sign any of
//! them out (SECURITY S8).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::RequireAuth,
    components::{format::short_time, load::LoadFailed, reauth::ReauthPrompt},
    domain::{SessionInfo, device},
    error::AppError,
    fns::sessions::{EndOtherSessions, EndSession, list_sessions},
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
    let sessions = Resource::new(|| (), |_| list_sessions());
    view! {
        <Suspense fallback=|| view! {
            <ul class="session-list skeleton" aria-busy="true" aria-label="Loading sessions">
                <li class="card"></li>
                <li class="card"></li>
            </ul>
        }>
            {move || Suspend::new(async move {
                match sessions.await {
                    Ok(list) => view! { <Sessions initial=list reload=move || sessions.refetch()/> }.into_any(),
                    Err(err) => view! {
                        <LoadFailed what="your sessions" error=err retry=move || sessions.refetch()/>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// The loaded list, each session with its sign-out form, and the form that signs out the rest.
#[component]
fn Sessions(initial: Vec<SessionInfo>, #[prop(into)] reload: Callback<()>) -> impl IntoView {
    let sessions = RwSignal::new(initial);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let end_others = ServerAction::<EndOtherSessions>::new();
    // Ending every other session needs a recent sign-in: confirming it retries.
    let reauth = RwSignal::new(false);
    Effect::new(move |_| match end_others.value().get() {
        Some(Ok(())) => {
            sessions.update(|list| list.retain(|s| s.current));
            error.set(None);
            notice.set(Some("Every other session is signed out.".into()));
        }
        Some(Err(AppError::ReauthRequired { .. })) => reauth.set(true),
        Some(Err(err)) => error.set(Some(err.message().to_owned())),
        None => {}
    });
    let ended = Callback::new(
        move |outcome: (String, Result<(), AppError>)| match outcome {
            (id, Ok(())) => {
                sessions.update(|list| list.retain(|s| s.id != id));
                error.set(None);
                notice.set(Some("That session is signed out.".into()));
            }
            // Already gone (it expired, or another tab ended it): show what is left.
            (_, Err(AppError::NotFound { .. })) => reload.run(()),
            (_, Err(err)) => error.set(Some(err.message().to_owned())),
        },
    );
    let has_others = move || sessions.with(|list| list.iter().any(|s| !s.current));

    view! {
        <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        <p class="ok" role="status">{move || notice.get()}</p>
        <ul class="session-list">
            <For each=move || sessions.get() key=|s| s.id.clone() let:session>
                <SessionItem session on_end=ended/>
            </For>
        </ul>
        <ActionForm action=end_others>
            <button type="submit" class="danger" disabled=move || !has_others()>
                "Sign out all other sessions"
            </button>
        </ActionForm>
        <Show when=move || reauth.get()>
            <ReauthPrompt on_confirmed=move |()| {
                reauth.set(false);
                end_others.dispatch(EndOtherSessions {});
            }/>
        </Show>
    }
    .into_any()
}

/// One session: what it is, where from, when; and its sign-out button unless it is this one.
#[component]
pub fn SessionItem(
    session: SessionInfo,
    /// Called with the session's id and the answer once its sign-out form has been sent;
    /// `None` shows no form.
    #[prop(optional, into)]
    on_end: Option<Callback<(String, Result<(), AppError>)>>,
) -> impl IntoView {
    let device = device::describe(&session.user_agent);
    let id = session.id.clone();
    let button = (!session.current)
        .then_some(on_end)
        .flatten()
        .map(|on_end| {
            let end = ServerAction::<EndSession>::new();
            let sent = id.clone();
            Effect::new(move |_| {
                if let Some(outcome) = end.value().get() {
                    on_end.run((sent.clone(), outcome));
                }
            });
            let label = format!("Sign out {device}");
            view! {
                <ActionForm action=end>
                    <input type="hidden" name="id" value=id.clone()/>
                    <button type="submit" aria-label=label>"Sign out"</button>
                </ActionForm>
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
