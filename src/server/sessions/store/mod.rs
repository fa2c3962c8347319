//! Where sessions live. tower-sessions owns the cookie and the per-request [`Session`]; this
//! module picks the store — Redis ([`redis`]) when `redis_url` is set, otherwise the embedded
//! SQL store ([`sql`]) that survives restarts — and wraps it ([`hashed`]) so the store never
//! sees a usable session id. Both stores are our own, write [`codec`]'s documented format, and
//! pass the same conformance suite (`tests/api/session_stores.rs`).
//!
//! Owns the `session_records` and `app_counters` tables.
//!
//! [`Session`]: tower_sessions::Session

pub mod codec;
pub mod hashed;
pub mod redis;
pub mod sql;

use std::time::Duration;

use async_trait::async_trait;
use fred::clients::Pool as RedisPool;
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store::Result as StoreResult,
};

pub use self::{hashed::HashedStore, redis::RedisSessions, sql::SqlStore};
use crate::server::{
    db::Db,
    platform::{config::Settings, secrets},
    sessions::index,
};

/// How often the embedded store deletes expired sessions.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The field under which a loaded record carries the users epoch (see [`Backend`]). It is
/// never stored: [`HashedStore`] drops it from every record it writes.
pub const USERS_EPOCH_FIELD: &str = "__users_epoch";

/// The session store behind [`HashedStore`].
///
/// Besides sessions, the store keeps the *users epoch*: a value that changes whenever a user row
/// changes (see [`Backend::announce_user_change`]). Loading a session fetches it in the same
/// round trip and hands it over in the record's [`USERS_EPOCH_FIELD`], so a request can tell
/// whether this instance's cached copy of the user is still current without asking SQL
/// ([`UserCache`](crate::server::identity::user_cache::UserCache)).
#[derive(Clone, Debug)]
pub enum Backend {
    /// Shared by every instance; the production choice.
    Redis(RedisSessions),
    /// A table in the app's own database: zero services to run, and sessions outlive restarts.
    Sql(SqlStore),
}

impl Backend {
    /// Chooses Redis when `redis_url` is set, else the embedded store in `db`.
    pub async fn from_settings(settings: &Settings, db: &Db) -> anyhow::Result<Self> {
        match &settings.redis_url {
            Some(url) => Ok(Backend::Redis(
                RedisSessions::connect(
                    url.expose(),
                    &settings.redis_key_prefix,
                    settings.redis_tls_ca_file.as_deref(),
                )
                .await?,
            )),
            None => Ok(Backend::Sql(SqlStore::new(db.clone()))),
        }
    }

    /// Records that a user row changed, after the change is committed: every instance's next
    /// session load sees a new users epoch and stops trusting its cached users (SECURITY S7).
    ///
    /// The epoch is replaced by a fresh random value rather than incremented, so a key lost with
    /// a Redis restart can never come back as a value some instance cached users under.
    pub async fn announce_user_change(&self) -> StoreResult<()> {
        let epoch = fresh_epoch();
        match self {
            Backend::Redis(store) => store.replace_epoch(epoch).await,
            Backend::Sql(store) => store.replace_epoch(epoch).await,
        }
    }

    /// Deletes the live record stored under `id` (a storage id), answering whether this call is
    /// the one that deleted it: several requests racing to take one record get one `true`.
    pub async fn take(&self, id: &Id) -> StoreResult<bool> {
        match self {
            Backend::Redis(store) => store.take(id).await,
            Backend::Sql(store) => store.take(id).await,
        }
    }

    /// Stores `record` unless its id is taken; `false` when it is.
    pub async fn try_create(&self, record: &Record) -> StoreResult<bool> {
        match self {
            Backend::Redis(store) => store.try_create(record).await,
            Backend::Sql(store) => store.try_create(record).await,
        }
    }

    /// The Redis pool, when sessions live in Redis (login throttling shares it).
    pub fn redis(&self) -> Option<&RedisPool> {
        match self {
            Backend::Redis(store) => Some(store.pool()),
            Backend::Sql(_) => None,
        }
    }

    /// Whether the store answers, for `/readyz`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        match self {
            Backend::Redis(store) => store.ping().await,
            Backend::Sql(store) => store.ping().await,
        }
    }

    /// A short name for logs and `/readyz`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Redis(_) => "redis",
            Backend::Sql(_) => "embedded",
        }
    }

    /// Starts the background task that removes expired sessions from the embedded store (Redis
    /// expires keys itself) and expired rows from the session index.
    pub fn spawn_cleanup(&self, db: Db) {
        let store = match self {
            Backend::Sql(store) => Some(store.clone()),
            Backend::Redis(_) => None,
        };
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CLEANUP_INTERVAL);
            loop {
                tick.tick().await;
                if let Some(store) = &store
                    && let Err(err) = store.delete_expired().await
                {
                    tracing::warn!(error = %err, "could not delete expired sessions");
                }
                if let Err(err) = index::prune_expired(&db).await {
                    tracing::warn!(error = %err, "could not prune the session index");
                }
            }
        });
    }
}

/// A new users epoch: random, so values never repeat (see [`Backend::announce_user_change`]).
fn fresh_epoch() -> i64 {
    rand::random::<i64>() & i64::MAX
}

#[async_trait]
impl SessionStore for Backend {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        match self {
            Backend::Redis(store) => store.create(record).await,
            Backend::Sql(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        match self {
            Backend::Redis(store) => SessionStore::save(store, record).await,
            Backend::Sql(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        match self {
            Backend::Redis(store) => SessionStore::load(store, id).await,
            Backend::Sql(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        match self {
            Backend::Redis(store) => SessionStore::delete(store, id).await,
            Backend::Sql(store) => store.delete(id).await,
        }
    }
}

/// The key for [`HashedStore`], made on first start and kept in the database so every instance
/// sharing that database hashes alike.
pub async fn session_hash_key(db: &Db) -> anyhow::Result<Vec<u8>> {
    secrets::key(db, "session_id_hmac_key").await
}

/// The store the session layer uses.
pub type Store = HashedStore<Backend>;
