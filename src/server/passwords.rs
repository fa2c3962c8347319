//! Password hashing with argon2id (SECURITY P4), off the async runtime.

use std::{
    fmt,
    sync::{Arc, LazyLock},
};

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{
        PasswordHash as Phc, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
    },
};
use tokio::sync::Semaphore;

use crate::domain::Password;

/// OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most this many hashes run at once: each takes 19 MiB and a core's worth of work, so a
/// sign-in flood queues here instead of exhausting memory or starving other requests.
static HASHING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Arc::new(Semaphore::new(cores))
});

/// A PHC-format argon2id hash, as stored in `users.password_hash`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a stored hash.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// A hash of a random password, verified against when the account does not exist so that an
/// unknown email costs the same time as a wrong password (SECURITY P2).
static DUMMY: LazyLock<PasswordHash> = LazyLock::new(|| {
    let random = SaltString::generate(&mut OsRng);
    hash_blocking(random.as_str()).expect("hashing a random password")
});

fn hash_blocking(password: &str) -> anyhow::Result<PasswordHash> {
    let salt = SaltString::generate(&mut OsRng);
    let phc = argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|err| anyhow::anyhow!("argon2: {err}"))?;
    Ok(PasswordHash(phc.to_string()))
}

fn verify_blocking(password: &str, hash: &PasswordHash) -> anyhow::Result<bool> {
    let parsed = Phc::new(hash.as_str()).map_err(|err| anyhow::anyhow!("stored hash: {err}"))?;
    Ok(argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _permit = HASHING
        .clone()
        .acquire_owned()
        .await
        .context("hashing pool closed")?;
    tokio::task::spawn_blocking(work)
        .await
        .context("hashing task failed")
}

/// Hashes a new password.
pub async fn hash(password: Password) -> anyhow::Result<PasswordHash> {
    off_runtime(move || hash_blocking(password.expose())).await?
}

/// Checks `password` against `hash`, or against a dummy hash when there is none, so both
/// outcomes take the same time. Returns `false` whenever `hash` is `None`.
pub async fn verify(password: Password, hash: Option<PasswordHash>) -> anyhow::Result<bool> {
    off_runtime(move || match hash {
        Some(hash) => verify_blocking(password.expose(), &hash),
        None => verify_blocking(password.expose(), &DUMMY).map(|_| false),
    })
    .await?
}

/// Prepares the dummy hash ahead of the first sign-in, so that sign-in is not slower.
pub fn warm_up() {
    tokio::task::spawn_blocking(|| LazyLock::force(&DUMMY));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_owasp_parameters_and_verifies() {
        let password = Password::parse("a long passphrase").unwrap();
        let hash = hash(password.clone()).await.unwrap();

        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_str()
        );
        assert!(verify(password, Some(hash.clone())).await.unwrap());
        let wrong = Password::for_sign_in("a long passphrasE").unwrap();
        assert!(!verify(wrong, Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn a_missing_hash_never_verifies() {
        let password = Password::for_sign_in("anything at all").unwrap();
        assert!(!verify(password, None).await.unwrap());
    }
}
