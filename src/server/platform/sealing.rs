//! Encryption at rest for the few secrets the server must read back (a TOTP secret), sealed
//! with XChaCha20-Poly1305 under `secrets_key`.
//!
//! # Security
//! - The key lives in the settings, never in the database, so a copy of the database alone
//!   opens nothing (SECURITY M3).
//! - Every value gets a fresh random 192-bit nonce, so one key may seal any number of values.
//! - A value is bound to what it belongs to (the associated data names the table and the row),
//!   so a sealed value copied into another account's row does not open there.
//! - A sealed value starts with a version byte, so a later key or algorithm can coexist.

use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use rand::RngCore;

/// The first byte of every sealed value: XChaCha20-Poly1305 under `secrets_key`.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// Seals and opens values under `secrets_key`.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

/// A sealed value that did not open: another key, another owner, or altered bytes.
#[derive(Debug, thiserror::Error)]
#[error("a sealed value did not open with secrets_key (another key, another owner, or altered)")]
pub struct OpenError;

/// Reads `secrets_key`: 64 hex digits.
pub fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text.trim())
        .map_err(|_| "must be 64 hex digits (e.g. from `openssl rand -hex 32`)".to_owned())?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "must be 64 hex digits: 32 bytes (e.g. from `openssl rand -hex 32`)")?;
    if key.iter().all(|byte| *byte == key[0]) {
        return Err("must be random, not one byte repeated".into());
    }
    Ok(key)
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// Seals `plain` for `owner` (e.g. `totp:42`).
    pub fn seal(&self, owner: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0_u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain,
            aad: owner.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            // Encryption fails only for messages beyond 256 GiB.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`seal`](Self::seal) made for the same `owner`.
    pub fn open(&self, owner: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let [VERSION, rest @ ..] = sealed else {
            return Err(OpenError);
        };
        if rest.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let payload = Payload {
            msg: body,
            aad: owner.as_bytes(),
        };
        let nonce = XNonce::try_from(nonce).map_err(|_| OpenError)?;
        self.cipher.decrypt(&nonce, payload).map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        let mut key = [byte; 32];
        key[0] = 0;
        Sealer::new(&key)
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_owner_and_key() {
        let sealer = sealer(7);
        let sealed = sealer.seal("totp:1", b"secret");
        assert_eq!(sealer.open("totp:1", &sealed).unwrap(), b"secret");
        assert!(!sealed.windows(6).any(|w| w == b"secret"), "{sealed:?}");
        assert!(sealer.open("totp:2", &sealed).is_err(), "another owner");
        assert!(
            super::tests::sealer(8).open("totp:1", &sealed).is_err(),
            "another key"
        );
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(sealer.open("totp:1", &altered).is_err(), "altered");
        assert!(sealer.open("totp:1", &sealed[..10]).is_err(), "cut short");
        assert_ne!(
            sealer.seal("totp:1", b"secret"),
            sealed,
            "a fresh nonce each time"
        );
    }

    #[test]
    fn the_key_must_be_32_random_hex_bytes() {
        let good = "0f".repeat(31) + "a0";
        assert!(parse_key(&good).is_ok());
        assert!(parse_key("abc").is_err());
        assert!(parse_key(&"zz".repeat(32)).is_err());
        assert!(parse_key(&"00".repeat(32)).is_err());
        assert!(parse_key(&"0f".repeat(33)).is_err());
    }
}
