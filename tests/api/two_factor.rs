//! Two-factor sign-in with an authenticator app (SECURITY M1–M3, M5): enrolment under step-up,
//! the held sign-in and its code step, replay, wrong codes, throttling, recovery codes, step-up
//! with a code, turning it off, an admin's reset, the no-JavaScript forms, and the secret sealed
//! at rest. Codes are computed here from the secret the API hands out, as an app would.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    common::{Database, PASSWORD, Sessions, Spawn, TestApp},
    step_up::age_sign_in,
};

on_every_backend!(
    turning_it_on_takes_a_recent_sign_in_and_the_apps_first_code,
    a_sign_in_waits_for_a_code_and_each_code_works_once,
    five_wrong_codes_end_the_held_sign_in,
    parallel_codes_are_counted_before_they_are_checked,
    a_recovery_code_signs_in_once_and_the_owner_is_told,
    step_up_asks_a_two_factor_account_for_a_code,
    changes_need_a_recent_sign_in_and_step_up_refuses_a_replayed_code,
    turning_it_off_or_an_admin_reset_lets_the_password_alone_sign_in,
    the_forms_without_javascript_take_the_code_step_too,
);

/// The key the tests' apps seal secrets with.
pub const SECRETS_KEY: &str = "6b1f0c9e2d7a45e38c0b9f1a2e3d4c5b6a79880716253443526170f8e9dacbb1";

fn with_key(db: Database, sessions: Sessions) -> Spawn {
    Spawn::new(db, sessions).setting("secrets_key", SECRETS_KEY)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code an authenticator app holding `secret` (base32) shows at `at`.
pub fn code_at(secret: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).expect("base32 secret");
    totp_rs::Builder::new()
        .with_secret(secret)
        .build_noncompliant()
        .generate(at)
        .to_string()
}

/// The authenticator app of one account.
pub struct Authenticator {
    pub secret: String,
    pub user_id: i64,
}

