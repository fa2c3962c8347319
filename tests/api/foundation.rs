//! The foundation: probes, 404s, request ids, static assets and the choice of backends.

use crate::common::{Database, Sessions, Spawn, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_answers_ok_while_the_process_lives() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_is_ready_on_the_embedded_defaults() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_is_ready_with_postgres_and_redis() {
    let app = TestApp::spawn(Database::Postgres, Sessions::Redis).await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["checks"][1]["name"], "session_store (redis)");
}

#[tokio::test]
async fn readyz_names_a_dead_redis_with_503() {
    // Port 1 on loopback: nothing listens there.
    let app = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded)
            .setting("redis_url", "redis://127.0.0.1:1"),
    )
    .await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(
        body["checks"][0]["status"], "ok",
        "the database is fine: {body}"
    );
    assert_eq!(body["checks"][1]["status"], "down", "{body}");
    assert!(
        body["checks"][1]["name"]
            .as_str()
            .unwrap()
            .contains("redis")
    );
    let why = body["checks"][1]["error"].as_str().unwrap();
    assert!(!why.is_empty(), "{body}");
    // The backend's own text stays in the log: it names hosts, ports and versions.
    assert!(
        !why.contains("127.0.0.1") && !why.to_lowercase().contains("refused"),
        "{body}"
    );
}

#[tokio::test]
async fn an_unknown_path_renders_the_404_page_with_status_404() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let response = app.get("/no/such/page").await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
    assert!(html.contains("<nav"), "the 404 page keeps the app's layout");
}

#[tokio::test]
async fn the_home_page_is_server_rendered() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let response = app.get("/").await;

    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Gatehouse</h1>"), "{html}");
    assert!(
        html.contains("/pkg/gatehouse"),
        "hydration scripts are linked: {html}"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_callers() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let generated = app.get("/healthz").await;
    let kept = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();

    let id = generated.headers()["x-request-id"].to_str().unwrap();
    let uuid = uuid::Uuid::parse_str(id).unwrap();
    assert_eq!(uuid.get_version_num(), 4, "a random UUID: {id}");
    let another = app.get("/healthz").await;
    assert_ne!(
        another.headers()["x-request-id"],
        id,
        "fresh for each request"
    );
    assert_eq!(kept.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn unknown_api_paths_answer_a_json_404() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    for path in ["/api", "/api/", "/api/no/such/thing"] {
        let response = app.get(path).await;

        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{path}: {body}");
    }
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_served_precompressed() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(
        site.path().join("pkg/gatehouse.abc123.js"),
        "console.log(1)",
    )
    .unwrap();
    std::fs::write(
        site.path().join("pkg/gatehouse.abc123.js.br"),
        b"brotli-bytes",
    )
    .unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    let mut spawn = Spawn::new(Database::Sqlite, Sessions::Embedded);
    spawn.site_root = Some(site.path().to_owned());
    spawn.hash_files = true;
    let app = TestApp::spawn_with(spawn).await;

    let asset = app
        .client
        .get(app.url("/pkg/gatehouse.abc123.js"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    let favicon = app.get("/favicon.svg").await;

    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.headers()["content-encoding"], "br");
    assert_eq!(asset.bytes().await.unwrap().as_ref(), b"brotli-bytes");
    assert_eq!(favicon.status(), StatusCode::OK);
    assert_eq!(
        favicon.headers()["cache-control"],
        "public, max-age=0, must-revalidate"
    );
}

#[tokio::test]
async fn html_is_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let response = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn the_sqlite_file_is_created_in_wal_mode() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let gatehouse::server::db::Db::Sqlite(pool) = &app.state.db else {
        panic!("sqlite expected")
    };

    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();

    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn embedded_sessions_survive_a_server_restart() {
    let first = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let email = first.sign_up(&first.client).await;
    let cookie = crate::common::session_cookie(
        &first
            .log_in(&first.client, &email, crate::common::PASSWORD)
            .await,
    )
    .unwrap();

    let mut spawn = Spawn::new(Database::Sqlite, Sessions::Embedded);
    spawn.database_url = Some(first.database_url.clone());
    let restarted = TestApp::spawn_with(spawn).await;

    let me = restarted.get_with_cookie("/api/users/me", &cookie).await;
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "a rebuild must not sign people out"
    );
}

#[tokio::test]
async fn the_embedded_store_deletes_expired_sessions() {
    use gatehouse::server::sessions::store::SqlStore;
    use tower_sessions::{
        ExpiredDeletion, SessionStore,
        session::{Id, Record},
    };
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let store = SqlStore::new(app.state.db.clone());
    let now = time::OffsetDateTime::now_utc();
    let mut expired = Record {
        id: Id(1),
        data: Default::default(),
        expiry_date: now - time::Duration::seconds(5),
    };
    let mut live = Record {
        id: Id(2),
        data: Default::default(),
        expiry_date: now + time::Duration::hours(1),
    };
    store.create(&mut expired).await.unwrap();
    store.create(&mut live).await.unwrap();

    assert!(
        store.load(&Id(1)).await.unwrap().is_none(),
        "an expired record never loads"
    );
    store.delete_expired().await.unwrap();

    let gatehouse::server::db::Db::Sqlite(pool) = &app.state.db else {
        panic!("sqlite expected")
    };
    let left: Vec<String> = sqlx::query_scalar("SELECT id FROM session_records")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(left, [Id(2).to_string()]);
}

#[tokio::test]
async fn the_server_stops_gracefully_when_told_to() {
    use gatehouse::server::platform::{config::Settings, startup::Application};
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_pairs([
        ("site_addr", "127.0.0.1:0".into()),
        (
            "database_url",
            format!("sqlite://{}", dir.path().join("t.db").display()).into(),
        ),
    ])
    .unwrap();
    let options = leptos::config::LeptosOptions::builder()
        .output_name("gatehouse")
        .build();
    let app = Application::build(settings, options).await.unwrap();
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let url = format!("http://{addr}/healthz");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);

    stop.send(()).unwrap();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;

    assert!(outcome.expect("stops within 5 s").unwrap().is_ok());
    assert!(reqwest::get(&url).await.is_err(), "no longer listening");
}

/// The tables and columns the migrations give, as `table.column` names, sorted.
async fn schema_of(app: &TestApp) -> Vec<String> {
    use gatehouse::server::db::Db;
    let mut names: Vec<String> = match &app.state.db {
        Db::Sqlite(pool) => sqlx::query_scalar(
            "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT table_name || '.' || column_name FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    names.sort();
    names
}

#[tokio::test]
async fn the_sqlite_and_postgres_migrations_give_the_same_tables_and_columns() {
    let sqlite = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let postgres = TestApp::spawn(Database::Postgres, Sessions::Embedded).await;
    let (sqlite, postgres) = (schema_of(&sqlite).await, schema_of(&postgres).await);
    assert!(
        sqlite.iter().any(|name| name == "users.email"),
        "{sqlite:?}"
    );
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
}

#[tokio::test]
async fn a_postgres_test_database_is_dropped_with_its_app() {
    let app = TestApp::spawn(Database::Postgres, Sessions::Embedded).await;
    let name = app
        .database_url
        .rsplit_once('/')
        .map(|(_, name)| name.to_owned())
        .unwrap();
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&crate::common::postgres_admin_url())
        .await
        .unwrap();
    let count = "SELECT count(*) FROM pg_database WHERE datname = $1";
    let before: i64 = sqlx::query_scalar(count)
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(before, 1);
    drop(app);
    let after: i64 = sqlx::query_scalar(count)
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(after, 0, "test database {name} is left behind");
}
