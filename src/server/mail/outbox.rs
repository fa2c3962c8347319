//! The `mail_outbox` table: mail waiting to be sent, and mail sent. Only this module runs SQL on
//! it.
//!
//! # Security (SECURITY C4)
//! A waiting message's bodies may hold a live link (a reset, a verification). Once it is sent
//! they are erased, so a dump of the database opens nothing; the row itself (recipient,
//! subject, Message-ID, when) stays for `mail_retention_secs` and is then deleted.

use sqlx::FromRow;

use super::Mail;
use crate::{
    on_db, on_tx,
    server::db::{Db, Tx, clock::now},
};

/// A message as the outbox keeps it.
#[derive(Clone, Debug, FromRow)]
pub struct Stored {
    pub id: i64,
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: i64,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

const COLUMNS: &str = "id, message_id, recipient, subject, text_body, html_body, created_at, \
                       attempts, sent_at, last_error";

pub(super) async fn insert(tx: &mut Tx, mail: &Mail, message_id: &str) -> Result<(), sqlx::Error> {
    let now = now();
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO mail_outbox (message_id, recipient, subject, text_body, html_body, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(message_id)
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(now)
    .execute(conn)
    .await
    .map(drop))
}

/// Takes the oldest message that is due and that no instance is sending, for `lease_secs`, and
/// counts the attempt. Of instances asking at once, each gets a different message.
pub async fn claim(db: &Db, lease_secs: i64) -> Result<Option<Stored>, sqlx::Error> {
    let now = now();
    // PostgreSQL: SKIP LOCKED lets two instances take two messages instead of one waiting on
    // the other's row. SQLite runs one write at a time, which is as good.
    let pick = match db {
        Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        Db::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE mail_outbox SET locked_until = $1 + $2, attempts = attempts + 1
         WHERE id = (SELECT id FROM mail_outbox
                     WHERE sent_at IS NULL AND next_attempt_at <= $1
                       AND (locked_until IS NULL OR locked_until <= $1)
                     ORDER BY id LIMIT 1 {pick})
         RETURNING {COLUMNS}"
    );
    on_db!(db, pool => sqlx::query_as::<_, Stored>(&sql)
        .bind(now)
        .bind(lease_secs)
        .fetch_optional(pool)
        .await)
}

/// What a sent message's bodies become.
pub const ERASED: &str = "";

/// Marks a message sent and erases its bodies: the links they held are not readable at rest.
pub async fn mark_sent(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "UPDATE mail_outbox SET sent_at = $1, locked_until = NULL, last_error = NULL,
                text_body = '', html_body = '' WHERE id = $2",
    )
    .bind(now())
    .bind(id)
    .execute(pool)
    .await
    .map(drop))
}

/// Leaves a message for another try in `delay_secs`, noting why this one failed.
pub async fn retry_later(
    db: &Db,
    id: i64,
    delay_secs: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3",
    )
    .bind(now() + delay_secs)
    .bind(error)
    .bind(id)
    .execute(pool)
    .await
    .map(drop))
}

/// Deletes the messages sent more than `retention_secs` ago; how many went.
pub async fn purge_sent(db: &Db, retention_secs: u64) -> Result<u64, sqlx::Error> {
    let before = now() - retention_secs.min(i64::MAX as u64) as i64;
    on_db!(db, pool => sqlx::query("DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
}

/// Deletes every message to `recipient`, sent or not, within `tx` (an account being deleted).
pub async fn delete_to(tx: &mut Tx, recipient: &str) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM mail_outbox WHERE recipient = $1")
        .bind(recipient)
        .execute(conn)
        .await
        .map(drop))
}

/// How many messages are waiting to be sent.
pub async fn backlog(db: &Db) -> Result<u64, sqlx::Error> {
    let count: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL",
    )
    .fetch_one(pool)
    .await)?;
    Ok(count.max(0) as u64)
}

/// The newest `limit` messages, sent or not.
pub async fn newest(db: &Db, limit: i64) -> Result<Vec<Stored>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM mail_outbox ORDER BY id DESC LIMIT $1");
    on_db!(db, pool => sqlx::query_as::<_, Stored>(&sql).bind(limit).fetch_all(pool).await)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = $1");
    on_db!(db, pool => sqlx::query_as::<_, Stored>(&sql).bind(id).fetch_optional(pool).await)
}
