//! Google Sign-In against a local JWKS server and tokens signed with test keys: the production
//! verification path, only `GOOGLE_JWKS_URL` differs.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use crate::common::{Database, PASSWORD, Sessions, Spawn, TestApp, unique_email};
use axum::{
    Router, extract::State, http::StatusCode as AxumStatus, response::IntoResponse, routing::get,
};
use gatehouse::server::platform::config::toml_value::Value as Setting;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_every_backend!(
    a_valid_token_signs_in_a_new_google_account_with_a_rotated_session,
    a_google_sign_in_of_a_two_factor_account_waits_for_its_code,
    a_nonce_works_once_and_must_match,
    forged_and_wrong_tokens_are_refused,
    an_unknown_kid_refetches_at_most_once_per_interval,
    rotated_keys_are_picked_up_and_cache_expiry_refetches,
    while_google_is_unreachable_google_sign_in_is_503_and_passwords_still_work,
    linking_to_a_password_account_needs_a_verified_email,
    identity_is_keyed_on_sub_not_email,
    a_verified_email_never_moves_an_account_to_another_google_identity,
    two_google_identities_racing_to_link_one_account_leave_one_linked,
    disabled_accounts_get_403_and_admin_emails_apply,
    the_hosted_domain_allow_list_checks_hd,
    without_a_client_id_google_sign_in_is_404,
    parallel_posts_of_one_nonce_sign_in_once,
    a_google_only_account_confirms_with_google_before_setting_a_password,
    signing_in_with_google_again_replaces_this_browsers_session,
    a_verified_google_sign_in_claims_a_never_verified_password_account,
);

pub const CLIENT_ID: &str = "test-client.apps.googleusercontent.com";
pub const KEY_1: &[u8] = include_bytes!("../fixtures/google_test_key.pem");
const KEY_2: &[u8] = include_bytes!("../fixtures/google_test_key_2.pem");
pub const JWKS_1: &str = include_str!("../fixtures/google_jwks_1.json");
const JWKS_2: &str = include_str!("../fixtures/google_jwks_2.json");

/// What the fake key endpoint answers, and how often it was asked.
#[derive(Clone)]
pub struct Jwks {
    response: Arc<Mutex<(u16, String, String)>>,
    hits: Arc<AtomicUsize>,
    addr: SocketAddr,
}

