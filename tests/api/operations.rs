//! Operations: Prometheus metrics at `/metrics`, and client addresses behind trusted proxies.

use crate::common::{Database, PASSWORD, Sessions, Spawn, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_every_backend!(
    metrics_count_requests_by_route_and_status_sign_ins_and_sessions,
    invented_methods_and_paths_add_no_metric_series,
    a_metrics_token_keeps_metrics_private,
    forwarded_addresses_count_only_from_trusted_proxies,
);

async fn metrics_count_requests_by_route_and_status_sign_ins_and_sessions(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.client).await;
    app.get("/api/todos/17").await;
    app.get_with_cookie("/api/users/me", "gatehouse=nonsense")
        .await;
    app.log_in(&app.new_client(), &email, "wrong password!")
        .await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();

    for expected in [
        r#"http_requests_total{method="GET",route="/api/users/me",status="401"}"#,
        r#"http_requests_total{method="POST",route="/api/auth/signup",status="201"}"#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/users/me",status="401",le="0.005"}"#,
        r#"gatehouse_sign_ins_total{method="password",outcome="success"}"#,
        r#"gatehouse_sign_ins_total{method="password",outcome="failure"}"#,
        "gatehouse_active_sessions ",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // Labels carry the route template, never ids or other values from the URL.
    assert!(!text.contains("/api/todos/17"), "{text}");
}

async fn invented_methods_and_paths_add_no_metric_series(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    for (method, path) in [("FROB", "/api/users/me"), ("GET", "/api/no/such/thing")] {
        let response = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(path),
            )
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{method} {path}");
    }

    let text = app.get("/metrics").await.text().await.unwrap();

    assert!(
        text.contains(r#"http_requests_total{method="OTHER",route="/api/users/me",status="405"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/api/{*rest}",status="404"}"#),
        "{text}"
    );
    assert!(!text.contains("FROB"), "{text}");
    assert!(!text.contains("/api/no/such/thing"), "{text}");
}

async fn a_metrics_token_keeps_metrics_private(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(
        Spawn::new(db, sessions).setting("metrics_bearer_token", "s3cret-token"),
    )
    .await;

    let without = app.get("/metrics").await.status();
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap()
        .status();
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("s3cret-token")
        .send()
        .await
        .unwrap()
        .status();

    assert_eq!(without, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, StatusCode::UNAUTHORIZED);
    assert_eq!(right, StatusCode::OK);
}

/// Signs up through `app` with an `X-Forwarded-For` header and returns the IP the session list
/// and the audit log show.
async fn recorded_ip(app: &TestApp, forwarded_for: &str) -> String {
    let client = app.new_client();
    let response = client
        .post(app.url("/api/auth/signup"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": crate::common::unique_email(), "password": PASSWORD, "name": "Proxied"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let sessions: Vec<Value> = app
        .call(&client, Method::GET, "/api/sessions", None)
        .await
        .json()
        .await
        .unwrap();
    sessions[0]["ip"].as_str().unwrap().to_owned()
}

async fn forwarded_addresses_count_only_from_trusted_proxies(db: Database, sessions: Sessions) {
    let direct = TestApp::spawn(db, sessions).await;
    let proxied =
        TestApp::spawn_with(Spawn::new(db, sessions).setting("trusted_proxies", "127.0.0.0/8"))
            .await;

    assert_eq!(recorded_ip(&direct, "198.51.100.7").await, "127.0.0.1");
    assert_eq!(recorded_ip(&proxied, "198.51.100.7").await, "198.51.100.7");
    assert_eq!(
        recorded_ip(&proxied, "6.6.6.6, 198.51.100.8").await,
        "198.51.100.8",
        "the client's own claim on the left is ignored"
    );
}

#[tokio::test]
async fn an_invalid_trusted_proxy_stops_start_up_with_a_clear_error() {
    let result = gatehouse::server::platform::config::Settings::from_pairs(vec![(
        "trusted_proxies",
        "10.0.0.0/99".into(),
    )]);
    let error = result.unwrap_err().to_string();
    assert!(error.contains("trusted_proxies"), "{error}");
}
