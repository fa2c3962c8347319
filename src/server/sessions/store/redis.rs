//! Sessions in Redis, shared by every instance: the production store. Our own, on fred, in our
//! own encoding ([`codec`]); it also keeps the users epoch (see [`Backend`](super::Backend)).
//! One server, a Sentinel-watched master, or Redis Cluster, as `redis_url` says
//! ([`redis_url`](crate::server::platform::redis_url)).
//!
//! # Keys
//! On one server (and behind Sentinel, which is one master at a time):
//! - `{redis_key_prefix}session:{id}`: one session, in [`codec`]'s format, expiring with the
//!   session (`EXAT`);
//! - `{redis_key_prefix}users-epoch`: the users epoch, an integer; no expiry.
//!
//! On a cluster, a command may touch several keys only if they share a hash slot, and a
//! session's load reads its record and the users epoch in one `MGET` (one round trip). So the
//! keys carry a hash tag, one of [`SHARDS`] chosen by the session id, and every shard holds its
//! own copy of the epoch:
//! - `{redis_key_prefix}{sNN}session:{id}`;
//! - `{redis_key_prefix}{sNN}users-epoch`, for `NN` in `00`..`63`.
//!
//! The 64 tags spread sessions over every master. A change to a user writes the same new
//! epoch to all 64 copies before it is announced done (64 small `SET`s, on the rare path),
//! so the next request anywhere sees it; a read never spans slots, so nothing relies on
//! cross-slot atomicity.
//!
//! # Security
//! `save` writes only over a record that still exists (`SET … XX`), so a request still in flight
//! when its session is ended (sign-out, revocation, a password change) cannot write it back.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use async_trait::async_trait;
use fred::{
    clients::Pool as RedisPool,
    interfaces::{ClientLike, KeysInterface},
    types::{
        Expiration, Key, SetOptions, Value as RedisValue,
        config::{Config as RedisConfig, ReconnectPolicy, TcpConfig},
    },
};
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error as StoreError, Result as StoreResult},
};

use super::{USERS_EPOCH_FIELD, codec, fresh_epoch};
use crate::server::platform::redis_url::{self, RedisUrl, Topology};

/// How long one Redis command may take before the store counts as unavailable. Short, so that a
/// dead Redis turns into a quick 503 rather than a hanging request.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// How long start-up waits for Redis before serving anyway (and answering 503 on `/readyz`).
const STARTUP_WAIT: Duration = Duration::from_secs(3);

/// Hash tags on a cluster: sessions are spread over this many, each with its own copy of the
/// users epoch.
pub const SHARDS: u32 = 64;

/// The Redis session store.
#[derive(Clone, Debug)]
pub struct RedisSessions {
    pool: RedisPool,
    prefix: Arc<str>,
    /// Whether keys carry a hash tag (on a cluster).
    sharded: bool,
    /// The one epoch key (one server), held as a key so each load clones a reference.
    epoch_key: Key,
}

impl RedisSessions {
    /// Connects to `url`, keys prefixed with `prefix`, and makes sure the users epoch exists.
    pub async fn connect(url: &str, prefix: &str, ca_file: Option<&str>) -> anyhow::Result<Self> {
        let url = redis_url::parse(url).map_err(|why| anyhow::anyhow!("redis_url: {why}"))?;
        let store = Self {
            pool: connect(&url, ca_file).await?,
            prefix: prefix.into(),
            sharded: url.topology == Topology::Cluster,
            epoch_key: Key::from(format!("{prefix}users-epoch")),
        };
        if let Err(err) = store.start_epoch().await {
            tracing::warn!(error = %err, "could not set up the users epoch yet");
        }
        Ok(store)
    }

    /// The pool, which login throttling shares.
    pub fn pool(&self) -> &RedisPool {
        &self.pool
    }

    /// The hash tag of the shard that holds `id`, on a cluster.
    fn shard(id: &Id) -> u32 {
        (id.0.unsigned_abs() % u128::from(SHARDS)) as u32
    }

