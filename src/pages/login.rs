//! `/login`: sign in with email and password. Works before the WASM loads (a plain form post
//! to `/auth/login` that the server answers with a redirect) and, once hydrated, through the
//! JSON API without leaving the page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    auth::use_auth,
    components::form::{Field, FormError, submitted_value},
    domain::{LoginRequest, next::safe_next},
    error::AppError,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let next = move || query.with(|q| q.get("next"));
    // Set by the server when a form post without JavaScript failed.
    let error = RwSignal::new(query.with_untracked(|q| q.get("error")));
    let password_error = RwSignal::new(None::<String>);
    let email = Signal::derive(move || query.with(|q| q.get("email").unwrap_or_default()));
    let pending = RwSignal::new(false);

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = LoginRequest {
            email: submitted_value(&event, "email"),
            password: submitted_value(&event, "password"),
        };
        let navigate = navigate.clone();
        let target = safe_next(next().as_deref());
        pending.set(true);
        leptos::task::spawn_local(async move {
            let outcome = crate::api::log_in(&body).await;
            pending.set(false);
            match outcome {
                Ok(user) => {
                    auth.signed_in(user);
                    navigate(&target, Default::default());
                }
                Err(err) => {
                    password_error.set(err.field_message("password").map(str::to_owned));
                    error.set(Some(login_message(&err)));
                }
            }
        });
    };

    view! {
        <Title text="Sign in"/>
        <section class="card auth-card">
            <h1>"Sign in"</h1>
            <form class="form" method="post" action="/auth/login" on:submit=on_submit novalidate>
                <FormError message=error/>
                <input type="hidden" name="next" value=move || next().unwrap_or_default()/>
                <Field name="email" label="Email" kind="email" autocomplete="username" value=email
                    error=Signal::derive(|| None::<String>) required=true/>
                <Field name="password" label="Password" kind="password" autocomplete="current-password"
                    error=password_error required=true/>
                <button class="primary" type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p class="muted">
                "No account yet? "
                <A href=move || match next() {
                    Some(next) => format!("/signup?next={}", crate::domain::next::encode_component(&next)),
                    None => "/signup".to_owned(),
                }>"Sign up"</A>
            </p>
        </section>
    }
}

fn login_message(err: &AppError) -> String {
    match err {
        AppError::Validation { .. } => "Enter your email and password.".into(),
        other => other.message().to_owned(),
    }
}
