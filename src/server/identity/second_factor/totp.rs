//! The `totp_factors` table: an account's authenticator app (RFC 6238: six digits, 30-second
//! steps, SHA-1, one step of clock skew either way). Only this module runs SQL on it.
//!
//! # Security (SECURITY M1, M3)
//! - The 160-bit secret comes from the operating system's CSPRNG and is stored sealed with
//!   `secrets_key`, bound to its account ([`sealing`](crate::server::platform::sealing)).
//! - A code is accepted once: accepting it moves `last_step` forward in one conditional
//!   `UPDATE … WHERE last_step < step`, so of two requests with the same code (or with codes of
//!   the same or an older step) exactly one succeeds, on every instance. The code that
//!   confirmed enrolment counts as used too.

use rand::RngCore;
use totp_rs::{Algorithm, Totp};

use crate::{
    on_db, on_tx,
    server::{
        db::{Db, Tx, clock::now},
        platform::sealing::{OpenError, Sealer},
    },
};

/// The issuer the authenticator app shows beside the account.
const ISSUER: &str = "Gatehouse";
const DIGITS: u8 = 6;
const STEP_SECS: u64 = 30;

/// The authenticator of an account, its secret opened.
pub struct Factor {
    secret: Vec<u8>,
    /// As stored: confirming checks that the row still holds this secret.
    sealed: Vec<u8>,
    pub confirmed: bool,
}

/// What went wrong reading a factor.
#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// The associated data a secret is sealed with: it opens for this account only.
fn owner(user_id: i64) -> String {
    format!("totp:{user_id}")
}

/// A new random 160-bit secret (RFC 4226's recommended length).
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0_u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// The RFC 6238 parameters every authenticator app understands, for `account` (an email).
fn totp(secret: &[u8], account: &str) -> Totp {
    // Authenticator apps split the label on ':'; an email has none, but be sure.
    let account = account.replace(':', "");
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build_noncompliant()
}

/// The base32 secret and the `otpauth://` URI for enrolling `secret` in an app.
pub fn enrolment_uri(secret: &[u8], account: &str) -> (String, String) {
    let totp = totp(secret, account);
    let base32 = totp.secret().to_base32();
    let uri = totp
        .to_url()
        .unwrap_or_else(|_| format!("otpauth://totp/{ISSUER}?secret={base32}&issuer={ISSUER}"));
    (base32, uri)
}

/// The time step `code` belongs to, if it is right for `secret` now (within one step of skew).
pub fn step_of(secret: &[u8], code: &str, at: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret, "").check(&code, at)
}

impl Factor {
    /// The step `code` belongs to, if it is right now.
    pub fn step_of(&self, code: &str) -> Option<u64> {
        step_of(&self.secret, code, u64::try_from(now()).unwrap_or_default())
    }
}

/// The account's authenticator, confirmed or still being enrolled.
pub async fn load(db: &Db, sealer: &Sealer, user_id: i64) -> Result<Option<Factor>, FactorError> {
    let row: Option<(Vec<u8>, Option<i64>)> = on_db!(db, pool => sqlx::query_as(
        "SELECT secret_sealed, confirmed_at FROM totp_factors WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    let Some((sealed, confirmed_at)) = row else {
        return Ok(None);
    };
    Ok(Some(Factor {
        secret: sealer.open(&owner(user_id), &sealed)?,
        sealed,
        confirmed: confirmed_at.is_some(),
    }))
}

/// Whether the account signs in with a code (a confirmed authenticator).
pub async fn enabled(db: &Db, user_id: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await)
    .map(|n| n > 0)
}

/// Whether any account has an authenticator (then the server needs `secrets_key` to start).
pub async fn any(db: &Db) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM totp_factors")
        .fetch_one(pool)
        .await)
    .map(|n| n > 0)
}

