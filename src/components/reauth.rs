//! The step-up prompt: when a sensitive action answers `reauth_required`, the page shows this in
//! place, the user confirms who they are (the password, Google for an account without one, or
//! one of the account's passkeys), and the page retries the action.

use leptos::prelude::*;

use crate::{
    auth::{google, passkey, use_auth},
    components::form::{Field, FormError, submitted_value},
    domain::ReauthRequest,
    error::AppError,
};

/// Asks the signed-in user to confirm who they are; `on_confirmed` runs once they have (the
/// page then retries what it was doing). Render it outside the form whose action needed it.
#[component]
pub fn ReauthPrompt(#[prop(into)] on_confirmed: Callback<()>) -> impl IntoView {
    let auth = use_auth();
    let has_password = move || auth.user().get().is_some_and(|u| u.has_password);
    let email = move || auth.user().get().map(|u| u.email).unwrap_or_default();
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    // An account with two-factor sign-in confirms with a code as well. Asked up front when the
    // status says so, and in any case once the server asks for it.
    let needs_code = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(status) = crate::fns::security::load_second_factor().await {
                needs_code.set(status.totp_enabled);
            }
        });
    });
    // Each Google try spends its nonce, so a refused one starts over with a new nonce.
    let google_attempt = RwSignal::new(0_u32);
    let confirm = move |mut body: ReauthRequest| {
        body.code = Some(code.get_untracked()).filter(|code| !code.trim().is_empty());
        let with_google = body.credential.is_some();
        pending.set(true);
        leptos::task::spawn_local(async move {
            let outcome = auth.check(crate::api::reauthenticate(&body).await);
            pending.set(false);
            match outcome {
                Ok(()) => {
                    error.set(None);
                    on_confirmed.run(());
                }
                Err(err) => {
                    if err.field_message("code").is_some() {
                        needs_code.set(true);
                    }
                    error.set(Some(reauth_message(&err)));
                    if with_google {
                        google_attempt.update(|n| *n += 1);
                    }
                }
            }
        });
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        confirm(ReauthRequest {
            password: Some(submitted_value(&event, "password")),
            credential: None,
            code: None,
            passkey: None,
        });
    };
    // An account without a password confirms with Google: a fresh nonce, Google's button.
    Effect::new(move |_| {
        google_attempt.track();
        if has_password() {
            return;
        }
        leptos::task::spawn_local(async move {
            let Some(client_id) = auth.google_client_id().get_untracked() else {
                return;
            };
            let nonce = match crate::api::google_nonce().await {
                Ok(nonce) => nonce.nonce,
                Err(err) => return error.set(Some(err.message().to_owned())),
            };
            let on_credential = move |credential: String| {
                confirm(ReauthRequest {
                    password: None,
                    credential: Some(credential),
                    code: None,
                    passkey: None,
                });
            };
            if let Err(message) =
                google::start(&client_id, &nonce, "reauth-google-button", on_credential).await
            {
                error.set(Some(message));
            }
        });
    });
    // A passkey of this site, where the browser can use one (known once hydrated).
    let passkeys_here = RwSignal::new(false);
    Effect::new(move |_| {
        let usable = auth
            .passkey_rp_id()
            .get()
            .is_some_and(|rp_id| passkey::supported() && passkey::usable_for(&rp_id).is_ok());
        passkeys_here.set(usable);
    });
    let with_passkey = move |_| {
        pending.set(true);
        leptos::task::spawn_local(async move {
            let options = match auth.check(crate::api::reauth_options().await) {
                Ok(options) => options,
                Err(err) => {
                    pending.set(false);
                    return error.set(Some(err.message().to_owned()));
                }
            };
            match passkey::sign_in(&options, false).await {
                Ok(answer) => confirm(ReauthRequest {
                    password: None,
                    credential: None,
                    code: None,
                    passkey: Some(answer),
                }),
                Err(err) => {
                    pending.set(false);
                    error.set(err.message());
                }
            }
        });
    };
    view! {
        <section class="card reauth" role="region" aria-labelledby="reauth-title" data-testid="reauth">
            <h2 id="reauth-title">"Confirm it is you"</h2>
            <p class="muted">"For your security, this change needs you to confirm who you are."</p>
            <FormError message=error/>
            <Show when=move || needs_code.get()>
                <div class="field">
                    <label for="reauth-code">"The 6-digit code from your authenticator app"</label>
                    <input id="reauth-code" name="code" type="text" inputmode="numeric"
                        autocomplete="one-time-code" prop:value=move || code.get()
                        on:input=move |event| code.set(event_target_value(&event))/>
                </div>
            </Show>
            <Show
                when=has_password
                fallback=|| view! { <div id="reauth-google-button"></div> }
            >
                <form class="form" on:submit=on_submit novalidate>
                    <input type="email" name="username" autocomplete="username" value=email readonly hidden/>
                    <Field name="password" label="Your password" kind="password"
                        autocomplete="current-password" error=Signal::derive(|| None::<String>) required=true/>
                    <button class="primary" type="submit" disabled=move || pending.get()>
                        {move || if pending.get() { "Confirming…" } else { "Confirm" }}
                    </button>
                </form>
            </Show>
            <Show when=move || passkeys_here.get()>
                <div class="passkey-sign-in">
                    <button type="button" data-testid="reauth-passkey"
                        disabled=move || pending.get() on:click=with_passkey>
                        "Confirm with a passkey"
                    </button>
                </div>
            </Show>
        </section>
    }
}

fn reauth_message(err: &AppError) -> String {
    match err {
        AppError::Validation { .. } if err.field_message("code").is_some() => {
            "Enter the code from your authenticator app as well.".into()
        }
        AppError::Validation { .. } => "Enter your password.".into(),
        other => other.message().to_owned(),
    }
}
