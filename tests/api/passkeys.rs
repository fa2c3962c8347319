//! Passkeys (SECURITY M4, M5): enrolment under step-up, sign-in without a username, naming,
//! listing, removing, an admin's reset, and every refusal — the challenge held once in the
//! session, the origin, the RP ID, user verification, the signature, the user handle, the
//! counter, and one sign-in per assertion under parallel requests. A software authenticator
//! (`common::authenticator`) answers with real signatures.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tower_sessions::SessionStore;

use crate::{
    common::{
        Database, PASSWORD, Sessions, Spawn, TestApp, authenticator::SoftPasskey, session_cookie,
    },
    step_up::{age_sign_in, sign_up_with_cookie},
    two_factor::{SECRETS_KEY, code_at, verify_if_needed},
};

on_every_backend!(
    enrolling_takes_a_recent_sign_in_and_a_verified_answer,
    a_passkey_signs_in_alone_and_rotates_the_session,
    a_refused_answer_signs_nobody_in,
    one_assertion_signs_in_once_even_in_parallel,
    a_counter_that_goes_back_is_refused,
    passkeys_are_named_listed_and_removed_under_step_up,
    an_admin_reset_removes_passkeys,
    a_passkey_confirms_who_you_are_for_a_sensitive_change,
);

pub const RP_ID: &str = "gatehouse.test";
pub const ORIGIN: &str = "https://gatehouse.test";

pub fn spawn(db: Database, sessions: Sessions) -> Spawn {
    Spawn::new(db, sessions)
        .setting("public_url", ORIGIN)
        .setting("secrets_key", SECRETS_KEY)
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

/// Signs up on `client`: the session cookie (to age its sign-in) and the email.
async fn signed_up(app: &TestApp, client: &reqwest::Client) -> (String, String) {
    let cookie = sign_up_with_cookie(app, client).await;
    let (_, me) = call(app, client, Method::GET, "/api/users/me", None).await;
    // Only an account whose address is verified can add a passkey (SECURITY C3).
    app.verify_email(me["email"].as_str().unwrap()).await;
    (cookie, me["email"].as_str().unwrap().to_owned())
}

pub async fn enrol_options(app: &TestApp, client: &reqwest::Client) -> (StatusCode, Value) {
    call(
        app,
        client,
        Method::POST,
        "/api/users/me/passkeys/options",
        None,
    )
    .await
}

pub async fn add(
    app: &TestApp,
    client: &reqwest::Client,
    credential: Value,
    name: &str,
) -> (StatusCode, Value) {
    call(
        app,
        client,
        Method::POST,
        "/api/users/me/passkeys",
        Some(json!({"credential": credential, "name": name})),
    )
    .await
}

/// Adds a new passkey to the account signed in (recently) on `client`.
async fn enrolled(app: &TestApp, client: &reqwest::Client) -> SoftPasskey {
    let mut passkey = SoftPasskey::new(RP_ID, ORIGIN);
    let (status, options) = enrol_options(app, client).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let (status, body) = add(app, client, passkey.create(&options), "Laptop").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    passkey
}

async fn sign_in_options(app: &TestApp, client: &reqwest::Client) -> Value {
    let (status, options) =
        call(app, client, Method::POST, "/api/auth/passkey/options", None).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    options
}

async fn sign_in_with(
    app: &TestApp,
    client: &reqwest::Client,
    credential: Value,
) -> (StatusCode, Value) {
    call(
        app,
        client,
        Method::POST,
        "/api/auth/passkey",
        Some(json!({ "credential": credential })),
    )
    .await
}

/// A whole passkey sign-in on `client`: options, the authenticator's answer, the answer posted.
async fn passkey_sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    passkey: &mut SoftPasskey,
) -> (StatusCode, Value) {
    let options = sign_in_options(app, client).await;
    sign_in_with(app, client, passkey.get(&options)).await
}

