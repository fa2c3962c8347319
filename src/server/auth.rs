//! Who is signing in and who is signed in: the session's auth record, the extractor that
//! authenticates every request against the session store *and* the users table, and sign-in and
//! sign-out with their bookkeeping.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, atomic::Ordering},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::{
    Session,
    session::{Expiry, Id},
};

use super::{
    db::Db,
    http_error::{db_error, store_error},
    proxies,
    sessions::USERS_EPOCH_FIELD,
    state::AppState,
    users::{self, User, now},
};
use crate::{error::AppError, on_db};

/// The key under which the session keeps [`SessionAuth`].
const AUTH_KEY: &str = "auth";

/// How stale `seen_at` may get before a request refreshes it. Refreshing costs a write to the
/// store; doing it at most once a minute keeps authenticated reads to one store round trip while
/// the idle timeout stays accurate to the minute.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// What a signed-in session holds.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: i64,
    /// When the user signed in (unix seconds): the start of the absolute lifetime.
    pub signed_in_at: i64,
    /// The last time a request refreshed the idle timeout (unix seconds).
    pub seen_at: i64,
    /// Whether the user was an admin when this session id was issued. When the role changes,
    /// the next request gets a new id (SECURITY S1, privilege change).
    #[serde(default)]
    pub is_admin: bool,
}

/// Where a request came from, for the session list and the audit trail.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        let ip = proxies::client_ip(peer, forwarded, &state.trusted_proxies);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(512)
            .collect();
        Ok(ClientInfo {
            ip: ip.to_string(),
            user_agent,
        })
    }
}

/// A request made by a signed-in, enabled user.
///
/// Extracting it loads the session (one store round trip) and the user row, so a disabled or
/// deleted account, or a revoked session, is refused on its very next request on every instance
/// (SECURITY S7): no session, or a revoked or expired one, is 401; a disabled account is 403
/// (once: that session ends with the answer); a store or database outage is 503.
pub struct Authenticated {
    pub user: Arc<User>,
    pub session: Session,
    pub auth: SessionAuth,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>().cloned().ok_or_else(|| {
            tracing::error!("the session layer is missing");
            AppError::internal()
        })?;
        authenticate(state, session)
            .await?
            .ok_or_else(AppError::unauthenticated)
    }
}

/// A request made by a signed-in admin; anyone else signed in gets 403.
pub struct Admin(pub Authenticated);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = Authenticated::from_request_parts(parts, state).await?;
        if !me.user.is_admin {
            return Err(AppError::forbidden("This needs an administrator."));
        }
        Ok(Admin(me))
    }
}

/// The answer for a session whose account has been disabled.
pub fn account_disabled() -> AppError {
    AppError::forbidden("This account is disabled.")
}

/// The signed-in user behind `session`, if any, refreshing the idle timeout when due. Ends
/// sessions that outlived their limits or whose user is gone, and those of a disabled user,
/// answering [`account_disabled`] for them. A session issued before the user's role changed
/// gets a new id here.
pub async fn authenticate(
    state: &AppState,
    session: Session,
) -> Result<Option<Authenticated>, AppError> {
    let Some(mut auth) = session
        .get::<SessionAuth>(AUTH_KEY)
        .await
        .map_err(store_error)?
    else {
        return Ok(None);
    };
    let now = now();
    let settings = &state.settings;
    let freshness = freshness(
        &auth,
        now,
        settings.session_idle_timeout_secs as i64,
        settings.session_absolute_lifetime_secs as i64,
    );
    if freshness == Freshness::Expired {
        end_session(state, &session).await?;
        return Ok(None);
    }
    let user = match current_user(state, &session, auth.user_id).await? {
        Some(user) if !user.disabled => user,
        Some(_) => {
            end_session(state, &session).await?;
            return Err(account_disabled());
        }
        None => {
            end_session(state, &session).await?;
            return Ok(None);
        }
    };
    if auth.is_admin != user.is_admin {
        auth.is_admin = user.is_admin;
        auth.seen_at = now;
        rotate(state, &session, &auth).await?;
    } else if freshness == Freshness::Stale {
        auth.seen_at = now;
        let expires_at = set_expiry(
            &session,
            &auth,
            settings.session_idle_timeout_secs,
            settings.session_absolute_lifetime_secs as i64,
        );
        session.insert(AUTH_KEY, auth).await.map_err(store_error)?;
        if let Some(id) = session.id() {
            let handle = handle_of(state, &id);
            let touched = on_db!(&state.db, pool => sqlx::query(
                "UPDATE user_sessions SET last_seen_at = $1, expires_at = $2 WHERE handle = $3",
            )
            .bind(now)
            .bind(expires_at)
            .bind(&handle)
            .execute(pool)
            .await
            .map(|_| ()));
            touched.map_err(db_error)?;
        }
    }
    Ok(Some(Authenticated {
        user,
        session,
        auth,
    }))
}

