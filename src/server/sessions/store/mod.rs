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
    interfaces::{ClientLike, KeysInterface},
    types::{
        Expiration, SetOptions, Value as RedisValue,
        config::{Config as RedisConfig, ReconnectPolicy, TcpConfig},
    },
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

use crate::{
    on_db,
    server::{db::Db, platform::config::Settings, sessions::index},
};

/// How long one Redis command may take before the store counts as unavailable. Short, so that a
/// dead Redis turns into a quick 503 rather than a hanging request.
const REDIS_COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// How long start-up waits for Redis before serving anyway (and answering 503 on `/readyz`).
const REDIS_STARTUP_WAIT: Duration = Duration::from_secs(3);

/// How often the embedded store deletes expired sessions.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The field under which a loaded record carries the users epoch (see [`Backend::load`]). It is
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
    /// Shared by every instance; the production choice. The string is the users epoch's key.
    Redis(RedisStore<RedisPool>, RedisPool, Arc<str>),
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
        let epoch_key = format!("{}users-epoch", settings.redis_key_prefix);
        if let Err(err) = start_epoch(&pool, &epoch_key).await {
            tracing::warn!(error = %err, "could not set up the users epoch yet");
        }
        Ok(Backend::Redis(
            RedisStore::new(pool.clone()),
            pool,
            epoch_key.into(),
        ))
    }

    /// Records that a user row changed, after the change is committed: every instance's next
    /// session load sees a new users epoch and stops trusting its cached users (SECURITY S7).
    ///
    /// The epoch is replaced by a fresh random value rather than incremented, so a key lost with
    /// a Redis restart can never come back as a value some instance cached users under.
    pub async fn announce_user_change(&self) -> StoreResult<()> {
        let epoch = fresh_epoch();
        match self {
            Backend::Redis(_, pool, key) => pool
                .set::<(), _, _>(&**key, epoch, None, None, false)
                .await
                .map_err(redis_error),
            Backend::Sql(store) => on_db!(&store.db, pool => sqlx::query(
                    "UPDATE app_counters SET value = $1 WHERE name = 'users_epoch'",
                )
                .bind(epoch)
                .execute(pool)
                .await
                .map(|_| ()))
            .map_err(backend_error),
        }
    }

    /// The Redis pool, when sessions live in Redis (login throttling shares it).
    pub fn redis(&self) -> Option<&RedisPool> {
        match self {
            Backend::Redis(_, pool, _) => Some(pool),
            Backend::Sql(_) => None,
        }
    }

    /// Whether the store answers, for `/readyz`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        match self {
            Backend::Redis(_, pool, _) => pool
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
                if let Err(err) = index::prune_expired(&db).await {
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

/// A new users epoch: random, so values never repeat (see [`Backend::announce_user_change`]).
fn fresh_epoch() -> i64 {
    rand::random::<i64>() & i64::MAX
}

fn redis_error(err: fred::error::Error) -> StoreError {
    StoreError::Backend(err.to_string())
}

/// Loads a session from Redis together with the users epoch: one `MGET`, one round trip. The
/// record is encoded as `tower-sessions-redis-store` writes it (MessagePack under the id).
async fn load_from_redis(
    pool: &RedisPool,
    epoch_key: &str,
    id: &Id,
) -> StoreResult<Option<Record>> {
    let values: Vec<RedisValue> = pool
        .mget(vec![id.to_string(), epoch_key.to_owned()])
        .await
        .map_err(redis_error)?;
    let mut values = values.into_iter();
    let Some(RedisValue::Bytes(bytes)) = values.next() else {
        return Ok(None);
    };
    let mut record: Record =
        rmp_serde::from_slice(&bytes).map_err(|err| StoreError::Decode(err.to_string()))?;
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
        None => start_epoch(pool, epoch_key).await?,
    }
    Ok(Some(record))
}

/// Creates the users epoch key unless it exists.
async fn start_epoch(pool: &RedisPool, epoch_key: &str) -> StoreResult<()> {
    pool.set::<(), _, _>(
        epoch_key,
        fresh_epoch(),
        None::<Expiration>,
        Some(SetOptions::NX),
        false,
    )
    .await
    .map_err(redis_error)
}

