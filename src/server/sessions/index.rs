//! The `user_sessions` table: one row per signed-in session, keyed by its handle (the keyed hash
//! the store uses), so a user's sessions can be listed, counted and ended without the store
//! having to search. Only this module runs SQL on it; [`service`](super::service) keeps it in
//! step with the store.

use std::collections::HashMap;

use sqlx::FromRow;

use crate::{
    domain::SessionInfo,
    on_db,
    server::db::{
        Db,
        clock::{now, rfc3339},
    },
};

/// A new row: the session `handle` of `user_id`, signed in at `created_at`.
pub struct NewEntry<'a> {
    pub handle: &'a str,
    pub user_id: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn insert(db: &Db, entry: NewEntry<'_>) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "INSERT INTO user_sessions (handle, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(entry.handle)
    .bind(entry.user_id)
    .bind(entry.created_at)
    .bind(entry.expires_at)
    .bind(entry.ip)
    .bind(entry.user_agent)
    .execute(pool)
    .await
    .map(|_| ()))
}

/// Records that the session was used at `seen_at` and now expires at `expires_at`.
pub async fn touch(
    db: &Db,
    handle: &str,
    seen_at: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "UPDATE user_sessions SET last_seen_at = $1, expires_at = $2 WHERE handle = $3",
    )
    .bind(seen_at)
    .bind(expires_at)
    .bind(handle)
    .execute(pool)
    .await
    .map(|_| ()))
}

/// Moves a row to the session's new handle after its id changed, keeping when it was created;
/// `false` when there is no row under `old` any more (the session was ended meanwhile).
pub async fn rehandle(
    db: &Db,
    old: &str,
    new: &str,
    seen_at: i64,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "UPDATE user_sessions SET handle = $1, last_seen_at = $2, expires_at = $3 WHERE handle = $4",
    )
    .bind(new)
    .bind(seen_at)
    .bind(expires_at)
    .bind(old)
    .execute(pool)
    .await
    .map(|done| done.rows_affected() == 1))
}

pub async fn delete(db: &Db, handle: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM user_sessions WHERE handle = $1")
        .bind(handle)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// The handles of every session of `user_id`.
pub async fn handles_of(db: &Db, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar("SELECT handle FROM user_sessions WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(pool)
        .await)
}

/// The handles of the sessions of `user_id` other than `except`, newest first.
pub async fn others_newest_first(
    db: &Db,
    user_id: i64,
    except: &str,
) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT handle FROM user_sessions WHERE user_id = $1 AND handle <> $2
         ORDER BY created_at DESC, last_seen_at DESC",
    )
    .bind(user_id)
    .bind(except)
    .fetch_all(pool)
    .await)
}

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

/// How many live sessions `user_id` has.
pub async fn count_of(db: &Db, user_id: i64) -> Result<u64, sqlx::Error> {
    let count: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_sessions WHERE user_id = $1 AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now())
    .fetch_one(pool)
    .await)?;
    Ok(count.max(0) as u64)
}

/// How many live sessions each of `user_ids` has; users without any are left out.
pub async fn counts_of(db: &Db, user_ids: &[i64]) -> Result<HashMap<i64, u64>, sqlx::Error> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // One page of users at most (100), so the list is short; ids are integers, never text.
    let ids = user_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT user_id, COUNT(*) FROM user_sessions
         WHERE expires_at > $1 AND user_id IN ({ids}) GROUP BY user_id"
    );
    let rows: Vec<(i64, i64)> =
        on_db!(db, pool => sqlx::query_as(&sql).bind(now()).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, count)| (user_id, count.max(0) as u64))
        .collect())
}

/// How many live sessions there are in all, for `/metrics`.
pub async fn live_total(db: &Db) -> Result<u64, sqlx::Error> {
    let count: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_sessions WHERE expires_at > $1",
    )
    .bind(now())
    .fetch_one(pool)
    .await)?;
    Ok(count.max(0) as u64)
}

/// Deletes the rows of sessions past their expiry: the store has already dropped them.
pub async fn prune_expired(db: &Db) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM user_sessions WHERE expires_at <= $1")
        .bind(now())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
}
