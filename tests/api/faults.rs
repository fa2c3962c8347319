//! Outages and garbage: Redis or PostgreSQL going away under load turns authenticated requests
//! into quick 503s (never a hang, a panic or a 500), `/readyz` reports it, and the app recovers
//! by itself when the service returns. Bad cookies and bodies never produce a 500.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use crate::common::{Database, Sessions, Spawn, TestApp, proxy::Proxy};
use reqwest::StatusCode;

/// The host:port of a service URL such as `redis://127.0.0.1:6379` or `postgres://u:p@h:5432/db`.
fn service_addr(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, hp)| hp);
    let host_port = host_port.split('/').next().unwrap();
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port.parse().expect("a numeric host:port")
}

/// `url` with its host:port replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> String {
    let original = service_addr(url).to_string();
    url.replace(&original, &addr.to_string()).replace(
        &original.replace("127.0.0.1", "localhost"),
        &addr.to_string(),
    )
}

/// Keeps `clients` requests to `/api/users/me` going until stopped; returns every status seen
/// and the slowest answer.
fn load(
    app: &TestApp,
    cookie: String,
    clients: usize,
) -> (
    Arc<AtomicBool>,
    tokio::task::JoinHandle<(Vec<u16>, Duration)>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let url = app.url("/api/users/me");
    let handle = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut tasks = Vec::new();
            for _ in 0..clients {
                let (stop, url, cookie) = (stop.clone(), url.clone(), cookie.clone());
                tasks.push(tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let mut seen = Vec::new();
                    let mut slowest = Duration::ZERO;
                    while !stop.load(Ordering::SeqCst) {
                        let start = Instant::now();
                        let status = client
                            .get(&url)
                            .header("cookie", &cookie)
                            .timeout(Duration::from_secs(5))
                            .send()
                            .await
                            .map(|r| r.status().as_u16())
                            .unwrap_or(0);
                        slowest = slowest.max(start.elapsed());
                        seen.push(status);
                    }
                    (seen, slowest)
                }));
            }
            let mut all = Vec::new();
            let mut slowest = Duration::ZERO;
            for task in tasks {
                let (seen, slow) = task.await.unwrap();
                all.extend(seen);
                slowest = slowest.max(slow);
            }
            (all, slowest)
        }
    });
    (stop, handle)
}

