//! Sign-in throttling (SECURITY P3): counts failed attempts per account, per client IP, and per
//! account-and-IP pair in fixed windows. Counters live in Redis when it is configured, so every
//! instance sees the same numbers, and in memory otherwise.
//!
//! # Security
//! The tight limit is on the account-and-IP pair: one source guessing one password is slowed at
//! once. The per-account limit is looser, so a victim signing in from elsewhere is not locked
//! out for long by someone else's guesses; the per-IP limit stops one source spraying many
//! accounts. Every lock ends with its window.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use fred::{
    clients::Pool as RedisPool,
    prelude::*,
    types::{ExpireOptions, Value},
};

/// One counter's limit.
#[derive(Clone, Copy, Debug)]
struct Limit {
    name: &'static str,
    max_failures: u64,
    window: Duration,
}

const PAIR: Limit = Limit {
    name: "pair",
    max_failures: 5,
    window: Duration::from_secs(5 * 60),
};
const ACCOUNT: Limit = Limit {
    name: "account",
    max_failures: 20,
    window: Duration::from_secs(5 * 60),
};
const IP: Limit = Limit {
    name: "ip",
    max_failures: 50,
    window: Duration::from_secs(5 * 60),
};

/// Shared counters.
#[derive(Clone, Debug)]
pub enum Throttle {
    Redis { pool: RedisPool, prefix: String },
    Memory(Arc<Mutex<HashMap<String, (u64, Instant)>>>),
}

/// Why throttling could not be checked.
#[derive(Debug, thiserror::Error)]
#[error("throttle store unavailable: {0}")]
pub struct ThrottleError(String);

impl Throttle {
    pub fn redis(pool: RedisPool, prefix: &str) -> Self {
        Throttle::Redis {
            pool,
            prefix: format!("{prefix}throttle:"),
        }
    }

    pub fn memory() -> Self {
        Throttle::Memory(Arc::default())
    }

    fn keys(email: &str, ip: &str) -> [(Limit, String); 3] {
        [
            (PAIR, format!("pair:{ip}:{email}")),
            (ACCOUNT, format!("account:{email}")),
            (IP, format!("ip:{ip}")),
        ]
    }

    /// `Ok(None)` when a sign-in for `email` from `ip` may proceed, `Ok(Some(secs))` when it must
    /// wait that long. One Redis round trip.
    pub async fn check(&self, email: &str, ip: &str) -> Result<Option<u64>, ThrottleError> {
        let keys = Self::keys(email, ip);
        let counts = match self {
            Throttle::Redis { pool, prefix } => {
                let pipeline = pool.next().pipeline();
                for (_, key) in &keys {
                    let key = format!("{prefix}{key}");
                    let () = pipeline.get(&key).await.map_err(redis_error)?;
                    let () = pipeline.ttl(&key).await.map_err(redis_error)?;
                }
                let replies: Vec<Value> = pipeline.all().await.map_err(redis_error)?;
                replies
                    .chunks(2)
                    .map(|pair| {
                        let count = pair[0].as_u64().unwrap_or(0);
                        let ttl = pair[1].as_i64().unwrap_or(0).max(0) as u64;
                        (count, ttl)
                    })
                    .collect::<Vec<_>>()
            }
            Throttle::Memory(map) => {
                let mut map = lock(map);
                let now = Instant::now();
                map.retain(|_, (_, until)| *until > now);
                keys.iter()
                    .map(|(_, key)| match map.get(key) {
                        Some((count, until)) => (*count, (*until - now).as_secs() + 1),
                        None => (0, 0),
                    })
                    .collect()
            }
        };
        let wait = keys
            .iter()
            .zip(counts)
            .filter(|((limit, _), (count, _))| *count >= limit.max_failures)
            .map(|((limit, _), (_, ttl))| {
                tracing::debug!(limit = limit.name, "sign-in throttled");
                ttl.max(1)
            })
            .max();
        Ok(wait)
    }

    /// Counts one failed sign-in. One Redis round trip.
    pub async fn failed(&self, email: &str, ip: &str) -> Result<(), ThrottleError> {
        let keys = Self::keys(email, ip);
        match self {
            Throttle::Redis { pool, prefix } => {
                let pipeline = pool.next().pipeline();
                for (limit, key) in &keys {
                    let key = format!("{prefix}{key}");
                    let () = pipeline.incr(&key).await.map_err(redis_error)?;
                    // NX: the window starts at the first failure and is not extended by later ones.
                    let () = pipeline
                        .expire(&key, limit.window.as_secs() as i64, Some(ExpireOptions::NX))
                        .await
                        .map_err(redis_error)?;
                }
                let _: Vec<Value> = pipeline.all().await.map_err(redis_error)?;
            }
            Throttle::Memory(map) => {
                let mut map = lock(map);
                let now = Instant::now();
                for (limit, key) in keys {
                    let entry = map.entry(key).or_insert((0, now + limit.window));
                    if entry.1 <= now {
                        *entry = (0, now + limit.window);
                    }
                    entry.0 += 1;
                }
            }
        }
        Ok(())
    }

    /// Forgets the pair's failures after a successful sign-in.
    pub async fn succeeded(&self, email: &str, ip: &str) -> Result<(), ThrottleError> {
        let [(_, pair), ..] = Self::keys(email, ip);
        match self {
            Throttle::Redis { pool, prefix } => pool
                .del::<(), _>(format!("{prefix}{pair}"))
                .await
                .map_err(redis_error),
            Throttle::Memory(map) => {
                lock(map).remove(&pair);
                Ok(())
            }
        }
    }
}

fn redis_error(err: Error) -> ThrottleError {
    ThrottleError(err.to_string())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