#[async_trait]
impl SessionStore for Backend {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        match self {
            Backend::Redis(store, ..) => store.create(record).await,
            Backend::Sql(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        match self {
            Backend::Redis(store, ..) => store.save(record).await,
            Backend::Sql(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        match self {
            Backend::Redis(_, pool, epoch_key) => load_from_redis(pool, epoch_key, id).await,
            Backend::Sql(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        match self {
            Backend::Redis(store, ..) => store.delete(id).await,
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
    /// HMAC-SHA256 already keyed: each id then costs two SHA-256 blocks rather than four.
    mac: Arc<Hmac<Sha256>>,
}

impl<S> fmt::Debug for HashedStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashedStore").finish_non_exhaustive()
    }
}

impl<S: SessionStore> HashedStore<S> {
    pub fn new(inner: S, key: &[u8]) -> Self {
        Self {
            inner,
            mac: Arc::new(Hmac::new_from_slice(key).expect("HMAC accepts any key length")),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The id under which the store keeps the session whose cookie holds `id`.
    pub fn storage_id(&self, id: &Id) -> Id {
        let mut mac = (*self.mac).clone();
        mac.update(&id.0.to_le_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        Id(i128::from_le_bytes(first))
    }

    /// The record as stored: under the hashed id, without the users epoch a load added.
    fn hashed(&self, record: &Record) -> Record {
        let mut data = record.data.clone();
        data.remove(USERS_EPOCH_FIELD);
        Record {
            id: self.storage_id(&record.id),
            data,
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
    reader: Option<SqliteReader>,
}

impl SqlStore {
    pub fn new(db: Db) -> Self {
        Self {
            reader: SqliteReader::for_db(&db),
            db,
        }
    }
}

/// The query behind every session load: the record and, in the same statement, the users epoch
/// (see [`Backend`]).
const LOAD_SQL: &str = "SELECT data, (SELECT value FROM app_counters WHERE name = 'users_epoch')
     FROM session_records WHERE id = $1 AND expires_at > $2";

/// Session loads from an embedded SQLite file, made on the request's own thread.
///
/// sqlx gives each SQLite connection a thread of its own, so every query costs two hand-offs
/// between threads; for the one query each signed-in request makes, those cost far more than
/// the query (a primary-key read of a few microseconds). These few read-only connections run it
/// inline instead. In WAL mode (which [`Db::connect`] sets) readers never wait for writers.
#[derive(Clone)]
struct SqliteReader {
    path: Arc<std::path::Path>,
    idle: Arc<std::sync::Mutex<Vec<rusqlite::Connection>>>,
}

impl fmt::Debug for SqliteReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteReader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteReader {
    /// Connections kept between loads: one per core is enough, since a load never waits.
    const MAX_IDLE: usize = 4;

    /// A reader for a SQLite database in a file; none for PostgreSQL or an in-memory database.
    fn for_db(db: &Db) -> Option<Self> {
        let Db::Sqlite(pool) = db else {
            return None;
        };
        let options = pool.connect_options();
        let path = options.get_filename();
        if path.as_os_str().is_empty() || path.to_str().is_some_and(|p| p.contains(":memory:")) {
            return None;
        }
        Some(Self {
            path: path.into(),
            idle: Default::default(),
        })
    }

    fn load(&self, id: &str, now: i64) -> rusqlite::Result<Option<(Vec<u8>, Option<i64>)>> {
        use rusqlite::OptionalExtension;
        let idle = || {
            self.idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        let reused = idle().pop();
        let connection = match reused {
            Some(connection) => connection,
            None => {
                let connection = rusqlite::Connection::open_with_flags(
                    &*self.path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                connection.busy_timeout(Duration::from_millis(250))?;
                connection
            }
        };
        let row = connection
            .prepare_cached(LOAD_SQL)?
            .query_row(rusqlite::params![id, now], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        let mut idle = idle();
        if idle.len() < Self::MAX_IDLE {
            idle.push(connection);
        }
        Ok(row)
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

    /// Loads the record and, in the same query, the users epoch (see [`Backend`]).
    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let id = id.to_string();
        let row: Option<(Vec<u8>, Option<i64>)> = match &self.reader {
            Some(reader) => reader
                .load(&id, now)
                .map_err(|err| StoreError::Backend(err.to_string()))?,
            None => on_db!(&self.db, pool => sqlx::query_as(LOAD_SQL)
                .bind(&id)
                .bind(now)
                .fetch_optional(pool)
                .await)
            .map_err(backend_error)?,
        };
        let Some((bytes, epoch)) = row else {
            return Ok(None);
        };
        let mut record: Record =
            serde_json::from_slice(&bytes).map_err(|err| StoreError::Decode(err.to_string()))?;
        if let Some(epoch) = epoch {
            record
                .data
                .insert(USERS_EPOCH_FIELD.to_owned(), epoch.into());
        }
        Ok(Some(record))
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
        let store = HashedStore::new(inner.clone(), b"k");
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

    #[tokio::test]
    async fn the_users_epoch_a_load_adds_is_never_stored() {
        let inner = MemoryStore::default();
        let store = HashedStore::new(inner.clone(), b"k");
        let mut rec = record(42);
        rec.data
            .insert(USERS_EPOCH_FIELD.to_owned(), serde_json::json!(9));
        store.create(&mut rec).await.unwrap();
        store.save(&rec).await.unwrap();

        let stored = inner
            .load(&store.storage_id(&Id(42)))
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.data.contains_key(USERS_EPOCH_FIELD));
        assert_eq!(stored.data["user"], 7, "the rest is kept");
    }

    #[test]
    fn the_storage_id_is_the_hmac_of_the_cookie_id() {
        // Sessions already stored must keep their keys across upgrades: the id is the first
        // 16 bytes of HMAC-SHA256(key, id as little-endian bytes), however it is computed.
        let store = HashedStore::new(MemoryStore::default(), b"key");
        let id = Id(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(&id.0.to_le_bytes());
        let digest = mac.finalize().into_bytes();
        let expected = i128::from_le_bytes(digest[..16].try_into().unwrap());

        assert_eq!(store.storage_id(&id), Id(expected));
        assert_eq!(store.storage_id(&id), store.storage_id(&id));
    }

    #[test]
    fn the_hash_depends_on_the_key() {
        let a = HashedStore::new(MemoryStore::default(), b"one");
        let b = HashedStore::new(MemoryStore::default(), b"two");
        assert_ne!(a.storage_id(&Id(1)), b.storage_id(&Id(1)));
        assert_eq!(a.storage_id(&Id(1)), a.storage_id(&Id(1)));
    }
}