/// The user `id` as it is now: this instance's cached copy while the users epoch that came with
/// the session is the one it was cached under, else the row from SQL (then cached).
async fn current_user(
    state: &AppState,
    session: &Session,
    id: i64,
) -> Result<Option<Arc<User>>, AppError> {
    // Already loaded with the session: no round trip.
    let epoch = session
        .get::<i64>(USERS_EPOCH_FIELD)
        .await
        .map_err(store_error)?;
    // While the database is away, answer as a request that reads it would: 503.
    if let Some(epoch) = epoch
        && state.db_up.load(Ordering::Relaxed)
        && let Some(user) = state.users.get(id, epoch)
    {
        return Ok(Some(user));
    }
    let Some(user) = users::by_id(&state.db, id).await.map_err(db_error)? else {
        state.users.forget(id);
        return Ok(None);
    };
    let user = Arc::new(user);
    if let Some(epoch) = epoch {
        state.users.put(epoch, user.clone());
    }
    Ok(Some(user))
}

/// Whether a session is still usable at `now`, and whether its idle timer is due a refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Stale,
    Expired,
}

/// Enforces both limits on the server, whatever the store's own expiry did (SECURITY S6).
pub fn freshness(auth: &SessionAuth, now: i64, idle_secs: i64, absolute_secs: i64) -> Freshness {
    if now - auth.seen_at >= idle_secs || now - auth.signed_in_at >= absolute_secs {
        Freshness::Expired
    } else if now - auth.seen_at >= TOUCH_INTERVAL_SECS {
        Freshness::Stale
    } else {
        Freshness::Fresh
    }
}

/// Sets the session to expire at the earlier of the idle deadline and the absolute one; returns
/// that moment (unix seconds).
fn set_expiry(session: &Session, auth: &SessionAuth, idle_secs: u64, absolute_secs: i64) -> i64 {
    let expires_at = (auth.seen_at + idle_secs as i64).min(auth.signed_in_at + absolute_secs);
    let at = OffsetDateTime::from_unix_timestamp(expires_at)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    session.set_expiry(Some(Expiry::AtDateTime(at)));
    expires_at
}

/// The opaque handle of a session: the keyed hash the store keys on, never the cookie value.
pub fn handle_of(state: &AppState, id: &Id) -> String {
    state.sessions.storage_id(id).to_string()
}

/// Signs `user` in on `session`.
///
/// # Security
/// The session id is replaced (the old record is deleted first), so an id planted before sign-in
/// is worthless afterwards (SECURITY S1, session fixation). The new session is indexed under its
/// hashed handle for listing and revocation.
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    user: &User,
    client: &ClientInfo,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(store_error)?;
    let now = now();
    let auth = SessionAuth {
        user_id: user.id,
        signed_in_at: now,
        seen_at: now,
        is_admin: user.is_admin,
    };
    let expires_at = set_expiry(
        session,
        &auth,
        state.settings.session_idle_timeout_secs,
        state.settings.session_absolute_lifetime_secs as i64,
    );
    session.insert(AUTH_KEY, auth).await.map_err(store_error)?;
    // Save now rather than when the response leaves, to learn the new id for the index.
    session.save().await.map_err(store_error)?;
    let id = session.id().ok_or_else(|| {
        tracing::error!("a saved session has no id");
        AppError::internal()
    })?;
    let handle = handle_of(state, &id);
    on_db!(&state.db, pool => sqlx::query(
        "INSERT INTO user_sessions (handle, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(&handle)
    .bind(user.id)
    .bind(now)
    .bind(expires_at)
    .bind(&client.ip)
    .bind(&client.user_agent)
    .execute(pool)
    .await
    .map(|_| ()))
    .map_err(db_error)?;
    enforce_session_cap(state, user.id, &handle).await
}

/// Gives a signed-in session a new id, keeping its index row (its handle changes with the id).
async fn rotate(state: &AppState, session: &Session, auth: &SessionAuth) -> Result<(), AppError> {
    let Some(old) = session.id() else {
        return Ok(());
    };
    session.cycle_id().await.map_err(store_error)?;
    let expires_at = set_expiry(
        session,
        auth,
        state.settings.session_idle_timeout_secs,
        state.settings.session_absolute_lifetime_secs as i64,
    );
    session.insert(AUTH_KEY, *auth).await.map_err(store_error)?;
    session.save().await.map_err(store_error)?;
    let new = session.id().ok_or_else(|| {
        tracing::error!("a saved session has no id");
        AppError::internal()
    })?;
    on_db!(&state.db, pool => sqlx::query(
        "UPDATE user_sessions SET handle = $1, last_seen_at = $2, expires_at = $3 WHERE handle = $4",
    )
    .bind(handle_of(state, &new))
    .bind(auth.seen_at)
    .bind(expires_at)
    .bind(handle_of(state, &old))
    .execute(pool)
    .await
    .map(|_| ()))
    .map_err(db_error)
}

