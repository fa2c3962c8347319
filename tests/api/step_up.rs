//! Step-up re-authentication (SECURITY S13, ASVS 7.5): sensitive actions on a session whose
//! sign-in is older than `reauth_window_secs` answer `403 reauth_required` until the user
//! confirms who they are with `POST /api/auth/reauth`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tower_sessions::{SessionStore, session::Id};

use crate::common::{Database, PASSWORD, Sessions, TestApp, session_cookie, unique_email};

on_every_backend!(
    an_old_session_confirms_the_password_before_changing_it,
    ending_every_other_session_needs_a_recent_sign_in,
    a_wrong_confirmation_is_refused_and_throttled,
);

/// Signs up on `client` and returns the session cookie (`name=value`).
pub async fn sign_up_with_cookie(app: &TestApp, client: &reqwest::Client) -> String {
    let response = app
        .post_json(
            client,
            "/api/auth/signup",
            json!({"email": unique_email(), "password": PASSWORD, "name": "Stepper"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    session_cookie(&response).unwrap()
}

/// Makes the session behind `cookie` look signed in `secs` seconds ago (the window is ten
/// minutes by default).
pub async fn age_sign_in(app: &TestApp, cookie: &str, secs: i64) {
    let id: Id = cookie.split_once('=').unwrap().1.parse().unwrap();
    let mut record = app.state.sessions.load(&id).await.unwrap().unwrap();
    let auth = record.data.get_mut("auth").unwrap();
    auth["authenticated_at"] = json!(auth["authenticated_at"].as_i64().unwrap() - secs);
    app.state.sessions.save(&record).await.unwrap();
}

async fn change_password(app: &TestApp, client: &reqwest::Client, new: &str) -> reqwest::Response {
    let body = json!({"current_password": PASSWORD, "new_password": new});
    app.call(client, Method::POST, "/api/users/me/password", Some(body))
        .await
}

async fn an_old_session_confirms_the_password_before_changing_it(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let recent = app.new_client();
    sign_up_with_cookie(&app, &recent).await;
    let fresh = change_password(&app, &recent, "a first new passphrase").await;
    assert_eq!(
        fresh.status(),
        StatusCode::NO_CONTENT,
        "a recent sign-in may"
    );

    let browser = app.new_client();
    let cookie = sign_up_with_cookie(&app, &browser).await;
    let email = app.call(&browser, Method::GET, "/api/users/me", None).await;
    let email = email.json::<Value>().await.unwrap()["email"].clone();
    age_sign_in(&app, &cookie, 11 * 60).await;

    let refused = change_password(&app, &browser, "another new passphrase").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "reauth_required", "{body}");

    let confirmed = app
        .call(
            &browser,
            Method::POST,
            "/api/auth/reauth",
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    assert!(
        session_cookie(&confirmed).is_some(),
        "confirming gives the session a new id"
    );
    let old_id = app.get_with_cookie("/api/users/me", &cookie).await;
    assert_eq!(old_id.status(), StatusCode::UNAUTHORIZED);
    let changed = change_password(&app, &browser, "another new passphrase").await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let login = app
        .log_in(
            &app.new_client(),
            email.as_str().unwrap(),
            "another new passphrase",
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
}

async fn ending_every_other_session_needs_a_recent_sign_in(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let laptop = app.new_client();
    let cookie = sign_up_with_cookie(&app, &laptop).await;
    let email = app
        .call(&laptop, Method::GET, "/api/users/me", None)
        .await
        .json::<Value>()
        .await
        .unwrap()["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let phone = app.new_client();
    assert_eq!(app.log_in(&phone, &email, PASSWORD).await.status(), 200);
    age_sign_in(&app, &cookie, 11 * 60).await;

    let refused = app
        .call(&laptop, Method::DELETE, "/api/sessions", None)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "reauth_required"
    );
    assert_eq!(app.me_status(&phone).await, StatusCode::OK, "nothing ended");
    // The same through the page's server function.
    let through_fn = laptop
        .post(app.url("/api/fn/end_other_sessions"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(through_fn.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.me_status(&phone).await, StatusCode::OK, "nothing ended");

    let confirmed = app
        .call(
            &laptop,
            Method::POST,
            "/api/auth/reauth",
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    let ended = app
        .call(&laptop, Method::DELETE, "/api/sessions", None)
        .await;
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&laptop).await, StatusCode::OK);
}

async fn a_wrong_confirmation_is_refused_and_throttled(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let browser = app.new_client();
    let cookie = sign_up_with_cookie(&app, &browser).await;
    age_sign_in(&app, &cookie, 11 * 60).await;
    let reauth = |body: Value| app.call(&browser, Method::POST, "/api/auth/reauth", Some(body));

    let both = reauth(json!({"password": PASSWORD, "credential": "x"})).await;
    let neither = reauth(json!({})).await;
    assert_eq!(both.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(neither.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = app
        .post_json(
            &app.new_client(),
            "/api/auth/reauth",
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Wrong passwords are 403 (the session is still good), then throttled like sign-ins.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            reauth(json!({"password": "not my password"}))
                .await
                .status(),
        );
    }
    assert_eq!(statuses[..5], [StatusCode::FORBIDDEN; 5], "{statuses:?}");
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.me_status(&browser).await,
        StatusCode::OK,
        "still signed in"
    );
    let still = change_password(&app, &browser, "a new passphrase here").await;
    assert_eq!(
        still.json::<Value>().await.unwrap()["error"],
        "reauth_required"
    );
}
