//! The `email_tokens` table: the one-time tokens that mailed links carry (verification, password
//! reset, email change). Only this module runs SQL on it.
//!
//! # Security
//! A token is 256 random bits from the operating system's CSPRNG, sent once in a link; the
//! table keeps only its SHA-256, so a dump of the database opens nothing. Using one is a single
//! `UPDATE … WHERE used_at IS NULL AND expires_at > now RETURNING`, so of parallel uses exactly
//! one succeeds, and an expired or used token never does (SECURITY E1).

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    on_db, on_tx,
    server::db::{Db, Tx, clock::now},
};

/// What a token is for; each is used only for its own purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
        }
    }
}

/// What a used token stood for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Used {
    pub user_id: i64,
    /// For an email change: the address to move to.
    pub new_email: Option<String>,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Makes a token for `user_id` that works for `ttl_secs`; returns it, to be mailed (it is not
/// kept).
pub async fn issue(
    tx: &mut Tx,
    user_id: i64,
    purpose: Purpose,
    ttl_secs: u64,
    new_email: Option<&str>,
) -> Result<String, sqlx::Error> {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64_url(&bytes);
    let now = now();
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO email_tokens (token_hash, user_id, purpose, new_email, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash(&token))
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(new_email)
    .bind(now)
    .bind(now + ttl_secs as i64)
    .execute(conn)
    .await
    .map(drop))?;
    Ok(token)
}

/// Uses `token` for `purpose`: what it stood for, or `None` when it is unknown, used, revoked,
/// expired or for something else. Of parallel uses, one gets it.
pub async fn take(tx: &mut Tx, token: &str, purpose: Purpose) -> Result<Option<Used>, sqlx::Error> {
    // Tokens are base64url of 32 bytes: anything else names no token (and reaches no SQL).
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let row: Option<(i64, Option<String>)> = on_tx!(tx, conn => sqlx::query_as(
        "UPDATE email_tokens SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING user_id, new_email",
    )
    .bind(now())
    .bind(hash(token))
    .bind(purpose.as_str())
    .fetch_optional(conn)
    .await)?;
    Ok(row.map(|(user_id, new_email)| Used { user_id, new_email }))
}

/// Whether `token` would work for `purpose` now (it stays unused).
pub async fn usable(db: &Db, token: &str, purpose: Purpose) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT user_id FROM email_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(hash(token))
    .bind(purpose.as_str())
    .bind(now())
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Revokes every unused token of `user_id` for `purpose`.
pub async fn revoke(tx: &mut Tx, user_id: i64, purpose: Purpose) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now())
    .bind(user_id)
    .bind(purpose.as_str())
    .execute(conn)
    .await
    .map(drop))
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0_u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_base64url_of_32_bytes() {
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64_url(b"Man"), "TWFu");
        let token = base64_url(&[7; 32]);
        assert_eq!(token.len(), 43);
    }

    #[test]
    fn only_a_hash_is_kept() {
        assert_eq!(hash("abc").len(), 64);
        assert_ne!(hash("abc"), "abc");
    }
}
