//! A sign-in waiting for its second factor, held in the browser's session: the first factor
//! (a password, Google) was right, and nothing is signed in until a code completes it.
//!
//! # Security (SECURITY M1)
//! - It lives five minutes; an expired one is as good as none.
//! - Each pending sign-in has a random id; wrong codes are counted against it by the throttle,
//!   atomically on every instance, and the fifth ends it: the sign-in starts over with the
//!   first factor (and its own throttling).
//! - The session id is replaced when a sign-in is held (for a browser not signed in) and again
//!   when it completes, as after every sign-in (S1).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower_sessions::{Session, session::Expiry};

use crate::{
    error::AppError,
    server::{
        db::clock::now,
        http::error::store_error,
        identity::method::{Arrival, Method},
        sessions::service as sessions,
    },
};

const KEY: &str = "pending_sign_in";
/// How long the second step may take.
pub const LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Wrong codes that end a pending sign-in.
pub const MAX_WRONG: u64 = 5;

/// Who proved the first factor, and how.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    /// Random: the throttle counts this sign-in's wrong codes under it.
    pub id: String,
    pub user_id: i64,
    /// The account's [`credentials_stamp`](crate::server::identity::users::User::credentials_stamp)
    /// when the first factor was right: a password reset or change meanwhile voids the sign-in.
    #[serde(default)]
    pub stamp: String,
    pub first: Method,
    pub arrival: Arrival,
    pub expires_at: i64,
    /// Wrong codes so far.
    #[serde(default)]
    pub wrong: u64,
}

/// Holds a sign-in of `user_id` for its second factor.
pub async fn hold(
    session: &Session,
    user_id: i64,
    stamp: String,
    first: Method,
    arrival: Arrival,
) -> Result<(), AppError> {
    // An anonymous session made only for this lives no longer than the step, and gets a new
    // id: a session id planted in the browser before does not share the held sign-in.
    if sessions::auth_of(session).await?.is_none() {
        session.set_expiry(Some(Expiry::OnInactivity(
            time::Duration::try_from(LIFETIME).unwrap_or_default(),
        )));
        session.cycle_id().await.map_err(store_error)?;
    }
    let pending = Pending {
        id: hex::encode(rand::random::<[u8; 16]>()),
        user_id,
        stamp,
        first,
        arrival,
        expires_at: now() + LIFETIME.as_secs() as i64,
        wrong: 0,
    };
    session.insert(KEY, pending).await.map_err(store_error)
}

/// The session's pending sign-in, if one is held and not expired.
pub async fn get(session: &Session) -> Result<Option<Pending>, AppError> {
    let pending: Option<Pending> = session.get(KEY).await.map_err(store_error)?;
    match pending {
        Some(pending) if pending.expires_at > now() => Ok(Some(pending)),
        Some(_) => {
            end(session).await?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Ends the pending sign-in (completed, or too many wrong codes).
pub async fn end(session: &Session) -> Result<(), AppError> {
    session
        .remove::<Pending>(KEY)
        .await
        .map(|_| ())
        .map_err(store_error)
}

/// Counts a wrong code: `true` when it was the last one allowed and the sign-in has ended.
/// (The throttle bounds parallel tries on its own; this count is what the user sees.)
pub async fn wrong_code(session: &Session, mut pending: Pending) -> Result<bool, AppError> {
    pending.wrong += 1;
    if pending.wrong >= MAX_WRONG {
        end(session).await?;
        return Ok(true);
    }
    session.insert(KEY, pending).await.map_err(store_error)?;
    Ok(false)
}
