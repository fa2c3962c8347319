//! The embedded session store: the `session_records` table in the app's own SQL database, so
//! the default setup needs no service and sessions outlive restarts. Records are in
//! [`codec`]'s format; the table also answers the users epoch (`app_counters`) with every load.

use std::{fmt, sync::Arc, time::Duration};

use anyhow::Context;
use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store::{Error as StoreError, Result as StoreResult},
};

use super::{USERS_EPOCH_FIELD, codec};
use crate::{on_db, server::db::Db};

/// The embedded store: one row per session in the app's SQL database (`session_records`).
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
/// (see [`Backend`](super::Backend)).
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

pub(super) fn backend_error(err: sqlx::Error) -> StoreError {
    StoreError::Backend(err.to_string())
}

impl SqlStore {
    /// Replaces the users epoch (see [`Backend`](super::Backend)).
    pub(super) async fn replace_epoch(&self, epoch: i64) -> StoreResult<()> {
        on_db!(&self.db, pool => sqlx::query(
                "UPDATE app_counters SET value = $1 WHERE name = 'users_epoch'",
            )
            .bind(epoch)
            .execute(pool)
            .await
            .map(|_| ()))
        .map_err(backend_error)
    }

    /// Stores `record` unless its id is taken; `false` when it is.
    pub(super) async fn try_create(&self, record: &Record) -> StoreResult<bool> {
        let data = codec::encode(record)?;
        let id = record.id.to_string();
        let expires = record.expiry_date.unix_timestamp();
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO session_records (id, data, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(&data)
        .bind(expires)
        .execute(pool)
        .await
        .map(|done| done.rows_affected() == 1))
        .map_err(backend_error)
    }

    /// Deletes the live record stored under `id`; `true` when there was one to delete. Of several
    /// requests taking the same record at once, exactly one gets `true`.
    pub(super) async fn take(&self, id: &Id) -> StoreResult<bool> {
        let id = id.to_string();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        on_db!(&self.db, pool => sqlx::query(
            "DELETE FROM session_records WHERE id = $1 AND expires_at > $2",
        )
        .bind(&id)
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected() == 1))
        .map_err(backend_error)
    }

    /// Whether the table answers, for `/readyz`.
    pub(super) async fn ping(&self) -> anyhow::Result<()> {
        self.db
            .ping()
            .await
            .context("the session table did not answer")
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        while !self.try_create(record).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    /// Writes over the stored record only: never an insert, so a request still in flight when
    /// its session was deleted cannot bring it back. An expired row is not revived either.
    async fn save(&self, record: &Record) -> StoreResult<()> {
        let data = codec::encode(record)?;
        let id = record.id.to_string();
        let expires = record.expiry_date.unix_timestamp();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        on_db!(&self.db, pool => sqlx::query(
            "UPDATE session_records SET data = $1, expires_at = $2 WHERE id = $3 AND expires_at > $4",
        )
        .bind(&data)
        .bind(expires)
        .bind(&id)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(backend_error)
    }

    /// Loads the record and, in the same query, the users epoch (see [`Backend`](super::Backend)).
    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let key = id.to_string();
        let row: Option<(Vec<u8>, Option<i64>)> = match &self.reader {
            Some(reader) => reader
                .load(&key, now)
                .map_err(|err| StoreError::Backend(err.to_string()))?,
            None => on_db!(&self.db, pool => sqlx::query_as(LOAD_SQL)
                .bind(&key)
                .bind(now)
                .fetch_optional(pool)
                .await)
            .map_err(backend_error)?,
        };
        let Some((bytes, epoch)) = row else {
            return Ok(None);
        };
        let mut record = codec::decode(*id, &bytes)?;
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
            .map(|_| ()))
        .map_err(backend_error)
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
            .map(|_| ()))
        .map_err(backend_error)
    }
}
