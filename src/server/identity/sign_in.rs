//! The end of every sign-in, whatever proved who the user is (a password, Google, and later a
//! passkey or a second factor), and sign-out.
//!
//! A method checks its proof and hands the account to [`complete`], which holds every rule of a
//! finished sign-in, so no method can skip one: the disabled check, admin promotion, a new
//! session id and its index row, the audit trail and the metrics.

use tower_sessions::Session;

use super::{current::account_disabled, users::User};
use crate::{
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::client::ClientInfo,
        platform::{metrics, state::AppState},
        sessions::service as sessions,
    },
};

/// How the user proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Email and password, through the JSON API.
    Password,
    /// Email and password, through the HTML form (no JavaScript).
    PasswordForm,
    /// A Google ID token.
    Google,
}

impl Method {
    /// How the audit trail names it.
    pub fn detail(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::PasswordForm => "password form",
            Method::Google => "google",
        }
    }

    /// The `method` label of the sign-in metric.
    fn metric(self) -> &'static str {
        match self {
            Method::Password | Method::PasswordForm => "password",
            Method::Google => "google",
        }
    }
}

/// Whether the account is new (a sign-up) or existed (a sign-in); only the audit trail differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    SignUp,
    SignIn,
}

/// Signs `user` in on `session` once `method` has proved who they are.
///
/// # Security
/// - A disabled account is refused (403) and the attempt audited, for every method.
/// - An account listed in `ADMIN_EMAILS` becomes an admin here, before its session is issued,
///   if its address is verified.
/// - The session gets a new id and the old id's index row goes (SECURITY S1, fixation).
/// - The browser gets a fresh device cookie for the account (SECURITY P9).
pub async fn complete(
    state: &AppState,
    session: &Session,
    user: User,
    method: Method,
    arrival: Arrival,
    client: &ClientInfo,
) -> Result<User, AppError> {
    if user.disabled {
        record(state, Kind::SignInFailed, &user, client, "disabled", method).await;
        return Err(account_disabled());
    }
    let user = promote_listed_admin(state, user).await?;
    sessions::issue(state, session, user.id, user.is_admin, client).await?;
    // This browser is now known to the account: it keeps signing in while strangers' guesses
    // throttle the account (P9).
    state.devices.remember(&client.device, user.id);
    let kind = match arrival {
        Arrival::SignUp => Kind::SignUp,
        Arrival::SignIn => Kind::SignIn,
    };
    record(state, kind, &user, client, method.detail(), method).await;
    Ok(user)
}

/// Accounts listed in `ADMIN_EMAILS` become admins when they sign in, once their address is
/// proven (SECURITY E5): otherwise anyone could sign up first with the listed address.
async fn promote_listed_admin(state: &AppState, mut user: User) -> Result<User, AppError> {
    if !user.is_admin && user.email_verified && state.settings.is_admin_email(&user.email) {
        state.accounts().set_admin(user.id, true).await?;
        user.is_admin = true;
    }
    Ok(user)
}

async fn record(
    state: &AppState,
    kind: Kind,
    user: &User,
    client: &ClientInfo,
    detail: &str,
    method: Method,
) {
    let outcome = if kind == Kind::SignInFailed {
        "failure"
    } else {
        "success"
    };
    metrics::sign_in(method.metric(), outcome);
    let event = Event {
        kind,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail,
    };
    audit::record(&state.db, event).await;
}

/// A sign-in attempt that failed before any account was known: a wrong password, an unknown
/// email, a Google token that did not verify. `who` is what the attempt named, if anything.
pub async fn refused(
    state: &AppState,
    who: Option<&str>,
    client: &ClientInfo,
    method: Method,
    detail: &str,
) {
    metrics::sign_in(method.metric(), "failure");
    let event = Event {
        kind: Kind::SignInFailed,
        user_id: None,
        email: who,
        ip: &client.ip,
        detail,
    };
    audit::record(&state.db, event).await;
}

/// A sign-in attempt refused by the throttle before anything was checked.
pub async fn throttled(state: &AppState, who: &str, client: &ClientInfo, method: Method) {
    metrics::sign_in(method.metric(), "throttled");
    let event = Event {
        kind: Kind::SignInThrottled,
        user_id: None,
        email: Some(who),
        ip: &client.ip,
        detail: "",
    };
    audit::record(&state.db, event).await;
}

/// Signs the browser out: the session ends (store, index, cookie), and the sign-out is audited
/// when someone was signed in. Succeeds for a session whose account was disabled meanwhile
/// (that session has already ended) and for no session at all.
pub async fn sign_out(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let signed_in = match super::current::authenticate(state, session.clone()).await {
        Ok(me) => me,
        Err(AppError::Forbidden { .. }) => None,
        Err(err) => return Err(err),
    };
    if let Some(me) = signed_in {
        let event = Event {
            kind: Kind::SignOut,
            user_id: Some(me.user.id),
            email: Some(&me.user.email),
            ip: &client.ip,
            detail: "",
        };
        audit::record(&state.db, event).await;
    }
    sessions::end_current(state, session).await
}