/// Ends the oldest sessions of `user_id` beyond `max_sessions_per_user`, never `newest`.
async fn enforce_session_cap(state: &AppState, user_id: i64, newest: &str) -> Result<(), AppError> {
    let cap = state.settings.max_sessions_per_user;
    if cap == 0 {
        return Ok(());
    }
    let others: Vec<String> = on_db!(&state.db, pool => sqlx::query_scalar(
        "SELECT handle FROM user_sessions WHERE user_id = $1 AND handle <> $2
         ORDER BY created_at DESC, last_seen_at DESC",
    )
    .bind(user_id)
    .bind(newest)
    .fetch_all(pool)
    .await)
    .map_err(db_error)?;
    let surplus = others.get(cap as usize - 1..).unwrap_or_default();
    for handle in surplus {
        end_by_handle(state, handle).await?;
    }
    if !surplus.is_empty() {
        tracing::info!(
            user_id,
            ended = surplus.len(),
            "session cap reached: ended the oldest"
        );
    }
    Ok(())
}

/// Deletes the session from the store and the index, and clears the cookie.
pub async fn end_session(state: &AppState, session: &Session) -> Result<(), AppError> {
    if let Some(id) = session.id() {
        let handle = handle_of(state, &id);
        delete_index_rows(&state.db, "handle = $1", &handle).await?;
    }
    session.flush().await.map_err(store_error)
}

/// Removes the current session's index row, ahead of [`sign_in`] giving it a new id.
pub async fn end_session_index(state: &AppState, session: &Session) -> Result<(), AppError> {
    match session.id() {
        Some(id) => delete_index_rows(&state.db, "handle = $1", &handle_of(state, &id)).await,
        None => Ok(()),
    }
}

/// Ends every session of `user_id` except the one with handle `keep`: store records first,
/// then their index rows. Returns how many ended.
pub async fn end_sessions_of(
    state: &AppState,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let handles: Vec<String> = on_db!(&state.db, pool => sqlx::query_scalar(
        "SELECT handle FROM user_sessions WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await)
    .map_err(db_error)?;
    let mut ended = 0;
    for handle in handles
        .iter()
        .filter(|handle| Some(handle.as_str()) != keep)
    {
        end_by_handle(state, handle).await?;
        ended += 1;
    }
    Ok(ended)
}

/// Ends the session with this handle (not the current request's: use [`end_session`] for that,
/// or the response would save it again): the store record first, then its index row.
pub async fn end_by_handle(state: &AppState, handle: &str) -> Result<(), AppError> {
    if let Ok(storage_id) = handle.parse::<Id>() {
        state
            .sessions
            .delete_by_storage_id(&storage_id)
            .await
            .map_err(|err| {
                tracing::warn!(error = %err, "session store unavailable");
                AppError::unavailable("The session store")
            })?;
    }
    delete_index_rows(&state.db, "handle = $1", handle).await
}

async fn delete_index_rows(db: &Db, condition: &str, value: &str) -> Result<(), AppError> {
    let sql = format!("DELETE FROM user_sessions WHERE {condition}");
    on_db!(db, pool => sqlx::query(&sql).bind(value).execute(pool).await.map(|_| ()))
        .map_err(db_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: i64 = 1800;
    const ABSOLUTE: i64 = 43200;

    fn auth(signed_in_at: i64, seen_at: i64) -> SessionAuth {
        SessionAuth {
            user_id: 1,
            signed_in_at,
            seen_at,
            is_admin: false,
        }
    }

    #[test]
    fn a_recent_session_is_fresh_and_costs_no_write() {
        assert_eq!(
            freshness(&auth(1000, 1000), 1059, IDLE, ABSOLUTE),
            Freshness::Fresh
        );
    }

    #[test]
    fn a_session_seen_over_a_minute_ago_is_refreshed() {
        assert_eq!(
            freshness(&auth(1000, 1000), 1060, IDLE, ABSOLUTE),
            Freshness::Stale
        );
    }

    #[test]
    fn the_idle_timeout_ends_a_session() {
        assert_eq!(
            freshness(&auth(1000, 1000), 1000 + IDLE, IDLE, ABSOLUTE),
            Freshness::Expired
        );
        assert_eq!(
            freshness(&auth(1000, 1000), 1000 + IDLE - 1, IDLE, ABSOLUTE),
            Freshness::Stale
        );
    }

    #[test]
    fn the_absolute_lifetime_ends_even_an_active_session() {
        let signed_in = 1000;
        let now = signed_in + ABSOLUTE;
        assert_eq!(
            freshness(&auth(signed_in, now - 5), now, IDLE, ABSOLUTE),
            Freshness::Expired
        );
    }
}