async fn enrolling_takes_a_recent_sign_in_and_a_verified_answer(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(spawn(db, sessions)).await;
    let browser = app.new_client();
    let (cookie, email) = signed_up(&app, &browser).await;

    // The options: this site, user verification, a discoverable credential.
    let (status, options) = enrol_options(&app, &browser).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let public_key = &options["publicKey"];
    assert_eq!(public_key["rp"]["id"], RP_ID);
    assert_eq!(public_key["user"]["name"], email.as_str());
    assert_eq!(
        public_key["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert!(public_key["challenge"].as_str().unwrap().len() >= 22);

    // An answer from another origin, or for another RP ID, or without user verification, is
    // refused; each refusal uses the ceremony up.
    let mut elsewhere = SoftPasskey::new(RP_ID, "https://evil.test");
    let (status, body) = add(&app, &browser, elsewhere.create(&options), "x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut good = SoftPasskey::new(RP_ID, ORIGIN);
    let (status, body) = add(&app, &browser, good.create(&options), "x").await;
    assert_eq!(status, StatusCode::CONFLICT, "single-use: {body}");
    for mut bad in [
        SoftPasskey::new("evil.test", ORIGIN),
        SoftPasskey {
            user_verified: false,
            ..SoftPasskey::new(RP_ID, ORIGIN)
        },
    ] {
        let (_, options) = enrol_options(&app, &browser).await;
        let (status, body) = add(&app, &browser, bad.create(&options), "x").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (status, body) = add(&app, &browser, json!({"id": 1}), "x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "credential");

    // The right answer adds it (201), and the owner is told.
    let (_, options) = enrol_options(&app, &browser).await;
    let (status, added) = add(&app, &browser, good.create(&options), "  Laptop  ").await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["name"], "Laptop");
    assert!(added["id"].as_i64().is_some());
    assert!(added["last_used_at"].is_null());
    assert!(
        app.outbox_text(&email)
            .await
            .contains("A passkey named \"Laptop\" was added")
    );
    // The next options exclude it, and the same credential cannot be added twice.
    let (_, options) = enrol_options(&app, &browser).await;
    let excluded = options["publicKey"]["excludeCredentials"][0]["id"].clone();
    assert_eq!(
        excluded,
        json!(base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &good.credential_id
        ))
    );
    let (status, _) = add(&app, &browser, good.create(&options), "Again").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an excluded credential"
    );
    // …nor to another account.
    let other = app.new_client();
    app.sign_up(&other).await;
    verify_if_needed(&app, &other).await;
    let (_, options) = enrol_options(&app, &other).await;
    let (status, _) = add(&app, &other, good.create(&options), "Stolen").await;
    assert_eq!(status, StatusCode::CONFLICT);

    // An old sign-in confirms who it is first, for the options and the answer alike.
    let (_, options) = enrol_options(&app, &browser).await;
    age_sign_in(&app, &cookie, 11 * 60).await;
    let (status, body) = enrol_options(&app, &browser).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "reauth_required");
    let mut late = SoftPasskey::new(RP_ID, ORIGIN);
    let (status, body) = add(&app, &browser, late.create(&options), "Late").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "reauth_required");

    let (status, list) = call(&app, &browser, Method::GET, "/api/users/me/passkeys", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["name"], "Laptop");

    // Signed out: nothing.
    let (status, _) = enrol_options(&app, &app.new_client()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_passkey_signs_in_alone_and_rotates_the_session(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(spawn(db, sessions)).await;
    let owner = app.new_client();
    let email = app.sign_up(&owner).await;
    app.verify_email(&email).await;
    let mut passkey = enrolled(&app, &owner).await;

    let browser = app.new_client();
    let response = app
        .call(&browser, Method::POST, "/api/auth/passkey/options", None)
        .await;
    let before = session_cookie(&response).expect("the ceremony lives in a session");
    let options: Value = response.json().await.unwrap();
    assert_eq!(options["publicKey"]["rpId"], RP_ID);
    assert_eq!(options["publicKey"]["userVerification"], "required");
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        json!([]),
        "no username: any passkey of this site"
    );
    assert_eq!(app.me_status(&browser).await, StatusCode::UNAUTHORIZED);
    let response = app
        .call(
            &browser,
            Method::POST,
            "/api/auth/passkey",
            Some(json!({"credential": passkey.get(&options)})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let after = session_cookie(&response).expect("a new session id");
    assert_ne!(before, after, "the session id changes at sign-in");
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], email.as_str());
    assert_eq!(app.me_status(&browser).await, StatusCode::OK);
    let (_, list) = call(&app, &owner, Method::GET, "/api/users/me/passkeys", None).await;
    assert!(list[0]["last_used_at"].is_string(), "{list}");

    // With two-factor sign-in on, a password asks for a code (or a passkey)…
    let (status, enrolment) = call(&app, &owner, Method::POST, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::OK);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = code_at(enrolment["secret"].as_str().unwrap(), now);
    let (status, _) = call(
        &app,
        &owner,
        Method::POST,
        "/api/users/me/totp/confirm",
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let held = app.new_client();
    let answer: Value = app
        .log_in(&held, &email, PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["second_factor_required"], true);
    assert_eq!(
        answer["methods"],
        json!(["totp", "recovery_code", "passkey"])
    );
    // …and the passkey completes it: it proves both factors, no code needed.
    let (status, user) = passkey_sign_in(&app, &held, &mut passkey).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(app.me_status(&held).await, StatusCode::OK);
    let (status, user) = passkey_sign_in(&app, &app.new_client(), &mut passkey).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let detail: String = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE kind = 'sign_in' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(detail, "passkey");

    // A disabled account is refused like any other sign-in.
    gatehouse::on_db!(&app.state.db, pool => sqlx::query("UPDATE users SET disabled = TRUE WHERE email = $1")
        .bind(&email)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
    let (status, _) = passkey_sign_in(&app, &app.new_client(), &mut passkey).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn a_refused_answer_signs_nobody_in(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(spawn(db, sessions)).await;
    let owner = app.new_client();
    app.sign_up(&owner).await;
    verify_if_needed(&app, &owner).await;
    let passkey = enrolled(&app, &owner).await;
    let browser = app.new_client();

    // No options asked for.
    let mut answer_to_nothing = passkey.clone();
    let options = json!({"publicKey": {"challenge": "AAAAAAAAAAAAAAAAAAAAAA"}});
    let (status, body) = sign_in_with(&app, &browser, answer_to_nothing.get(&options)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let refusals: Vec<(&str, SoftPasskey)> = vec![
        (
            "another origin",
            SoftPasskey {
                origin: "https://evil.test".into(),
                ..passkey.clone()
            },
        ),
        (
            "another RP ID",
            SoftPasskey {
                rp_id: "evil.test".into(),
                ..passkey.clone()
            },
        ),
        (
            "no user verification",
            SoftPasskey {
                user_verified: false,
                ..passkey.clone()
            },
        ),
        ("another key", passkey.with_other_key()),
        (
            "another user handle",
            SoftPasskey {
                user_handle: vec![7; 16],
                ..passkey.clone()
            },
        ),
        ("an unknown credential", SoftPasskey::new(RP_ID, ORIGIN)),
    ];
    for (why, mut bad) in refusals {
        let options = sign_in_options(&app, &browser).await;
        let (status, body) = sign_in_with(&app, &browser, bad.get(&options)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: {body}");
        assert_eq!(app.me_status(&browser).await, StatusCode::UNAUTHORIZED);
        // The ceremony is used up: even the right answer to those options is refused now.
        let mut good = passkey.clone();
        let (status, _) = sign_in_with(&app, &browser, good.get(&options)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: single-use");
    }
    let failures: i64 = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE kind = 'sign_in_failed' AND detail LIKE 'passkey%'",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert!(failures >= 6, "each refusal is audited ({failures})");

    // Not a credential at all: 422.
    let (status, body) = sign_in_with(&app, &browser, json!("nope")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Options older than five minutes are as good as none.
    let response = app
        .call(&browser, Method::POST, "/api/auth/passkey/options", None)
        .await;
    let cookie = session_cookie(&response).unwrap_or_default();
    let options: Value = response.json().await.unwrap();
    expire_ceremony(&app, &cookie).await;
    let mut good = passkey.clone();
    let (status, _) = sign_in_with(&app, &browser, good.get(&options)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");

    // The right answer still works.
    let mut good = passkey.clone();
    let (status, body) = passkey_sign_in(&app, &browser, &mut good).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Moves the held sign-in ceremony of the session `cookie` names six minutes into the past.
async fn expire_ceremony(app: &TestApp, cookie: &str) {
    let id: tower_sessions::session::Id = cookie.split_once('=').unwrap().1.parse().unwrap();
    let mut record = app.state.sessions.load(&id).await.unwrap().unwrap();
    let held = record
        .data
        .get_mut("passkey_sign_in")
        .expect("a held ceremony");
    held["expires_at"] = json!(held["expires_at"].as_i64().unwrap() - 6 * 60);
    app.state.sessions.save(&record).await.unwrap();
}

async fn one_assertion_signs_in_once_even_in_parallel(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(spawn(db, sessions)).await;
    let owner = app.new_client();
    app.sign_up(&owner).await;
    verify_if_needed(&app, &owner).await;
    // A synced passkey: its counter stays 0, so only the challenge tells a replay apart.
    let mut passkey = enrolled(&app, &owner).await;
    assert!(!passkey.counting);

    for _ in 0..3 {
        let browser = app.new_client();
        let options = sign_in_options(&app, &browser).await;
        let answer = passkey.get(&options);
        // Eight copies of one answer at once, with one cookie: each request reads the held
        // ceremony before any takes it out, so only the table can tell them apart.
        let attempts = (0..8).map(|_| sign_in_with(&app, &browser, answer.clone()));
        let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
            .await
            .into_iter()
            .map(|(status, _)| status)
            .collect();
        let signed_in = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(signed_in, 1, "{statuses:?}");
        assert!(
            statuses
                .iter()
                .all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED),
            "{statuses:?}"
        );
    }
    // The same answer in a later ceremony of its own browser is refused too.
    let browser = app.new_client();
    let options = sign_in_options(&app, &browser).await;
    let answer = passkey.get(&options);
    let (status, _) = sign_in_with(&app, &browser, answer.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let attacker = app.new_client();
    sign_in_options(&app, &attacker).await;
    let (status, _) = sign_in_with(&app, &attacker, answer).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another challenge");
}

async fn a_counter_that_goes_back_is_refused(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(spawn(db, sessions)).await;
    let owner = app.new_client();
    app.sign_up(&owner).await;
    verify_if_needed(&app, &owner).await;
    let mut passkey = SoftPasskey {
        counting: true,
        counter: 1,
        ..SoftPasskey::new(RP_ID, ORIGIN)
    };
    let (_, options) = enrol_options(&app, &owner).await;
    let (status, _) = add(&app, &owner, passkey.create(&options), "Key").await;
    assert_eq!(status, StatusCode::CREATED);
    // A clone taken now lags behind the original once it has been used.
    let mut clone = passkey.clone();
    for _ in 0..2 {
        let (status, body) = passkey_sign_in(&app, &app.new_client(), &mut passkey).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = passkey_sign_in(&app, &app.new_client(), &mut clone).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "counter went back");
    let stored: i64 = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT sign_count FROM passkeys",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(stored, 3, "the counter is stored");
    let (status, _) = passkey_sign_in(&app, &app.new_client(), &mut passkey).await;
    assert_eq!(status, StatusCode::OK, "the original goes on");
}

async fn passkeys_are_named_listed_and_removed_under_step_up(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(spawn(db, sessions)).await;
    let owner = app.new_client();
    let (cookie, email) = signed_up(&app, &owner).await;
    let mut laptop = enrolled(&app, &owner).await;
    let _phone = enrolled(&app, &owner).await;
    let (_, list) = call(&app, &owner, Method::GET, "/api/users/me/passkeys", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let id = list[0]["id"].as_i64().unwrap();
    let path = format!("/api/users/me/passkeys/{id}");
    // The account's export lists them, and holds no key.
    let (status, export) = call(&app, &owner, Method::GET, "/api/users/me/export", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export["passkeys"], list);
    assert_eq!(export["second_factor"]["totp_enabled"], false);
    assert!(!export.to_string().contains("cred_id"), "{export}");

    let (status, renamed) = call(
        &app,
        &owner,
        Method::PATCH,
        &path,
        Some(json!({"name": "Work laptop"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Work laptop");
    for bad in [json!(""), json!("x".repeat(65)), json!("a\nb")] {
        let (status, body) = call(
            &app,
            &owner,
            Method::PATCH,
            &path,
            Some(json!({ "name": bad })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["fields"][0]["field"], "name");
    }
    // Nobody else's, and nothing that is not a number.
    let stranger = app.new_client();
    app.sign_up(&stranger).await;
    verify_if_needed(&app, &stranger).await;
    for (client, path) in [
        (&stranger, path.clone()),
        (&owner, "/api/users/me/passkeys/abc".to_owned()),
        (&owner, "/api/users/me/passkeys/999999".to_owned()),
    ] {
        let (status, _) = call(
            &app,
            client,
            Method::PATCH,
            &path,
            Some(json!({"name": "Mine"})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let (status, _) = call(&app, client, Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    // Removing one needs a recent sign-in.
    age_sign_in(&app, &cookie, 11 * 60).await;
    let (status, body) = call(&app, &owner, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "reauth_required");
    let (status, _) = call(
        &app,
        &owner,
        Method::POST,
        "/api/auth/reauth",
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&app, &owner, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        app.outbox_text(&email)
            .await
            .contains("The passkey named \"Work laptop\" was removed")
    );
    let (_, list) = call(&app, &owner, Method::GET, "/api/users/me/passkeys", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // It signs in no more.
    let (status, _) = passkey_sign_in(&app, &app.new_client(), &mut laptop).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let kinds: Vec<String> = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT kind FROM audit_events WHERE kind LIKE 'passkey%' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap());
    assert_eq!(kinds, ["passkey_added", "passkey_added", "passkey_removed"]);
}

async fn an_admin_reset_removes_passkeys(db: Database, sessions: Sessions) {
    let (app, _) = TestApp::spawn_with_admin(spawn(db, sessions)).await;
    let lost = app.new_client();
    let email = app.sign_up(&lost).await;
    app.verify_email(&email).await;
    let mut passkey = enrolled(&app, &lost).await;
    let id = app.user_id(&lost).await;
    let (status, body) = call(
        &app,
        &app.client,
        Method::DELETE,
        &format!("/api/admin/users/{id}/second-factor"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(
        app.outbox_text(&email)
            .await
            .contains("removed its passkeys")
    );
    let (status, _) = passkey_sign_in(&app, &app.new_client(), &mut passkey).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The reset is a credential event: every session ended; signed in again, none is left.
    assert_eq!(app.me_status(&lost).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.log_in(&lost, &email, PASSWORD).await.status(),
        StatusCode::OK
    );
    let (_, list) = call(&app, &lost, Method::GET, "/api/users/me/passkeys", None).await;
    assert_eq!(list, json!([]));
}

/// Passkeys need a domain: on an IP address they are off (404), and the settings say why a
/// bad RP ID cannot work.
#[tokio::test]
async fn passkeys_need_a_domain() {
    let app = TestApp::spawn_with(
        Spawn::new(Database::Sqlite, Sessions::Embedded).setting("public_url", "http://10.1.2.3"),
    )
    .await;
    let (status, body) = call(
        &app,
        &app.client,
        Method::POST,
        "/api/auth/passkey/options",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

/// Step-up with a passkey (issue 27, item 8): an old session confirms with one of the account's
/// passkeys, which proves both factors, so a two-factor account gives no code; the options
/// name only the account's passkeys; another account's passkey, a replayed answer and an
/// answer with no options are refused (403, the session stays signed in); an account without a
/// passkey gets 404.
async fn a_passkey_confirms_who_you_are_for_a_sensitive_change(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(spawn(db, sessions)).await;
    let owner = app.new_client();
    let (cookie, _) = signed_up(&app, &owner).await;
    let mut passkey = enrolled(&app, &owner).await;
    crate::two_factor::enrol_on(&app, &owner).await;
    let stranger = app.new_client();
    signed_up(&app, &stranger).await;
    let mut theirs = enrolled(&app, &stranger).await;

    age_sign_in(&app, &cookie, 11 * 60).await;
    let (status, body) = enrol_options(&app, &owner).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "reauth_required");

    // No options asked for yet: refused.
    let (status, _) = reauth(
        &app,
        &owner,
        passkey.get(&json!({"publicKey": {"challenge": "AAAA", "rpId": RP_ID}})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let options = reauth_options(&app, &owner).await;
    let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "{options}");
    // Another account's passkey does not confirm this one.
    let (status, body) = reauth(&app, &owner, theirs.get(&options)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(app.me_status(&owner).await, StatusCode::OK);

    let options = reauth_options(&app, &owner).await;
    let answer = passkey.get(&options);
    let (status, body) = reauth(&app, &owner, answer.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "no code asked for: {body}");
    let (status, body) = enrol_options(&app, &owner).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The same answer again, even to fresh options: refused.
    reauth_options(&app, &owner).await;
    let (status, _) = reauth(&app, &owner, answer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Without a passkey: nothing to confirm with.
    let plain = app.new_client();
    app.sign_up(&plain).await;
    let (status, _) = call(&app, &plain, Method::POST, "/api/auth/reauth/options", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &app,
        &app.new_client(),
        Method::POST,
        "/api/auth/reauth/options",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn reauth_options(app: &TestApp, client: &reqwest::Client) -> Value {
    let (status, options) = call(app, client, Method::POST, "/api/auth/reauth/options", None).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    options
}

async fn reauth(app: &TestApp, client: &reqwest::Client, answer: Value) -> (StatusCode, Value) {
    call(
        app,
        client,
        Method::POST,
        "/api/auth/reauth",
        Some(json!({ "passkey": answer })),
    )
    .await
}
