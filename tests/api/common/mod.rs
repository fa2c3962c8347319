//! Spawns the real application for integration tests: the same `Application::build` that
//! `main` uses, on port 0, with its own fresh database (a temporary SQLite file or a new
//! PostgreSQL database, dropped with the app) and, when asked, a real Redis.
//!
//! Environment: `TEST_POSTGRES_URL` (default `postgres://postgres:postgres@127.0.0.1:5432/postgres`)
//! and `TEST_REDIS_URL` (default `redis://127.0.0.1:6379`). Tests never skip: a missing service
//! fails them. `TEST_LOG=1` shows the server's logs.
#![allow(dead_code)]

pub mod authenticator;
pub mod balancer;
pub mod proxy;
pub mod smtp;
pub mod topology;

use std::{net::SocketAddr, path::PathBuf, sync::Once};

use gatehouse::server::platform::{
    config::{Settings, toml_value::Value},
    startup::Application,
    state::AppState,
};
use leptos::config::LeptosOptions;
use sqlx::{Connection, PgConnection};

/// Which SQL backend a test app uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Database {
    Sqlite,
    Postgres,
}

/// Which session store a test app uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sessions {
    Embedded,
    Redis,
}

/// A running app and a cookie-keeping client pointed at it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub database_url: String,
    _dir: tempfile::TempDir,
    /// The PostgreSQL database this app made for itself, dropped with it (last).
    _database: Option<PostgresDatabase>,
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into())
}

/// The Redis the tests' apps use: `TEST_REDIS_URL`, or a topology a test started
/// ([`topology::with_redis_url`]).
pub fn redis_url() -> String {
    topology::redis_url_override().unwrap_or_else(|| {
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    })
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("info")
                .with_test_writer()
                .init();
        }
    });
}

/// Options for [`TestApp::spawn_with`].
pub struct Spawn {
    pub database: Database,
    pub sessions: Sessions,
    /// Extra settings, as `(key, value)` pairs of `Leptos.toml`.
    pub settings: Vec<(&'static str, Value)>,
    /// A prepared `site_root`; default: an empty temporary folder.
    pub site_root: Option<PathBuf>,
    pub hash_files: bool,
    /// Reuse this database instead of a fresh one (a restart).
    pub database_url: Option<String>,
}

impl Spawn {
    pub fn new(database: Database, sessions: Sessions) -> Self {
        Self {
            database,
            sessions,
            settings: Vec::new(),
            site_root: None,
            hash_files: false,
            database_url: None,
        }
    }

    pub fn setting(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.settings.push((key, value.into()));
        self
    }
}

impl TestApp {
    pub async fn spawn(database: Database, sessions: Sessions) -> Self {
        Self::spawn_with(Spawn::new(database, sessions)).await
    }

    pub async fn spawn_with(spawn: Spawn) -> Self {
        init_logs();
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut database = None;
        let database_url = match (spawn.database_url, spawn.database) {
            (Some(url), _) => url,
            (None, Database::Sqlite) => {
                format!("sqlite://{}", dir.path().join("test.db").display())
            }
            (None, Database::Postgres) => {
                database.insert(fresh_postgres_database().await).url.clone()
            }
        };
        let mut pairs: Vec<(&str, Value)> = vec![
            ("site_addr", "127.0.0.1:0".into()),
            ("database_url", database_url.clone().into()),
            ("session_cookie_secure", false.into()),
        ];
        if spawn.sessions == Sessions::Redis {
            pairs.push(("redis_url", redis_url().into()));
            // Throttling counters are per app, as its database is: tests running at once from
            // one address must not share them (a test may still name a prefix of its own).
            let prefix = format!("test-{}:", uuid::Uuid::new_v4().simple());
            pairs.push(("redis_key_prefix", prefix.into()));
        }
        pairs.extend(spawn.settings);
        let settings = Settings::from_pairs(pairs).expect("valid test settings");

        let site_root = spawn.site_root.unwrap_or_else(|| dir.path().join("site"));
        let leptos_options = LeptosOptions::builder()
            .output_name("gatehouse")
            .site_root(site_root.display().to_string())
            .hash_files(spawn.hash_files)
            .build();

        let app = Application::build(settings, leptos_options)
            .await
            .expect("app starts");
        let addr = app.local_addr();
        let state = app.state().clone();
        tokio::spawn(app.run_until(std::future::pending()));

        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        TestApp {
            addr,
            client,
            state,
            database_url,
            _dir: dir,
            _database: database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }
}

/// A PostgreSQL database made for one test: dropped when this is, so test runs leave none behind.
pub struct PostgresDatabase {
    pub url: String,
    pub name: String,
}

/// Creates an empty PostgreSQL database for one test.
pub async fn fresh_postgres_database() -> PostgresDatabase {
    let admin = postgres_admin_url();
    let mut conn = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|err| panic!("PostgreSQL must answer at {admin} for this test: {err}"));
    let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let base = admin
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(&admin);
    PostgresDatabase {
        url: format!("{base}/{name}"),
        name,
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (admin, name) = (postgres_admin_url(), self.name.clone());
        // Drop runs on the test's runtime, which cannot wait for a future: a thread of its own.
        // FORCE ends the connections the app still holds (its tasks outlive the test body).
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .map_err(|err| err.to_string())?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .map(drop)
                    .map_err(|err| err.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("test database {} was not dropped: {err}", self.name),
            Err(_) => eprintln!(
                "test database {} was not dropped: the thread panicked",
                self.name
            ),
        }
    }
}

/// Runs each named scenario `async fn name(Database, Sessions)` as four tests, one for every
/// pair of SQL backend and session store: SQLite or PostgreSQL, with the embedded store or Redis.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $crate::on_every_backend!(@pair sqlite_embedded, Sqlite, Embedded, $($name),*);
        $crate::on_every_backend!(@pair sqlite_redis, Sqlite, Redis, $($name),*);
        $crate::on_every_backend!(@pair postgres_embedded, Postgres, Embedded, $($name),*);
        $crate::on_every_backend!(@pair postgres_redis, Postgres, Redis, $($name),*);
    };
    (@pair $module:ident, $database:ident, $sessions:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(
                        $crate::common::Database::$database,
                        $crate::common::Sessions::$sessions,
                    )
                    .await
                }
            )*
        }
    };
}

