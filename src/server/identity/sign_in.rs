//! The end of every sign-in, whatever proved who the user is (a password, Google, and later a
//! passkey or a second factor), and sign-out.
//!
//! A method checks its proof and hands the account to [`complete`], which holds every rule of a
//! finished sign-in, so no method can skip one: the disabled check, the second factor, admin
//! promotion, a new session id and its index row, the audit trail and the metrics.

use tower_sessions::Session;

pub use super::method::{Arrival, Method};
use super::{
    current::account_disabled,
    second_factor::{
        self,
        pending::{self, Pending},
    },
    throttle::{self, Attempt},
    users::User,
};
use crate::{
    domain::{SecondFactorRequired, SignInResponse},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::client::ClientInfo,
        platform::{metrics, state::AppState},
        sessions::service as sessions,
    },
};

/// Lets a visitor who is not signed in have a session stored for a sign-in's state (a passkey
/// challenge, a Google nonce), within `max_anonymous_sessions_per_ip` per ten minutes from one
/// network; `429` beyond it (SECURITY C8). A browser that has a stored session already, or is
/// signed in, costs nothing.
pub async fn admit_anonymous(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
) -> Result<(), AppError> {
    if session.id().is_some() || sessions::auth_of(session).await?.is_some() {
        return Ok(());
    }
    let limit =
        throttle::anonymous_sessions_per_10_min(state.settings.max_anonymous_sessions_per_ip);
    let ticket = state
        .throttle
        .reserve(Attempt::anonymous_session(&client.ip, limit))
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "throttle unavailable");
            AppError::unavailable("Sign-in")
        })?
        .map_err(AppError::rate_limited)?;
    ticket.counted();
    Ok(())
}

/// How a first factor ended.
#[derive(Debug)]
pub enum Completion {
    /// Signed in.
    SignedIn(User),
    /// The account has a second factor: the sign-in is held for it (nothing is signed in yet),
    /// and these are the methods that may complete it.
    SecondFactor(Vec<&'static str>),
}

impl Completion {
    /// The user, for a path that cannot meet a second factor (a new account).
    pub fn signed_in(self) -> Result<User, AppError> {
        match self {
            Completion::SignedIn(user) => Ok(user),
            Completion::SecondFactor(_) => {
                tracing::error!("a new account asked for a second factor");
                Err(AppError::internal())
            }
        }
    }
}

impl From<Completion> for SignInResponse {
    fn from(completion: Completion) -> Self {
        match completion {
            Completion::SignedIn(user) => SignInResponse::SignedIn(user.to_current()),
            Completion::SecondFactor(methods) => {
                SignInResponse::SecondFactor(SecondFactorRequired {
                    second_factor_required: true,
                    methods: methods.into_iter().map(str::to_owned).collect(),
                })
            }
        }
    }
}

/// Signs `user` in on `session` once `method` has proved who they are, or, for an account with
/// a second factor, holds the sign-in for it.
///
/// # Security
/// - A disabled account is refused (403) and the attempt audited, for every method.
/// - An account with a second factor is not signed in by a first factor alone (SECURITY M5):
///   the sign-in waits in the session for [`complete_second_factor`]. A method that proves
///   both factors itself (a passkey with user verification) signs in at once.
/// - Then as [`finish`].
pub async fn complete(
    state: &AppState,
    session: &Session,
    user: User,
    method: Method,
    arrival: Arrival,
    client: &ClientInfo,
) -> Result<Completion, AppError> {
    if user.disabled {
        record(state, Kind::SignInFailed, &user, client, "disabled", method).await;
        return Err(account_disabled());
    }
    let methods = if method.is_multi_factor() {
        Vec::new()
    } else {
        second_factor::methods_for(state, user.id).await?
    };
    if !methods.is_empty() {
        pending::hold(session, user.id, user.credentials_stamp(), method, arrival).await?;
        return Ok(Completion::SecondFactor(methods));
    }
    finish(
        state,
        session,
        user,
        method,
        method.detail(),
        arrival,
        client,
    )
    .await
    .map(Completion::SignedIn)
}

/// Signs in the account of a held sign-in (`pending`) whose second factor, `second`, was right.
pub async fn complete_second_factor(
    state: &AppState,
    session: &Session,
    user: User,
    pending: &Pending,
    second: Method,
    client: &ClientInfo,
) -> Result<User, AppError> {
    if user.disabled {
        record(state, Kind::SignInFailed, &user, client, "disabled", second).await;
        return Err(account_disabled());
    }
    let detail = format!("{} + {}", pending.first.detail(), second.detail());
    finish(
        state,
        session,
        user,
        second,
        &detail,
        pending.arrival,
        client,
    )
    .await
}

/// The end of every sign-in.
///
/// # Security
/// - An account listed in `ADMIN_EMAILS` becomes an admin here, before its session is issued,
///   if its address is verified.
/// - The session gets a new id and the old id's index row goes (SECURITY S1, fixation); a
///   sign-in that was waiting for its second factor is over.
/// - The browser gets a fresh device cookie for the account (SECURITY P9).
async fn finish(
    state: &AppState,
    session: &Session,
    user: User,
    method: Method,
    detail: &str,
    arrival: Arrival,
    client: &ClientInfo,
) -> Result<User, AppError> {
    let user = promote_listed_admin(state, user).await?;
    pending::end(session).await?;
    sessions::issue(state, session, user.id, user.is_admin, client).await?;
    // This browser is now known to the account: it keeps signing in while strangers' guesses
    // throttle the account (P9).
    state
        .devices
        .remember(&client.device, user.id, &user.security_stamp);
    let kind = match arrival {
        Arrival::SignUp => Kind::SignUp,
        Arrival::SignIn => Kind::SignIn,
    };
    record(state, kind, &user, client, detail, method).await;
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
