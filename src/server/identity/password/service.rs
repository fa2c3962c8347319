//! Email and password: signing up, signing in and changing the password, under throttling. The
//! JSON API and the HTML forms both call these; each sign-in ends in
//! [`sign_in::complete`](super::super::sign_in::complete).

use tower_sessions::Session;

use super::hashing::HashError;
use crate::{
    domain::{DisplayName, Email, Password, SignupRequest, email},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::{
            client::ClientInfo,
            error::internal,
            parse::{collect_fields, field},
        },
        identity::{
            accounts::Accounts,
            credential_events::{self, Actor, Event as CredentialEvent},
            current::Authenticated,
            sign_in::{self, Arrival, Completion, Method},
            throttle::{self, Attempt, ThrottleError, Ticket},
            users::{self, NewUser, User},
            verification,
        },
        platform::{metrics, state::AppState},
        sessions::service as sessions,
    },
};

/// The one answer for an unknown email and a wrong password (SECURITY P2).
fn bad_credentials() -> AppError {
    AppError::Unauthenticated {
        message: "Incorrect email or password.".into(),
    }
}

/// Parses every field of a sign-up, reporting all that fail at once.
pub fn parse_signup(body: &SignupRequest) -> Result<(Email, Password, DisplayName), AppError> {
    let email = Email::parse(&body.email);
    let password = Password::parse(&body.password);
    let name = DisplayName::parse(&body.name);
    collect_fields([
        ("email", email.as_ref().err()),
        ("password", password.as_ref().err()),
        ("name", name.as_ref().err()),
    ])?;
    match (email, password, name) {
        (Ok(email), Ok(password), Ok(name)) => Ok((email, password, name)),
        // Every error was reported above.
        _ => Err(AppError::internal()),
    }
}

/// Creates a password account and signs it in on `session`. Throttled per network before the
/// password is hashed (SECURITY P8).
pub async fn sign_up(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    body: &SignupRequest,
) -> Result<User, AppError> {
    let (email, password, name) = parse_signup(body)?;
    let limit = throttle::sign_ups_per_hour(state.settings.max_signups_per_ip_per_hour);
    let ticket = reserve(state, Attempt::sign_up(&client.ip, limit), "Sign-up").await?;
    let hash = match state.hasher.hash(password).await {
        Ok(hash) => hash,
        Err(err) => return Err(cancel(ticket, err, "Sign-up").await),
    };
    // A sign-up counts whether or not the account could be made.
    ticket.counted();
    let new = NewUser {
        email: &email,
        name: &name,
        password_hash: Some(&hash),
        google_sub: None,
        // Even a listed admin address waits until it is verified (SECURITY E5).
        is_admin: false,
        email_verified: false,
    };
    let user = verification::create_with_mail(state, new).await?;
    sign_in::complete(
        state,
        session,
        user,
        Method::Password,
        Arrival::SignUp,
        client,
    )
    .await?
    .signed_in()
}

/// Checks the credentials under throttling and signs the account in on `session`, or holds
/// the sign-in for the account's second factor.
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    email: &str,
    password: Password,
    method: Method,
) -> Result<Completion, AppError> {
    let user = check_credentials(state, client, email, password, method).await?;
    sign_in::complete(state, session, user, method, Arrival::SignIn, client).await
}

fn throttle_unavailable(what: &str) -> impl Fn(ThrottleError) -> AppError + '_ {
    move |err| {
        tracing::warn!(error = %err, "throttle unavailable");
        AppError::unavailable(what)
    }
}

/// Reserves an attempt (SECURITY P8): a ticket to go ahead with, or 429 with the wait.
async fn reserve(state: &AppState, attempt: Attempt, what: &str) -> Result<Ticket, AppError> {
    state
        .throttle
        .reserve(attempt)
        .await
        .map_err(throttle_unavailable(what))?
        .map_err(AppError::rate_limited)
}

/// The answer when hashing could not run: the attempt is given back, since it was never tried.
async fn cancel(ticket: Ticket, err: HashError, what: &str) -> AppError {
    if let Err(err) = ticket.cancel().await {
        tracing::warn!(error = %err, "could not give a throttled attempt back");
    }
    hash_failure(err, what)
}

/// A full hashing queue is a 503 (with `Retry-After`); anything else a logged 500.
fn hash_failure(err: HashError, what: &str) -> AppError {
    match err {
        HashError::Busy => {
            metrics::hashing_busy();
            AppError::unavailable(what)
        }
        HashError::Failed(err) => internal("hashing a password", err),
    }
}

