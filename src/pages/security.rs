//! `/security`: passkeys and two-factor sign-in. Passkeys are listed with their names and
//! use; one can be added (the browser makes it), renamed, or removed. Turning two-factor on shows the authenticator's secret (a QR code
//! and the text), takes the app's first code, and shows the recovery codes once; it can make a
//! new set of recovery codes, and turn it off. Every change needs a recent sign-in, which the
//! page asks for in place ([`ReauthPrompt`]) and then retries. Until the account's address is
//! verified the server adds no passkey and turns nothing on, so the page offers a new link
//! instead ([`VerifyEmailFirst`]).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    auth::{RequireAuth, passkey, use_auth},
    components::{
        check_inbox::ResendLinkButton,
        form::{Field, FormError},
        format::short_time,
        reauth::ReauthPrompt,
    },
    domain::{PasskeyInfo, SecondFactorStatus, TotpEnrolment},
    error::AppError,
    fns::security::{
        BeginTotp, ConfirmTotp, DisableTotp, RegenerateRecoveryCodes, add_passkey, list_passkeys,
        load_second_factor, passkey_enrol_options, remove_passkey, rename_passkey,
    },
};

#[component]
pub fn SecurityPage() -> impl IntoView {
    view! {
        <Title text="Security"/>
        <RequireAuth>
            <h1>"Security"</h1>
            <div class="stack">
                <Passkeys/>
                <TwoFactor/>
            </div>
        </RequireAuth>
    }
}

/// Whether the signed-in user's address is verified.
fn email_verified() -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let auth = use_auth();
    move || {
        auth.user()
            .with(|user| user.as_ref().is_some_and(|u| u.email_verified))
    }
}