/// Signs up on `app` and returns the `Cookie` header value of that session.
async fn signed_in_cookie(app: &TestApp) -> String {
    let response = app
        .post_json(
            &app.new_client(),
            "/api/auth/signup",
            serde_json::json!({"email": crate::common::unique_email(), "password": crate::common::PASSWORD, "name": "Faulty"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    crate::common::session_cookie(&response).unwrap()
}

/// The status of `/api/users/me` with `cookie`, and how long it took.
async fn me(app: &TestApp, cookie: &str) -> (StatusCode, Duration) {
    let start = Instant::now();
    let response = app.get_with_cookie("/api/users/me", cookie).await;
    (response.status(), start.elapsed())
}

/// Waits up to 15 s for `/api/users/me` to answer 200 again.
async fn recovers(app: &TestApp, cookie: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if me(app, cookie).await.0 == StatusCode::OK {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// Cuts `proxy` under load and checks the outage and the recovery.
async fn outage_under_load(app: &TestApp, proxy: &Proxy) {
    let cookie = signed_in_cookie(app).await;
    assert_eq!(me(app, &cookie).await.0, StatusCode::OK);

    let (stop, running) = load(app, cookie.clone(), 8);
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (during, took) = me(app, &cookie).await;
    let server_fn = reqwest::Client::new()
        .post(app.url("/api/fn/list_todos"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let server_fn = (
        server_fn.status(),
        server_fn.headers().get("retry-after").cloned(),
        server_fn.text().await.unwrap(),
    );
    let ready = app.get("/readyz").await;
    let (ready, ready_body) = (ready.status(), ready.text().await.unwrap());
    stop.store(true, Ordering::SeqCst);
    let (statuses, slowest) = running.await.unwrap();

    assert_eq!(during, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        server_fn.0,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        server_fn.2
    );
    assert_eq!(server_fn.1.as_ref().map(|v| v.as_bytes()), Some(&b"1"[..]));
    assert!(
        server_fn.2.contains(r#""error":"unavailable""#),
        "{}",
        server_fn.2
    );
    assert!(took < Duration::from_secs(1), "503 took {took:?}");
    assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
    // It names the part that is down, never the backend's own error text.
    let report: serde_json::Value = serde_json::from_str(&ready_body).unwrap();
    for check in report["checks"].as_array().unwrap() {
        if check["status"] == "down" {
            let why = check["error"].as_str().unwrap();
            assert!(
                why == "not answering (see the server log)" || why.starts_with("no answer within"),
                "{ready_body}"
            );
        }
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "only 200 or 503 under the outage: {:?}",
        statuses
            .iter()
            .filter(|s| **s != 200 && **s != 503)
            .collect::<Vec<_>>()
    );
    assert!(statuses.contains(&503), "the load saw the outage");
    assert!(
        slowest < Duration::from_secs(2),
        "slowest answer {slowest:?}"
    );

    proxy.restore();
    assert!(
        recovers(app, &cookie).await,
        "no recovery without a restart"
    );
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn redis_going_away_under_load_is_a_fast_503_and_the_app_recovers() {
    let proxy = Proxy::start(service_addr(&crate::common::redis_url())).await;
    let redis = through(&crate::common::redis_url(), proxy.addr);
    let app = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded).setting("redis_url", redis),
    )
    .await;
    outage_under_load(&app, &proxy).await;
}

#[tokio::test]
async fn postgres_going_away_under_load_is_a_fast_503_and_the_app_recovers() {
    let database = crate::common::fresh_postgres_database().await;
    let url = database.url.clone();
    let proxy = Proxy::start(service_addr(&url)).await;
    let mut spawn = Spawn::new(Database::Postgres, Sessions::Redis);
    spawn.database_url = Some(through(&url, proxy.addr));
    let app = TestApp::spawn_with(spawn).await;
    outage_under_load(&app, &proxy).await;
}

#[tokio::test]
async fn garbage_cookies_never_produce_a_server_error() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let long = "A".repeat(4000);
    let cookies = [
        "gatehouse=".to_owned(),
        "gatehouse=%%%%".to_owned(),
        "gatehouse=AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        format!("gatehouse={long}"),
        "gatehouse=a\tb".to_owned(),
        "gatehouse=a; gatehouse=b; gatehouse=c".to_owned(),
        "=; ;;; gatehouse".to_owned(),
        "__Host-gatehouse=x; gatehouse=y".to_owned(),
    ];
    for cookie in &cookies {
        for path in ["/api/users/me", "/api/sessions", "/todos", "/"] {
            let status = reqwest::Client::new()
                .get(app.url(path))
                .header("cookie", cookie.as_bytes())
                .send()
                .await
                .map(|r| r.status())
                .unwrap();
            assert!(
                !status.is_server_error(),
                "{status} for {path} with {cookie:?}"
            );
        }
    }
    let raw_bytes = reqwest::header::HeaderValue::from_bytes(b"gatehouse=\xff\xfe").unwrap();
    let status = reqwest::Client::new()
        .get(app.url("/api/users/me"))
        .header("cookie", raw_bytes)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// PostgreSQL refuses NUL in text: every input that could carry one is refused before SQL, or
/// answered as a client error, never a 500 (a fuzzing run found the admin search did not).
#[tokio::test]
async fn nul_characters_in_any_input_never_produce_a_server_error() {
    let (app, _) = TestApp::spawn_with_admin(Spawn::new(Database::Postgres, Sessions::Redis)).await;
    let nul = "a\u{0}b";
    let json = |value: serde_json::Value| Some(value);
    let calls: Vec<(reqwest::Method, String, Option<serde_json::Value>)> = vec![
        (
            reqwest::Method::GET,
            "/api/admin/users?query=a%00b".into(),
            None,
        ),
        (
            reqwest::Method::GET,
            "/api/admin/audit?user_id=%00".into(),
            None,
        ),
        (reqwest::Method::DELETE, "/api/sessions/a%00b".into(), None),
        (reqwest::Method::GET, "/api/customers/%00".into(), None),
        (
            reqwest::Method::POST,
            "/api/auth/login".into(),
            json(serde_json::json!({"email": format!("x{nul}@example.com"), "password": nul})),
        ),
        (
            reqwest::Method::POST,
            "/api/auth/signup".into(),
            json(
                serde_json::json!({"email": "n@example.com", "password": "long enough pass\u{0}", "name": nul}),
            ),
        ),
        (
            reqwest::Method::PATCH,
            "/api/users/me".into(),
            json(serde_json::json!({"name": nul})),
        ),
        (
            reqwest::Method::POST,
            "/api/todos".into(),
            json(serde_json::json!({"title": nul})),
        ),
        (
            reqwest::Method::POST,
            "/api/customers".into(),
            json(serde_json::json!({"name": nul, "email": nul, "company": nul, "plan": nul})),
        ),
    ];
    for (method, path, body) in calls {
        let response = app.call(&app.client, method.clone(), &path, body).await;
        let status = response.status();
        assert!(status.is_client_error(), "{status} for {method} {path}");
    }
    assert_eq!(app.me_status(&app.client).await, StatusCode::OK);
    // The failed sign-in with a NUL in its email is still in the audit trail, NUL replaced.
    let audit: serde_json::Value = app
        .call(
            &app.client,
            reqwest::Method::GET,
            "/api/admin/audit?per_page=100",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audit["events"].as_array().unwrap().iter().any(|e| {
            e["kind"] == "sign_in_failed" && e["email"].as_str().unwrap_or("").contains('\u{FFFD}')
        }),
        "{audit}"
    );
}
