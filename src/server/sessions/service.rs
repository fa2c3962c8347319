//! What a signed-in session holds ([`SessionAuth`]) and every operation on sessions: issuing one
//! at sign-in, refreshing its idle timer, giving it a new id, reissuing it after a password
//! change, and ending one, all, or all but the current. Each keeps the store and the index
//! ([`index`]) in step, so no caller can update one and forget the other.
//!
//! It knows users only by id: what a user may do is [`identity`](crate::server::identity)'s
//! business.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::{
    Session,
    session::{Expiry, Id},
};

use super::index::{self, NewEntry};
use crate::{
    domain::SessionInfo,
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        db::clock::now,
        http::{
            client::ClientInfo,
            error::{db_error, store_error},
        },
        platform::state::AppState,
    },
};

/// The key under which the session keeps [`SessionAuth`].
pub const AUTH_KEY: &str = "auth";

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
    /// When the user last proved who they are on this session: the sign-in, or a later
    /// re-authentication (unix seconds). Sensitive actions need it to be recent (SECURITY S13);
    /// sessions from before it was kept count as long ago.
    #[serde(default)]
    pub authenticated_at: i64,
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

/// The signed-in record `session` holds, if any.
pub async fn auth_of(session: &Session) -> Result<Option<SessionAuth>, AppError> {
    session.get(AUTH_KEY).await.map_err(store_error)
}

/// How `auth` stands at `now` under the configured limits.
pub fn freshness_now(state: &AppState, auth: &SessionAuth, now: i64) -> Freshness {
    let settings = &state.settings;
    freshness(
        auth,
        now,
        settings.session_idle_timeout_secs as i64,
        settings.session_absolute_lifetime_secs as i64,
    )
}

/// Passes when `auth` proved who the user is (signed in or re-authenticated) within
/// `reauth_window_secs` of `now`; otherwise `403 reauth_required` (SECURITY S13).
pub fn require_recent_sign_in(
    state: &AppState,
    auth: &SessionAuth,
    now: i64,
) -> Result<(), AppError> {
    if now - auth.authenticated_at <= state.settings.reauth_window_secs as i64 {
        Ok(())
    } else {
        Err(AppError::reauth_required())
    }
}

/// Sets the session to expire at the earlier of the idle deadline and the absolute one; returns
/// that moment (unix seconds).
fn set_expiry(state: &AppState, session: &Session, auth: &SessionAuth) -> i64 {
    let idle = state.settings.session_idle_timeout_secs as i64;
    let absolute = state.settings.session_absolute_lifetime_secs as i64;
    let expires_at = (auth.seen_at + idle).min(auth.signed_in_at + absolute);
    let at = OffsetDateTime::from_unix_timestamp(expires_at)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    session.set_expiry(Some(Expiry::AtDateTime(at)));
    expires_at
}

/// The opaque handle of a session: the keyed hash the store keys on, never the cookie value.
pub fn handle_of(state: &AppState, id: &Id) -> String {
    state.sessions.storage_id(id).to_string()
}

/// The handle of `session`, once it has an id.
pub fn current_handle(state: &AppState, session: &Session) -> Option<String> {
    session.id().map(|id| handle_of(state, &id))
}

fn saved_id(session: &Session) -> Result<Id, AppError> {
    session.id().ok_or_else(|| {
        tracing::error!("a saved session has no id");
        AppError::internal()
    })
}

/// Makes `session` a signed-in session of `user_id`, as the last step of every sign-in.
///
/// # Security
/// The session id is replaced (the old record is deleted first, and the old id's index row
/// with it), so an id planted before sign-in is worthless afterwards (SECURITY S1, session
/// fixation). The new session is indexed under its hashed handle for listing and revocation,
/// and the user's oldest sessions beyond `max_sessions_per_user` end.
pub async fn issue(
    state: &AppState,
    session: &Session,
    user_id: i64,
    is_admin: bool,
    client: &ClientInfo,
) -> Result<(), AppError> {
    if let Some(old) = current_handle(state, session) {
        index::delete(&state.db, &old).await.map_err(db_error)?;
    }
    session.cycle_id().await.map_err(store_error)?;
    let now = now();
    let auth = SessionAuth {
        user_id,
        signed_in_at: now,
        seen_at: now,
        is_admin,
        authenticated_at: now,
    };
    let expires_at = set_expiry(state, session, &auth);
    session.insert(AUTH_KEY, auth).await.map_err(store_error)?;
    // Save now rather than when the response leaves, to learn the new id for the index.
    session.save().await.map_err(store_error)?;
    let handle = handle_of(state, &saved_id(session)?);
    let entry = NewEntry {
        handle: &handle,
        user_id,
        created_at: now,
        expires_at,
        ip: &client.ip,
        user_agent: &client.user_agent,
    };
    index::insert(&state.db, entry).await.map_err(db_error)?;
    enforce_cap(state, user_id, &handle).await
}

