//! `/profile`: the user's name, sign-in methods, and password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::{RequireAuth, use_auth},
    components::{
        check_inbox::ResendLinkButton,
        form::{Field, FormError},
        reauth::ReauthPrompt,
    },
    domain::password,
    error::AppError,
    fns::{
        email::{DeleteAccount, RequestEmailChange},
        profile::{ChangePassword, UpdateProfile},
    },
};

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Profile"/>
        <RequireAuth>
            <h1>"Profile"</h1>
            <div class="stack">
                <NameForm/>
                <EmailSection/>
                <SignInMethods/>
                <PasswordForm/>
                <YourData/>
            </div>
        </RequireAuth>
    }
}

#[component]
fn NameForm() -> impl IntoView {
    let auth = use_auth();
    let name = Signal::derive(move || auth.user().get().map(|u| u.name).unwrap_or_default());
    let rename = ServerAction::<UpdateProfile>::new();
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    Effect::new(move |_| match rename.value().get() {
        Some(Ok(user)) => {
            auth.update(user);
            error.set(None);
            saved.set(true);
        }
        Some(Err(err)) => {
            saved.set(false);
            error.set(Some(
                err.field_message("name")
                    .unwrap_or(err.message())
                    .to_owned(),
            ));
        }
        None => {}
    });
    view! {
        <ActionForm action=rename attr:class="card form">
            <h2>"Your name"</h2>
            <Field name="name" label="Name" autocomplete="name" value=name error=error required=true/>
            <button class="primary" type="submit">"Save name"</button>
            <p class="ok" role="status">{move || saved.get().then_some("Saved.")}</p>
        </ActionForm>
    }
}

