//! Email/password authentication and the `/api` contract, against both backend pairs.

use crate::common::{
    Database, PASSWORD, Sessions, Spawn, TestApp, session_cookie, set_cookie_header, unique_email,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_every_backend!(
    sign_up_signs_in_with_a_hardened_cookie,
    sign_up_refuses_a_taken_email_in_any_case,
    sign_up_names_every_invalid_field,
    log_in_rotates_the_session_and_the_old_cookie_dies,
    unknown_email_and_wrong_password_look_the_same,
    a_disabled_account_cannot_log_in_and_its_cookie_dies,
    repeated_failures_are_throttled_with_retry_after,
    log_out_deletes_the_session_and_a_replayed_cookie_gets_401,
    forged_and_tampered_cookies_get_401,
    the_profile_name_can_be_changed,
    changing_the_password_ends_other_sessions,
    todos_are_private_to_their_owner,
    the_store_never_holds_a_usable_session_id,
    an_overlong_email_is_refused_before_throttling_or_auditing,
);

async fn sign_up_signs_in_with_a_hardened_cookie(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let email = unique_email();

    let response = app
        .post_json(
            &app.client,
            "/api/auth/signup",
            json!({"email": email.to_uppercase(), "password": PASSWORD, "name": " Ada "}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = set_cookie_header(&response).expect("session cookie set");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], email, "stored lower-cased");
    assert_eq!(user["name"], "Ada");
    assert_eq!(user["is_admin"], false);

    let me = app.get("/api/users/me").await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.headers()["cache-control"], "no-store");
    assert_eq!(me.json::<Value>().await.unwrap()["email"], email);
}

async fn sign_up_refuses_a_taken_email_in_any_case(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.client).await;

    let again = app
        .post_json(
            &app.new_client(),
            "/api/auth/signup",
            json!({"email": email.to_uppercase(), "password": PASSWORD, "name": "B"}),
        )
        .await;

    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "conflict");
}

async fn sign_up_names_every_invalid_field(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;

    let response = app
        .post_json(
            &app.client,
            "/api/auth/signup",
            json!({"email": "not-an-email", "password": "password123", "name": ""}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        set_cookie_header(&response).is_none(),
        "no session for a refused sign-up"
    );
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "name"], "{body}");
    assert!(
        body["fields"][1]["message"]
            .as_str()
            .unwrap()
            .contains("common"),
        "{body}"
    );
}

async fn log_in_rotates_the_session_and_the_old_cookie_dies(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let browser = app.new_client();
    let email = app.sign_up(&browser).await;
    let first = app.log_in(&browser, &email, PASSWORD).await;
    let before = session_cookie(&first).expect("cookie after first login");

    let second = app.log_in(&browser, &email, PASSWORD).await;

    assert_eq!(second.status(), StatusCode::OK);
    let after = session_cookie(&second).expect("a new cookie");
    assert_ne!(before, after, "the id must change at sign-in");
    assert_eq!(
        app.get_with_cookie("/api/users/me", &before).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_with_cookie("/api/users/me", &after).await.status(),
        StatusCode::OK
    );
}

async fn unknown_email_and_wrong_password_look_the_same(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.client).await;

    let wrong = app
        .log_in(&app.new_client(), &email, "not the password")
        .await;
    let unknown = app
        .log_in(&app.new_client(), &unique_email(), "not the password")
        .await;

    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());
}

async fn a_disabled_account_cannot_log_in_and_its_cookie_dies(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.client).await;
    let me: Value = app.get("/api/users/me").await.json().await.unwrap();
    app.state
        .accounts()
        .set_disabled(me["id"].as_i64().unwrap(), true)
        .await
        .unwrap();

    let existing = app.get("/api/users/me").await;
    let login = app.log_in(&app.new_client(), &email, PASSWORD).await;

    let after = app.get("/api/users/me").await;

    assert_eq!(
        existing.status(),
        StatusCode::FORBIDDEN,
        "the very next request is refused as disabled"
    );
    assert_eq!(
        existing.json::<Value>().await.unwrap()["message"],
        "This account is disabled."
    );
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "and the session is gone"
    );
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&login).is_none());
}