impl Jwks {
    pub async fn start(body: &str) -> Self {
        let jwks = Jwks {
            response: Arc::new(Mutex::new((
                200,
                body.to_owned(),
                "public, max-age=3600".to_owned(),
            ))),
            hits: Arc::default(),
            addr: ([127, 0, 0, 1], 0).into(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/certs", get(serve))
            .with_state(jwks.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Jwks { addr, ..jwks }
    }

    pub fn url(&self) -> String {
        format!("http://{}/certs", self.addr)
    }

    fn set(&self, status: u16, body: &str, cache_control: &str) {
        *self.response.lock().unwrap() = (status, body.to_owned(), cache_control.to_owned());
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn serve(State(jwks): State<Jwks>) -> impl IntoResponse {
    jwks.hits.fetch_add(1, Ordering::SeqCst);
    let (status, body, cache) = jwks.response.lock().unwrap().clone();
    (
        AxumStatus::from_u16(status).unwrap(),
        [
            ("cache-control", cache),
            ("content-type", "application/json".into()),
        ],
        body,
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims of a valid token for `email`; tests change what they need.
pub fn claims(email: &str, nonce: &str) -> Value {
    json!({
        "iss": "https://accounts.google.com",
        "aud": CLIENT_ID,
        "sub": format!("google-{email}"),
        "email": email,
        "email_verified": true,
        "name": "Goo Gle",
        "nonce": nonce,
        "iat": now(),
        "exp": now() + 3600,
    })
}

pub fn sign(claims: &Value, kid: &str, key: &[u8]) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &EncodingKey::from_rsa_pem(key).unwrap()).unwrap()
}

async fn app_with(
    db: Database,
    sessions: Sessions,
    jwks: &Jwks,
    extra: Vec<(&'static str, Setting)>,
) -> TestApp {
    let mut spawn = Spawn::new(db, sessions)
        .setting("google_client_id", CLIENT_ID)
        .setting("google_jwks_url", jwks.url());
    for (key, value) in extra {
        spawn = spawn.setting(key, value);
    }
    TestApp::spawn_with(spawn).await
}

pub async fn nonce(app: &TestApp, client: &reqwest::Client) -> String {
    let response = client
        .get(app.url("/api/auth/google/nonce"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["nonce"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn post_credential(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
) -> reqwest::Response {
    app.post_json(client, "/api/auth/google", json!({ "credential": token }))
        .await
}

async fn a_valid_token_signs_in_a_new_google_account_with_a_rotated_session(
    db: Database,
    sessions: Sessions,
) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let browser = app.new_client();
    let email = unique_email();
    let nonce = nonce(&app, &browser).await;

    let response = post_credential(
        &app,
        &browser,
        &sign(&claims(&email, &nonce), "test-key-1", KEY_1),
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        crate::common::session_cookie(&response).is_some(),
        "a session cookie of Gatehouse's own"
    );
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], email);
    assert_eq!(user["name"], "Goo Gle");
    assert_eq!(user["has_google"], true);
    assert_eq!(user["has_password"], false);
    assert_eq!(app.me_status(&browser).await, StatusCode::OK);
}

async fn a_nonce_works_once_and_must_match(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let browser = app.new_client();
    let email = unique_email();
    let issued = nonce(&app, &browser).await;
    let token = sign(&claims(&email, &issued), "test-key-1", KEY_1);
    assert_eq!(
        post_credential(&app, &browser, &token).await.status(),
        StatusCode::OK
    );

    let replay = post_credential(&app, &app.new_client(), &token).await;
    let replay_same_browser = post_credential(&app, &browser, &token).await;
    let other = app.new_client();
    nonce(&app, &other).await;
    let wrong_nonce = post_credential(
        &app,
        &other,
        &sign(&claims(&email, "not-the-nonce"), "test-key-1", KEY_1),
    )
    .await;
    let mut no_nonce_claims = claims(&email, "x");
    no_nonce_claims.as_object_mut().unwrap().remove("nonce");
    let third = app.new_client();
    nonce(&app, &third).await;
    let missing = post_credential(&app, &third, &sign(&no_nonce_claims, "test-key-1", KEY_1)).await;

    for response in [replay, replay_same_browser, wrong_nonce, missing] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}

async fn forged_and_wrong_tokens_are_refused(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let email = unique_email();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut c = claims(&email, "NONCE");
        change(&mut c);
        c
    };
    let hs256_with_public_key = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("test-key-1".into());
        encode(
            &header,
            &claims(&email, "NONCE"),
            &EncodingKey::from_secret(JWKS_1.as_bytes()),
        )
        .unwrap()
    };
    let alg_none = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"none","kid":"test-key-1"}"#);
        format!(
            "{header}.{}.",
            b64.encode(claims(&email, "NONCE").to_string())
        )
    };
    let embedded_jwk = {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("test-key-1".into());
        header.jku = Some("https://evil.example/keys".into());
        encode(
            &header,
            &claims(&email, "NONCE"),
            &EncodingKey::from_rsa_pem(KEY_1).unwrap(),
        )
        .unwrap()
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "signed by another key",
            sign(&claims(&email, "NONCE"), "test-key-1", KEY_2),
        ),
        ("HS256 with the public key", hs256_with_public_key),
        ("alg none", alg_none),
        ("jku header", embedded_jwk),
        (
            "wrong audience",
            sign(
                &with(&|c| c["aud"] = json!("someone-else")),
                "test-key-1",
                KEY_1,
            ),
        ),
        (
            "wrong issuer",
            sign(
                &with(&|c| c["iss"] = json!("https://evil.example")),
                "test-key-1",
                KEY_1,
            ),
        ),
        (
            "expired",
            sign(
                &with(&|c| c["exp"] = json!(now() - 600)),
                "test-key-1",
                KEY_1,
            ),
        ),
        (
            "issued in the future",
            sign(
                &with(&|c| c["iat"] = json!(now() + 600)),
                "test-key-1",
                KEY_1,
            ),
        ),
        ("garbage", "not.a.jwt".into()),
    ];

    for (name, token) in cases {
        let browser = app.new_client();
        let issued = nonce(&app, &browser).await;
        let token = token.replace("NONCE", &issued);
        let response = post_credential(&app, &browser, &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert!(
            crate::common::session_cookie(&response).is_none_or(|c| !c.is_empty()),
            "{name}"
        );
    }
    let me = app.get("/api/users/me").await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

async fn an_unknown_kid_refetches_at_most_once_per_interval(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let email = unique_email();

    for _ in 0..5 {
        let browser = app.new_client();
        let issued = nonce(&app, &browser).await;
        let response = post_credential(
            &app,
            &browser,
            &sign(&claims(&email, &issued), "no-such-key", KEY_1),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    assert_eq!(jwks.hits(), 1, "one fetch, then the rate limit holds");
}

async fn rotated_keys_are_picked_up_and_cache_expiry_refetches(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    jwks.set(200, JWKS_1, "public, max-age=1");
    let app = app_with(
        db,
        sessions,
        &jwks,
        vec![("google_jwks_min_refetch_secs", 1u64.into())],
    )
    .await;
    let sign_in = |kid: &'static str, key: &'static [u8]| {
        let app = &app;
        async move {
            let browser = app.new_client();
            let issued = nonce(app, &browser).await;
            post_credential(
                app,
                &browser,
                &sign(&claims(&unique_email(), &issued), kid, key),
            )
            .await
            .status()
        }
    };
    assert_eq!(sign_in("test-key-1", KEY_1).await, StatusCode::OK);
    assert_eq!(sign_in("test-key-1", KEY_1).await, StatusCode::OK);
    assert_eq!(jwks.hits(), 1, "cached within max-age");

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(sign_in("test-key-1", KEY_1).await, StatusCode::OK);
    assert_eq!(jwks.hits(), 2, "refetched after max-age");

    jwks.set(200, JWKS_2, "public, max-age=3600");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        sign_in("test-key-2", KEY_2).await,
        StatusCode::OK,
        "the new key is fetched on sight"
    );
    assert_eq!(jwks.hits(), 3);
}

async fn while_google_is_unreachable_google_sign_in_is_503_and_passwords_still_work(
    db: Database,
    sessions: Sessions,
) {
    let jwks = Jwks::start(JWKS_1).await;
    jwks.set(500, "oops", "no-store");
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let email = app.sign_up(&app.new_client()).await;
    let browser = app.new_client();
    let issued = nonce(&app, &browser).await;

    let google = post_credential(
        &app,
        &browser,
        &sign(&claims(&unique_email(), &issued), "test-key-1", KEY_1),
    )
    .await;
    let password = app.log_in(&app.new_client(), &email, PASSWORD).await;

    assert_eq!(google.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(password.status(), StatusCode::OK);
}

async fn linking_to_a_password_account_needs_a_verified_email(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let email = app.sign_up(&app.new_client()).await;
    // A password account that proved its address links, and keeps its password.
    app.verify_email(&email).await;

    let browser = app.new_client();
    let issued = nonce(&app, &browser).await;
    let mut unverified = claims(&email, &issued);
    unverified["email_verified"] = json!(false);
    let refused = post_credential(&app, &browser, &sign(&unverified, "test-key-1", KEY_1)).await;
    let issued = nonce(&app, &browser).await;
    let linked = post_credential(
        &app,
        &browser,
        &sign(&claims(&email, &issued), "test-key-1", KEY_1),
    )
    .await;

    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        refused.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("verified")
    );
    assert_eq!(linked.status(), StatusCode::OK);
    let user: Value = linked.json().await.unwrap();
    assert_eq!(
        (user["has_password"].clone(), user["has_google"].clone()),
        (json!(true), json!(true))
    );
}

async fn identity_is_keyed_on_sub_not_email(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let browser = app.new_client();
    let first_email = unique_email();
    let issued = nonce(&app, &browser).await;
    let first: Value = post_credential(
        &app,
        &browser,
        &sign(&claims(&first_email, &issued), "test-key-1", KEY_1),
    )
    .await
    .json()
    .await
    .unwrap();

    let issued = nonce(&app, &browser).await;
    let mut renamed = claims(&first_email, &issued);
    renamed["email"] = json!(unique_email());
    let second: Value = post_credential(&app, &browser, &sign(&renamed, "test-key-1", KEY_1))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(
        first["id"], second["id"],
        "same sub, same account, whatever the email says"
    );
}

async fn a_verified_email_never_moves_an_account_to_another_google_identity(
    db: Database,
    sessions: Sessions,
) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let email = unique_email();
    let owner = app.new_client();
    let issued = nonce(&app, &owner).await;
    let created = post_credential(
        &app,
        &owner,
        &sign(&claims(&email, &issued), "test-key-1", KEY_1),
    )
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    let account: Value = created.json().await.unwrap();

    // Another Google identity claiming the same, verified, address (G5).
    let attacker = app.new_client();
    let issued = nonce(&app, &attacker).await;
    let mut other = claims(&email, &issued);
    other["sub"] = json!("another-google-identity");
    let refused = post_credential(&app, &attacker, &sign(&other, "test-key-1", KEY_1)).await;

    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "conflict");
    assert_eq!(app.me_status(&attacker).await, StatusCode::UNAUTHORIZED);
    // The owner's identity still opens the same account.
    let again = app.new_client();
    let issued = nonce(&app, &again).await;
    let back: Value = post_credential(
        &app,
        &again,
        &sign(&claims(&email, &issued), "test-key-1", KEY_1),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(back["id"], account["id"]);
    let failures = gatehouse::server::audit::page(
        &app.state.db,
        None,
        &gatehouse::domain::PageRequest {
            page: 1,
            per_page: 20,
        },
    )
    .await
    .unwrap();
    assert!(
        failures
            .0
            .iter()
            .any(|e| e.kind == "sign_in_failed" && e.detail.contains("different Google account")),
        "the refusal is audited"
    );
}

async fn two_google_identities_racing_to_link_one_account_leave_one_linked(
    db: Database,
    sessions: Sessions,
) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let email = app.sign_up(&app.new_client()).await;
    let mut attempts = Vec::new();
    for sub in [
        "first-identity",
        "second-identity",
        "third-identity",
        "fourth-identity",
    ] {
        let browser = app.new_client();
        let issued = nonce(&app, &browser).await;
        let mut token = claims(&email, &issued);
        token["sub"] = json!(sub);
        attempts.push((browser, sign(&token, "test-key-1", KEY_1)));
    }

    let statuses =
        futures::future::join_all(attempts.iter().map(|(browser, token)| async {
            post_credential(&app, browser, token).await.status()
        }))
        .await;

    let linked = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(linked, 1, "exactly one identity links: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
}

async fn disabled_accounts_get_403_and_admin_emails_apply(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    let admin = unique_email();
    let app = app_with(
        db,
        sessions,
        &jwks,
        vec![("admin_emails", admin.clone().into())],
    )
    .await;

    let browser = app.new_client();
    let issued = nonce(&app, &browser).await;
    let user: Value = post_credential(
        &app,
        &browser,
        &sign(&claims(&admin, &issued), "test-key-1", KEY_1),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(user["is_admin"], true);

    // Another admin remains, so this one may be disabled.
    let other = gatehouse::domain::Email::parse(&unique_email()).unwrap();
    let name = gatehouse::domain::DisplayName::parse("Other Admin").unwrap();
    let another_admin = gatehouse::server::identity::users::NewUser {
        email: &other,
        name: &name,
        password_hash: None,
        google_sub: None,
        is_admin: true,
        email_verified: true,
    };
    app.state.accounts().create(another_admin).await.unwrap();
    app.state
        .accounts()
        .set_disabled(user["id"].as_i64().unwrap(), true)
        .await
        .unwrap();
    let browser = app.new_client();
    let issued = nonce(&app, &browser).await;
    let disabled = post_credential(
        &app,
        &browser,
        &sign(&claims(&admin, &issued), "test-key-1", KEY_1),
    )
    .await;
    assert_eq!(disabled.status(), StatusCode::FORBIDDEN);

    // Audited as every method's sign-in to a disabled account is: the one sign-in completion.
    let sql = "SELECT kind, user_id, detail FROM audit_events ORDER BY id DESC LIMIT 1";
    let last: (String, Option<i64>, String) = match &app.state.db {
        gatehouse::server::db::Db::Sqlite(pool) => {
            sqlx::query_as(sql).fetch_one(pool).await.unwrap()
        }
        gatehouse::server::db::Db::Postgres(pool) => {
            sqlx::query_as(sql).fetch_one(pool).await.unwrap()
        }
    };
    assert_eq!(
        last,
        (
            "sign_in_failed".to_owned(),
            user["id"].as_i64(),
            "disabled".to_owned()
        )
    );
}

async fn the_hosted_domain_allow_list_checks_hd(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(
        db,
        sessions,
        &jwks,
        vec![("google_hosted_domains", "corp.example".into())],
    )
    .await;
    let attempt = |hd: Option<&'static str>| {
        let app = &app;
        async move {
            let browser = app.new_client();
            let issued = nonce(app, &browser).await;
            let mut c = claims(&unique_email(), &issued);
            if let Some(hd) = hd {
                c["hd"] = json!(hd);
            }
            post_credential(app, &browser, &sign(&c, "test-key-1", KEY_1))
                .await
                .status()
        }
    };

    assert_eq!(attempt(Some("corp.example")).await, StatusCode::OK);
    assert_eq!(
        attempt(Some("other.example")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(attempt(None).await, StatusCode::UNAUTHORIZED);
}

async fn without_a_client_id_google_sign_in_is_404(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;

    assert_eq!(
        app.get("/api/auth/google/nonce").await.status(),
        StatusCode::NOT_FOUND
    );
    let post = post_credential(&app, &app.client, "x.y.z").await;
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
}

async fn parallel_posts_of_one_nonce_sign_in_once(db: Database, sessions: Sessions) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let response = app.get("/api/auth/google/nonce").await;
    let cookie = crate::common::session_cookie(&response).unwrap();
    let issued = response.json::<Value>().await.unwrap()["nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = sign(&claims(&unique_email(), &issued), "test-key-1", KEY_1);

    // Eight posts of the same token from the same browser session, at once.
    let posts = (0..8).map(|_| {
        let (url, cookie, token) = (app.url("/api/auth/google"), cookie.clone(), token.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("cookie", cookie)
                .json(&json!({ "credential": token }))
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(posts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let signed_in = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(
        signed_in, 1,
        "the nonce was used more than once: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::OK, StatusCode::UNAUTHORIZED].contains(s)),
        "{statuses:?}"
    );
}

async fn a_google_only_account_confirms_with_google_before_setting_a_password(
    db: Database,
    sessions: Sessions,
) {
    use reqwest::Method;
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let browser = app.new_client();
    let email = unique_email();
    let first = nonce(&app, &browser).await;
    let signed_in = post_credential(
        &app,
        &browser,
        &sign(&claims(&email, &first), "test-key-1", KEY_1),
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = crate::common::session_cookie(&signed_in).unwrap();
    crate::step_up::age_sign_in(&app, &cookie, 11 * 60).await;
    let set_password = || {
        let body = json!({"new_password": "a first password here"});
        app.call(&browser, Method::POST, "/api/users/me/password", Some(body))
    };

    // An old session gets no first password.
    let refused = set_password().await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "reauth_required"
    );
    let no_password = app
        .call(
            &browser,
            Method::POST,
            "/api/auth/reauth",
            Some(json!({"password": "anything at all"})),
        )
        .await;
    assert_eq!(no_password.status(), StatusCode::FORBIDDEN);

    // Another Google account does not confirm this one; a stale nonce does not either.
    let other = nonce(&app, &browser).await;
    let stranger = sign(&claims(&unique_email(), &other), "test-key-1", KEY_1);
    let wrong_account = app
        .call(
            &browser,
            Method::POST,
            "/api/auth/reauth",
            Some(json!({"credential": stranger})),
        )
        .await;
    assert_eq!(wrong_account.status(), StatusCode::FORBIDDEN);
    let reused = sign(&claims(&email, &other), "test-key-1", KEY_1);
    let stale = app
        .call(
            &browser,
            Method::POST,
            "/api/auth/reauth",
            Some(json!({"credential": reused})),
        )
        .await;
    assert_eq!(stale.status(), StatusCode::FORBIDDEN, "that nonce was used");
    assert_eq!(
        app.me_status(&browser).await,
        StatusCode::OK,
        "still signed in"
    );

    let fresh = nonce(&app, &browser).await;
    let mine = sign(&claims(&email, &fresh), "test-key-1", KEY_1);
    let confirmed = app
        .call(
            &browser,
            Method::POST,
            "/api/auth/reauth",
            Some(json!({"credential": mine})),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    assert_eq!(set_password().await.status(), StatusCode::NO_CONTENT);
    let login = app
        .log_in(&app.new_client(), &email, "a first password here")
        .await;
    assert_eq!(login.status(), StatusCode::OK);
}

async fn signing_in_with_google_again_replaces_this_browsers_session(
    db: Database,
    sessions: Sessions,
) {
    let jwks = Jwks::start(JWKS_1).await;
    let app = app_with(db, sessions, &jwks, vec![]).await;
    let browser = app.new_client();
    let email = unique_email();
    for _ in 0..3 {
        let issued = nonce(&app, &browser).await;
        let token = sign(&claims(&email, &issued), "test-key-1", KEY_1);
        assert_eq!(
            post_credential(&app, &browser, &token).await.status(),
            StatusCode::OK
        );
    }

    let listed: Vec<Value> = browser
        .get(app.url("/api/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["current"], true);
}

async fn a_verified_google_sign_in_claims_a_never_verified_password_account(
    db: Database,
    sessions: Sessions,
) {
    use reqwest::Method;
    let jwks = Jwks::start(JWKS_1).await;
    let key = ("secrets_key", crate::two_factor::SECRETS_KEY.into());
    let app = app_with(db, sessions, &jwks, vec![key]).await;
    // Someone signs up first with the victim's address, and keeps a session, a link and a
    // second factor of their own.
    let attacker = app.new_client();
    let victim = unique_email();
    let planted: Value = app
        .post_json(
            &attacker,
            "/api/auth/signup",
            json!({"email": victim, "password": PASSWORD, "name": "Not the owner"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(planted["email_verified"], false);
    // A squatter from before an unverified account was kept from adding a second factor: the
    // claim must still remove it.
    let set_verified = |verified: bool| {
        let app = &app;
        let victim = victim.clone();
        async move {
            gatehouse::on_db!(&app.state.db, pool => sqlx::query(
                "UPDATE users SET email_verified = $1 WHERE email = $2",
            )
            .bind(verified)
            .bind(&victim)
            .execute(pool)
            .await
            .map(drop)
            .unwrap());
            app.state
                .sessions
                .inner()
                .announce_user_change()
                .await
                .unwrap();
        }
    };
    set_verified(true).await;
    app.call(
        &attacker,
        Method::POST,
        "/api/users/me/email",
        Some(json!({"new_email": unique_email()})),
    )
    .await;
    let enrolment: Value = app
        .call(&attacker, Method::POST, "/api/users/me/totp", None)
        .await
        .json()
        .await
        .unwrap();
    let code = crate::two_factor::code_at(enrolment["secret"].as_str().unwrap(), now());
    let confirmed = app
        .call(
            &attacker,
            Method::POST,
            "/api/users/me/totp/confirm",
            Some(json!({ "code": code })),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    set_verified(false).await;

    // The owner signs in with Google, which has verified the address: straight in, without
    // the squatter's second factor.
    let owner = app.new_client();
    let issued = nonce(&app, &owner).await;
    let signed_in = post_credential(
        &app,
        &owner,
        &sign(&claims(&victim, &issued), "test-key-1", KEY_1),
    )
    .await;

    assert_eq!(signed_in.status(), StatusCode::OK);
    let account: Value = signed_in.json().await.unwrap();
    assert_eq!(
        account["id"], planted["id"],
        "the account goes to the address's owner"
    );
    assert_eq!(
        account["has_password"], false,
        "the unverified password is gone"
    );
    assert_eq!(account["email_verified"], true);
    assert_eq!(
        app.me_status(&attacker).await,
        StatusCode::UNAUTHORIZED,
        "every session ended"
    );
    assert_eq!(
        app.log_in(&app.new_client(), &victim, PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let pending: i64 = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_tokens WHERE used_at IS NULL",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(pending, 0, "no link the attacker asked for still works");
    let (events, _) = gatehouse::server::audit::page(
        &app.state.db,
        planted["id"].as_i64(),
        &gatehouse::domain::PageRequest {
            page: 1,
            per_page: 50,
        },
    )
    .await
    .unwrap();
    assert!(
        events.iter().any(|e| e.kind == "account_claimed"),
        "{events:?}"
    );
}

/// Google is a first factor like the password (SECURITY M5): an account with two-factor sign-in
/// is held for its code.
async fn a_google_sign_in_of_a_two_factor_account_waits_for_its_code(
    db: Database,
    sessions: Sessions,
) {
    use reqwest::Method;
    let jwks = Jwks::start(JWKS_1).await;
    let key = ("secrets_key", crate::two_factor::SECRETS_KEY.into());
    let app = app_with(db, sessions, &jwks, vec![key]).await;
    let email = unique_email();
    let first = app.new_client();
    let issued = nonce(&app, &first).await;
    let token = sign(&claims(&email, &issued), "test-key-1", KEY_1);
    assert_eq!(
        post_credential(&app, &first, &token).await.status(),
        StatusCode::OK
    );
    let enrolment: Value = app
        .call(&first, Method::POST, "/api/users/me/totp", None)
        .await
        .json()
        .await
        .unwrap();
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let confirmed = app
        .call(
            &first,
            Method::POST,
            "/api/users/me/totp/confirm",
            Some(json!({ "code": crate::two_factor::code_at(&secret, now()) })),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);

    let second = app.new_client();
    let issued = nonce(&app, &second).await;
    let token = sign(&claims(&email, &issued), "test-key-1", KEY_1);
    let held = post_credential(&app, &second, &token).await;
    assert_eq!(held.status(), StatusCode::OK);
    assert_eq!(
        held.json::<Value>().await.unwrap(),
        json!({"second_factor_required": true, "methods": ["totp", "recovery_code"]})
    );
    assert_eq!(app.me_status(&second).await, StatusCode::UNAUTHORIZED);
    // The next step's code (the enrolment took this one's; the server allows one step of skew).
    let code = crate::two_factor::code_at(&secret, now() + 30);
    let done = app
        .post_json(
            &second,
            "/api/auth/login/second-factor",
            json!({ "code": code }),
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(app.me_status(&second).await, StatusCode::OK);
    let detail: String = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE kind = 'sign_in' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(detail, "google + totp");
}
