//! `/security`: two-factor sign-in. Turning it on shows the authenticator's secret (a QR code
//! and the text), takes the app's first code, and shows the recovery codes once; it can make a
//! new set of recovery codes, and turn it off. Every change needs a recent sign-in, which the
//! page asks for in place ([`ReauthPrompt`]) and then retries.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::RequireAuth,
    components::{
        form::{Field, FormError},
        reauth::ReauthPrompt,
    },
    domain::{SecondFactorStatus, TotpEnrolment},
    error::AppError,
    fns::security::{
        BeginTotp, ConfirmTotp, DisableTotp, RegenerateRecoveryCodes, load_second_factor,
    },
};

#[component]
pub fn SecurityPage() -> impl IntoView {
    view! {
        <Title text="Security"/>
        <RequireAuth>
            <h1>"Security"</h1>
            <div class="stack">
                <TwoFactor/>
            </div>
        </RequireAuth>
    }
}

/// The change that needs a recent sign-in, to retry once the user confirmed who they are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    TurnOn,
    TurnOff,
    NewCodes,
}

#[component]
fn TwoFactor() -> impl IntoView {
    let begin = ServerAction::<BeginTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let disable = ServerAction::<DisableTotp>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    // Every finished change reloads the status.
    let status = Resource::new(
        move || {
            (
                confirm.version().get(),
                disable.version().get(),
                regenerate.version().get(),
            )
        },
        |_| load_second_factor(),
    );
    let enrolment = RwSignal::new(None::<TotpEnrolment>);
    let codes = RwSignal::new(None::<Vec<String>>);
    let error = RwSignal::new(None::<String>);
    let code_error = RwSignal::new(None::<String>);
    let reauth = RwSignal::new(None::<Pending>);
    // The changes answer with what they made (a secret, recovery codes) to show on this page:
    // a form post before the page is interactive would make them and show nothing, so the
    // buttons wait for it.
    let interactive = RwSignal::new(false);
    Effect::new(move |_| interactive.set(true));
    let needs_reauth = move |err: &AppError, pending: Pending| {
        if matches!(err, AppError::ReauthRequired { .. }) {
            reauth.set(Some(pending));
            true
        } else {
            false
        }
    };
    Effect::new(move |_| match begin.value().get() {
        Some(Ok(new)) => {
            error.set(None);
            codes.set(None);
            enrolment.set(Some(new));
        }
        Some(Err(err)) if !needs_reauth(&err, Pending::TurnOn) => {
            error.set(Some(err.message().to_owned()));
        }
        _ => {}
    });
    Effect::new(move |_| match confirm.value().get() {
        Some(Ok(set)) => {
            code_error.set(None);
            enrolment.set(None);
            codes.set(Some(set.recovery_codes));
        }
        Some(Err(err)) => code_error.set(Some(
            err.field_message("code")
                .unwrap_or(err.message())
                .to_owned(),
        )),
        None => {}
    });
    Effect::new(move |_| match disable.value().get() {
        Some(Ok(())) => {
            error.set(None);
            codes.set(None);
        }
        Some(Err(err)) if !needs_reauth(&err, Pending::TurnOff) => {
            error.set(Some(err.message().to_owned()));
        }
        _ => {}
    });
    Effect::new(move |_| match regenerate.value().get() {
        Some(Ok(set)) => {
            error.set(None);
            codes.set(Some(set.recovery_codes));
        }
        Some(Err(err)) if !needs_reauth(&err, Pending::NewCodes) => {
            error.set(Some(err.message().to_owned()));
        }
        _ => {}
    });
    let retry = move |pending: Pending| match pending {
        Pending::TurnOn => {
            begin.dispatch(BeginTotp {});
        }
        Pending::TurnOff => {
            disable.dispatch(DisableTotp {});
        }
        Pending::NewCodes => {
            regenerate.dispatch(RegenerateRecoveryCodes {});
        }
    };
    let current = move |status: SecondFactorStatus| {
        if !status.available {
            return view! {
                <p class="muted">"Two-factor sign-in is not set up on this server."</p>
            }
            .into_any();
        }
        if status.totp_enabled {
            let left = status.recovery_codes_left;
            view! {
                <p data-testid="totp-status">
                    <strong>"On."</strong>
                    " Signing in asks for a code from your authenticator app. "
                    {format!("{left} recovery code{} left.", if left == 1 { "" } else { "s" })}
                </p>
                <div class="row">
                    <ActionForm action=regenerate>
                        <button type="submit" disabled=move || !interactive.get() || regenerate.pending().get()>
                            "New recovery codes"
                        </button>
                    </ActionForm>
                    <ActionForm action=disable>
                        <button class="danger" type="submit" disabled=move || !interactive.get() || disable.pending().get()>
                            "Turn off"
                        </button>
                    </ActionForm>
                </div>
            }
            .into_any()
        } else {
            view! {
                <p data-testid="totp-status">
                    <strong>"Off."</strong>
                    " Add a code from an authenticator app (such as 1Password, Google \
                     Authenticator or Aegis) to every sign-in."
                </p>
                <Show when=move || enrolment.with(Option::is_none)>
                    <ActionForm action=begin>
                        <button class="primary" type="submit" disabled=move || !interactive.get() || begin.pending().get()>
                            "Turn on two-factor sign-in"
                        </button>
                    </ActionForm>
                </Show>
            }
            .into_any()
        }
    };
    view! {
        <section class="card form" data-testid="two-factor">
            <h2>"Two-factor sign-in"</h2>
            <FormError message=error/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => current(status),
                        Err(err) => view! { <p class="error">{err.message().to_owned()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            {move || enrolment.get().map(|new| view! {
                <div class="enrol" data-testid="totp-enrolment">
                    <p>"Scan this with your authenticator app, or type the key in:"</p>
                    <div class="qr" inner_html=new.qr_svg></div>
                    <p><code class="secret" data-testid="totp-secret">{new.secret}</code></p>
                    <ActionForm action=confirm attr:class="form">
                        <Field name="code" label="The 6-digit code the app shows" autocomplete="one-time-code"
                            error=code_error required=true/>
                        <button class="primary" type="submit" disabled=move || confirm.pending().get()>
                            "Turn on"
                        </button>
                    </ActionForm>
                </div>
            })}
            {move || codes.get().map(|list| view! {
                <div class="recovery" data-testid="recovery-codes">
                    <p>
                        <strong>"Your recovery codes."</strong>
                        " Keep them somewhere safe: each signs you in once if you lose your \
                         phone. They are not shown again."
                    </p>
                    <ul class="codes">
                        {list.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                    </ul>
                    <button type="button" on:click=move |_| codes.set(None)>"I have saved them"</button>
                </div>
            })}
        </section>
        {move || reauth.get().map(|pending| view! {
            <ReauthPrompt on_confirmed=move |()| {
                reauth.set(None);
                retry(pending);
            }/>
        })}
    }
}