    /// The key of the session stored under `id`.
    pub fn key(&self, id: &Id) -> String {
        if self.sharded {
            format!("{}{{s{:02}}}session:{id}", self.prefix, Self::shard(id))
        } else {
            format!("{}session:{id}", self.prefix)
        }
    }

    /// The users epoch a load of `id` reads: the one key, or its shard's copy.
    fn epoch_key_of(&self, id: &Id) -> Key {
        if self.sharded {
            Key::from(format!(
                "{}{{s{:02}}}users-epoch",
                self.prefix,
                Self::shard(id)
            ))
        } else {
            self.epoch_key.clone()
        }
    }

    /// Every copy of the users epoch.
    fn epoch_keys(&self) -> Vec<Key> {
        if self.sharded {
            (0..SHARDS)
                .map(|shard| Key::from(format!("{}{{s{shard:02}}}users-epoch", self.prefix)))
                .collect()
        } else {
            vec![self.epoch_key.clone()]
        }
    }

    /// Stores `record` unless its id is taken; `false` when it is.
    pub async fn try_create(&self, record: &Record) -> StoreResult<bool> {
        let Some(at) = expires_at(record) else {
            // Already expired: nothing to keep, and no key that could collide.
            return Ok(true);
        };
        let set: Option<String> = self
            .pool
            .set(
                self.key(&record.id),
                codec::encode(record)?,
                Some(Expiration::EXAT(at)),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(redis_error)?;
        Ok(set.is_some())
    }

    /// Writes `record` over the stored one, if there still is one.
    pub async fn save(&self, record: &Record) -> StoreResult<()> {
        let Some(at) = expires_at(record) else {
            return self.delete(&record.id).await;
        };
        self.pool
            .set::<Option<String>, _, _>(
                self.key(&record.id),
                codec::encode(record)?,
                Some(Expiration::EXAT(at)),
                Some(SetOptions::XX),
                false,
            )
            .await
            .map_err(redis_error)?;
        Ok(())
    }

    /// Loads a session together with the users epoch: one `MGET`, one round trip.
    pub async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let values: Vec<RedisValue> = self
            .pool
            .mget(vec![Key::from(self.key(id)), self.epoch_key_of(id)])
            .await
            .map_err(redis_error)?;
        let mut values = values.into_iter();
        // fred hands valid UTF-8 (which the JSON encoding always is) over as a string.
        let mut record = match values.next() {
            Some(RedisValue::String(text)) => codec::decode(*id, text.as_bytes())?,
            Some(RedisValue::Bytes(bytes)) => codec::decode(*id, &bytes)?,
            _ => return Ok(None),
        };
        let epoch = match values.next() {
            Some(RedisValue::Bytes(text)) => std::str::from_utf8(&text)
                .ok()
                .and_then(|text| text.parse::<i64>().ok()),
            Some(RedisValue::String(text)) => text.parse::<i64>().ok(),
            Some(RedisValue::Integer(value)) => Some(value),
            _ => None,
        };
        match epoch {
            Some(epoch) => {
                record
                    .data
                    .insert(USERS_EPOCH_FIELD.to_owned(), epoch.into());
            }
            // The key is gone (a Redis restart or eviction): start a new epoch. Until it exists,
            // requests read users from SQL.
            None => self.start_epoch().await?,
        }
        Ok(Some(record))
    }