/// The account an email and password open, checked under throttling (SECURITY P2, P3, P8,
/// P9). It may be disabled: [`sign_in::complete`] refuses that.
async fn check_credentials(
    state: &AppState,
    client: &ClientInfo,
    raw_email: &str,
    password: Password,
    method: Method,
) -> Result<User, AppError> {
    // Too long to be anyone's address: refused before it reaches the throttle, the audit trail,
    // a log line or the hasher (X6), so nobody can store or hash megabytes through it.
    if raw_email.trim().len() > email::MAX_LEN {
        return Err(AppError::validation(
            "email",
            format!("must be at most {} characters", email::MAX_LEN),
        ));
    }
    // An address that cannot exist is treated exactly like an unknown one.
    let email = Email::parse(raw_email).ok();
    let throttle_key = email.as_ref().map_or_else(
        || raw_email.trim().to_lowercase(),
        |e| e.as_str().to_owned(),
    );
    let user = match &email {
        Some(email) => users::by_email(&state.db, email).await?,
        None => None,
    };
    // A browser that signed in to this account before is counted on its own (P9).
    let device = user.as_ref().and_then(|user| {
        state
            .devices
            .trusted(&client.device, user.id, &user.security_stamp)
    });
    let attempt = Attempt::password(&throttle_key, &client.ip, device.as_deref());
    let ticket = match reserve(state, attempt, "Sign-in").await {
        Ok(ticket) => ticket,
        Err(err @ AppError::RateLimited { .. }) => {
            sign_in::throttled(state, &throttle_key, client, method).await;
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    let hash = user.as_ref().and_then(User::password_hash);
    let password_for_rehash = hash
        .as_ref()
        .filter(|hash| hash.needs_rehash())
        .map(|_| password.clone());
    let verified = match state.hasher.verify(password, hash).await {
        Ok(verified) => verified,
        Err(err) => return Err(cancel(ticket, err, "Sign-in").await),
    };
    let Some(user) = user.filter(|_| verified) else {
        ticket.counted();
        sign_in::refused(state, Some(&throttle_key), client, method, "password").await;
        return Err(bad_credentials());
    };
    ticket
        .succeeded()
        .await
        .map_err(throttle_unavailable("Sign-in"))?;
    upgrade_hash(state, &user, password_for_rehash).await;
    Ok(user)
}

/// Checks the password of an account that is already signed in (a password change, a
/// re-authentication), under the same throttling as signing in. `Ok(false)` for a wrong one.
pub async fn confirm(
    state: &AppState,
    client: &ClientInfo,
    user: &User,
    password: Password,
    what: &str,
) -> Result<bool, AppError> {
    let Some(hash) = user.password_hash() else {
        return Ok(false);
    };
    let device = state
        .devices
        .trusted(&client.device, user.id, &user.security_stamp);
    let attempt = Attempt::password(&user.email, &client.ip, device.as_deref());
    let ticket = reserve(state, attempt, what).await?;
    let verified = match state.hasher.verify(password, Some(hash)).await {
        Ok(verified) => verified,
        Err(err) => return Err(cancel(ticket, err, what).await),
    };
    if verified {
        ticket
            .succeeded()
            .await
            .map_err(throttle_unavailable(what))?;
    } else {
        ticket.counted();
    }
    Ok(verified)
}

/// Replaces a hash made with an older release's settings, now that the password is known. A
/// failure only leaves the old hash in place.
async fn upgrade_hash(state: &AppState, user: &User, password: Option<Password>) {
    let Some(password) = password else {
        return;
    };
    match state.hasher.hash(password).await {
        Ok(hash) => {
            if let Err(err) = state.accounts().set_password(user.id, &hash).await {
                tracing::warn!(error = %err, user_id = user.id, "could not upgrade a password hash");
            }
        }
        Err(err) => tracing::warn!(error = %err, "could not rehash a password"),
    }
}

/// Sets a new password after checking the current one (which an account without a password,
/// signed up through Google, does not have). Needs a recent sign-in (SECURITY S13). Every other
/// session of the user ends and this one gets a new id (SECURITY P5, S1).
pub async fn change_password(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    current_password: &str,
    new_password: &str,
) -> Result<(), AppError> {
    me.require_recent_sign_in(state)?;
    let new_password = field("new_password", Password::parse(new_password))?;
    if me.user.password_hash().is_some() {
        let current = field("current_password", Password::for_sign_in(current_password))?;
        if !confirm(state, client, &me.user, current, "Password change").await? {
            return Err(AppError::forbidden("The current password is not correct."));
        }
    }
    let hash = state
        .hasher
        .hash(new_password)
        .await
        .map_err(|err| hash_failure(err, "Password change"))?;
    let mut tx = state.db.begin().await?;
    Accounts::set_password_in(&mut tx, me.user.id, &hash).await?;
    // Every other session, a pending email change, reset links, held sign-ins, ceremonies and
    // other browsers' device cookies end; the owner is mailed (SECURITY P5, C1, C2).
    let actor = Actor::owner(&me.session, client);
    let user = credential_events::secure(
        state,
        tx,
        me.user.id,
        CredentialEvent::PasswordChanged,
        actor,
    )
    .await?;
    // This session gets a new id (S1).
    sessions::issue(state, &me.session, user.id, user.is_admin, client).await?;
    let event = Event {
        kind: Kind::PasswordChanged,
        user_id: Some(me.user.id),
        email: Some(&me.user.email),
        ip: &client.ip,
        detail: "",
    };
    audit::record(&state.db, event).await;
    Ok(())
}