/// In place of enrolment while the address is not verified: the server refuses to add a passkey
/// or turn two-factor sign-in on for it (`email_unverified`), so this says why and mails the
/// link again.
#[component]
fn VerifyEmailFirst() -> impl IntoView {
    view! {
        <div class="verify-first" data-testid="verify-email-first">
            <p>
                "Confirm your email address first: until it is confirmed, this account cannot \
                 add a passkey or turn on two-factor sign-in."
            </p>
            <ResendLinkButton/>
        </div>
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
    let verified = email_verified();
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
                <Show when=verified fallback=|| view! { <VerifyEmailFirst/> }>
                    <Show when=move || enrolment.with(Option::is_none)>
                        <ActionForm action=begin>
                            <button class="primary" type="submit" disabled=move || !interactive.get() || begin.pending().get()>
                                "Turn on two-factor sign-in"
                            </button>
                        </ActionForm>
                    </Show>
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

/// A passkey change that needs a recent sign-in, to retry once the user confirmed who they are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PasskeyRetry {
    Add,
    Remove(i64),
}

/// Why adding a passkey stopped.
enum AddFailure {
    Server(AppError),
    Browser(passkey::PasskeyError),
}

#[component]
fn Passkeys() -> impl IntoView {
    let auth = use_auth();
    let reload = RwSignal::new(0_u32);
    let list = Resource::new(move || reload.get(), |_| list_passkeys());
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let reauth = RwSignal::new(None::<PasskeyRetry>);
    // On a server that takes passkeys, an unverified address is told to verify it first.
    let verified = email_verified();
    let verify_first = move || auth.passkey_rp_id().with(Option::is_some) && !verified();
    // Known once hydrated: the browser makes the passkey, on the passkeys' domain only.
    let usable = RwSignal::new(None::<Result<(), String>>);
    Effect::new(move |_| {
        usable.set(Some(auth.passkey_rp_id().with(|id| match id {
            Some(id) => passkey::usable_for(id),
            None => Err("Passkeys are not set up on this server.".into()),
        })))
    });
    let show_error = move |err: AppError, retry: PasskeyRetry| {
        if matches!(err, AppError::ReauthRequired { .. }) {
            reauth.set(Some(retry));
        } else {
            let message = err
                .field_message("name")
                .unwrap_or(err.message())
                .to_owned();
            error.set(Some(message));
        }
    };
    let add = move || {
        busy.set(true);
        error.set(None);
        notice.set(None);
        leptos::task::spawn_local(async move {
            let outcome = async {
                let options = passkey_enrol_options().await.map_err(AddFailure::Server)?;
                let credential = passkey::create(&options)
                    .await
                    .map_err(AddFailure::Browser)?;
                add_passkey(credential.to_string(), name.get_untracked())
                    .await
                    .map_err(AddFailure::Server)
            }
            .await;
            busy.set(false);
            match outcome {
                Ok(added) => {
                    name.set(String::new());
                    notice.set(Some(format!("Passkey \"{}\" added.", added.name)));
                    reload.update(|n| *n += 1);
                }
                Err(AddFailure::Server(err)) => show_error(err, PasskeyRetry::Add),
                Err(AddFailure::Browser(err)) => error.set(err.message()),
            }
        });
    };
    let remove = move |id: i64| {
        error.set(None);
        notice.set(None);
        leptos::task::spawn_local(async move {
            match remove_passkey(id).await {
                Ok(()) => {
                    notice.set(Some("Passkey removed.".into()));
                    reload.update(|n| *n += 1);
                }
                Err(err) => show_error(err, PasskeyRetry::Remove(id)),
            }
        });
    };
    let renamed = Callback::new(
        move |outcome: Result<PasskeyInfo, AppError>| match outcome {
            Ok(_) => {
                error.set(None);
                reload.update(|n| *n += 1);
            }
            Err(err) => error.set(Some(
                err.field_message("name")
                    .unwrap_or(err.message())
                    .to_owned(),
            )),
        },
    );
    let retry = move |retry: PasskeyRetry| match retry {
        PasskeyRetry::Add => add(),
        PasskeyRetry::Remove(id) => remove(id),
    };
    view! {
        <section class="card form" data-testid="passkeys">
            <h2>"Passkeys"</h2>
            <p class="muted">
                "A passkey signs you in with your device's screen lock or security key: no \
                 password, no code, nothing to phish."
            </p>
            <p class="alert" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
            <p class="ok" role="status">{move || notice.get()}</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" data-testid="passkey-list-empty">"No passkeys yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="passkey-list" data-testid="passkey-list">
                                {list.into_iter().map(|key| view! {
                                    <PasskeyItem key on_renamed=renamed on_remove=Callback::new(remove)/>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(err) => view! { <p class="error">{err.message().to_owned()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <Show when=move || !verify_first() fallback=|| view! { <VerifyEmailFirst/> }>
                <Show
                    when=move || matches!(usable.get(), Some(Ok(())))
                    fallback=move || view! {
                        <p class="muted">{move || usable.get().and_then(Result::err)}</p>
                    }
                >
                    <form class="row" on:submit=move |event: leptos::ev::SubmitEvent| {
                        event.prevent_default();
                        add();
                    }>
                        <label class="inline">
                            <span class="sr-only">"Name of the new passkey"</span>
                            <input class="text" name="passkey_name" placeholder="Name, e.g. Work laptop" maxlength="64"
                                prop:value=move || name.get()
                                on:input=move |event| name.set(event_target_value(&event))/>
                        </label>
                        <button class="primary" type="submit" data-testid="add-passkey" disabled=move || busy.get()>
                            {move || if busy.get() { "Waiting for your device…" } else { "Add a passkey" }}
                        </button>
                    </form>
                </Show>
            </Show>
        </section>
        {move || reauth.get().map(|pending| view! {
            <ReauthPrompt on_confirmed=move |()| {
                reauth.set(None);
                retry(pending);
            }/>
        })}
    }
}

/// One passkey: its name (which can be changed in place), when it was added and last used, and
/// its remove button.
#[component]
fn PasskeyItem(
    key: PasskeyInfo,
    #[prop(into)] on_renamed: Callback<Result<PasskeyInfo, AppError>>,
    #[prop(into)] on_remove: Callback<i64>,
) -> impl IntoView {
    let id = key.id;
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(key.name.clone());
    let save = move || {
        leptos::task::spawn_local(async move {
            let outcome = rename_passkey(id, draft.get_untracked()).await;
            if outcome.is_ok() {
                editing.set(false);
            }
            on_renamed.run(outcome);
        });
    };
    let name = key.name.clone();
    let label = format!("Remove passkey {}", key.name);
    view! {
        <li class="passkey" data-testid="passkey">
            <div class="passkey-head">
            <Show
                when=move || editing.get()
                fallback=move || view! {
                    <strong data-testid="passkey-name">{name.clone()}</strong>
                    <button type="button" class="link" on:click=move |_| editing.set(true)>"Rename"</button>
                }
            >
                <form class="row" on:submit=move |event: leptos::ev::SubmitEvent| {
                    event.prevent_default();
                    save();
                }>
                    <input class="text" name="name" aria-label="New name" maxlength="64"
                        prop:value=move || draft.get()
                        on:input=move |event| draft.set(event_target_value(&event))/>
                    <button type="submit">"Save"</button>
                    <button type="button" class="link" on:click=move |_| editing.set(false)>"Cancel"</button>
                </form>
            </Show>
            </div>
            <p class="muted">
                {format!("Added {}", short_time(&key.created_at))}
                " · "
                {match &key.last_used_at {
                    Some(at) => format!("last used {}", short_time(at)),
                    None => "never used".to_owned(),
                }}
            </p>
            <button type="button" class="danger" aria-label=label on:click=move |_| on_remove.run(id)>
                "Remove"
            </button>
        </li>
    }
}
