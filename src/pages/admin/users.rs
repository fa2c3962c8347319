//! The Users tab: search, paging, disable/enable, admin role, and each user's sessions.

use leptos::prelude::*;

use super::Pager;
use crate::{
    auth::use_auth,
    components::form::submitted_value,
    components::load::LoadFailed,
    components::reauth::ReauthPrompt,
    domain::{AdminUserView, UserPage},
    error::AppError,
    fns::admin::{
        AdminEndUserSessions, AdminResetSecondFactor, AdminSendPasswordReset,
        AdminSendVerification, AdminUpdateUser, admin_list_users, admin_user_sessions,
    },
    pages::sessions::SessionItem,
};

#[component]
pub fn UsersPanel() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let page = RwSignal::new(1_u32);
    let found = Resource::new(
        move || (query.get(), page.get()),
        |(query, page)| admin_list_users(query, Some(page)),
    );
    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        query.set(submitted_value(&event, "query"));
        page.set(1);
    };

    view! {
        <form class="search" role="search" on:submit=search>
            <label for="user-search">"Search users"</label>
            <input id="user-search" name="query" type="search" placeholder="Name or email" maxlength="200"/>
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(found) => view! { <UserTable found page/> }.into_any(),
                    Err(err) => view! {
                        <LoadFailed what="users" error=err retry=move || found.refetch()/>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// One page of users, and the pager.
#[component]
fn UserTable(found: UserPage, page: RwSignal<u32>) -> impl IntoView {
    let auth = use_auth();
    let users = RwSignal::new(found.users);
    let error = RwSignal::new(None::<String>);
    let me = move || auth.user().with(|u| u.as_ref().map(|u| u.id));
    // A memo, so that editing a row (which rewrites `users`) does not redraw the whole table.
    let no_users = Memo::new(move |_| users.with(Vec::is_empty));
    let table = move || {
        if no_users.get() {
            return view! { <p class="muted">"No users match."</p> }.into_any();
        }
        view! {
            <table class="data users">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Sessions"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <For each=move || users.get() key=|u| u.id let:user>
                    <UserRows is_me=me() == Some(user.id) user users error/>
                </For>
            </table>
        }
        .into_any()
    };
    view! {
        <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        {table}
        <Pager page per_page=found.per_page total=found.total noun="users"/>
    }
    .into_any()
}

/// A user's row, and under it their sessions when expanded. The row reads its user from `users`
/// by id, so an update redraws the cells without closing the sessions.
#[component]
fn UserRows(
    user: AdminUserView,
    is_me: bool,
    users: RwSignal<Vec<AdminUserView>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = user.id;
    let expanded = RwSignal::new(false);
    let current = Memo::new(move |_| {
        users.with(|list| {
            list.iter()
                .find(|u| u.id == id)
                .cloned()
                .unwrap_or_else(|| user.clone())
        })
    });
    let disabled = move || current.with(|u| u.disabled);
    let is_admin = move || current.with(|u| u.is_admin);
    let change = ServerAction::<AdminUpdateUser>::new();
    Effect::new(move |_| match change.value().get() {
        Some(Ok(updated)) => {
            error.set(None);
            users.update(|list| {
                if let Some(slot) = list.iter_mut().find(|u| u.id == id) {
                    *slot = updated;
                }
            });
        }
        Some(Err(err)) => error.set(Some(err.message().to_owned())),
        None => {}
    });
    let yourself = is_me.then_some("You cannot change your own account here.");
    let name = move || current.with(|u| u.name.clone());
    view! {
        <tbody>
            <tr data-testid="user-row" data-email=move || current.with(|u| u.email.clone()) class:disabled=disabled>
                <td>{name} {is_me.then(|| view! { <span class="badge">"You"</span> })}</td>
                <td>
                    {move || current.with(|u| u.email.clone())}
                    {move || if current.with(|u| u.email_verified) {
                        view! { <span class="badge">"verified"</span> }.into_any()
                    } else {
                        view! { <span class="badge warning">"not verified"</span> }.into_any()
                    }}
                </td>
                <td>{move || if disabled() { "Disabled" } else { "Active" }}</td>
                <td>{move || if is_admin() { "Admin" } else { "User" }}</td>
                <td>{move || current.with(|u| u.session_count)}</td>
                <td class="actions">
                    <ActionForm action=change attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="disabled" value=move || (!disabled()).to_string()/>
                        <button
                            type="submit"
                            disabled=is_me
                            title=yourself
                            aria-label=move || format!("{} {}", if disabled() { "Enable" } else { "Disable" }, name())
                        >
                            {move || if disabled() { "Enable" } else { "Disable" }}
                        </button>
                    </ActionForm>
                    <ActionForm action=change attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="is_admin" value=move || (!is_admin()).to_string()/>
                        <button
                            type="submit"
                            disabled=is_me
                            title=yourself
                            aria-label=move || format!("{} {}", if is_admin() { "Remove admin role of" } else { "Make admin:" }, name())
                        >
                            {move || if is_admin() { "Remove admin" } else { "Make admin" }}
                        </button>
                    </ActionForm>
                    <button
                        type="button"
                        aria-expanded=move || expanded.get().to_string()
                        aria-label=move || format!("Sessions of {}", name())
                        on:click=move |_| expanded.update(|e| *e = !*e)
                    >
                        "Sessions"
                    </button>
                </td>
            </tr>
            <Show when=move || expanded.get()>
                <tr class="detail">
                    <td colspan="6">
                        <UserMail id verified=Signal::derive(move || current.with(|u| u.email_verified))/>
                        <UserSessions id is_me users/>
                    </td>
                </tr>
            </Show>
        </tbody>
    }
    .into_any()
}

/// Mails for one user: a new verification link, a password reset link; and turning off their
/// two-factor sign-in (a lost phone). The admin never sees either link, nor any password.
#[component]
fn UserMail(id: i64, verified: Signal<bool>) -> impl IntoView {
    let verification = ServerAction::<AdminSendVerification>::new();
    let reset = ServerAction::<AdminSendPasswordReset>::new();
    let second_factor = ServerAction::<AdminResetSecondFactor>::new();
    let reauth = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    Effect::new(move |_| match second_factor.value().get() {
        Some(Ok(())) => notice.set(Some(
            "Two-factor sign-in is off for this user; they were told by mail.".into(),
        )),
        Some(Err(AppError::ReauthRequired { .. })) => reauth.set(true),
        Some(Err(err)) => notice.set(Some(err.message().to_owned())),
        None => {}
    });
    Effect::new(move |_| match verification.value().get() {
        Some(Ok(())) => notice.set(Some(
            "A new verification link is on its way to this user.".into(),
        )),
        Some(Err(err)) => notice.set(Some(err.message().to_owned())),
        None => {}
    });
    Effect::new(move |_| match reset.value().get() {
        Some(Ok(())) => notice.set(Some(
            "A password reset link is on its way to this user.".into(),
        )),
        Some(Err(err)) => notice.set(Some(err.message().to_owned())),
        None => {}
    });
    view! {
        <div class="user-mail">
            <Show when=move || !verified.get()>
                <ActionForm action=verification attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit">"Send verification link"</button>
                </ActionForm>
            </Show>
            <ActionForm action=reset attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <button type="submit">"Send password reset link"</button>
            </ActionForm>
            <ActionForm action=second_factor attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <button type="submit">"Turn off two-factor sign-in"</button>
            </ActionForm>
            <p role="status">{move || notice.get()}</p>
            <Show when=move || reauth.get()>
                <ReauthPrompt on_confirmed=move |()| {
                    reauth.set(false);
                    second_factor.dispatch(AdminResetSecondFactor { id });
                }/>
            </Show>
        </div>
    }
}

/// The live sessions of one user, with a form that ends them all.
#[component]
fn UserSessions(id: i64, is_me: bool, users: RwSignal<Vec<AdminUserView>>) -> impl IntoView {
    let auth = use_auth();
    let sessions = Resource::new(|| (), move |_| admin_user_sessions(id));
    let end_all = ServerAction::<AdminEndUserSessions>::new();
    let notice = RwSignal::new(None::<String>);
    Effect::new(move |_| match end_all.value().get() {
        Some(Ok(())) => {
            sessions.set(Some(Ok(Vec::new())));
            notice.set(Some("Every session of this user is signed out.".into()));
            users.update(|list| {
                if let Some(user) = list.iter_mut().find(|u| u.id == id) {
                    user.session_count = 0;
                }
            });
            if is_me {
                // That included this browser's own session.
                auth.signed_out();
            }
        }
        Some(Err(err)) => notice.set(Some(err.message().to_owned())),
        None => {}
    });
    view! {
        <div class="user-sessions">
            <p role="status">{move || notice.get()}</p>
            <Transition fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Err(err) => view! { <p class="alert" role="alert">{err.message().to_owned()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted">"No live sessions."</p> }.into_any()
                        }
                        Ok(list) => view! {
                            <ul class="session-list">
                                {list.into_iter().map(|session| view! { <SessionItem session/> }).collect_view()}
                            </ul>
                            <ActionForm action=end_all>
                                <input type="hidden" name="id" value=id/>
                                <button type="submit" class="danger">"End all sessions"</button>
                            </ActionForm>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </div>
    }
    .into_any()
}