/// Refreshes the idle timer of a session in use, in the store and the index.
pub async fn touch(
    state: &AppState,
    session: &Session,
    auth: &mut SessionAuth,
    now: i64,
) -> Result<(), AppError> {
    auth.seen_at = now;
    let expires_at = set_expiry(state, session, auth);
    session.insert(AUTH_KEY, *auth).await.map_err(store_error)?;
    if let Some(handle) = current_handle(state, session) {
        index::touch(&state.db, &handle, now, expires_at)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// Gives a signed-in session a new id (after its user's role changed, or a step-up), keeping its
/// index row: the row moves to the new handle. `false` when this request no longer has a
/// session: another request carrying the same id rotated it first, or it was ended meanwhile.
///
/// # Security
/// Rotation starts by taking the old record out of the store, which exactly one of several
/// parallel requests can do; only that one issues a new id. So parallel requests with one old
/// cookie produce one new id, and it is indexed, so "end all sessions" reaches it (SECURITY
/// S12). A session ended between the take and the move of its index row ends here too. The
/// others answer 401 without removing the browser's cookie, which by then may hold the new id
/// ([`mark_rotated`](crate::server::sessions::store::HashedStore::mark_rotated)).
pub async fn rotate(
    state: &AppState,
    session: &Session,
    auth: &mut SessionAuth,
    now: i64,
) -> Result<bool, AppError> {
    let Some(old_id) = session.id() else {
        return Ok(false);
    };
    if !state
        .sessions
        .take(&old_id)
        .await
        .map_err(store_unavailable)?
    {
        return Ok(false);
    }
    let old = handle_of(state, &old_id);
    auth.seen_at = now;
    session.cycle_id().await.map_err(store_error)?;
    state
        .sessions
        .mark_rotated(&old_id)
        .await
        .map_err(store_unavailable)?;
    let expires_at = set_expiry(state, session, auth);
    session.insert(AUTH_KEY, *auth).await.map_err(store_error)?;
    session.save().await.map_err(store_error)?;
    let new = handle_of(state, &saved_id(session)?);
    if !index::rehandle(&state.db, &old, &new, now, expires_at)
        .await
        .map_err(db_error)?
    {
        session.flush().await.map_err(store_error)?;
        return Ok(false);
    }
    Ok(true)
}

/// Session reissue, after a password change: every other session of `user_id` ends, and this
/// one gets a new id (SECURITY P5, S1).
pub async fn reissue(
    state: &AppState,
    session: &Session,
    user_id: i64,
    is_admin: bool,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let current = current_handle(state, session);
    end_all_of(state, user_id, current.as_deref()).await?;
    issue(state, session, user_id, is_admin, client).await
}

/// Ends the oldest sessions of `user_id` beyond `max_sessions_per_user`, never `newest`.
async fn enforce_cap(state: &AppState, user_id: i64, newest: &str) -> Result<(), AppError> {
    let cap = state.settings.max_sessions_per_user;
    if cap == 0 {
        return Ok(());
    }
    let others = index::others_newest_first(&state.db, user_id, newest)
        .await
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

/// Ends the request's own session: its index row, its store record, and the cookie.
pub async fn end_current(state: &AppState, session: &Session) -> Result<(), AppError> {
    if let Some(handle) = current_handle(state, session) {
        index::delete(&state.db, &handle).await.map_err(db_error)?;
    }
    session.flush().await.map_err(store_error)
}

/// Ends every session of `user_id` except the one with handle `keep`: store records first,
/// then their index rows. Returns how many ended.
pub async fn end_all_of(
    state: &AppState,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let handles = index::handles_of(&state.db, user_id)
        .await
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

/// Ends the session with this handle (not the current request's: use [`end_current`] for that,
/// or the response would save it again): the store record first, then its index row.
pub async fn end_by_handle(state: &AppState, handle: &str) -> Result<(), AppError> {
    if let Ok(storage_id) = handle.parse::<Id>() {
        state
            .sessions
            .delete_by_storage_id(&storage_id)
            .await
            .map_err(store_unavailable)?;
    }
    index::delete(&state.db, handle).await.map_err(db_error)
}

fn store_unavailable(err: tower_sessions::session_store::Error) -> AppError {
    tracing::warn!(error = %err, "session store unavailable");
    AppError::unavailable("The session store")
}

/// The live sessions of `user_id`, most recently used first, with `current` (the session making
/// the request) marked.
pub async fn list(
    state: &AppState,
    user_id: i64,
    current: &Session,
) -> Result<Vec<SessionInfo>, AppError> {
    let handle = current_handle(state, current);
    index::list(&state.db, user_id, handle.as_deref())
        .await
        .map_err(db_error)
}

/// Whose session this is, for the audit trail.
#[derive(Clone, Copy, Debug)]
pub struct Owner<'a> {
    pub id: i64,
    pub email: &'a str,
}

/// A user ends one of their own sessions, by handle: another device, or this one (a sign-out).
/// A handle that names no live session of theirs is a 404, whoever's it is.
pub async fn end_own(
    state: &AppState,
    owner: Owner<'_>,
    current: &Session,
    handle: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    // Handles are URL-safe base64; anything else names no session (and never reaches SQL).
    if handle.is_empty()
        || !handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::not_found("Session"));
    }
    let detail = if current_handle(state, current).as_deref() == Some(handle) {
        end_current(state, current).await?;
        "this session"
    } else {
        match index::owner(&state.db, handle).await.map_err(db_error)? {
            Some(id) if id == owner.id => end_by_handle(state, handle).await?,
            // Someone else's session is as unknown as a made-up one.
            _ => return Err(AppError::not_found("Session")),
        }
        "another session"
    };
    record_revocation(state, None, owner, client, detail).await;
    Ok(())
}

/// A user ends every session of theirs but this one: a sensitive action, which needs a recent
/// sign-in on this one (SECURITY S13).
pub async fn end_others(
    state: &AppState,
    owner: Owner<'_>,
    current: &Session,
    auth: &SessionAuth,
    client: &ClientInfo,
) -> Result<u64, AppError> {
    require_recent_sign_in(state, auth, now())?;
    let keep = current_handle(state, current);
    let ended = end_all_of(state, owner.id, keep.as_deref()).await?;
    let detail = format!("every other session ({ended})");
    record_revocation(state, None, owner, client, &detail).await;
    Ok(ended)
}

/// An admin (`actor`) ends every session of `owner`; `current` is the admin's own session, which
/// ends too when they pick themselves.
pub async fn end_every(
    state: &AppState,
    actor: i64,
    owner: Owner<'_>,
    current: &Session,
    client: &ClientInfo,
) -> Result<u64, AppError> {
    let ended = if owner.id == actor {
        let keep = current_handle(state, current);
        let others = end_all_of(state, owner.id, keep.as_deref()).await?;
        end_current(state, current).await?;
        others + 1
    } else {
        end_all_of(state, owner.id, None).await?
    };
    let detail = format!("every session ({ended}), by an admin");
    record_revocation(state, Some(actor), owner, client, &detail).await;
    Ok(ended)
}

async fn record_revocation(
    state: &AppState,
    actor: Option<i64>,
    owner: Owner<'_>,
    client: &ClientInfo,
    detail: &str,
) {
    let event = Event {
        kind: Kind::SessionRevoked,
        user_id: Some(owner.id),
        email: Some(owner.email),
        ip: &client.ip,
        detail,
    };
    audit::record_by(&state.db, actor, event).await;
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
            authenticated_at: signed_in_at,
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
