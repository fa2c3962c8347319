//! The Users tab: search, paging, disable/enable, admin role, and each user's sessions.

use leptos::prelude::*;

use super::{Load, Pager};
use crate::{
    api,
    auth::use_auth,
    components::form::submitted_value,
    components::task::Scope,
    domain::{AdminUserUpdate, AdminUserView, PageRequest, SessionInfo},
    pages::sessions::SessionItem,
};

#[component]
pub fn UsersPanel() -> impl IntoView {
    let auth = use_auth();
    let scope = Scope::current();
    let users = RwSignal::new(Vec::<AdminUserView>::new());
    let load = RwSignal::new(Load::Loading);
    let query = RwSignal::new(String::new());
    let page = RwSignal::new(1_u32);
    let per_page = RwSignal::new(PageRequest::DEFAULT_PER_PAGE);
    let total = RwSignal::new(0_u64);
    let error = RwSignal::new(None::<String>);
    // Answers to older searches that arrive late are dropped.
    let generation = StoredValue::new(0_u64);

    let fetch = move || {
        let (q, p) = (query.get_untracked(), page.get_untracked());
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        load.set(Load::Loading);
        scope.spawn(async move {
            let outcome = auth.check(api::admin_users(&q, p).await);
            if generation.get_value() != mine {
                return;
            }
            match outcome {
                Ok(found) => {
                    users.set(found.users);
                    per_page.set(found.per_page);
                    total.set(found.total);
                    load.set(Load::Ready);
                }
                Err(err) => load.set(Load::Failed(err.message().to_owned())),
            }
        });
    };
    Effect::new(move |_| fetch());

    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        query.set(submitted_value(&event, "query"));
        page.set(1);
        fetch();
    };
    let me = move || auth.user().with(|u| u.as_ref().map(|u| u.id));
    // A memo, so that editing a row (which rewrites `users`) does not redraw the whole table.
    let no_users = Memo::new(move |_| users.with(Vec::is_empty));

    view! {
        <form class="search" role="search" on:submit=search>
            <label for="user-search">"Search users"</label>
            <input id="user-search" name="query" type="search" placeholder="Name or email" maxlength="200"/>
            <button type="submit">"Search"</button>
        </form>
        <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        {move || match load.get() {
            Load::Loading => view! { <p class="muted" aria-busy="true">"Loading users…"</p> }.into_any(),
            Load::Failed(message) => view! {
                <div class="alert" role="alert">
                    <p>"Could not load users: " {message}</p>
                    <button type="button" on:click=move |_| fetch()>"Retry"</button>
                </div>
            }
            .into_any(),
            Load::Ready if no_users.get() => {
                view! { <p class="muted">"No users match."</p> }.into_any()
            }
            Load::Ready => view! {
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
                    <For
                        each=move || users.get()
                        key=|u| u.id
                        let:user
                    >
                        <UserRows is_me=me() == Some(user.id) user users error/>
                    </For>
                </table>
            }
            .into_any(),
        }}
        <Pager page per_page total noun="users" on_change=move |_| fetch()/>
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
    let auth = use_auth();
    let scope = Scope::current();
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
    let change = move |update: AdminUserUpdate| {
        error.set(None);
        scope.spawn(async move {
            match auth.check(api::admin_update_user(id, &update).await) {
                Ok(updated) => users.update(|list| {
                    if let Some(slot) = list.iter_mut().find(|u| u.id == id) {
                        *slot = updated;
                    }
                }),
                Err(err) => error.set(Some(err.message().to_owned())),
            }
        });
    };
    let yourself = is_me.then_some("You cannot change your own account here.");
    let name = move || current.with(|u| u.name.clone());
    view! {
        <tbody>
            <tr data-testid="user-row" data-email=move || current.with(|u| u.email.clone()) class:disabled=disabled>
                <td>{name} {is_me.then(|| view! { <span class="badge">"You"</span> })}</td>
                <td>{move || current.with(|u| u.email.clone())}</td>
                <td>{move || if disabled() { "Disabled" } else { "Active" }}</td>
                <td>{move || if is_admin() { "Admin" } else { "User" }}</td>
                <td>{move || current.with(|u| u.session_count)}</td>
                <td class="actions">
                    <button
                        type="button"
                        disabled=is_me
                        title=yourself
                        aria-label=move || format!("{} {}", if disabled() { "Enable" } else { "Disable" }, name())
                        on:click=move |_| change(AdminUserUpdate { disabled: Some(!disabled()), is_admin: None })
                    >
                        {move || if disabled() { "Enable" } else { "Disable" }}
                    </button>
                    <button
                        type="button"
                        disabled=is_me
                        title=yourself
                        aria-label=move || format!("{} {}", if is_admin() { "Remove admin role of" } else { "Make admin:" }, name())
                        on:click=move |_| change(AdminUserUpdate { disabled: None, is_admin: Some(!is_admin()) })
                    >
                        {move || if is_admin() { "Remove admin" } else { "Make admin" }}
                    </button>
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
                        <UserSessions id is_me users/>
                    </td>
                </tr>
            </Show>
        </tbody>
    }
    .into_any()
}

/// The live sessions of one user, with a button that ends them all.
#[component]
fn UserSessions(id: i64, is_me: bool, users: RwSignal<Vec<AdminUserView>>) -> impl IntoView {
    let auth = use_auth();
    let scope = Scope::current();
    let sessions = RwSignal::new(None::<Result<Vec<SessionInfo>, String>>);
    let notice = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        scope.spawn(async move {
            let listed = auth.check(api::admin_user_sessions(id).await);
            sessions.set(Some(listed.map_err(|err| err.message().to_owned())));
        });
    });
    let end_all = move |_| {
        scope.spawn(async move {
            match auth.check(api::admin_end_user_sessions(id).await) {
                Ok(()) => {
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
                Err(err) => notice.set(Some(err.message().to_owned())),
            }
        });
    };
    view! {
        <div class="user-sessions">
            <p role="status">{move || notice.get()}</p>
            {move || match sessions.get() {
                None => view! { <p class="muted">"Loading sessions…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="alert" role="alert">{message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted">"No live sessions."</p> }.into_any()
                }
                Some(Ok(list)) => view! {
                    <ul class="session-list">
                        {list.into_iter().map(|session| view! { <SessionItem session/> }).collect_view()}
                    </ul>
                    <button type="button" class="danger" on:click=end_all>"End all sessions"</button>
                }
                .into_any(),
            }}
        </div>
    }
    .into_any()
}
