//! `/signup`: create an account. Like `/login`, it works with or without the WASM.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    auth::{complete_sign_in, use_auth},
    components::form::{self, submitted_value},
    domain::{
        SignupRequest,
        form_error::{Field, FormError},
        next::safe_next,
        password,
    },
    error::AppError,
};

#[component]
pub fn SignupPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let next = move || query.with(|q| q.get("next"));
    // A form post without JavaScript that failed comes back with codes: the failure, and the
    // fields refused. Each is shown as this page's own message; unknown codes are ignored.
    let (failure, invalid) = query.with_untracked(|q| (q.get("error"), q.get("invalid")));
    let error = RwSignal::new(
        failure
            .and_then(|code| FormError::from_code(&code))
            .map(|error| error.message().to_owned()),
    );
    let refused = |field: Field| {
        let listed = invalid.as_deref().is_some_and(|codes| {
            codes
                .split(',')
                .any(|code| Field::from_code(code) == Some(field))
        });
        RwSignal::new(listed.then(|| field.message().to_owned()))
    };
    let email_error = refused(Field::Email);
    let password_error = refused(Field::Password);
    let name_error = refused(Field::Name);
    let pending = RwSignal::new(false);

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = SignupRequest {
            email: submitted_value(&event, "email"),
            password: submitted_value(&event, "password"),
            name: submitted_value(&event, "name"),
        };
        complete_sign_in(
            auth,
            async move {
                crate::api::sign_up(&body)
                    .await
                    .map(crate::domain::SignInResponse::SignedIn)
            },
            Some(pending),
            safe_next(next().as_deref()),
            navigate.clone(),
            move |err| {
                let field = |name: &str| err.field_message(name).map(str::to_owned);
                email_error.set(field("email"));
                password_error.set(field("password"));
                name_error.set(field("name"));
                error.set(Some(match &err {
                    AppError::Validation { .. } => "Please correct the fields below.".into(),
                    other => other.message().to_owned(),
                }));
            },
        );
    };

    view! {
        <Title text="Sign up"/>
        <section class="card auth-card">
            <h1>"Create your account"</h1>
            <form class="form" method="post" action="/auth/signup" on:submit=on_submit novalidate>
                <form::FormError message=error/>
                <input type="hidden" name="next" value=move || next().unwrap_or_default()/>
                <form::Field name="name" label="Name" autocomplete="name" error=name_error required=true/>
                <form::Field name="email" label="Email" kind="email" autocomplete="username"
                    error=email_error required=true/>
                <form::Field name="password" label="Password" kind="password" autocomplete="new-password"
                    error=password_error required=true
                    hint=format!("At least {} characters; {} or more is better.", password::MIN_LEN, password::SUGGESTED_LEN)/>
                <button class="primary" type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Creating account…" } else { "Sign up" }}
                </button>
            </form>
            <p class="muted">"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}