    pub async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.pool
            .del::<i64, _>(self.key(id))
            .await
            .map_err(redis_error)?;
        Ok(())
    }

    /// Deletes the record stored under `id`; `true` when there was one. Of several requests
    /// taking the same record at once, exactly one gets `true` (`DEL` is atomic).
    pub async fn take(&self, id: &Id) -> StoreResult<bool> {
        let deleted: i64 = self.pool.del(self.key(id)).await.map_err(redis_error)?;
        Ok(deleted == 1)
    }

    /// Replaces the users epoch with a fresh value: every copy, and all of them before this
    /// returns.
    pub async fn replace_epoch(&self, epoch: i64) -> StoreResult<()> {
        let writes = self
            .epoch_keys()
            .into_iter()
            .map(|key| self.pool.set::<(), _, _>(key, epoch, None, None, false));
        for written in futures::future::join_all(writes).await {
            written.map_err(redis_error)?;
        }
        Ok(())
    }

    /// Creates the users epoch unless it exists: each missing copy takes the value of the
    /// first (so the copies agree, and a user cached from one shard's session stays cached for
    /// another's).
    async fn start_epoch(&self) -> StoreResult<()> {
        let keys = self.epoch_keys();
        self.pool
            .set::<(), _, _>(
                keys[0].clone(),
                fresh_epoch(),
                None::<Expiration>,
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(redis_error)?;
        if keys.len() == 1 {
            return Ok(());
        }
        let first: Option<i64> = self.pool.get(keys[0].clone()).await.map_err(redis_error)?;
        let value = first.unwrap_or_else(fresh_epoch);
        let writes = keys[1..].iter().map(|key| {
            self.pool.set::<(), _, _>(
                key.clone(),
                value,
                None::<Expiration>,
                Some(SetOptions::NX),
                false,
            )
        });
        for written in futures::future::join_all(writes).await {
            written.map_err(redis_error)?;
        }
        Ok(())
    }

    /// Whether Redis answers, for `/readyz`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.pool
            .ping::<()>(None)
            .await
            .context("Redis did not answer PING")
    }
}

#[async_trait]
impl SessionStore for RedisSessions {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        while !self.try_create(record).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        RedisSessions::save(self, record).await
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        RedisSessions::load(self, id).await
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        RedisSessions::delete(self, id).await
    }
}

/// When `record` expires (unix seconds), or `None` if it already has.
fn expires_at(record: &Record) -> Option<i64> {
    let at = record.expiry_date.unix_timestamp();
    (at > time::OffsetDateTime::now_utc().unix_timestamp()).then_some(at)
}

/// Connects a small Redis pool that reconnects forever in the background and fails commands
/// quickly while Redis is away, so requests answer 503 instead of hanging. On a cluster it
/// follows slot moves and a replica's promotion; behind Sentinel, the new master.
async fn connect(url: &RedisUrl, ca_file: Option<&str>) -> anyhow::Result<RedisPool> {
    let mut config: RedisConfig = url
        .config(ca_file.map(std::path::Path::new))
        .map_err(|why| anyhow::anyhow!(why))?;
    // Keep retrying in the background rather than refusing to start: `/readyz` reports the
    // outage and the app recovers when Redis returns.
    config.fail_fast = false;
    let pool = fred::types::Builder::from_config(config)
        .with_performance_config(|perf| perf.default_command_timeout = COMMAND_TIMEOUT)
        .with_connection_config(|conn| {
            conn.connection_timeout = COMMAND_TIMEOUT;
            conn.internal_command_timeout = COMMAND_TIMEOUT;
            conn.max_command_attempts = 1;
            // Commands are small and answered at once: no Nagle delay between them.
            conn.tcp = TcpConfig {
                nodelay: Some(true),
                ..TcpConfig::default()
            };
        })
        .set_policy(ReconnectPolicy::new_constant(0, 250))
        .build_pool(1)
        .context("configuring the Redis client")?;
    // The connection task runs (and reconnects) for the life of the process.
    drop(pool.connect());
    if tokio::time::timeout(STARTUP_WAIT, pool.wait_for_connect())
        .await
        .is_err()
    {
        tracing::warn!(
            "Redis is not answering yet; starting anyway and retrying in the background"
        );
    }
    Ok(pool)
}

fn redis_error(err: fred::error::Error) -> StoreError {
    StoreError::Backend(err.to_string())
}
