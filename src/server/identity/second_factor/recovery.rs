//! The `recovery_codes` table: single-use codes that stand in for the authenticator app when it
//! is lost. Only this module runs SQL on it.
//!
//! # Security (SECURITY M2)
//! - Each code is 12 characters from a 32-letter alphabet: 60 bits from the operating
//!   system's CSPRNG, shown once and never stored: the table keeps a SHA-256 (the codes are
//!   random, so a fast hash is enough; nothing can be guessed from it).
//! - Using one is a single `UPDATE … WHERE used_at IS NULL`, so of parallel uses exactly one
//!   succeeds. A new set deletes the old one.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::{
    on_db, on_tx,
    server::db::{Db, Tx, clock::now},
};

/// Codes in a set.
pub const COUNT: usize = 10;
/// Crockford's base32: digits and letters without i, l, o and u, 5 bits each. Typing the
/// look-alikes (o for 0, i or l for 1) still works.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const LEN: usize = 12;

/// A fresh set of codes, written `xxxx-xxxx-xxxx`.
pub fn generate() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..COUNT)
        .map(|_| {
            let raw: String = (0..LEN)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect();
            format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
        })
        .collect()
}

/// A code as typed, with case, spaces and dashes ignored and look-alikes read as digits.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect()
}

fn hash(code: &str) -> String {
    hex::encode(Sha256::digest(normalise(code).as_bytes()))
}

/// Replaces the account's codes with `codes`.
pub async fn replace(tx: &mut Tx, user_id: i64, codes: &[String]) -> Result<(), sqlx::Error> {
    remove_all(tx, user_id).await?;
    for code in codes {
        on_tx!(tx, conn => sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(hash(code))
            .execute(conn)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Deletes every code of the account.
pub async fn remove_all(tx: &mut Tx, user_id: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Uses `code` if it is one of the account's unused codes: `true` for the one request that did.
pub async fn take(db: &Db, user_id: i64, code: &str) -> Result<bool, sqlx::Error> {
    let normalised = normalise(code);
    if normalised.len() != LEN {
        return Ok(false);
    }
    let done = on_db!(db, pool => sqlx::query(
        "UPDATE recovery_codes SET used_at = $3
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(hash(code))
    .bind(now())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// The account's unused codes.
pub async fn left(db: &Db, user_id: i64) -> Result<u32, sqlx::Error> {
    let n: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await)?;
    Ok(u32::try_from(n).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_ten_distinct_codes_of_sixty_bits() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        for code in &codes {
            assert_eq!(code.len(), 14, "{code}");
            assert_eq!(normalise(code).len(), LEN);
            assert!(
                normalise(code).bytes().all(|b| ALPHABET.contains(&b)),
                "{code}"
            );
        }
        // 12 symbols of 5 bits: at least the 50 bits SECURITY M2 asks for.
        const { assert!(LEN * 5 >= 50) };
    }

    #[test]
    fn case_spaces_and_dashes_do_not_matter() {
        assert_eq!(hash("abcd-efgh-jkmn"), hash(" ABCD efgh-JKMN "));
        assert_eq!(hash("0011-abcd-efgh"), hash("oOiL-abcd-efgh"));
        assert_ne!(hash("abcd-efgh-jkmn"), hash("abcd-efgh-jkmp"));
    }
}
