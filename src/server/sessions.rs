//! Where sessions live. tower-sessions owns the cookie and the per-request [`Session`]; this
//! module picks the store — Redis when `redis_url` is set, otherwise the embedded SQL store that
//! survives restarts — and wraps it so the store never sees a usable session id.
//!
//! [`Session`]: tower_sessions::Session

use std::{fmt, sync::Arc, time::Duration};

use anyhow::Context;
use async_trait::async_trait;
use fred::{
    clients::Pool as RedisPool,
    interfaces::ClientLike,
    types::config::{Config as RedisConfig, ReconnectPolicy},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store::{Error as StoreError, Result as StoreResult},
};
use tower_sessions_redis_store::RedisStore;

use super::{config::Settings, db::Db};
use crate::on_db;

/// How long one Redis command may take before the store counts as unavailable. Short, so that a
/// dead Redis turns into a quick 503 rather than a hanging request.
const REDIS_COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// How long start-up waits for Redis before serving anyway (and answering 503 on `/readyz`).
const REDIS_STARTUP_WAIT: Duration = Duration::from_secs(3);

/// How often the embedded store deletes expired sessions.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The session store behind [`HashedStore`].
#[derive(Clone, Debug)]
pub enum Backend {
    /// Shared by every instance; the production choice.
    Redis(RedisStore<RedisPool>, RedisPool),
    /// A table in the app's own database: zero services to run, and sessions outlive restarts.
    Sql(SqlStore),
}

impl Backend {
    /// Chooses Redis when `redis_url` is set, else the embedded store in `db`.
    pub async fn from_settings(settings: &Settings, db: &Db) -> anyhow::Result<Self> {
        let Some(url) = &settings.redis_url else {
            return Ok(Backend::Sql(SqlStore::new(db.clone())));
        };
        let pool = connect_redis(url.expose()).await?;
        Ok(Backend::Redis(RedisStore::new(pool.clone()), pool))
    }

    /// The Redis pool, when sessions live in Redis (login throttling shares it).
    pub fn redis(&self) -> Option<&RedisPool> {
        match self {
            Backend::Redis(_, pool) => Some(pool),
            Backend::Sql(_) => None,
        }
    }

    /// Whether the store answers, for `/readyz`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        match self {
            Backend::Redis(_, pool) => pool
                .ping::<()>(None)
                .await
                .context("Redis did not answer PING"),
            Backend::Sql(store) => store
                .db
                .ping()
                .await
                .context("the session table did not answer"),
        }
    }

    /// A short name for logs and `/readyz`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Redis(..) => "redis",
            Backend::Sql(_) => "embedded",
        }
    }

    /// Starts the background task that removes expired sessions from the embedded store (Redis
    /// expires keys itself) and expired rows from the session index.
    pub fn spawn_cleanup(&self, db: Db) {
        let store = match self {
            Backend::Sql(store) => Some(store.clone()),
            Backend::Redis(..) => None,
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
                if let Err(err) = super::session_index::prune_expired(&db).await {
                    tracing::warn!(error = %err, "could not prune the session index");
                }
            }
        });
    }
}

/// Connects a small Redis pool that reconnects forever in the background and fails commands
/// quickly while Redis is away, so requests answer 503 instead of hanging.
async fn connect_redis(url: &str) -> anyhow::Result<RedisPool> {
    let mut config = RedisConfig::from_url(url).context("parsing redis_url")?;
    // Keep retrying in the background rather than refusing to start: `/readyz` reports the
    // outage and the app recovers when Redis returns.
    config.fail_fast = false;
    let pool = fred::types::Builder::from_config(config)
        .with_performance_config(|perf| perf.default_command_timeout = REDIS_COMMAND_TIMEOUT)
        .with_connection_config(|conn| {
            conn.connection_timeout = REDIS_COMMAND_TIMEOUT;
            conn.internal_command_timeout = REDIS_COMMAND_TIMEOUT;
            conn.max_command_attempts = 1;
        })
        .set_policy(ReconnectPolicy::new_constant(0, 250))
        .build_pool(4)
        .context("configuring the Redis client")?;
    // The connection task runs (and reconnects) for the life of the process.
    drop(pool.connect());
    if tokio::time::timeout(REDIS_STARTUP_WAIT, pool.wait_for_connect())
        .await
        .is_err()
    {
        tracing::warn!(
            "Redis is not answering yet; starting anyway and retrying in the background"
        );
    }
    Ok(pool)
}

