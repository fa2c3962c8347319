//! `/profile`: the user's name, sign-in methods, and password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::{RequireAuth, use_auth},
    components::{
        form::{Field, FormError},
        reauth::ReauthPrompt,
    },
    domain::password,
    error::AppError,
    fns::profile::{ChangePassword, UpdateProfile},
};

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Profile"/>
        <RequireAuth>
            <h1>"Profile"</h1>
            <div class="stack">
                <NameForm/>
                <SignInMethods/>
                <PasswordForm/>
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
