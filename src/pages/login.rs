//! `/login`: sign in with email and password, a passkey (the button, or the email field's
//! autofill) or Google. The password form works before the WASM loads (a plain form post
//! to `/auth/login` that the server answers with a redirect) and, once hydrated, through the
//! JSON API without leaving the page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    auth::{complete_sign_in, google, use_auth},
    components::{
        form::{self, Field, submitted_value},
        passkey::PasskeySignIn,
    },
    domain::{GoogleCredential, LoginRequest, form_error::FormError, next::safe_next},
    error::AppError,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let next = move || query.with(|q| q.get("next"));
    // Set by the server when a form post without JavaScript failed: a code, shown only as this
    // page's own message for it.
    let error = RwSignal::new(query.with_untracked(|q| {
        q.get("error")
            .and_then(|code| FormError::from_code(&code))
            .map(|error| error.message().to_owned())
    }));
    let password_error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let google_error = RwSignal::new(None::<String>);
    // Each Google attempt consumes its nonce; a failed one starts over with a new nonce.
    let google_attempt = RwSignal::new(0_u32);
    {
        let navigate = navigate.clone();
        Effect::new(move |_| {
            google_attempt.track();
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                auth.ready().await;
                let Some(client_id) = auth.google_client_id().get_untracked() else {
                    return;
                };
                let nonce = match crate::api::google_nonce().await {
                    Ok(nonce) => nonce.nonce,
                    Err(err) => return google_error.set(Some(err.message().to_owned())),
                };
                let on_credential = move |credential: String| {
                    let body = GoogleCredential { credential };
                    complete_sign_in(
                        auth,
                        async move { crate::api::sign_in_with_google(&body).await },
                        None,
                        safe_next(next().as_deref()),
                        navigate.clone(),
                        move |err| {
                            google_error.set(Some(err.message().to_owned()));
                            google_attempt.update(|n| *n += 1);
                        },
                    );
                };
                if let Err(message) =
                    google::start(&client_id, &nonce, "google-button", on_credential).await
                {
                    google_error.set(Some(message));
                }
            });
        });
    }

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = LoginRequest {
            email: submitted_value(&event, "email"),
            password: submitted_value(&event, "password"),
        };
        complete_sign_in(
            auth,
            async move { crate::api::log_in(&body).await },
            Some(pending),
            safe_next(next().as_deref()),
            navigate.clone(),
            move |err| {
                password_error.set(err.field_message("password").map(str::to_owned));
                error.set(Some(login_message(&err)));
            },
        );
    };

    view! {
        <Title text="Sign in"/>
        <section class="card auth-card">
            <h1>"Sign in"</h1>
            <form class="form" method="post" action="/auth/login" on:submit=on_submit novalidate>
                <form::FormError message=error/>
                <input type="hidden" name="next" value=move || next().unwrap_or_default()/>
                // "webauthn": the field's autofill offers this site's passkeys too.
                <Field name="email" label="Email" kind="email" autocomplete="username webauthn"
                    error=Signal::derive(|| None::<String>) required=true/>
                <Field name="password" label="Password" kind="password" autocomplete="current-password"
                    error=password_error required=true/>
                <button class="primary" type="submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <PasskeySignIn next=Signal::derive(move || safe_next(next().as_deref())) autofill=true/>
            // Rendered once the initial state is known, so the server and the browser agree on
            // whether Google sign-in is on.
            <Suspense>
                {move || Suspend::new(async move {
                    auth.ready().await;
                    view! {
                        <div class="google" hidden=move || auth.google_client_id().with(Option::is_none)>
                            <p class="divider"><span>"or"</span></p>
                            <div id="google-button" data-testid="google-button"></div>
                            <form::FormError message=google_error/>
                        </div>
                    }
                })}
            </Suspense>
            <p class="muted"><A href="/forgot-password">"Forgot password?"</A></p>
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
