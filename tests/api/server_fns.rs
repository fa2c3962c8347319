//! Server functions (`/api/fn/*`): every one that the registry holds is a POST under the prefix
//! and is refused cross-site; they answer with the API's error kinds and statuses; a GET
//! changes nothing; a plain form post works without JavaScript; and every private page's first
//! HTML already holds the user's data.

use std::collections::BTreeSet;

use leptos::server_fn::axum::server_fn_paths;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{Database, Sessions, Spawn, TestApp};

on_every_backend!(
    every_private_page_is_rendered_with_the_users_data,
    every_server_function_refuses_a_cross_site_post_with_a_valid_cookie,
    server_functions_answer_with_the_apis_error_kinds,
    a_form_post_without_javascript_changes_a_todo_and_returns_to_the_page,
);

/// The registered server functions, as the router mounts them.
fn registered() -> BTreeSet<(String, Method)> {
    server_fn_paths()
        .map(|(path, method)| {
            (
                path.to_owned(),
                Method::from_bytes(method.as_str().as_bytes()).unwrap(),
            )
        })
        .collect()
}

/// `POST /api/fn/{name}` with URL-encoded arguments, as the browser's server-function client
/// sends them.
async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    args: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(&format!("/api/fn/{name}")))
        .header("accept", "application/json")
        .form(args)
        .send()
        .await
        .expect("request sent")
}

async fn json(response: reqwest::Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

#[test]
fn every_server_function_is_a_post_under_the_prefix() {
    let registered = registered();
    let names: BTreeSet<&str> = registered
        .iter()
        .map(|(path, _)| path.strip_prefix("/api/fn/").expect("under /api/fn/"))
        .collect();
    for (path, method) in &registered {
        assert_eq!(
            method,
            Method::POST,
            "{path}: only POST, so no GET changes state"
        );
    }
    for expected in [
        "list_todos",
        "create_todo",
        "update_todo",
        "delete_todo",
        "list_sessions",
        "end_session",
        "end_other_sessions",
        "update_profile",
        "change_password",
        "list_customers",
        "create_customer",
        "update_customer",
        "delete_customer",
        "admin_list_users",
        "admin_update_user",
        "admin_user_sessions",
        "admin_end_user_sessions",
        "admin_audit",
    ] {
        assert!(
            names.contains(expected),
            "{expected} is registered: {names:?}"
        );
    }
}

async fn every_private_page_is_rendered_with_the_users_data(db: Database, sessions: Sessions) {
    let (app, admin_email) = TestApp::spawn_with_admin(Spawn::new(db, sessions)).await;
    let user = app.new_client();
    let user_email = app.sign_up(&user).await;
    let todo = call(&app, &user, "create_todo", &[("title", "water the ferns")]).await;
    assert_eq!(todo.status(), StatusCode::OK);
    gatehouse::server::customers::repo::create(
        &app.state.db,
        "Grace Hopper",
        "grace@navy.example",
        "Compilers",
        "enterprise",
    )
    .await
    .unwrap();
    let page = |client: reqwest::Client, path: &'static str| {
        let url = app.url(path);
        async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            response.text().await.unwrap()
        }
    };

    let todos = page(user.clone(), "/todos").await;
    let profile = page(user.clone(), "/profile").await;
    let sessions_page = page(user.clone(), "/sessions").await;
    let customers = page(user.clone(), "/customers").await;
    let admin = page(app.client.clone(), "/admin").await;

    assert!(todos.contains("water the ferns"), "/todos: {todos}");
    assert!(!todos.contains("Loading todos"), "/todos: {todos}");
    assert!(profile.contains(&user_email), "/profile: {profile}");
    assert!(
        profile.contains(r#"value="Test User""#),
        "/profile: {profile}"
    );
    assert!(
        sessions_page.contains("This device"),
        "/sessions: {sessions_page}"
    );
    assert!(
        sessions_page.contains("127.0.0.1"),
        "/sessions: {sessions_page}"
    );
    assert!(
        customers.contains("Grace Hopper"),
        "/customers: {customers}"
    );
    assert!(
        customers.contains("grace@navy.example"),
        "/customers: {customers}"
    );
    assert!(admin.contains(&user_email), "/admin lists users: {admin}");
    assert!(admin.contains(&admin_email), "/admin lists users: {admin}");
    assert!(!admin.contains("Loading users"), "/admin: {admin}");
}

