//! "Sign in with a passkey": the button (a modal request) and, on `/login`, the email field's
//! autofill (a conditional request waiting in the background). Both end in the same sign-in as
//! a password; a passkey proves both factors, so no code step follows.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    auth::{complete_sign_in, passkey, use_auth},
    components::form::FormError,
    domain::{PasskeySignInRequest, SignInResponse},
    error::AppError,
};

/// Autofill sign-ins the server may refuse before the page stops offering them (the button
/// still works): a passkey the server no longer knows would otherwise be offered forever.
const AUTOFILL_TRIES: u32 = 3;

/// The passkey sign-in, sending the user to `next` once signed in. With `autofill`, the page's
/// field with `autocomplete="username webauthn"` offers the site's passkeys too.
#[component]
pub fn PasskeySignIn(
    #[prop(into)] next: Signal<String>,
    #[prop(optional)] autofill: bool,
) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    // Known once hydrated: the server renders no button, as it cannot know the browser (nor
    // whether the page is on the passkeys' domain).
    let usable = RwSignal::new(false);
    Effect::new(move |_| {
        usable.set(auth.passkey_rp_id().with(|id| {
            id.as_deref()
                .is_some_and(|id| passkey::usable_for(id).is_ok())
        }))
    });
    // Each refused autofill sign-in starts a new one (its options were used up), a few times.
    let attempt = RwSignal::new(0_u32);

    let finish = {
        let navigate = navigate.clone();
        move |credential: serde_json::Value, modal: bool| {
            let body = PasskeySignInRequest { credential };
            complete_sign_in(
                auth,
                async move {
                    crate::api::passkey_sign_in(&body)
                        .await
                        .map(SignInResponse::SignedIn)
                },
                Some(pending),
                next.get_untracked(),
                navigate.clone(),
                move |err: AppError| {
                    error.set(Some(err.message().to_owned()));
                    if !modal {
                        attempt.update(|n| *n += 1);
                    }
                },
            );
        }
    };

    if autofill {
        let finish = finish.clone();
        Effect::new(move |_| {
            if attempt.get() >= AUTOFILL_TRIES {
                return;
            }
            let finish = finish.clone();
            leptos::task::spawn_local(async move {
                auth.ready().await;
                let usable = auth.passkey_rp_id().with_untracked(|id| {
                    id.as_deref()
                        .is_some_and(|id| passkey::usable_for(id).is_ok())
                });
                if !usable || !passkey::autofill_available().await {
                    return;
                }
                let Ok(options) = crate::api::passkey_sign_in_options().await else {
                    return;
                };
                // Dismissed or aborted (the button took over): nothing to say.
                if let Ok(credential) = passkey::sign_in(&options, true).await {
                    finish(credential, false);
                }
            });
        });
        on_cleanup(passkey::stop_autofill);
    }

    let on_click = move |_| {
        error.set(None);
        pending.set(true);
        let finish = finish.clone();
        leptos::task::spawn_local(async move {
            let options = match crate::api::passkey_sign_in_options().await {
                Ok(options) => options,
                Err(err) => {
                    pending.set(false);
                    return error.set(Some(err.message().to_owned()));
                }
            };
            match passkey::sign_in(&options, false).await {
                Ok(credential) => finish(credential, true),
                Err(err) => {
                    pending.set(false);
                    error.set(err.message());
                }
            }
        });
    };

    view! {
        <Show when=move || usable.get()>
            <div class="passkey-sign-in">
                <button type="button" class="passkey" data-testid="passkey-sign-in"
                    on:click=on_click.clone() disabled=move || pending.get()>
                    {move || if pending.get() { "Waiting for your passkey…" } else { "Sign in with a passkey" }}
                </button>
                <FormError message=error/>
            </div>
        </Show>
    }
}
