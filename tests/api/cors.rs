//! CORS for separate front ends: exactly the allowed origins get credentials and preflight
//! answers, and only they pass the cross-site check for state-changing requests (SECURITY X1).

use crate::common::{Database, PASSWORD, Sessions, Spawn, TestApp};
use reqwest::{Method, StatusCode};

on_every_backend!(
    an_allowed_origin_gets_preflight_answers_and_credentials,
    only_allowed_origins_may_change_state_with_the_cookie,
    without_an_allow_list_every_other_origin_is_refused,
);

const ALLOWED: &str = "http://localhost:5173";
const OTHER: &str = "http://evil.example";

async fn app(db: Database, sessions: Sessions) -> TestApp {
    TestApp::spawn_with(Spawn::new(db, sessions).setting(
        "cors_allowed_origins",
        format!("{ALLOWED}, https://app.example.com"),
    ))
    .await
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn an_allowed_origin_gets_preflight_answers_and_credentials(
    db: Database,
    sessions: Sessions,
) {
    let app = app(db, sessions).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/todos"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };

    let allowed = preflight(ALLOWED).await.unwrap();
    let other = preflight(OTHER).await.unwrap();

    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        header(&allowed, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    assert_eq!(
        header(&allowed, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert!(
        header(&allowed, "access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(header(&other, "access-control-allow-origin").is_none());
}

async fn only_allowed_origins_may_change_state_with_the_cookie(db: Database, sessions: Sessions) {
    let app = app(db, sessions).await;
    app.sign_up(&app.client).await;
    let post = |origin: &'static str| {
        app.client
            .post(app.url("/api/todos"))
            .header("origin", origin)
            .header("sec-fetch-site", "cross-site")
            .json(&serde_json::json!({"title": "from another front end"}))
            .send()
    };

    let allowed = post(ALLOWED).await.unwrap();
    let other = post(OTHER).await.unwrap();
    let read = app
        .client
        .get(app.url("/api/users/me"))
        .header("origin", ALLOWED)
        .send()
        .await
        .unwrap();
    let read_other = app
        .client
        .get(app.url("/api/users/me"))
        .header("origin", OTHER)
        .send()
        .await
        .unwrap();

    assert_eq!(allowed.status(), StatusCode::CREATED);
    assert_eq!(
        header(&allowed, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert!(header(&other, "access-control-allow-origin").is_none());
    assert_eq!(
        header(&read, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    assert!(header(&read_other, "access-control-allow-origin").is_none());
}

async fn without_an_allow_list_every_other_origin_is_refused(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let login = app
        .client
        .post(app.url("/api/auth/login"))
        .header("origin", ALLOWED)
        .header("sec-fetch-site", "same-site")
        .json(&serde_json::json!({"email": "a@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    assert!(header(&login, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_malformed_origin_setting_stops_start_up() {
    for bad in ["localhost:5173", "http://x.example/path", "*"] {
        let error = gatehouse::server::platform::config::Settings::from_pairs(vec![(
            "cors_allowed_origins",
            bad.into(),
        )])
        .unwrap_err()
        .to_string();
        assert!(error.contains("cors_allowed_origins"), "{bad}: {error}");
    }
}