#[component]
fn SignInMethods() -> impl IntoView {
    let auth = use_auth();
    let has = move |pick: fn(&crate::domain::CurrentUser) -> bool| {
        move || {
            if auth.user().get().is_some_and(|u| pick(&u)) {
                "linked"
            } else {
                "not linked"
            }
        }
    };
    view! {
        <section class="card">
            <h2>"Sign-in methods"</h2>
            <ul class="methods" data-testid="sign-in-methods">
                <li>"Email and password: " <strong>{has(|u| u.has_password)}</strong></li>
                <li>"Google: " <strong>{has(|u| u.has_google)}</strong></li>
            </ul>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let auth = use_auth();
    let has_password = move || auth.user().get().is_some_and(|u| u.has_password);
    let email = move || auth.user().get().map(|u| u.email).unwrap_or_default();
    let change = ServerAction::<ChangePassword>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    let error = RwSignal::new(None::<String>);
    let current_error = RwSignal::new(None::<String>);
    let new_error = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    // Shown when the session must confirm who it is first; confirming submits the form again.
    let reauth = RwSignal::new(false);
    let retry = move || {
        reauth.set(false);
        if let Some(form) = form.get_untracked() {
            let _ = form.request_submit();
        }
    };
    Effect::new(move |_| {
        let Some(outcome) = change.value().get() else {
            return;
        };
        error.set(None);
        current_error.set(None);
        new_error.set(None);
        done.set(false);
        match outcome {
            Err(AppError::ReauthRequired { .. }) => reauth.set(true),
            Ok(user) => {
                done.set(true);
                if let Some(form) = form.get_untracked() {
                    form.reset();
                }
                auth.update(user);
            }
            Err(err) => match err.status() {
                403 => current_error.set(Some(err.message().to_owned())),
                422 => new_error.set(
                    err.field_message("new_password")
                        .or(err.field_message("current_password"))
                        .map(str::to_owned),
                ),
                _ => error.set(Some(err.message().to_owned())),
            },
        }
    });
    view! {
        <ActionForm action=change node_ref=form attr:class="card form">
            <h2>{move || if has_password() { "Change password" } else { "Add a password" }}</h2>
            <FormError message=error/>
            // The account the password belongs to, for password managers (and Chromium, which
            // asks for it): hidden, and not an argument the server function reads.
            <input type="email" name="username" autocomplete="username" value=email readonly hidden/>
            <Show when=has_password>
                <Field name="current_password" label="Current password" kind="password"
                    autocomplete="current-password" error=current_error required=true/>
            </Show>
            <Field name="new_password" label="New password" kind="password" autocomplete="new-password"
                error=new_error required=true
                hint=format!("At least {} characters; {} or more is better.", password::MIN_LEN, password::SUGGESTED_LEN)/>
            <button class="primary" type="submit">"Save password"</button>
            <p class="ok" role="status">
                {move || done.get().then_some("Password saved. Your other sessions were signed out.")}
            </p>
        </ActionForm>
        <Show when=move || reauth.get()>
            <ReauthPrompt on_confirmed=move |()| retry()/>
        </Show>
    }
}

/// The account's address: whether it is verified (with a new link on request), and moving to
/// another one (a link goes there; a recent sign-in is needed).
#[component]
fn EmailSection() -> impl IntoView {
    let auth = use_auth();
    let email = move || auth.user().get().map(|u| u.email).unwrap_or_default();
    let verified = move || auth.user().get().is_some_and(|u| u.email_verified);
    let change = ServerAction::<RequestEmailChange>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    let sent_to = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let field_error = RwSignal::new(None::<String>);
    let reauth = RwSignal::new(false);
    // The address asked for, noted while the request is in flight (the action forgets its input
    // once it has answered).
    let requested = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(input) = change.input().get() {
            requested.set(Some(input.new_email));
        }
    });
    Effect::new(move |_| {
        let Some(outcome) = change.value().get() else {
            return;
        };
        error.set(None);
        field_error.set(None);
        match outcome {
            Ok(()) => {
                sent_to.set(requested.get_untracked());
                if let Some(form) = form.get_untracked() {
                    form.reset();
                }
            }
            Err(AppError::ReauthRequired { .. }) => reauth.set(true),
            Err(err) => match err.field_message("new_email") {
                Some(message) => field_error.set(Some(message.to_owned())),
                None => error.set(Some(err.message().to_owned())),
            },
        }
    });
    view! {
        <section class="card form" data-testid="email-section">
            <h2>"Email address"</h2>
            <p>
                <strong>{email}</strong>" "
                {move || if verified() {
                    view! { <span class="badge">"verified"</span> }.into_any()
                } else {
                    view! { <span class="badge warning">"not verified"</span> }.into_any()
                }}
            </p>
            <Show when=move || !verified()>
                <ResendLinkButton/>
            </Show>
            <ActionForm action=change node_ref=form attr:class="form">
                <FormError message=error/>
                <Field name="new_email" label="New email address" kind="email" autocomplete="email"
                    error=field_error required=true/>
                <button class="primary" type="submit">"Change email"</button>
            </ActionForm>
            <p class="ok" role="status">
                {move || sent_to.get().map(|to| format!(
                    "We sent a link to {to}. Your address changes once you open it."
                ))}
            </p>
        </section>
        <Show when=move || reauth.get()>
            <ReauthPrompt on_confirmed=move |()| {
                reauth.set(false);
                if let Some(form) = form.get_untracked() {
                    let _ = form.request_submit();
                }
            }/>
        </Show>
    }
}

/// Everything kept about the user, to download; and deleting the account.
#[component]
fn YourData() -> impl IntoView {
    let auth = use_auth();
    let navigate = leptos_router::hooks::use_navigate();
    let delete = ServerAction::<DeleteAccount>::new();
    let error = RwSignal::new(None::<String>);
    let reauth = RwSignal::new(false);
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            auth.signed_out();
            navigate("/", Default::default());
        }
        Some(Err(AppError::ReauthRequired { .. })) => reauth.set(true),
        Some(Err(err)) => error.set(Some(err.message().to_owned())),
        None => {}
    });
    view! {
        <section class="card form" data-testid="your-data">
            <h2>"Your data"</h2>
            <p>
                <a href="/api/users/me/export" download="gatehouse-data.json">"Download your data"</a>
                " (your profile, todos, sessions and account history, as JSON)."
            </p>
            <ActionForm action=delete attr:class="form">
                <FormError message=error/>
                <label class="check">
                    <input type="checkbox" required=true/>
                    " I understand that deleting my account cannot be undone."
                </label>
                <button class="danger" type="submit" disabled=move || delete.pending().get()>
                    "Delete my account"
                </button>
            </ActionForm>
        </section>
        <Show when=move || reauth.get()>
            <ReauthPrompt on_confirmed=move |()| {
                reauth.set(false);
                delete.dispatch(DeleteAccount {});
            }/>
        </Show>
    }
}
