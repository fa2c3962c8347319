//! The `user_sessions` table: one row per signed-in session, keyed by its handle (the keyed hash
//! the store uses), so a user's sessions can be listed and ended without the store having to
//! search. Rows are written by [`auth`](super::auth) at sign-in, touch, rotation and sign-out.

use sqlx::FromRow;

use super::{
    db::Db,
    users::{now, rfc3339},
};
use crate::{domain::SessionInfo, on_db};

#[derive(FromRow)]
struct Row {
    handle: String,
    created_at: i64,
    last_seen_at: i64,
    ip: String,
    user_agent: String,
}

/// The live sessions of `user_id`, most recently used first; `current` marks the caller's.
pub async fn list(
    db: &Db,
    user_id: i64,
    current: Option<&str>,
) -> Result<Vec<SessionInfo>, sqlx::Error> {
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(
        "SELECT handle, created_at, last_seen_at, ip, user_agent FROM user_sessions
         WHERE user_id = $1 AND expires_at > $2
         ORDER BY last_seen_at DESC, created_at DESC",
    )
    .bind(user_id)
    .bind(now())
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|row| SessionInfo {
            current: current == Some(row.handle.as_str()),
            id: row.handle,
            created_at: rfc3339(row.created_at),
            last_seen_at: rfc3339(row.last_seen_at),
            ip: row.ip,
            user_agent: row.user_agent,
        })
        .collect())
}

/// Whose session `handle` is, if it is a live one.
pub async fn owner(db: &Db, handle: &str) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT user_id FROM user_sessions WHERE handle = $1 AND expires_at > $2",
    )
    .bind(handle)
    .bind(now())
    .fetch_optional(pool)
    .await)
}

/// Deletes the rows of sessions past their expiry: the store has already dropped them.
pub async fn prune_expired(db: &Db) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM user_sessions WHERE expires_at <= $1")
        .bind(now())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
}