#[async_trait]
impl SessionStore for Backend {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        match self {
            Backend::Redis(store, _) => store.create(record).await,
            Backend::Sql(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        match self {
            Backend::Redis(store, _) => store.save(record).await,
            Backend::Sql(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        match self {
            Backend::Redis(store, _) => store.load(id).await,
            Backend::Sql(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        match self {
            Backend::Redis(store, _) => store.delete(id).await,
            Backend::Sql(store) => store.delete(id).await,
        }
    }
}

/// Wraps a store so that it keys every record on an HMAC-SHA256 of the session id instead of the
/// id itself.
///
/// # Security
/// A dump of Redis or of the session table (a backup, a replica, a debugging `KEYS *`) holds only
/// hashes; without the key, which lives in the SQL database, no stored key can be turned back
/// into a cookie that works (SECURITY S9). The hash also serves as the opaque handle that session
/// listings show, so the cookie value never leaves the cookie.
#[derive(Clone)]
pub struct HashedStore<S> {
    inner: S,
    key: Arc<[u8]>,
}

impl<S> fmt::Debug for HashedStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashedStore").finish_non_exhaustive()
    }
}

impl<S: SessionStore> HashedStore<S> {
    pub fn new(inner: S, key: impl Into<Arc<[u8]>>) -> Self {
        Self {
            inner,
            key: key.into(),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The id under which the store keeps the session whose cookie holds `id`.
    pub fn storage_id(&self, id: &Id) -> Id {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(&id.0.to_le_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        Id(i128::from_le_bytes(first))
    }

    fn hashed(&self, record: &Record) -> Record {
        Record {
            id: self.storage_id(&record.id),
            data: record.data.clone(),
            expiry_date: record.expiry_date,
        }
    }

    /// Deletes a session by its storage id (the handle shown in session listings).
    pub async fn delete_by_storage_id(&self, storage_id: &Id) -> StoreResult<()> {
        self.inner.delete(storage_id).await
    }
}

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for HashedStore<S> {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        loop {
            let mut stored = self.hashed(record);
            let wanted = stored.id;
            self.inner.create(&mut stored).await?;
            if stored.id == wanted {
                return Ok(());
            }
            // The inner store found the hash taken and stored the record under an id of its own
            // choosing, which no cookie maps to. Undo that and try a fresh cookie id.
            self.inner.delete(&stored.id).await?;
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        self.inner.save(&self.hashed(record)).await
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        Ok(self
            .inner
            .load(&self.storage_id(id))
            .await?
            .map(|mut record| {
                record.id = *id;
                record
            }))
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.inner.delete(&self.storage_id(id)).await
    }
}

/// The embedded store: one row per session in the app's SQL database.
#[derive(Clone, Debug)]
pub struct SqlStore {
    db: Db,
}

impl SqlStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn backend_error(err: sqlx::Error) -> StoreError {
    StoreError::Backend(err.to_string())
}

fn encode(record: &Record) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(record).map_err(|err| StoreError::Encode(err.to_string()))
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        loop {
            let data = encode(record)?;
            let id = record.id.to_string();
            let expires = record.expiry_date.unix_timestamp();
            let inserted = on_db!(&self.db, pool => sqlx::query(
                "INSERT INTO session_records (id, data, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&id)
            .bind(&data)
            .bind(expires)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
            .map_err(backend_error)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        let data = encode(record)?;
        let id = record.id.to_string();
        let expires = record.expiry_date.unix_timestamp();
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO session_records (id, data, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(&id)
        .bind(&data)
        .bind(expires)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
        .map_err(backend_error)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let id = id.to_string();
        let data: Option<Vec<u8>> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT data FROM session_records WHERE id = $1 AND expires_at > $2",
        )
        .bind(&id)
        .bind(now)
        .fetch_optional(pool)
        .await)
        .map_err(backend_error)?;
        data.map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|err| StoreError::Decode(err.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        let id = id.to_string();
        on_db!(&self.db, pool => sqlx::query("DELETE FROM session_records WHERE id = $1")
            .bind(&id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .map_err(backend_error)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SqlStore {
    async fn delete_expired(&self) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        on_db!(&self.db, pool => sqlx::query("DELETE FROM session_records WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .map_err(backend_error)?;
        Ok(())
    }
}

/// The key for [`HashedStore`], made on first start and kept in the database so every instance
/// sharing that database hashes alike.
pub async fn session_hash_key(db: &Db) -> anyhow::Result<Vec<u8>> {
    const NAME: &str = "session_id_hmac_key";
    let candidate: [u8; 32] = rand::random();
    on_db!(db, pool => {
        sqlx::query("INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(NAME)
            .bind(candidate.as_slice())
            .execute(pool)
            .await?;
        sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = $1")
            .bind(NAME)
            .fetch_one(pool)
            .await
    })
    .context("loading the session hashing key")
}

/// The store the session layer uses.
pub type Store = HashedStore<Backend>;

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::MemoryStore;

    fn record(id: i128) -> Record {
        Record {
            id: Id(id),
            data: [("user".to_owned(), serde_json::json!(7))].into(),
            expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn the_inner_store_never_sees_the_cookie_id() {
        let inner = MemoryStore::default();
        let store = HashedStore::new(inner.clone(), b"k".to_vec());
        let mut rec = record(42);
        store.create(&mut rec).await.unwrap();

        assert!(
            inner.load(&Id(42)).await.unwrap().is_none(),
            "raw id must not be a key"
        );
        let stored = inner
            .load(&store.storage_id(&Id(42)))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(stored.id, Id(42));

        let loaded = store.load(&Id(42)).await.unwrap().unwrap();
        assert_eq!(loaded.id, Id(42), "callers get their own id back");
        assert_eq!(loaded.data["user"], 7);

        store.delete(&Id(42)).await.unwrap();
        assert!(store.load(&Id(42)).await.unwrap().is_none());
    }

    #[test]
    fn the_hash_depends_on_the_key() {
        let a = HashedStore::new(MemoryStore::default(), b"one".to_vec());
        let b = HashedStore::new(MemoryStore::default(), b"two".to_vec());
        assert_ne!(a.storage_id(&Id(1)), b.storage_id(&Id(1)));
        assert_eq!(a.storage_id(&Id(1)), a.storage_id(&Id(1)));
    }
}