/// A unique email for one test.
pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}

pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// A second client with its own cookie jar: another browser.
    pub fn new_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client")
    }

    pub async fn post_json(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    /// Signs up a fresh account on `client` and returns its email.
    pub async fn sign_up(&self, client: &reqwest::Client) -> String {
        let email = unique_email();
        let response = self
            .post_json(
                client,
                "/api/auth/signup",
                serde_json::json!({"email": email, "password": PASSWORD, "name": "Test User"}),
            )
            .await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::CREATED,
            "{}",
            response.text().await.unwrap()
        );
        email
    }

    pub async fn log_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_json(
            client,
            "/api/auth/login",
            serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// The status of `GET /api/users/me` for `client`: is it signed in?
    pub async fn me_status(&self, client: &reqwest::Client) -> reqwest::StatusCode {
        client
            .get(self.url("/api/users/me"))
            .send()
            .await
            .expect("request sent")
            .status()
    }

    /// A `GET` with exactly this `Cookie` header and no cookie jar.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request sent")
    }
}

impl TestApp {
    /// Any request with an optional JSON body.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    /// The id of the user signed in on `client`.
    pub async fn user_id(&self, client: &reqwest::Client) -> i64 {
        let me: serde_json::Value = client
            .get(self.url("/api/users/me"))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("a signed-in client");
        me["id"].as_i64().expect("an id")
    }

    /// Spawns an app whose `admin_emails` names one fresh address, and signs that admin up on
    /// `app.client`, verifying the address (a listed address becomes an admin only then).
    /// Returns the admin's email.
    pub async fn spawn_with_admin(spawn: Spawn) -> (Self, String) {
        let email = unique_email();
        let app = Self::spawn_with(spawn.setting("admin_emails", email.clone())).await;
        let response = app
            .post_json(
                &app.client,
                "/api/auth/signup",
                serde_json::json!({"email": email, "password": PASSWORD, "name": "Admin"}),
            )
            .await;
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        app.verify_email(&email).await;
        (app, email)
    }

    /// The newest mail the outbox holds for `to` (sent or not), as text.
    pub async fn outbox_text(&self, to: &str) -> String {
        let found: Option<String> = gatehouse::on_db!(&self.state.db, pool => sqlx::query_scalar(
            "SELECT text_body FROM mail_outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(to)
        .fetch_optional(pool)
        .await
        .unwrap());
        found.unwrap_or_else(|| panic!("no mail to {to} in the outbox"))
    }

    /// The token of the `{path}?token=` link in the newest mail to `to`.
    pub async fn outbox_token(&self, to: &str, path: &str) -> String {
        let text = self.outbox_text(to).await;
        let marker = format!("{path}?token=");
        let start = text
            .find(&marker)
            .unwrap_or_else(|| panic!("no {path} link in {text}"))
            + marker.len();
        text[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// Verifies `email` with the link its sign-up mail holds.
    pub async fn verify_email(&self, email: &str) {
        let token = self.outbox_token(email, "/verify-email").await;
        let verified = self
            .post_json(
                &self.new_client(),
                "/api/auth/verify-email",
                serde_json::json!({ "token": token }),
            )
            .await;
        assert_eq!(verified.status(), reqwest::StatusCode::OK);
    }
}

/// `name=value` of the session cookie a response set.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookie_header(response)
        .map(|header| header.split(';').next().unwrap_or_default().to_owned())
}

/// The whole `Set-Cookie` header for the session cookie.
pub fn set_cookie_header(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("gatehouse=") || value.starts_with("__Host-gatehouse="))
        .map(str::to_owned)
}