async fn repeated_failures_are_throttled_with_retry_after(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(Spawn::new(db, sessions).setting(
        "redis_key_prefix",
        format!("test:{}:", uuid::Uuid::new_v4().simple()),
    ))
    .await;
    let email = app.sign_up(&app.client).await;
    let attacker = app.new_client();
    for _ in 0..5 {
        assert_eq!(
            app.log_in(&attacker, &email, "guess guess guess")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let throttled = app.log_in(&attacker, &email, PASSWORD).await;

    assert_eq!(
        throttled.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    assert_eq!(
        throttled.json::<Value>().await.unwrap()["error"],
        "rate_limited"
    );
}

pub(crate) async fn log_out_deletes_the_session_and_a_replayed_cookie_gets_401(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.client).await;
    let cookie = session_cookie(&app.log_in(&app.client, &email, PASSWORD).await).unwrap();

    let logout = app
        .client
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();

    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let removal = set_cookie_header(&logout).expect("a removal cookie");
    for attribute in ["Max-Age=0", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            removal.contains(attribute),
            "{attribute} missing: {removal}"
        );
    }
    assert_eq!(
        app.get_with_cookie("/api/users/me", &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/users/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = app
        .client
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::NO_CONTENT,
        "logout is idempotent"
    );
}

async fn forged_and_tampered_cookies_get_401(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    app.sign_up(&app.client).await;
    let real = session_cookie(
        &app.log_in(&app.client, &app.sign_up(&app.new_client()).await, PASSWORD)
            .await,
    )
    .unwrap();
    let (name, value) = real.split_once('=').unwrap();
    let mut tampered: Vec<char> = value.chars().collect();
    tampered[3] = if tampered[3] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();

    for cookie in [
        format!("{name}={tampered}"),
        format!("{name}=AAAAAAAAAAAAAAAAAAAAAA"),
        format!("{name}=not base64 at all!!"),
        format!("{name}={}", "x".repeat(5000)),
    ] {
        let response = app.get_with_cookie("/api/users/me", &cookie).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{cookie}");
    }
}

async fn the_profile_name_can_be_changed(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    app.sign_up(&app.client).await;

    let renamed = app
        .client
        .patch(app.url("/api/users/me"))
        .json(&json!({"name": "Grace"}))
        .send()
        .await
        .unwrap();
    let empty = app
        .client
        .patch(app.url("/api/users/me"))
        .json(&json!({"name": "  "}))
        .send()
        .await
        .unwrap();
    let anonymous = app
        .new_client()
        .patch(app.url("/api/users/me"))
        .json(&json!({"name": "X"}))
        .send()
        .await
        .unwrap();

    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Grace");
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

pub(crate) async fn changing_the_password_ends_other_sessions(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let laptop = app.new_client();
    let phone = app.new_client();
    let email = app.sign_up(&laptop).await;
    app.log_in(&phone, &email, PASSWORD).await;
    let change = |current: &str, new: &str| {
        laptop
            .post(app.url("/api/users/me/password"))
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };

    let wrong = change("wrong current", "a brand new passphrase")
        .await
        .unwrap();
    let weak = change(PASSWORD, "short").await.unwrap();
    let ok = change(PASSWORD, "a brand new passphrase").await.unwrap();

    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert!(session_cookie(&ok).is_some(), "this session gets a new id");
    assert_eq!(app.me_status(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&laptop).await, StatusCode::OK);
    assert_eq!(
        app.log_in(&app.new_client(), &email, PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.log_in(&app.new_client(), &email, "a brand new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn todos_are_private_to_their_owner(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let alice = app.new_client();
    let bob = app.new_client();
    app.sign_up(&alice).await;
    app.sign_up(&bob).await;

    let created = app
        .post_json(&alice, "/api/todos", json!({"title": " buy milk "}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let todo: Value = created.json().await.unwrap();
    assert_eq!(todo["title"], "buy milk");
    assert_eq!(todo["done"], false);
    let path = format!("/api/todos/{}", todo["id"]);

    assert_eq!(
        app.post_json(&alice, "/api/todos", json!({"title": ""}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let long = "x".repeat(201);
    assert_eq!(
        app.post_json(&alice, "/api/todos", json!({"title": long}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post_json(&app.new_client(), "/api/todos", json!({"title": "x"}))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let toggled = alice
        .patch(app.url(&path))
        .json(&json!({"done": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(toggled.status(), StatusCode::OK);
    assert_eq!(toggled.json::<Value>().await.unwrap()["done"], true);
    let renamed = alice
        .patch(app.url(&path))
        .json(&json!({"title": "oat milk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        renamed.json::<Value>().await.unwrap(),
        json!({"id": todo["id"], "title": "oat milk", "done": true})
    );
    let bad = alice
        .patch(app.url(&path))
        .json(&json!({"title": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let bobs_view: Value = bob
        .get(app.url("/api/todos"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bobs_view, json!([]));
    assert_eq!(
        bob.patch(app.url(&path))
            .json(&json!({"done": false}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.delete(app.url(&path)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alice
            .delete(app.url("/api/todos/abc"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    let list = alice.get(app.url("/api/todos")).send().await.unwrap();
    assert_eq!(list.headers()["cache-control"], "no-store");
    assert_eq!(
        list.json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        alice.delete(app.url(&path)).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        alice.delete(app.url(&path)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.new_client()
            .get(app.url("/api/todos"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn the_store_never_holds_a_usable_session_id(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.client).await;
    let cookie = session_cookie(&app.log_in(&app.client, &email, PASSWORD).await).unwrap();
    let (_, id) = cookie.split_once('=').unwrap();
    let parsed: tower_sessions::session::Id = id.parse().unwrap();
    let stored = app.state.sessions.storage_id(&parsed).to_string();

    let (raw_present, hashed_present) = match sessions {
        Sessions::Redis => {
            let gatehouse::server::sessions::store::Backend::Redis(store) =
                app.state.sessions.inner()
            else {
                panic!("the Redis store expected")
            };
            let hashed = app.state.sessions.storage_id(&parsed);
            let mut redis = redis_connection().await;
            (
                redis_exists(&mut redis, id).await
                    || redis_exists(&mut redis, &store.key(&parsed)).await,
                redis_exists(&mut redis, &store.key(&hashed)).await,
            )
        }
        Sessions::Embedded => (
            sql_has_session(&app, id).await,
            sql_has_session(&app, &stored).await,
        ),
    };

    assert!(!raw_present, "the cookie value must not be a store key");
    assert!(hashed_present, "the record is stored under the keyed hash");
}

async fn sql_has_session(app: &TestApp, key: &str) -> bool {
    let sql = "SELECT COUNT(*) FROM session_records WHERE id = $1";
    let count: i64 = match &app.state.db {
        gatehouse::server::db::Db::Sqlite(pool) => sqlx::query_scalar(sql)
            .bind(key)
            .fetch_one(pool)
            .await
            .unwrap(),
        gatehouse::server::db::Db::Postgres(pool) => sqlx::query_scalar(sql)
            .bind(key)
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    count == 1
}

async fn redis_connection() -> tokio::net::TcpStream {
    let url = crate::common::redis_url();
    let addr = url.trim_start_matches("redis://").trim_end_matches('/');
    tokio::net::TcpStream::connect(addr)
        .await
        .expect("Redis answers")
}

/// `EXISTS key` over a raw RESP connection.
async fn redis_exists(conn: &mut tokio::net::TcpStream, key: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let command = format!("*2\r\n$6\r\nEXISTS\r\n${}\r\n{}\r\n", key.len(), key);
    conn.write_all(command.as_bytes()).await.unwrap();
    let mut reply = [0u8; 16];
    let n = conn.read(&mut reply).await.unwrap();
    std::str::from_utf8(&reply[..n]).unwrap().trim() == ":1"
}

#[tokio::test]
async fn requests_from_another_site_are_refused() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let body = json!({"email": unique_email(), "password": PASSWORD, "name": "X"});

    let cross_site = app
        .client
        .post(app.url("/api/auth/signup"))
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .unwrap();
    let foreign_origin = app
        .client
        .post(app.url("/api/auth/login"))
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    let same_origin = app
        .client
        .post(app.url("/api/auth/signup"))
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();

    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(foreign_origin.status(), StatusCode::FORBIDDEN);
    assert_eq!(same_origin.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_clear_4xx() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let post = |body: String| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let not_json = post("{not json".into()).await.unwrap();
    let wrong_shape = post(r#"{"email": 5}"#.into()).await.unwrap();
    let huge = post(format!(
        r#"{{"email":"{}","password":"x"}}"#,
        "a".repeat(200_000)
    ))
    .await
    .unwrap();
    let no_type = app
        .client
        .post(app.url("/api/auth/login"))
        .body("{}")
        .send()
        .await
        .unwrap();

    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert!(
        not_json.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );
    assert_eq!(wrong_shape.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(huge.status(), StatusCode::BAD_REQUEST);
    assert_eq!(no_type.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn secure_cookies_use_the_host_prefix() {
    let app = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded).setting("session_cookie_secure", true),
    )
    .await;
    let email = unique_email();

    let response = app
        .post_json(
            &app.client,
            "/api/auth/signup",
            json!({"email": email, "password": PASSWORD, "name": "S"}),
        )
        .await;

    let cookie = set_cookie_header(&response).unwrap();
    assert!(cookie.starts_with("__Host-gatehouse="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn pages_and_api_carry_security_headers() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let page = app.get("/").await;
    let api = app.get("/api/users/me").await;

    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(
        api.json::<Value>().await.unwrap()["error"],
        "unauthenticated"
    );
}

#[tokio::test]
async fn admin_emails_become_admins_once_the_address_is_verified() {
    let email = unique_email();
    let app = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded)
            .setting("admin_emails", email.to_uppercase()),
    )
    .await;

    // Anyone could sign up first with the listed address: that alone makes no admin (E5).
    let response = app
        .post_json(
            &app.client,
            "/api/auth/signup",
            json!({"email": email, "password": PASSWORD, "name": "Boss"}),
        )
        .await;
    let signed_up: Value = response.json().await.unwrap();
    let again = app.log_in(&app.new_client(), &email, PASSWORD).await;
    let before = again.json::<Value>().await.unwrap();
    app.verify_email(&email).await;
    let me: Value = app.get("/api/users/me").await.json().await.unwrap();

    assert_eq!(signed_up["is_admin"], false);
    assert_eq!(signed_up["email_verified"], false);
    assert_eq!(before["is_admin"], false, "nor does signing in again");
    assert_eq!(me["is_admin"], true, "the proven address is an admin");
    assert_eq!(me["email_verified"], true);
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;

    let response = app.get("/api/nope").await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "not_found"
    );
}

#[tokio::test]
async fn a_hash_from_older_settings_is_replaced_at_the_next_sign_in() {
    use argon2::{
        Algorithm, Argon2, Params, PasswordHasher, Version,
        password_hash::{SaltString, rand_core::OsRng},
    };
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let email = app.sign_up(&app.new_client()).await;
    let id = app
        .user_id(&{
            let c = app.new_client();
            app.log_in(&c, &email, PASSWORD).await;
            c
        })
        .await;
    // What an earlier release stored: OWASP's 19 MiB, 2 passes.
    let legacy = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    let legacy = gatehouse::server::identity::password::hashing::PasswordHash::from_stored(legacy);
    app.state
        .accounts()
        .set_password(id, &legacy)
        .await
        .unwrap();

    let login = app.log_in(&app.new_client(), &email, PASSWORD).await;
    let stored = gatehouse::server::identity::users::by_id(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .password_hash()
        .unwrap();

    assert_eq!(
        login.status(),
        StatusCode::OK,
        "the old hash still verifies"
    );
    assert!(
        stored
            .as_str()
            .starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
        "replaced by today's settings: {}",
        stored.as_str()
    );
    assert_eq!(
        app.log_in(&app.new_client(), &email, PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn sign_ins_and_failures_are_audited_without_secrets() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let email = app.sign_up(&app.client).await;
    app.log_in(&app.new_client(), &email, "a wrong password")
        .await;
    app.log_in(&app.new_client(), &email, PASSWORD).await;
    app.client
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();

    let gatehouse::server::db::Db::Sqlite(pool) = &app.state.db else {
        panic!("sqlite expected")
    };
    let events: Vec<(String, Option<String>, String, String)> =
        sqlx::query_as("SELECT kind, email, ip, detail FROM audit_events ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();

    let kinds: Vec<&str> = events.iter().map(|(kind, ..)| kind.as_str()).collect();
    assert_eq!(kinds, ["sign_up", "sign_in_failed", "sign_in", "sign_out"]);
    assert!(
        events
            .iter()
            .all(|(_, e, ip, _)| e.as_deref() == Some(email.as_str()) && ip == "127.0.0.1"),
        "{events:?}"
    );
    let dump = format!("{events:?}");
    assert!(!dump.contains(PASSWORD) && !dump.contains("a wrong password"));
}

async fn an_overlong_email_is_refused_before_throttling_or_auditing(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.new_client()).await;
    let audit_rows = || async {
        gatehouse::server::audit::page(
            &app.state.db,
            None,
            &gatehouse::domain::PageRequest {
                page: 1,
                per_page: 1,
            },
        )
        .await
        .unwrap()
        .1
    };
    let before = audit_rows().await;
    let long = format!("{}@example.com", "a".repeat(300));

    // Well past every throttle limit (5 per account and IP, 50 per IP).
    for _ in 0..60 {
        let response = app
            .log_in(&app.new_client(), &long, "some password here")
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["fields"][0]["field"], "email", "{body}");
        assert!(
            !body.to_string().contains("aaaaaaaaaa"),
            "not echoed: {body}"
        );
    }

    assert_eq!(audit_rows().await, before, "no audit row for any of them");
    let owner = app.log_in(&app.new_client(), &email, PASSWORD).await;
    assert_eq!(
        owner.status(),
        StatusCode::OK,
        "nothing was counted against this IP"
    );
}
