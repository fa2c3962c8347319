//! The SQL connection: SQLite by default, PostgreSQL when `database_url` says so. Migrations for
//! the chosen backend run at start-up. Repository code uses [`on_db!`](crate::on_db) to write
//! each query once and run it on either pool.

pub mod clock;

use std::{
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use sqlx::{
    PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::platform::config::{DatabaseKind, Settings};

/// How long a request waits for a pooled connection before the database counts as unavailable:
/// short, so that a database outage answers 503 within a second instead of piling requests up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(750);

/// How often a PostgreSQL database is probed for [`Db::watch`].
const PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// A pool for whichever backend `database_url` selected.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction on whichever backend `database_url` selected: changes that must happen
/// together (an account change and the mail it sends, say) go through one of these.
#[derive(Debug)]
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut` a concrete one), as
/// [`on_db!`](crate::on_db) does for pools.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::server::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::server::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` bound to the concrete pool. Queries use `$1, $2, …` placeholders,
/// which both SQLite and PostgreSQL understand, so one query text serves both.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($pool) => $body,
            $crate::server::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    /// Connects, creating the SQLite file (and its folder) on first start, and applies pending
    /// migrations.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let url = settings.database_url.expose();
        let db = match settings.database_kind() {
            Some(DatabaseKind::Sqlite) => {
                let options = SqliteConnectOptions::from_str(url)
                    .context("parsing database_url")?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                if let Some(dir) = options.get_filename().parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("creating the database folder {}", dir.display())
                    })?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .context("opening the SQLite database")?;
                Db::Sqlite(pool)
            }
            Some(DatabaseKind::Postgres) => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect(url)
                    .await
                    .context("connecting to PostgreSQL")?;
                Db::Postgres(pool)
            }
            None => anyhow::bail!("database_url must start with sqlite:// or postgres://"),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// transaction that read first and wrote later could otherwise fail when another writer
    /// got in between, which waiting does not cure.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .context("applying database migrations")
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// A flag that says whether the database answered its latest probe (a `SELECT 1` every
    /// 250 ms, given up after 750 ms), kept by a background task. Requests that could be served
    /// from memory check it so that a database outage answers 503 everywhere, as every request
    /// that reads the database does. An embedded SQLite file cannot go away: it is always up.
    pub fn watch(&self) -> Arc<AtomicBool> {
        let up = Arc::new(AtomicBool::new(true));
        if let Db::Postgres(_) = self {
            let db = self.clone();
            let flag = up.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(PROBE_INTERVAL).await;
                    let answered = tokio::time::timeout(ACQUIRE_TIMEOUT, db.ping())
                        .await
                        .is_ok_and(|ping| ping.is_ok());
                    flag.store(answered, Ordering::Relaxed);
                }
            });
        }
        up
    }

    pub fn kind(&self) -> DatabaseKind {
        match self {
            Db::Sqlite(_) => DatabaseKind::Sqlite,
            Db::Postgres(_) => DatabaseKind::Postgres,
        }
    }

    /// Closes every pooled connection (graceful shutdown, tests).
    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}