async fn every_server_function_refuses_a_cross_site_post_with_a_valid_cookie(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = TestApp::spawn_with_admin(Spawn::new(db, sessions)).await;
    let registered = registered();
    assert!(registered.len() >= 18, "{registered:?}");

    for (path, _) in &registered {
        for (header, value) in [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ] {
            let response = app
                .client
                .post(app.url(path))
                .header(header, value)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("title=forged&id=1&name=Mallory&email=m%40evil.example&new_password=pwned%20pwned%20pwned")
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} with {header}"
            );
            assert_eq!(json(response).await["error"], "forbidden", "{path}");
        }
    }
    // Nothing was done: the admin's todos and name are as they were, and they are still
    // signed in, with one session.
    let listed = json(call(&app, &app.client, "list_todos", &[]).await).await;
    assert_eq!(listed, serde_json::json!([]));
    let me = json(app.get("/api/users/me").await).await;
    assert_eq!(me["name"], "Admin");
    let sessions = json(call(&app, &app.client, "list_sessions", &[]).await).await;
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    // The same call from the app's own pages goes through.
    let same_site = app
        .client
        .post(app.url("/api/fn/create_todo"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("title", "mine")])
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), StatusCode::OK);
}

async fn server_functions_answer_with_the_apis_error_kinds(db: Database, sessions: Sessions) {
    let (app, _) = TestApp::spawn_with_admin(Spawn::new(db, sessions)).await;
    let anonymous = app.new_client();
    let user = app.new_client();
    app.sign_up(&user).await;
    let user_id = app.user_id(&user).await.to_string();

    let cases: Vec<(reqwest::Response, StatusCode, &str)> = vec![
        (
            call(&app, &anonymous, "list_todos", &[]).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            call(&app, &user, "admin_list_users", &[]).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            call(&app, &user, "delete_todo", &[("id", "999999")]).await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            call(&app, &user, "create_todo", &[("title", "   ")]).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            call(&app, &user, "update_todo", &[("id", "not a number")]).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            // The admin may not take their own role away.
            call(
                &app,
                &app.client,
                "admin_update_user",
                &[
                    ("id", &app.user_id(&app.client).await.to_string()),
                    ("is_admin", "false"),
                ],
            )
            .await,
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            call(
                &app,
                &app.client,
                "admin_user_sessions",
                &[("id", &user_id)],
            )
            .await,
            StatusCode::OK,
            "",
        ),
    ];
    for (response, status, kind) in cases {
        let url = response.url().path().to_owned();
        assert_eq!(response.status(), status, "{url}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{url}");
        let body = json(response).await;
        if !kind.is_empty() {
            assert_eq!(body["error"], kind, "{url}: {body}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }

    // Wrong current passwords are throttled like the API's: 429 with Retry-After.
    let mut last = None;
    for _ in 0..30 {
        let response = call(
            &app,
            &user,
            "change_password",
            &[
                ("current_password", "not my password at all"),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            last = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let throttled = last.expect("throttled within 30 wrong guesses");
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0);
    let body = json(throttled).await;
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(body["retry_after_secs"], wait);
    // The session the guesses came from is untouched.
    assert_eq!(app.me_status(&user).await, StatusCode::OK);
}

async fn a_form_post_without_javascript_changes_a_todo_and_returns_to_the_page(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn(db, sessions).await;
    app.sign_up(&app.client).await;
    let created = json(
        call(
            &app,
            &app.client,
            "create_todo",
            &[("title", "paint the fence")],
        )
        .await,
    )
    .await;
    let id = created["id"].as_i64().unwrap().to_string();

    // What a browser sends for an <ActionForm> before the WASM has loaded.
    let posted = app
        .client
        .post(app.url("/api/fn/update_todo"))
        .header("accept", "text/html,application/xhtml+xml")
        .header("sec-fetch-site", "same-origin")
        .header("referer", app.url("/todos"))
        .form(&[("id", id.as_str()), ("done", "true")])
        .send()
        .await
        .unwrap();

    assert_eq!(posted.status(), StatusCode::FOUND);
    assert_eq!(posted.headers()["location"], app.url("/todos"));
    let listed = json(call(&app, &app.client, "list_todos", &[]).await).await;
    assert_eq!(listed[0]["done"], true, "{listed}");
    let html = app.get("/todos").await.text().await.unwrap();
    assert!(html.contains(r#"aria-checked="true""#), "{html}");
}

#[tokio::test]
async fn a_get_never_runs_a_server_function() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    app.sign_up(&app.client).await;

    for (path, _) in registered() {
        let response = app
            .client
            .get(app.url(&format!("{path}?title=by%20GET&id=1")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    let listed = json(call(&app, &app.client, "list_todos", &[]).await).await;
    assert_eq!(listed, serde_json::json!([]));
}

#[tokio::test]
async fn an_unknown_server_function_is_a_json_404() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let response = app
        .client
        .post(app.url("/api/fn/no_such_function"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(response).await["error"], "not_found");
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    app.sign_up(&app.client).await;
    let title = "x".repeat(gatehouse::server::http::BODY_LIMIT + 1);

    let response = call(&app, &app.client, "create_todo", &[("title", &title)]).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(response).await["error"], "bad_request");
}
