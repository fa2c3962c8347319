//! `/login/second-factor`: the code step of a sign-in whose password (or Google) was right, for
//! an account with two-factor sign-in. A code from the authenticator app, or a recovery code.
//! Works before the WASM loads (a form post to `/auth/second-factor`) and, once hydrated,
//! through the JSON API.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    auth::{complete_sign_in, use_auth},
    components::{
        form::{self, Field, submitted_value},
        passkey::PasskeySignIn,
    },
    domain::{
        SecondFactorRequest, SignInResponse,
        form_error::FormError,
        next::{encode_component, safe_next},
    },
    error::AppError,
};

#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let next = move || query.with(|q| q.get("next"));
    // Set by the server when the form was posted without JavaScript: a code, shown as this
    // page's own words for it.
    let error = RwSignal::new(query.with_untracked(|q| {
        q.get("error")
            .and_then(|code| FormError::from_code(&code))
            .map(|error| match error {
                FormError::Credentials => "That code is not right, or was used already.",
                FormError::Invalid => "Enter the code.",
                other => other.message(),
            })
            .map(str::to_owned)
    }));
    // Whether the held sign-in is over (too many wrong codes, or too slow): then only a new
    // sign-in helps.
    let over = RwSignal::new(false);
    // `?recovery` shows the recovery-code field instead: a link, so it works without JS too.
    let use_recovery = Signal::derive(move || query.with(|q| q.get("recovery").is_some()));
    // `?passkey`: the account has a passkey, which completes the sign-in on its own.
    let offers_passkey = move || query.with(|q| q.get("passkey").is_some());
    let pending = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed =
            |name: &str| Some(submitted_value(&event, name)).filter(|v| !v.trim().is_empty());
        let body = if use_recovery.get_untracked() {
            SecondFactorRequest {
                code: None,
                recovery_code: typed("recovery_code"),
            }
        } else {
            SecondFactorRequest {
                code: typed("code"),
                recovery_code: None,
            }
        };
        complete_sign_in(
            auth,
            async move {
                crate::api::second_factor_sign_in(&body)
                    .await
                    .map(SignInResponse::SignedIn)
            },
            Some(pending),
            safe_next(next().as_deref()),
            navigate.clone(),
            move |err| {
                over.set(err.message().contains("Sign in again"));
                error.set(Some(code_message(&err)));
            },
        );
    };
    let toggle_link = move || {
        let mut query = Vec::new();
        if !use_recovery.get() {
            query.push("recovery=1".to_owned());
        }
        if let Some(next) = next() {
            query.push(format!("next={}", encode_component(&next)));
        }
        if offers_passkey() {
            query.push("passkey=1".to_owned());
        }
        if query.is_empty() {
            crate::auth::store::SECOND_FACTOR_PAGE.to_owned()
        } else {
            format!(
                "{}?{}",
                crate::auth::store::SECOND_FACTOR_PAGE,
                query.join("&")
            )
        }
    };
    let login_link = move || match next() {
        Some(next) => format!("/login?next={}", encode_component(&next)),
        None => "/login".to_owned(),
    };
    view! {
        <Title text="Two-factor sign-in"/>
        <section class="card auth-card">
            <h1>"Two-factor sign-in"</h1>
            <form class="form" method="post" action="/auth/second-factor" on:submit=on_submit novalidate>
                <form::FormError message=error/>
                <input type="hidden" name="next" value=move || next().unwrap_or_default()/>
                <Show
                    when=move || use_recovery.get()
                    fallback=|| view! {
                        <Field name="code" label="The 6-digit code from your authenticator app"
                            autocomplete="one-time-code" error=Signal::derive(|| None::<String>) required=true/>
                    }
                >
                    <Field name="recovery_code" label="A recovery code" autocomplete="off"
                        error=Signal::derive(|| None::<String>) required=true/>
                </Show>
                <button class="primary" type="submit" disabled=move || pending.get() || over.get()>
                    {move || if pending.get() { "Checking…" } else { "Sign in" }}
                </button>
            </form>
            // A passkey proves both factors: it signs in on its own.
            <Show when=offers_passkey>
                <PasskeySignIn next=Signal::derive(move || safe_next(next().as_deref()))/>
            </Show>
            <p class="muted">
                <A href=toggle_link>
                    {move || if use_recovery.get() { "Use a code from the app instead" } else { "Lost your phone? Use a recovery code" }}
                </A>
            </p>
            <p class="muted"><A href=login_link>"Start again"</A></p>
        </section>
    }
}

fn code_message(err: &AppError) -> String {
    match err {
        AppError::Validation { .. } => "Enter the code.".into(),
        other => other.message().to_owned(),
    }
}
