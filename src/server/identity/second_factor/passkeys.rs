//! The `passkeys` table: an account's WebAuthn credentials. Only this module runs SQL on it.
//!
//! # Security (SECURITY M4)
//! - A credential id is registered once, to one account (a unique index).
//! - Taking a sign-in is one conditional `UPDATE`: the signature counter must move forward
//!   (or stay 0, for synced passkeys that do not count), and the assertion's challenge must
//!   differ from the one last taken, so of parallel requests with one assertion exactly one
//!   signs in, on every instance.
//! - The user handle an authenticator stores is random, the same for all of an account's
//!   passkeys, and checked against the credential at sign-in.

use webauthn_rs::prelude::Passkey;

use crate::{
    on_db, on_tx,
    server::db::{Db, Tx, clock::now},
};

/// Passkeys one account may have.
pub const MAX_PER_ACCOUNT: i64 = 20;

/// One stored passkey.
#[derive(Clone, Debug)]
pub struct Stored {
    pub id: i64,
    pub user_id: i64,
    pub user_handle: Vec<u8>,
    pub name: String,
    pub passkey: Passkey,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

type Row = (i64, i64, Vec<u8>, String, String, i64, Option<i64>);

const COLUMNS: &str = "id, user_id, user_handle, name, passkey, created_at, last_used_at";

fn parse(row: Row) -> Result<Stored, sqlx::Error> {
    let (id, user_id, user_handle, name, passkey, created_at, last_used_at) = row;
    let passkey = serde_json::from_str(&passkey).map_err(|err| sqlx::Error::ColumnDecode {
        index: "passkey".into(),
        source: Box::new(err),
    })?;
    Ok(Stored {
        id,
        user_id,
        user_handle,
        name,
        passkey,
        created_at,
        last_used_at,
    })
}

fn encode(passkey: &Passkey) -> Result<String, sqlx::Error> {
    serde_json::to_string(passkey).map_err(|err| sqlx::Error::Encode(Box::new(err)))
}

/// The account's passkeys, oldest first.
pub async fn list(db: &Db, user_id: i64) -> Result<Vec<Stored>, sqlx::Error> {
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY id",
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    rows.into_iter().map(parse).collect()
}

/// How many passkeys the account has.
pub async fn count(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await)
}

/// The passkey with this credential id, whoever's it is.
pub async fn by_credential(db: &Db, credential_id: &[u8]) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1",
    ))
    .bind(credential_id)
    .fetch_optional(pool)
    .await)?;
    row.map(parse).transpose()
}

/// The handle the account's authenticators know it by: its passkeys' own, or a new random one
/// for its first.
pub async fn user_handle(db: &Db, user_id: i64) -> Result<[u8; 16], sqlx::Error> {
    let existing: Option<Vec<u8>> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT user_handle FROM passkeys WHERE user_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(existing
        .and_then(|handle| <[u8; 16]>::try_from(handle.as_slice()).ok())
        .unwrap_or_else(rand::random))
}

/// Adds a verified passkey; `None` when its credential is registered already (to this account
/// or another), or the account has [`MAX_PER_ACCOUNT`].
pub async fn add(
    tx: &mut Tx,
    user_id: i64,
    user_handle: &[u8],
    name: &str,
    passkey: &Passkey,
) -> Result<Option<Stored>, sqlx::Error> {
    let json = encode(passkey)?;
    let now = now();
    let credential_id: &[u8] = passkey.cred_id().as_ref();
    let row: Option<Row> = on_tx!(tx, conn => sqlx::query_as(&format!(
        "INSERT INTO passkeys (user_id, user_handle, credential_id, name, passkey, created_at)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE (SELECT COUNT(*) FROM passkeys WHERE user_id = $1) < $7
         ON CONFLICT (credential_id) DO NOTHING
         RETURNING {COLUMNS}",
    ))
    .bind(user_id)
    .bind(user_handle)
    .bind(credential_id)
    .bind(name)
    .bind(&json)
    .bind(now)
    .bind(MAX_PER_ACCOUNT)
    .fetch_optional(conn)
    .await)?;
    row.map(parse).transpose()
}

/// Records a sign-in with `passkey` (its counter and flags updated from the assertion), taken
/// once: `false` when the counter did not move forward or this challenge was taken already.
pub async fn take_sign_in(
    db: &Db,
    id: i64,
    passkey: &Passkey,
    counter: u32,
    challenge: &[u8],
) -> Result<bool, sqlx::Error> {
    let json = encode(passkey)?;
    let done = on_db!(db, pool => sqlx::query(
        "UPDATE passkeys SET passkey = $2, sign_count = $3, last_challenge = $4, last_used_at = $5
         WHERE id = $1
           AND (sign_count < $3 OR ($3 = 0 AND sign_count = 0))
           AND (last_challenge IS NULL OR last_challenge <> $4)",
    )
    .bind(id)
    .bind(&json)
    .bind(i64::from(counter))
    .bind(challenge)
    .bind(now())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Renames one of the account's passkeys; `None` when it has no such passkey.
pub async fn rename(
    db: &Db,
    user_id: i64,
    id: i64,
    name: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(&format!(
        "UPDATE passkeys SET name = $3 WHERE id = $2 AND user_id = $1 RETURNING {COLUMNS}",
    ))
    .bind(user_id)
    .bind(id)
    .bind(name)
    .fetch_optional(pool)
    .await)?;
    row.map(parse).transpose()
}

/// Removes one of the account's passkeys; its name, or `None` when it has no such passkey.
pub async fn remove(tx: &mut Tx, user_id: i64, id: i64) -> Result<Option<String>, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "DELETE FROM passkeys WHERE id = $2 AND user_id = $1 RETURNING name",
    )
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await)
}

/// Removes every passkey of the account; how many there were.
pub async fn remove_all(tx: &mut Tx, user_id: i64) -> Result<u64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))
}
