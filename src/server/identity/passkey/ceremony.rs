//! A passkey ceremony between its two requests (the options, then the browser's answer), held
//! in the browser's session.
//!
//! # Security (SECURITY M4)
//! - The state (and its challenge) never leaves the server: the session store holds it.
//! - It is single-use: the answer takes it out of the session before anything is checked, so
//!   a second answer to the same options finds none. (Two answers racing with one cookie are
//!   settled by the `passkeys` table: one sign-in per challenge, one row per credential.)
//! - It lives five minutes.
//! - An enrolment belongs to the account that asked for it.

use std::time::Duration;

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tower_sessions::{Session, session::Expiry};
use webauthn_rs::prelude::{DiscoverableAuthentication, PasskeyRegistration};

use crate::{
    error::AppError,
    server::{
        db::clock::now, http::error::store_error, identity::users::User,
        sessions::service as sessions,
    },
};

/// How long the browser has to answer.
pub const LIFETIME: Duration = Duration::from_secs(5 * 60);

const SIGN_IN: &str = "passkey_sign_in";
const ENROLMENT: &str = "passkey_enrolment";
const REAUTH: &str = "passkey_reauth";

#[derive(Serialize, Deserialize)]
struct Held<T> {
    state: T,
    /// The account an enrolment is for; none for a sign-in.
    user_id: Option<i64>,
    /// The user handle an enrolment's options gave the authenticator.
    #[serde(default)]
    handle: Vec<u8>,
    /// The account's security stamp when an enrolment began: a credential event meanwhile
    /// voids it (SECURITY C1).
    #[serde(default)]
    stamp: String,
    expires_at: i64,
}

/// A sign-in ceremony.
pub type SignIn = DiscoverableAuthentication;
/// An enrolment ceremony.
pub type Enrolment = PasskeyRegistration;

async fn hold<T: Serialize>(
    session: &Session,
    key: &str,
    state: T,
    user_id: Option<i64>,
    handle: Vec<u8>,
    stamp: String,
) -> Result<(), AppError> {
    let held = Held {
        state,
        user_id,
        handle,
        stamp,
        expires_at: now() + LIFETIME.as_secs() as i64,
    };
    session.insert(key, held).await.map_err(store_error)
}

/// Takes the held state out of the session: `None` when there is none, it expired, or it was
/// for another account or under another security stamp of it.
async fn take<T: DeserializeOwned>(
    session: &Session,
    key: &str,
    user_id: Option<i64>,
    stamp: &str,
) -> Result<Option<Held<T>>, AppError> {
    // A state that no longer reads (written by another version) is as good as none.
    let held = session.remove::<Held<T>>(key).await.unwrap_or_default();
    Ok(held
        .filter(|held| held.expires_at > now() && held.user_id == user_id && held.stamp == stamp))
}

/// Holds a sign-in ceremony. A browser that is not signed in gets a session that lives no
/// longer than the ceremony.
pub async fn hold_sign_in(session: &Session, state: SignIn) -> Result<(), AppError> {
    if sessions::auth_of(session).await?.is_none() {
        session.set_expiry(Some(Expiry::OnInactivity(
            time::Duration::try_from(LIFETIME).unwrap_or_default(),
        )));
    }
    hold(session, SIGN_IN, state, None, Vec::new(), String::new()).await
}

/// Takes the held sign-in ceremony.
pub async fn take_sign_in(session: &Session) -> Result<Option<SignIn>, AppError> {
    Ok(take(session, SIGN_IN, None, "")
        .await?
        .map(|held| held.state))
}

/// Holds an enrolment of `user`'s new passkey, whose options named the account by `handle`.
pub async fn hold_enrolment(
    session: &Session,
    user: &User,
    handle: [u8; 16],
    state: Enrolment,
) -> Result<(), AppError> {
    let stamp = user.security_stamp.clone();
    hold(
        session,
        ENROLMENT,
        state,
        Some(user.id),
        handle.to_vec(),
        stamp,
    )
    .await
}

/// Takes the held enrolment, if it is `user`'s under their current security stamp, with the
/// user handle its options gave.
pub async fn take_enrolment(
    session: &Session,
    user: &User,
) -> Result<Option<(Enrolment, Vec<u8>)>, AppError> {
    Ok(
        take(session, ENROLMENT, Some(user.id), &user.security_stamp)
            .await?
            .map(|held| (held.state, held.handle)),
    )
}

/// Holds a step-up of `user` with one of their passkeys, under their current security stamp.
pub async fn hold_reauth(session: &Session, user: &User, state: SignIn) -> Result<(), AppError> {
    let stamp = user.security_stamp.clone();
    hold(session, REAUTH, state, Some(user.id), Vec::new(), stamp).await
}

/// Takes the held step-up, if it is `user`'s under their current security stamp.
pub async fn take_reauth(session: &Session, user: &User) -> Result<Option<SignIn>, AppError> {
    Ok(take(session, REAUTH, Some(user.id), &user.security_stamp)
        .await?
        .map(|held| held.state))
}