/// Starts enrolling `secret` for the account, replacing an enrolment that was never confirmed.
/// `false` when a confirmed authenticator exists (it must be turned off first).
pub async fn begin(
    db: &Db,
    sealer: &Sealer,
    user_id: i64,
    secret: &[u8],
) -> Result<bool, sqlx::Error> {
    let sealed = sealer.seal(&owner(user_id), secret);
    let done = on_db!(db, pool => sqlx::query(
        "INSERT INTO totp_factors (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed,
             created_at = excluded.created_at, last_step = 0
         WHERE totp_factors.confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(sealed)
    .bind(now())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Confirms the enrolment of `factor` with the step of a code that is right for it; `false` if
/// it was confirmed already (by a parallel request), replaced by a newer enrolment, or is gone.
pub async fn confirm(
    tx: &mut Tx,
    user_id: i64,
    factor: &Factor,
    step: u64,
) -> Result<bool, sqlx::Error> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let done = on_tx!(tx, conn => sqlx::query(
        "UPDATE totp_factors SET confirmed_at = $2, last_step = $3
         WHERE user_id = $1 AND confirmed_at IS NULL AND last_step < $3 AND secret_sealed = $4",
    )
    .bind(user_id)
    .bind(now())
    .bind(step)
    .bind(factor.sealed.as_slice())
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Takes the step of a right code: `true` for the one request that moved `last_step` forward,
/// `false` for a code of a step already used (a replay).
pub async fn take_step(db: &Db, user_id: i64, step: u64) -> Result<bool, sqlx::Error> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let done = on_db!(db, pool => sqlx::query(
        "UPDATE totp_factors SET last_step = $2
         WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2",
    )
    .bind(user_id)
    .bind(step)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Locks the account's confirmed authenticator for the rest of `tx` (changes to its recovery
/// codes wait for each other, and for turning it off); `false` when it is not on.
pub async fn lock_enabled(tx: &mut Tx, user_id: i64) -> Result<bool, sqlx::Error> {
    let done = on_tx!(tx, conn => sqlx::query(
        "UPDATE totp_factors SET last_step = last_step
         WHERE user_id = $1 AND confirmed_at IS NOT NULL",
    )
    .bind(user_id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Removes the account's authenticator; `true` if there was a confirmed one.
pub async fn remove(tx: &mut Tx, user_id: i64) -> Result<bool, sqlx::Error> {
    let confirmed: Option<Option<i64>> = on_tx!(tx, conn => sqlx::query_scalar(
        "DELETE FROM totp_factors WHERE user_id = $1 RETURNING confirmed_at",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await)?;
    Ok(matches!(confirmed, Some(Some(_))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (its eight-digit codes end in these six digits).
    #[test]
    fn codes_follow_rfc_6238() {
        let secret = b"12345678901234567890";
        assert_eq!(step_of(secret, "287082", 59), Some(1));
        assert_eq!(step_of(secret, "081804", 1_111_111_109), Some(37_037_036));
        assert_eq!(step_of(secret, "050471", 1_111_111_111), Some(37_037_037));
        // One step of skew either way, not two.
        assert_eq!(step_of(secret, "287082", 59 + 30), Some(1));
        assert_eq!(step_of(secret, "287082", 59 + 60), None);
        assert_eq!(step_of(secret, "28708", 59), None, "too short");
        assert_eq!(step_of(secret, "28708a", 59), None, "not digits");
        assert_eq!(
            step_of(secret, "287 082", 59),
            Some(1),
            "spaces are ignored"
        );
    }

    #[test]
    fn the_uri_names_the_issuer_and_the_account() {
        let (base32, uri) = enrolment_uri(b"12345678901234567890", "ada@example.com");
        assert_eq!(base32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(
            uri.starts_with("otpauth://totp/Gatehouse:ada%40example.com?"),
            "{uri}"
        );
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{uri}"
        );
        assert!(uri.contains("issuer=Gatehouse"), "{uri}");
    }
}
