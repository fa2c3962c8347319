//! Two-factor sign-in with an authenticator app: enrolment, the second step of a sign-in, the
//! code a step-up asks for, recovery codes, turning it off, and an admin's reset. The JSON API,
//! the forms and the server functions all call these.
//!
//! # Security (SECURITY M1–M3, M5)
//! - Turning it on, turning it off and making new recovery codes need a recent sign-in (S13).
//! - Every code, at sign-in or step-up, is counted by the throttle before it is checked, per
//!   account and per held sign-in, and a right code is taken atomically, once.
//! - Each change, and each use of a recovery code, mails the account's address.

use qrcode::{QrCode, render::svg};

use super::{
    passkeys,
    pending::{self, Pending},
    recovery, totp,
};
use crate::{
    domain::{RecoveryCodes, SecondFactorRequest, SecondFactorStatus, TotpEnrolment},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::{
            client::ClientInfo,
            error::{db_error, internal},
        },
        identity::{
            credential_events::{self, Actor, Event as CredentialEvent},
            current::{Authenticated, account_disabled},
            method::Method,
            sign_in,
            throttle::{Attempt, Ticket},
            users::{self, User},
        },
        mail::{Mail, compose},
        platform::{sealing::Sealer, state::AppState},
    },
};

/// The key that seals secrets, or 404: without `secrets_key` nobody can turn this on.
fn sealer(state: &AppState) -> Result<&Sealer, AppError> {
    state.sealer.as_deref().ok_or_else(|| AppError::NotFound {
        message: "Two-factor sign-in is not set up on this server (it needs SECRETS_KEY).".into(),
    })
}

fn factor_error(err: totp::FactorError) -> AppError {
    match err {
        totp::FactorError::Db(err) => db_error(err),
        totp::FactorError::Open(err) => internal("opening a TOTP secret", err),
    }
}

/// The account's second factor, for its owner.
pub async fn status(state: &AppState, user_id: i64) -> Result<SecondFactorStatus, AppError> {
    Ok(SecondFactorStatus {
        totp_enabled: totp::enabled(&state.db, user_id).await.map_err(db_error)?,
        recovery_codes_left: recovery::left(&state.db, user_id).await.map_err(db_error)?,
        available: state.sealer.is_some(),
    })
}

/// Starts turning two-factor sign-in on: a new secret, shown once, that the next right code
/// confirms ([`confirm_totp`]). Needs a recent sign-in; 409 when it is on already.
pub async fn begin_totp(state: &AppState, me: &Authenticated) -> Result<TotpEnrolment, AppError> {
    me.require_recent_sign_in(state)?;
    let sealer = sealer(state)?;
    me.require_verified_email()?;
    let secret = totp::new_secret();
    if !totp::begin(&state.db, sealer, me.user.id, &secret)
        .await
        .map_err(db_error)?
    {
        return Err(AppError::conflict(
            "Two-factor sign-in is already on. Turn it off first to use another app.",
        ));
    }
    let (secret, otpauth_uri) = totp::enrolment_uri(&secret, &me.user.email);
    let qr_svg = QrCode::new(otpauth_uri.as_bytes())
        .map_err(|err| internal("drawing a QR code", err))?
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(TotpEnrolment {
        secret,
        otpauth_uri,
        qr_svg,
    })
}