impl Authenticator {
    /// The code the app shows now, after time has moved on past every code used so far: the
    /// test makes it so by moving the account's last used step a minute back. (A code is
    /// accepted once per 30-second step; tests need several within seconds.)
    pub async fn code(&self, app: &TestApp) -> String {
        let a_minute_ago = i64::try_from(now() / 30).unwrap() - 2;
        gatehouse::on_db!(&app.state.db, pool => sqlx::query(
            "UPDATE totp_factors SET last_step = $1 WHERE user_id = $2 AND last_step > $1",
        )
        .bind(a_minute_ago)
        .bind(self.user_id)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
        code_at(&self.secret, now())
    }
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let response = app.call(client, method, path, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Signs up on `client` and turns two-factor sign-in on; returns the email, the app, and the
/// recovery codes.
async fn enrolled(app: &TestApp, client: &reqwest::Client) -> (String, Authenticator, Vec<String>) {
    let email = app.sign_up(client).await;
    let (authenticator, codes) = enrol_on(app, client).await;
    (email, authenticator, codes)
}

/// Turns two-factor sign-in on for the account signed in on `client`.
pub async fn enrol_on(app: &TestApp, client: &reqwest::Client) -> (Authenticator, Vec<String>) {
    // Only an account whose address is verified can turn it on (SECURITY C3).
    verify_if_needed(app, client).await;
    let (status, enrolment) = call(app, client, Method::POST, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let authenticator = Authenticator {
        secret: enrolment["secret"].as_str().unwrap().to_owned(),
        user_id: app.user_id(client).await,
    };
    let (status, codes) = call(
        app,
        client,
        Method::POST,
        "/api/users/me/totp/confirm",
        Some(json!({"code": authenticator.code(app).await})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    let codes = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (authenticator, codes)
}

/// Verifies the address of the account signed in on `client`, unless it is already.
pub async fn verify_if_needed(app: &TestApp, client: &reqwest::Client) {
    let (_, me) = call(app, client, Method::GET, "/api/users/me", None).await;
    if me["email_verified"] != true {
        app.verify_email(me["email"].as_str().unwrap()).await;
    }
}

async fn log_in(app: &TestApp, client: &reqwest::Client, email: &str) -> Value {
    let response = app.log_in(client, email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn second_factor(
    app: &TestApp,
    client: &reqwest::Client,
    body: Value,
) -> (StatusCode, Value) {
    call(
        app,
        client,
        Method::POST,
        "/api/auth/login/second-factor",
        Some(body),
    )
    .await
}

async fn turning_it_on_takes_a_recent_sign_in_and_the_apps_first_code(
    db: Database,
    sessions: Sessions,
) {
    // Without secrets_key nobody can turn it on.
    let keyless = TestApp::spawn(db, sessions).await;
    let browser = keyless.new_client();
    keyless.sign_up(&browser).await;
    let (status, body) = call(
        &keyless,
        &browser,
        Method::GET,
        "/api/users/me/second-factor",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["available"], false, "{body}");
    let (status, _) = call(&keyless, &browser, Method::POST, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let app = TestApp::spawn_with(with_key(db, sessions)).await;
    let browser = app.new_client();
    let email = app.sign_up(&browser).await;
    // Not before the address is verified (SECURITY C3).
    let (status, body) = call(&app, &browser, Method::POST, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "email_unverified", "{body}");
    app.verify_email(&email).await;
    let (_, status_before) = call(
        &app,
        &browser,
        Method::GET,
        "/api/users/me/second-factor",
        None,
    )
    .await;
    assert_eq!(
        status_before,
        json!({"totp_enabled": false, "recovery_codes_left": 0, "available": true})
    );
    let (status, enrolment) = call(&app, &browser, Method::POST, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Gatehouse:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(
        enrolment["qr_svg"].as_str().unwrap().contains("<svg"),
        "an SVG QR code"
    );

    // Sealed at rest: the database holds no form of the secret.
    let stored: Vec<u8> = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT secret_sealed FROM totp_factors",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    let raw = totp_rs::Secret::try_from_base32(&secret).unwrap();
    assert!(
        !stored.windows(20).any(|w| w == raw.as_bytes()),
        "stored sealed"
    );
    assert!(!String::from_utf8_lossy(&stored).contains(&secret));

    // Nothing is on until a right code confirms it.
    assert_eq!(
        log_in(&app, &app.new_client(), &email).await["email"],
        email.as_str()
    );
    let (status, wrong) = call(
        &app,
        &browser,
        Method::POST,
        "/api/users/me/totp/confirm",
        Some(json!({"code": "000000"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
    let first = code_at(&secret, now());
    let (status, codes) = call(
        &app,
        &browser,
        Method::POST,
        "/api/users/me/totp/confirm",
        Some(json!({"code": first})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    let codes = codes["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let (_, after) = call(
        &app,
        &browser,
        Method::GET,
        "/api/users/me/second-factor",
        None,
    )
    .await;
    assert_eq!(
        after,
        json!({"totp_enabled": true, "recovery_codes_left": 10, "available": true})
    );
    assert!(
        app.outbox_text(&email)
            .await
            .contains("Two-factor sign-in was turned on")
    );
    // The code that confirmed it counts as used: it cannot sign in.
    let other = app.new_client();
    log_in(&app, &other, &email).await;
    let (status, _) = second_factor(&app, &other, json!({"code": first})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the enrolment code is spent"
    );

    // On already: 409. And an old session must confirm who it is first.
    let (status, _) = call(&app, &browser, Method::POST, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let stale = app.new_client();
    let stale_cookie = crate::step_up::sign_up_with_cookie(&app, &stale).await;
    age_sign_in(&app, &stale_cookie, 11 * 60).await;
    let (status, body) = call(&app, &stale, Method::POST, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "reauth_required");
}

async fn a_sign_in_waits_for_a_code_and_each_code_works_once(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(with_key(db, sessions)).await;
    let (email, authenticator, _) = enrolled(&app, &app.new_client()).await;

    let browser = app.new_client();
    let held = log_in(&app, &browser, &email).await;
    assert_eq!(
        held,
        json!({"second_factor_required": true, "methods": ["totp", "recovery_code"]})
    );
    assert_eq!(
        app.me_status(&browser).await,
        StatusCode::UNAUTHORIZED,
        "a right password alone signs nothing in"
    );
    // A stranger's browser has no held sign-in to complete.
    let (status, _) = second_factor(
        &app,
        &app.new_client(),
        json!({"code": authenticator.code(&app).await}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let code = authenticator.code(&app).await;
    let (status, user) = second_factor(&app, &browser, json!({"code": code})).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["email"], email.as_str());
    assert_eq!(app.me_status(&browser).await, StatusCode::OK);

    // The same code again, from another browser within its window: refused.
    let replayer = app.new_client();
    log_in(&app, &replayer, &email).await;
    let (status, body) = second_factor(&app, &replayer, json!({"code": code})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(app.me_status(&replayer).await, StatusCode::UNAUTHORIZED);
    // Neither both factors nor neither.
    let (status, _) = second_factor(&app, &replayer, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Two browsers racing with the same fresh code: exactly one gets in.
    let (a, b) = (app.new_client(), app.new_client());
    log_in(&app, &a, &email).await;
    log_in(&app, &b, &email).await;
    let fresh = json!({"code": authenticator.code(&app).await});
    let (first, second) = tokio::join!(
        second_factor(&app, &a, fresh.clone()),
        second_factor(&app, &b, fresh.clone())
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNAUTHORIZED]);

    // The audit trail names both factors.
    let detail: String = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE kind = 'sign_in' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(detail, "password + totp");
}

async fn five_wrong_codes_end_the_held_sign_in(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(with_key(db, sessions)).await;
    let (email, authenticator, _) = enrolled(&app, &app.new_client()).await;
    let browser = app.new_client();
    log_in(&app, &browser, &email).await;
    for n in 1..=4 {
        let (status, body) = second_factor(&app, &browser, json!({"code": "123456"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "wrong code {n}");
        assert!(
            body["message"].as_str().unwrap().contains("not right"),
            "{body}"
        );
    }
    let (status, body) = second_factor(&app, &browser, json!({"code": "123456"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"].as_str().unwrap().contains("Sign in again"),
        "{body}"
    );
    // Over: even the right code no longer completes it.
    let (status, _) = second_factor(
        &app,
        &browser,
        json!({"code": authenticator.code(&app).await}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&browser).await, StatusCode::UNAUTHORIZED);
    // A new sign-in starts a new step, and a right code completes it.
    log_in(&app, &browser, &email).await;
    let (status, _) = second_factor(
        &app,
        &browser,
        json!({"code": authenticator.code(&app).await}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

async fn parallel_codes_are_counted_before_they_are_checked(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(with_key(db, sessions)).await;
    let (email, authenticator, _) = enrolled(&app, &app.new_client()).await;
    // Twenty wrong codes at once on one held sign-in: at most five are tried.
    let browser = app.new_client();
    log_in(&app, &browser, &email).await;
    let tries = (0..20).map(|n| {
        let (app, browser) = (&app, &browser);
        async move {
            second_factor(app, browser, json!({"code": format!("{:06}", 100_000 + n)}))
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(tries).await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // What was tried is what the audit trail records as a wrong code (a request that found the
    // held sign-in already over was answered 401 without trying its code).
    let tried: i64 = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE kind = 'sign_in_failed' AND email = $1 \
         AND detail = 'totp: wrong code'",
    )
    .bind(&email)
    .fetch_one(pool)
    .await
    .unwrap());
    assert!(
        (1..=5).contains(&tried),
        "{tried} codes were tried: {statuses:?}"
    );

    // The account's own limit holds across held sign-ins: ten wrong codes a quarter-hour.
    for _ in 0..2 {
        let other = app.new_client();
        log_in(&app, &other, &email).await;
        for _ in 0..5 {
            second_factor(&app, &other, json!({"code": "654321"})).await;
        }
    }
    let late = app.new_client();
    log_in(&app, &late, &email).await;
    let (status, _) =
        second_factor(&app, &late, json!({"code": authenticator.code(&app).await})).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account's codes are throttled, whoever asks"
    );
}

async fn a_recovery_code_signs_in_once_and_the_owner_is_told(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(with_key(db, sessions)).await;
    let owner = app.new_client();
    let (email, _, codes) = enrolled(&app, &owner).await;
    let browser = app.new_client();
    log_in(&app, &browser, &email).await;
    // Typed loosely: upper case, no dashes.
    let typed = codes[0].replace('-', "").to_uppercase();
    let (status, user) = second_factor(&app, &browser, json!({"recovery_code": typed})).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert!(
        app.outbox_text(&email)
            .await
            .contains("A recovery code was used")
    );
    let (_, left) = call(
        &app,
        &browser,
        Method::GET,
        "/api/users/me/second-factor",
        None,
    )
    .await;
    assert_eq!(left["recovery_codes_left"], 9);

    let again = app.new_client();
    log_in(&app, &again, &email).await;
    let (status, _) = second_factor(&app, &again, json!({"recovery_code": codes[0]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "used once");

    // A new set replaces the old one.
    let (status, fresh) = call(
        &app,
        &owner,
        Method::POST,
        "/api/users/me/recovery-codes",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let fresh: Vec<String> = fresh["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fresh.len(), 10);
    // A new set is a credential event: the sign-in that waited starts over.
    let (status, _) = second_factor(&app, &again, json!({"recovery_code": fresh[0]})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the waiting sign-in ended"
    );
    let again = app.new_client();
    log_in(&app, &again, &email).await;
    let (status, _) = second_factor(&app, &again, json!({"recovery_code": codes[1]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old set is gone");
    let (status, _) = second_factor(&app, &again, json!({"recovery_code": fresh[0]})).await;
    assert_eq!(status, StatusCode::OK);

    // A password change while a sign-in waits voids it: the old password's holder starts over.
    let held = app.new_client();
    log_in(&app, &held, &email).await;
    let (status, _) = call(
        &app,
        &owner,
        Method::POST,
        "/api/users/me/password",
        Some(json!({"current_password": PASSWORD, "new_password": "a different passphrase"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = second_factor(&app, &held, json!({"recovery_code": fresh[1]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("changed"),
        "{body}"
    );
    let (_, left) = call(
        &app,
        &owner,
        Method::GET,
        "/api/users/me/second-factor",
        None,
    )
    .await;
    assert_eq!(left["recovery_codes_left"], 9, "no code was spent");
}

async fn step_up_asks_a_two_factor_account_for_a_code(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(with_key(db, sessions)).await;
    let browser = app.new_client();
    let (email, authenticator, _) = enrolled(&app, &browser).await;
    let signed_in = app.new_client();
    log_in(&app, &signed_in, &email).await;
    let response = app
        .post_json(
            &signed_in,
            "/api/auth/login/second-factor",
            json!({"code": authenticator.code(&app).await}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = crate::common::session_cookie(&response).unwrap();
    age_sign_in(&app, &cookie, 11 * 60).await;

    let reauth = |body: Value| {
        call(
            &app,
            &signed_in,
            Method::POST,
            "/api/auth/reauth",
            Some(body),
        )
    };
    let (status, body) = reauth(json!({"password": PASSWORD})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "code", "{body}");
    let (status, _) = reauth(json!({"password": PASSWORD, "code": "000000"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) =
        reauth(json!({"password": PASSWORD, "code": authenticator.code(&app).await})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = call(
        &app,
        &signed_in,
        Method::POST,
        "/api/users/me/recovery-codes",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the step-up took");
}

async fn turning_it_off_or_an_admin_reset_lets_the_password_alone_sign_in(
    db: Database,
    sessions: Sessions,
) {
    let (app, admin_email) = TestApp::spawn_with_admin(with_key(db, sessions)).await;
    let admin = app.new_client();
    let admin_cookie =
        crate::common::session_cookie(&app.log_in(&admin, &admin_email, PASSWORD).await).unwrap();

    let owner = app.new_client();
    let (email, _, _) = enrolled(&app, &owner).await;
    let (status, _) = call(&app, &owner, Method::DELETE, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        app.outbox_text(&email)
            .await
            .contains("Two-factor sign-in was turned off")
    );
    assert_eq!(
        log_in(&app, &app.new_client(), &email).await["email"],
        email.as_str()
    );
    let (status, _) = call(&app, &owner, Method::DELETE, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not on any more");

    // A user who lost their phone: an admin removes the factor.
    let lost = app.new_client();
    let (lost_email, _, _) = enrolled(&app, &lost).await;
    let id = app.user_id(&lost).await;
    let path = format!("/api/admin/users/{id}/second-factor");
    let (status, _) = call(&app, &owner, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
    // An admin's old session confirms who it is first.
    age_sign_in(&app, &admin_cookie, 11 * 60).await;
    let (status, body) = call(&app, &admin, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "reauth_required");
    let (status, _) = call(
        &app,
        &admin,
        Method::POST,
        "/api/auth/reauth",
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(&app, &admin, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(app.outbox_text(&lost_email).await.contains("administrator"));
    assert_eq!(
        log_in(&app, &app.new_client(), &lost_email).await["email"],
        lost_email.as_str()
    );
    let (status, _) = call(&app, &admin, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let actor: Option<i64> = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT actor_id FROM audit_events WHERE kind = 'second_factor_reset' AND user_id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(
        actor,
        Some(app.user_id(&admin).await),
        "audited with the admin"
    );

    // An account disabled while its sign-in waits for a code: refused, no code spent.
    let away = app.new_client();
    let (away_email, _, codes) = enrolled(&app, &away).await;
    let away_id = app.user_id(&away).await;
    let held = app.new_client();
    log_in(&app, &held, &away_email).await;
    let (status, _) = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/admin/users/{away_id}"),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = second_factor(&app, &held, json!({"recovery_code": codes[0]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unused: i64 = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(away_id)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(unused, 10, "no recovery code was spent");
}

async fn the_forms_without_javascript_take_the_code_step_too(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(with_key(db, sessions)).await;
    let (email, authenticator, _) = enrolled(&app, &app.new_client()).await;
    let browser = app.new_client();
    let form =
        |path: &str, fields: &[(&str, &str)]| browser.post(app.url(path)).form(fields).send();
    let held = form(
        "/auth/login",
        &[
            ("email", &email),
            ("password", PASSWORD),
            ("next", "/todos"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(held.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        held.headers()["location"],
        "/login/second-factor?next=%2Ftodos"
    );
    assert_eq!(app.me_status(&browser).await, StatusCode::UNAUTHORIZED);

    let wrong = form(
        "/auth/second-factor",
        &[("code", "000000"), ("next", "/todos")],
    )
    .await
    .unwrap();
    let location = wrong.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/login/second-factor?error="),
        "{location}"
    );
    assert!(location.ends_with("&next=%2Ftodos"), "{location}");

    let code = authenticator.code(&app).await;
    let done = form(
        "/auth/second-factor",
        &[("code", &code), ("next", "/todos")],
    )
    .await
    .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/todos");
    assert_eq!(app.me_status(&browser).await, StatusCode::OK);
    // Five wrong codes end it: back to the password, saying why.
    let again = app.new_client();
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        again.post(app.url(path)).form(&fields).send()
    };
    post(
        "/auth/login",
        vec![("email", email.clone()), ("password", PASSWORD.into())],
    )
    .await
    .unwrap();
    let mut last = String::new();
    for _ in 0..5 {
        let wrong = post(
            "/auth/second-factor",
            vec![("code", "111111".into()), ("next", "/todos".into())],
        )
        .await
        .unwrap();
        last = wrong.headers()["location"].to_str().unwrap().to_owned();
    }
    assert_eq!(last, "/login?error=restart&next=%2Ftodos");
    let page = app.get(&last).await.text().await.unwrap();
    assert!(page.contains("Sign in again."), "the login page says why");
    let page = app.get("/login/second-factor").await.text().await.unwrap();
    assert!(
        page.contains("action=\"/auth/second-factor\""),
        "the page posts the form"
    );
}

async fn changes_need_a_recent_sign_in_and_step_up_refuses_a_replayed_code(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn_with(with_key(db, sessions)).await;
    let browser = app.new_client();
    let cookie = crate::step_up::sign_up_with_cookie(&app, &browser).await;
    let (authenticator, _) = enrol_on(&app, &browser).await;
    age_sign_in(&app, &cookie, 11 * 60).await;
    for (method, path) in [
        (Method::DELETE, "/api/users/me/totp"),
        (Method::POST, "/api/users/me/recovery-codes"),
    ] {
        let (status, body) = call(&app, &browser, method, path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(body["error"], "reauth_required", "{path}");
    }
    let code = authenticator.code(&app).await;
    let confirmed = app
        .call(
            &browser,
            Method::POST,
            "/api/auth/reauth",
            Some(json!({"password": PASSWORD, "code": code})),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    let cookie = crate::common::session_cookie(&confirmed).unwrap();
    age_sign_in(&app, &cookie, 11 * 60).await;
    let (status, _) = call(
        &app,
        &browser,
        Method::POST,
        "/api/auth/reauth",
        Some(json!({"password": PASSWORD, "code": code})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the same code twice");
    let (status, _) = call(&app, &browser, Method::DELETE, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "still not recent");
}