/// Turns two-factor sign-in on with the first right code from the app, and answers with the
/// first set of recovery codes (shown this once). The code counts as used.
pub async fn confirm_totp(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    code: &str,
) -> Result<RecoveryCodes, AppError> {
    let sealer = sealer(state)?;
    me.require_verified_email()?;
    let factor = totp::load(&state.db, sealer, me.user.id)
        .await
        .map_err(factor_error)?
        .filter(|factor| !factor.confirmed)
        .ok_or_else(|| {
            AppError::conflict("No enrolment is waiting: start turning two-factor sign-in on.")
        })?;
    let device = trusted_device(state, client, &me.user);
    let attempt = Attempt::second_factor(me.user.id, &client.ip, None, device.as_deref());
    let ticket = reserve(state, attempt).await?;
    let Some(step) = factor.step_of(code) else {
        ticket.counted();
        return Err(wrong_code());
    };
    let codes = recovery::generate();
    let mut tx = state.db.begin().await.map_err(db_error)?;
    if !totp::confirm(&mut tx, me.user.id, &factor, step)
        .await
        .map_err(db_error)?
    {
        ticket.counted();
        return Err(wrong_code());
    }
    recovery::replace(&mut tx, me.user.id, &codes)
        .await
        .map_err(db_error)?;
    // Sessions that never passed a second factor end, as does whatever waited (SECURITY C1).
    let actor = Actor::owner(&me.session, client);
    credential_events::secure(
        state,
        tx,
        me.user.id,
        CredentialEvent::SecondFactorOn,
        actor,
    )
    .await?;
    succeeded(ticket).await?;
    audit_own(state, Kind::SecondFactorEnabled, &me.user, client).await;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Turns two-factor sign-in off (authenticator and recovery codes). Needs a recent sign-in;
/// 404 when it is not on.
pub async fn disable_totp(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
) -> Result<(), AppError> {
    me.require_recent_sign_in(state)?;
    let mut tx = state.db.begin().await.map_err(db_error)?;
    let removed = totp::remove(&mut tx, me.user.id).await.map_err(db_error)?;
    recovery::remove_all(&mut tx, me.user.id)
        .await
        .map_err(db_error)?;
    if !removed {
        // An enrolment that was never confirmed is simply dropped.
        tx.commit().await.map_err(db_error)?;
        return Err(AppError::NotFound {
            message: "Two-factor sign-in is not on.".into(),
        });
    }
    let actor = Actor::owner(&me.session, client);
    credential_events::secure(
        state,
        tx,
        me.user.id,
        CredentialEvent::SecondFactorOff,
        actor,
    )
    .await?;
    audit_own(state, Kind::SecondFactorDisabled, &me.user, client).await;
    Ok(())
}

/// A new set of recovery codes; the old set stops working. Needs a recent sign-in and
/// two-factor sign-in on (409 otherwise).
pub async fn regenerate_recovery_codes(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
) -> Result<RecoveryCodes, AppError> {
    me.require_recent_sign_in(state)?;
    let codes = recovery::generate();
    let mut tx = state.db.begin().await.map_err(db_error)?;
    // Parallel new sets, or a new set racing turning it off, wait for each other here: one set
    // is left, and none without an authenticator.
    if !totp::lock_enabled(&mut tx, me.user.id)
        .await
        .map_err(db_error)?
    {
        return Err(AppError::conflict(
            "Turn two-factor sign-in on first: recovery codes stand in for its codes.",
        ));
    }
    recovery::replace(&mut tx, me.user.id, &codes)
        .await
        .map_err(db_error)?;
    let actor = Actor::owner(&me.session, client);
    credential_events::secure(state, tx, me.user.id, CredentialEvent::RecoveryCodes, actor).await?;
    audit_own(state, Kind::RecoveryCodesRegenerated, &me.user, client).await;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Which second factor a request gives.
enum Proof<'a> {
    Code(&'a str),
    RecoveryCode(&'a str),
}

fn proof_of(request: &SecondFactorRequest) -> Result<Proof<'_>, AppError> {
    fn given(value: Option<&str>) -> Option<&str> {
        value.filter(|value| !value.trim().is_empty())
    }
    match (
        given(request.code.as_deref()),
        given(request.recovery_code.as_deref()),
    ) {
        (Some(code), None) => Ok(Proof::Code(code)),
        (None, Some(code)) => Ok(Proof::RecoveryCode(code)),
        _ => Err(AppError::validation(
            "code",
            "give a code from your authenticator app or a recovery code, not both",
        )),
    }
}

/// Completes the sign-in held in `session` with its second factor, and signs it in.
///
/// # Security
/// - No held sign-in, or an expired one: 401, and the first factor starts over.
/// - The code is counted before it is checked (per account, per held sign-in, per network);
///   over the limit is 429 and the held sign-in ends. A wrong code is 401; the fifth ends the
///   held sign-in.
/// - A right code is taken once (a replay is wrong), a recovery code too; using one mails the
///   owner.
pub async fn sign_in(
    state: &AppState,
    session: &tower_sessions::Session,
    client: &ClientInfo,
    request: &SecondFactorRequest,
) -> Result<User, AppError> {
    let proof = proof_of(request)?;
    let Some(held) = pending::get(session).await? else {
        return Err(AppError::Unauthenticated {
            message: "No sign-in is waiting for a code, or it took too long. Sign in again.".into(),
        });
    };
    let Some(user) = users::by_id(&state.db, held.user_id)
        .await
        .map_err(db_error)?
    else {
        pending::end(session).await?;
        return Err(AppError::unauthenticated());
    };
    // Disabled while the sign-in waited: refused before any code is spent.
    if user.disabled {
        pending::end(session).await?;
        sign_in::refused(
            state,
            Some(&user.email),
            client,
            method_of(&proof),
            "disabled",
        )
        .await;
        return Err(account_disabled());
    }
    // The password was reset or changed (or any credential event happened) while the sign-in
    // waited: whoever proved the old one has to start over.
    if held.stamp != user.credentials_stamp() {
        pending::end(session).await?;
        return Err(AppError::Unauthenticated {
            message: "Your sign-in details changed meanwhile. Sign in again.".into(),
        });
    }
    // The owner's usual browser has its own code budget (SECURITY C6).
    let device = trusted_device(state, client, &user);
    let attempt = Attempt::second_factor(user.id, &client.ip, Some(&held.id), device.as_deref());
    let ticket = match reserve(state, attempt).await {
        Ok(ticket) => ticket,
        Err(err @ AppError::RateLimited { .. }) => {
            pending::end(session).await?;
            sign_in::throttled(state, &user.email, client, method_of(&proof)).await;
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    let right = match proof {
        Proof::Code(code) => take_code(state, &user, code).await?,
        Proof::RecoveryCode(code) => recovery::take(&state.db, user.id, code)
            .await
            .map_err(db_error)?,
    };
    if !right {
        ticket.counted();
        return Err(refuse(state, session, client, held, &user, &proof).await);
    }
    succeeded(ticket).await?;
    if let Proof::RecoveryCode(_) = proof {
        recovery_code_used(state, &user, client).await;
    }
    sign_in::complete_second_factor(state, session, user, &held, method_of(&proof), client).await
}

/// Whether `session` holds a sign-in waiting for its second factor.
pub async fn pending_for(session: &tower_sessions::Session) -> Result<bool, AppError> {
    Ok(pending::get(session).await?.is_some())
}

fn method_of(proof: &Proof<'_>) -> Method {
    match proof {
        Proof::Code(_) => Method::Totp,
        Proof::RecoveryCode(_) => Method::RecoveryCode,
    }
}

/// The answer to a wrong second factor: 401, and the end of the held sign-in at the fifth.
async fn refuse(
    state: &AppState,
    session: &tower_sessions::Session,
    client: &ClientInfo,
    held: Pending,
    user: &User,
    proof: &Proof<'_>,
) -> AppError {
    let detail = format!("{}: wrong code", method_of(proof).detail());
    sign_in::refused(state, Some(&user.email), client, method_of(proof), &detail).await;
    match pending::wrong_code(session, held).await {
        Ok(true) => AppError::Unauthenticated {
            message: "Too many wrong codes. Sign in again.".into(),
        },
        Ok(false) => wrong_code_unauthenticated(proof),
        Err(err) => err,
    }
}

fn wrong_code_unauthenticated(proof: &Proof<'_>) -> AppError {
    AppError::Unauthenticated {
        message: match proof {
            Proof::Code(_) => "That code is not right, or was used already.".into(),
            Proof::RecoveryCode(_) => {
                "That recovery code is not right, or was used already.".into()
            }
        },
    }
}

fn wrong_code() -> AppError {
    AppError::validation(
        "code",
        "is not the current code from your authenticator app, or was used already",
    )
}

/// Checks a code from `user`'s authenticator and takes its step: `true` once per right code.
async fn take_code(state: &AppState, user: &User, code: &str) -> Result<bool, AppError> {
    let sealer = sealer(state)?;
    let Some(factor) = totp::load(&state.db, sealer, user.id)
        .await
        .map_err(factor_error)?
        .filter(|factor| factor.confirmed)
    else {
        return Ok(false);
    };
    let Some(step) = factor.step_of(code) else {
        return Ok(false);
    };
    totp::take_step(&state.db, user.id, step)
        .await
        .map_err(db_error)
}

/// What a step-up of `user` needs besides the first factor: nothing for an account without
/// two-factor sign-in; otherwise `code`, which must be given (422 on `code` otherwise, before
/// the first factor is checked, so a Google nonce is not spent on a request that cannot pass).
pub async fn code_for_step_up<'a>(
    state: &AppState,
    user: &User,
    code: Option<&'a str>,
) -> Result<Option<&'a str>, AppError> {
    if !totp::enabled(&state.db, user.id).await.map_err(db_error)? {
        return Ok(None);
    }
    match code.filter(|code| !code.trim().is_empty()) {
        Some(code) => Ok(Some(code)),
        None => Err(AppError::validation(
            "code",
            "enter the code from your authenticator app as well",
        )),
    }
}

/// Checks the code a step-up of a two-factor account gave (see [`code_for_step_up`]): right and
/// unused, under the same throttling as at sign-in; 403 otherwise.
pub async fn confirm_for_step_up(
    state: &AppState,
    client: &ClientInfo,
    user: &User,
    code: &str,
) -> Result<(), AppError> {
    let device = trusted_device(state, client, user);
    let attempt = Attempt::second_factor(user.id, &client.ip, None, device.as_deref());
    let ticket = reserve(state, attempt).await?;
    if take_code(state, user, code).await? {
        succeeded(ticket).await
    } else {
        ticket.counted();
        Err(AppError::forbidden(
            "That code is not right, or was used already.",
        ))
    }
}

/// An admin removes `user`'s second factor and passkeys (for a lost phone): audited, and the
/// user is mailed. `false` when there was none.
pub async fn reset_by_admin(
    state: &AppState,
    admin_id: i64,
    user: &User,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    let mut tx = state.db.begin().await.map_err(db_error)?;
    let removed = totp::remove(&mut tx, user.id).await.map_err(db_error)?;
    recovery::remove_all(&mut tx, user.id)
        .await
        .map_err(db_error)?;
    let passkeys = passkeys::remove_all(&mut tx, user.id)
        .await
        .map_err(db_error)?;
    if !removed && passkeys == 0 {
        tx.commit().await.map_err(db_error)?;
        return Ok(false);
    }
    let actor = Actor::outsider(client);
    credential_events::secure(
        state,
        tx,
        user.id,
        CredentialEvent::SecondFactorReset,
        actor,
    )
    .await?;
    let event = Event {
        kind: Kind::SecondFactorReset,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: &format!("{passkeys} passkey(s)"),
    };
    audit::record_by(&state.db, Some(admin_id), event).await;
    Ok(true)
}

/// Removes every second factor and passkey of `user_id` inside `tx` (an account claimed by its
/// address's Google owner must not keep a factor or passkey the claimant never set).
pub async fn remove_all(tx: &mut crate::server::db::Tx, user_id: i64) -> Result<(), sqlx::Error> {
    totp::remove(tx, user_id).await?;
    recovery::remove_all(tx, user_id).await?;
    passkeys::remove_all(tx, user_id).await.map(|_| ())
}

async fn recovery_code_used(state: &AppState, user: &User, client: &ClientInfo) {
    let left = recovery::left(&state.db, user.id).await.unwrap_or_default();
    let mail = compose::recovery_code_used(&user.email, &user.name, left);
    // The sign-in goes ahead even if the notice cannot be queued.
    let queued = match state.db.begin().await {
        Ok(tx) => queue(state, tx, &mail).await,
        Err(err) => Err(db_error(err)),
    };
    if let Err(err) = queued {
        tracing::warn!(error = %err, "could not queue a recovery code notice");
    }
    audit_own(state, Kind::RecoveryCodeUsed, user, client).await;
}

/// Queues `mail` in `tx` and commits both.
async fn queue(state: &AppState, tx: crate::server::db::Tx, mail: &Mail) -> Result<(), AppError> {
    state
        .mailer
        .queue_and_commit(tx, mail)
        .await
        .map_err(db_error)
}

async fn audit_own(state: &AppState, kind: Kind, user: &User, client: &ClientInfo) {
    let event = Event {
        kind,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: "",
    };
    audit::record(&state.db, event).await;
}

/// The id of the browser's device cookie, when it is valid for `user`.
fn trusted_device(state: &AppState, client: &ClientInfo, user: &User) -> Option<String> {
    state
        .devices
        .trusted(&client.device, user.id, &user.security_stamp)
}

async fn reserve(state: &AppState, attempt: Attempt) -> Result<Ticket, AppError> {
    state
        .throttle
        .reserve(attempt)
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "throttle unavailable");
            AppError::unavailable("Two-factor sign-in")
        })?
        .map_err(AppError::rate_limited)
}

async fn succeeded(ticket: Ticket) -> Result<(), AppError> {
    ticket.succeeded().await.map_err(|err| {
        tracing::warn!(error = %err, "throttle unavailable");
        AppError::unavailable("Two-factor sign-in")
    })
}
