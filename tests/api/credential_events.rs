//! The credential-event rule (SECURITY C1–C3, C5, C6): each event ends exactly what its row of
//! the table in `docs/security.md` says. Every row below sets up an account that holds one of
//! everything an intruder could have kept — a second session, a pending email change (asked for
//! from that session), a reset link, a sign-in waiting for its code, a passkey enrolment
//! ceremony, a device cookie — then makes the event happen through the API as a user would, and
//! checks each column. The expectations are written out here, cell by cell, not read from the
//! code under test.

use std::sync::Arc;

use gatehouse::server::{
    http::device_cookie::DeviceCookie,
    identity::{
        tokens::{self, Purpose},
        users,
    },
};
use reqwest::{Method, StatusCode, cookie::CookieStore};
use serde_json::{Value, json};

use crate::{
    common::{Database, PASSWORD, Sessions, TestApp, authenticator::SoftPasskey, unique_email},
    google::{CLIENT_ID, JWKS_1, Jwks, KEY_1, claims, nonce, post_credential, sign},
    passkeys::{self, ORIGIN, RP_ID},
    two_factor::{Authenticator, enrol_on},
};

/// Each cell of the credential-event table in `docs/security.md` is what its row's test
/// asserts: the document and the suite cannot drift apart.
#[test]
fn the_event_table_holds_each_cell_to_its_test() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/security.md")).unwrap();
    let source = std::fs::read_to_string(root.join("tests/api/credential_events.rs")).unwrap();
    let table = doc
        .split("| Event | Sessions |")
        .nth(1)
        .expect("the event table");
    let mut rows = 0;
    for line in table
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [_, sessions, change, links, held, ceremony, devices, test] = cells[..] else {
            panic!("a row of eight cells: {line}");
        };
        let name = test
            .trim_matches('`')
            .strip_prefix("credential_events::")
            .unwrap_or_else(|| panic!("a test name: {line}"));
        let start = source
            .find(&format!("async fn {name}("))
            .unwrap_or_else(|| panic!("no test {name}"));
        let body = &source[start..];
        let body = &body[..body[1..]
            .find("\nasync fn ")
            .map_or(body.len(), |end| end + 1)];
        let fields = |pairs: &[(&str, &str)]| {
            for (field, value) in pairs {
                let want = format!("{field}: {value},");
                assert!(body.contains(&want), "{name}: the table says {want}");
            }
        };
        match sessions {
            "others end" => fields(&[("owner_session", "true"), ("other_session", "false")]),
            "all end" | "refused, then end" => {
                fields(&[("owner_session", "false"), ("other_session", "false")])
            }
            "kept" => fields(&[("owner_session", "true"), ("other_session", "true")]),
            other => panic!("{name}: sessions {other:?}"),
        }
        assert_eq!(change, "ends", "{name}");
        fields(&[("email_change", "false")]);
        match links {
            "end" => fields(&[("reset_link", "false")]),
            "kept" => fields(&[("reset_link", "true")]),
            other => panic!("{name}: links {other:?}"),
        }
        match held {
            "end" => fields(&[("held_sign_in", "Some(false)")]),
            "—" => fields(&[("held_sign_in", "None")]),
            other => panic!("{name}: held {other:?}"),
        }
        assert_eq!(ceremony, "end", "{name}");
        fields(&[("ceremony", "false")]);
        match devices {
            "others end" => fields(&[("other_device", "false"), ("owner_device", "true")]),
            "all end" => fields(&[("other_device", "false"), ("owner_device", "false")]),
            other => panic!("{name}: devices {other:?}"),
        }
        rows += 1;
    }
    assert_eq!(rows, 14, "one row per event");
}

on_every_backend!(
    password_change,
    password_reset,
    sign_out_others,
    second_factor_on,
    second_factor_off,
    recovery_codes,
    passkey_added,
    passkey_removed,
    identity_linked,
    email_changed,
    claim_by_reset,
    claim_by_google,
    admin_disable,
    admin_second_factor_reset,
    admin_access_changes_need_a_recent_sign_in,
    strangers_codes_leave_the_owners_browser_its_own_budget,
);

/// One browser: a cookie jar we can read.
struct Browser {
    client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { client, jar }
    }

    /// The value of the cookie `name` this browser holds for the app.
    fn cookie(&self, app: &TestApp, name: &str) -> Option<String> {
        let url = app.url("/").parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }
}

async fn call(
    app: &TestApp,
    browser: &Browser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let response = app.call(&browser.client, method, path, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The token of the newest `{path}?token=` link mailed to `to`, waiting for it to be queued.
async fn mailed_token(app: &TestApp, to: &str, path: &str, skip: usize) -> String {
    let marker = format!("{path}?token=");
    for _ in 0..100 {
        let bodies: Vec<String> = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
            "SELECT text_body FROM mail_outbox WHERE recipient = $1 ORDER BY id DESC",
        )
        .bind(to)
        .fetch_all(pool)
        .await
        .unwrap());
        if let Some(text) = bodies.iter().filter(|b| b.contains(&marker)).nth(skip) {
            let start = text.find(&marker).unwrap() + marker.len();
            return text[start..].split_whitespace().next().unwrap().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {path} link mailed to {to}");
}

/// How many mails to `to` have `subject`.
async fn mails(app: &TestApp, to: &str, subject: &str) -> i64 {
    gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_outbox WHERE recipient = $1 AND subject = $2",
    )
    .bind(to)
    .bind(subject)
    .fetch_one(pool)
    .await
    .unwrap())
}

/// What the account holds before the event, with the handles to check each later.
struct World {
    app: TestApp,
    _jwks: Jwks,
    email: String,
    user_id: i64,
    /// The owner's browser, which makes the event (when the owner does).
    owner: Browser,
    /// A second session: the intruder's, with the device cookie it got at its sign-in.
    intruder: Browser,
    intruder_device: String,
    /// A browser whose sign-in waits for its code (accounts with a second factor).
    waiting: Option<Browser>,
    authenticator: Option<Authenticator>,
    /// The pending email change the intruder asked for.
    change_token: String,
    /// Two reset links (a reset uses the first).
    reset_tokens: [String; 2],
    /// The passkey enrolment started and not finished, and in which browser.
    ceremony: (Who, Value),
    /// A passkey the owner added before (for the rows that need one).
    passkey: Option<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Owner,
    Intruder,
}

/// How the account starts.
#[derive(Clone, Copy, Default)]
struct Start {
    two_factor: bool,
    passkey: bool,
    /// Never verified (a squatter's): its second factor and passkey are set as a release
    /// before the rule let them be.
    unverified: bool,
    ceremony_on_intruder: bool,
}

async fn world(db: Database, sessions: Sessions, start: Start) -> World {
    let jwks = Jwks::start(JWKS_1).await;
    let spawn = passkeys::spawn(db, sessions)
        .setting("google_client_id", CLIENT_ID)
        .setting("google_jwks_url", jwks.url());
    let (app, _admin) = TestApp::spawn_with_admin(spawn).await;
    let email = unique_email();
    let owner = Browser::new();
    let (status, body) = call(
        &app,
        &owner,
        Method::POST,
        "/api/auth/signup",
        Some(json!({"email": email, "password": PASSWORD, "name": "Owner"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let user_id = body["id"].as_i64().unwrap();
    app.verify_email(&email).await;
    let authenticator = if start.two_factor {
        Some(enrol_on(&app, &owner.client).await.0)
    } else {
        None
    };
    let passkey = if start.passkey {
        let mut soft = SoftPasskey::new(RP_ID, ORIGIN);
        let (status, options) = passkeys::enrol_options(&app, &owner.client).await;
        assert_eq!(status, StatusCode::OK, "{options}");
        let (status, added) =
            passkeys::add(&app, &owner.client, soft.create(&options), "Key").await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        Some(added["id"].as_i64().unwrap())
    } else {
        None
    };
    // A passkey enrolment, begun and not finished.
    let early_ceremony = if start.ceremony_on_intruder {
        None
    } else {
        let (status, options) = passkeys::enrol_options(&app, &owner.client).await;
        assert_eq!(status, StatusCode::OK, "{options}");
        Some(options)
    };
    if start.unverified {
        gatehouse::on_db!(&app.state.db, pool => sqlx::query(
            "UPDATE users SET email_verified = FALSE WHERE id = $1",
        )
        .bind(user_id)
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

    // The intruder signs in with the password (and the code).
    let intruder = Browser::new();
    let (status, body) = call(
        &app,
        &intruder,
        Method::POST,
        "/api/auth/login",
        Some(json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    if let Some(authenticator) = &authenticator {
        let code = authenticator.code(&app).await;
        let (status, body) = call(
            &app,
            &intruder,
            Method::POST,
            "/api/auth/login/second-factor",
            Some(json!({ "code": code })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(app.me_status(&intruder.client).await, StatusCode::OK);
    let intruder_device = intruder
        .cookie(&app, "gatehouse-device")
        .expect("a device cookie");

    // A sign-in waiting for its code.
    let waiting = if authenticator.is_some() {
        let waiting = Browser::new();
        let (status, body) = call(
            &app,
            &waiting,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("second_factor_required").is_some(), "{body}");
        Some(waiting)
    } else {
        None
    };

    // The intruder asks to move the account to their address (not on an unverified account,
    // whose own address change the rule does not concern).
    let theirs = unique_email();
    let (status, body) = call(
        &app,
        &intruder,
        Method::POST,
        "/api/users/me/email",
        Some(json!({ "new_email": theirs })),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let change_token = mailed_token(&app, &theirs, "/confirm-email", 0).await;

    // Two reset links.
    for _ in 0..2 {
        let (status, _) = call(
            &app,
            &Browser::new(),
            Method::POST,
            "/api/auth/password-reset",
            Some(json!({ "email": email })),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let second = mailed_token(&app, &email, "/reset-password", 0).await;
    let first = mailed_token(&app, &email, "/reset-password", 1).await;

    let (who, options) = match early_ceremony {
        Some(options) => (Who::Owner, options),
        None => {
            let (status, options) = passkeys::enrol_options(&app, &intruder.client).await;
            assert_eq!(status, StatusCode::OK, "{options}");
            (Who::Intruder, options)
        }
    };

    World {
        app,
        _jwks: jwks,
        email,
        user_id,
        owner,
        intruder,
        intruder_device,
        waiting,
        authenticator,
        change_token,
        reset_tokens: [first, second],
        ceremony: (who, options),
        passkey,
    }
}

/// One row of the table: what must still work after the event.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    owner_session: bool,
    other_session: bool,
    email_change: bool,
    reset_link: bool,
    /// `None` where no sign-in can wait (the account had no second factor).
    held_sign_in: Option<bool>,
    ceremony: bool,
    other_device: bool,
    /// The acting owner's browser's device cookie (renewed when the event keeps its session).
    owner_device: bool,
}

impl World {
    fn browser(&self, who: Who) -> &Browser {
        match who {
            Who::Owner => &self.owner,
            Who::Intruder => &self.intruder,
        }
    }

    async fn device_trusted(&self, value: Option<String>) -> bool {
        let Some(value) = value else {
            return false;
        };
        let user = users::by_id(&self.app.state.db, self.user_id)
            .await
            .unwrap()
            .unwrap();
        self.app
            .state
            .devices
            .trusted(
                &DeviceCookie::presenting(Some(&value)),
                user.id,
                &user.security_stamp,
            )
            .is_some()
    }

    async fn usable(&self, token: &str, purpose: Purpose) -> bool {
        tokens::usable(&self.app.state.db, token, purpose)
            .await
            .unwrap()
    }

    /// Checks every column; the ones that consume something (the ceremony, the held
    /// sign-in) go last.
    async fn observe(&self) -> Row {
        let app = &self.app;
        let owner_session = app.me_status(&self.owner.client).await == StatusCode::OK;
        let other_session = app.me_status(&self.intruder.client).await == StatusCode::OK;
        let email_change = self.usable(&self.change_token, Purpose::ChangeEmail).await;
        let reset_link = self
            .usable(&self.reset_tokens[1], Purpose::ResetPassword)
            .await;
        let other_device = self
            .device_trusted(Some(self.intruder_device.clone()))
            .await;
        let owner_device = self
            .device_trusted(self.owner.cookie(app, "gatehouse-device"))
            .await;
        let (who, options) = &self.ceremony;
        let mut soft = SoftPasskey::new(RP_ID, ORIGIN);
        let (status, _) = passkeys::add(
            app,
            &self.browser(*who).client,
            soft.create(options),
            "Late",
        )
        .await;
        let ceremony = status == StatusCode::CREATED;
        let held_sign_in = match (&self.waiting, &self.authenticator) {
            (Some(waiting), Some(authenticator)) => {
                let code = authenticator.code(app).await;
                let (status, _) = call(
                    app,
                    waiting,
                    Method::POST,
                    "/api/auth/login/second-factor",
                    Some(json!({ "code": code })),
                )
                .await;
                Some(status == StatusCode::OK)
            }
            _ => None,
        };
        Row {
            owner_session,
            other_session,
            email_change,
            reset_link,
            held_sign_in,
            ceremony,
            other_device,
            owner_device,
        }
    }
}

fn expect(row: Row, expected: Row) {
    assert_eq!(row, expected, "left: what happened; right: the table's row");
}

async fn password_change(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let body = json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"});
    let (status, body) = call(
        &w.app,
        &w.owner,
        Method::POST,
        "/api/users/me/password",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        mails(&w.app, &w.email, "Your password was changed").await,
        1
    );
    expect(
        w.observe().await,
        Row {
            owner_session: true,
            other_session: false,
            email_change: false,
            reset_link: false,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: true,
        },
    );
}

async fn password_reset(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let body = json!({"token": w.reset_tokens[0], "new_password": "a brand new passphrase"});
    let (status, body) = call(
        &w.app,
        &Browser::new(),
        Method::POST,
        "/api/auth/password-reset/confirm",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    expect(
        w.observe().await,
        Row {
            owner_session: false,
            other_session: false,
            email_change: false,
            reset_link: false,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: false,
        },
    );
}

async fn sign_out_others(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let (status, body) = call(&w.app, &w.owner, Method::DELETE, "/api/sessions", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    expect(
        w.observe().await,
        Row {
            owner_session: true,
            other_session: false,
            email_change: false,
            reset_link: true,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: true,
        },
    );
}

async fn second_factor_on(db: Database, sessions: Sessions) {
    let w = world(db, sessions, Start::default()).await;
    enrol_on(&w.app, &w.owner.client).await;
    assert_eq!(mails(&w.app, &w.email, "Two-factor sign-in is on").await, 1);
    expect(
        w.observe().await,
        Row {
            owner_session: true,
            other_session: false,
            email_change: false,
            reset_link: true,
            held_sign_in: None,
            ceremony: false,
            other_device: false,
            owner_device: true,
        },
    );
}

async fn second_factor_off(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let (status, body) = call(&w.app, &w.owner, Method::DELETE, "/api/users/me/totp", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    expect(
        w.observe().await,
        Row {
            owner_session: true,
            other_session: true,
            email_change: false,
            reset_link: true,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: true,
        },
    );
}

async fn recovery_codes(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let (status, body) = call(
        &w.app,
        &w.owner,
        Method::POST,
        "/api/users/me/recovery-codes",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        mails(&w.app, &w.email, "New recovery codes were made").await,
        1
    );
    expect(
        w.observe().await,
        Row {
            owner_session: true,
            other_session: true,
            email_change: false,
            reset_link: true,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: true,
        },
    );
}

async fn passkey_added(db: Database, sessions: Sessions) {
    let start = Start {
        two_factor: true,
        ceremony_on_intruder: true,
        ..Start::default()
    };
    let w = world(db, sessions, start).await;
    let mut soft = SoftPasskey::new(RP_ID, ORIGIN);
    let (status, options) = passkeys::enrol_options(&w.app, &w.owner.client).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let (status, body) =
        passkeys::add(&w.app, &w.owner.client, soft.create(&options), "Phone").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    expect(
        w.observe().await,
        Row {
            owner_session: true,
            other_session: true,
            email_change: false,
            reset_link: true,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: true,
        },
    );
}

async fn passkey_removed(db: Database, sessions: Sessions) {
    let start = Start {
        two_factor: true,
        passkey: true,
        ..Start::default()
    };
    let w = world(db, sessions, start).await;
    let path = format!("/api/users/me/passkeys/{}", w.passkey.unwrap());
    let (status, body) = call(&w.app, &w.owner, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    expect(
        w.observe().await,
        Row {
            owner_session: true,
            other_session: false,
            email_change: false,
            reset_link: true,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: true,
        },
    );
}

async fn identity_linked(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let google = Browser::new();
    let issued = nonce(&w.app, &google.client).await;
    let token = sign(&claims(&w.email, &issued), "test-key-1", KEY_1);
    let response = post_credential(&w.app, &google.client, &token).await;
    // Linked, then held for the account's code.
    assert_eq!(response.status(), StatusCode::OK);
    let user = users::by_id(&w.app.state.db, w.user_id)
        .await
        .unwrap()
        .unwrap();
    assert!(user.google_sub.is_some());
    assert_eq!(
        mails(&w.app, &w.email, "A Google account was linked").await,
        1
    );
    expect(
        w.observe().await,
        Row {
            owner_session: true,
            other_session: true,
            email_change: false,
            reset_link: true,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            // The browser that linked was not the owner's signed-in one.
            owner_device: false,
        },
    );
}

async fn email_changed(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let body = json!({ "token": w.change_token });
    let (status, body) = call(
        &w.app,
        &w.owner,
        Method::POST,
        "/api/users/me/email/confirm",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The old address is told, and how to get the account back.
    let told = mails(&w.app, &w.email, "Your account's email address was changed").await;
    assert_eq!(told, 1);
    let row = w.observe().await;
    expect(
        row,
        Row {
            owner_session: true,
            other_session: false,
            // Used: this was the change.
            email_change: false,
            reset_link: false,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: true,
        },
    );
}

async fn claim_by_reset(db: Database, sessions: Sessions) {
    let start = Start {
        two_factor: true,
        passkey: true,
        unverified: true,
        ..Start::default()
    };
    let w = world(db, sessions, start).await;
    let verify = {
        let (status, _) = call(
            &w.app,
            &w.intruder,
            Method::POST,
            "/api/auth/verify-email/resend",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        mailed_token(&w.app, &w.email, "/verify-email", 0).await
    };
    let body = json!({"token": w.reset_tokens[0], "new_password": "the owner's own passphrase"});
    let (status, body) = call(
        &w.app,
        &Browser::new(),
        Method::POST,
        "/api/auth/password-reset/confirm",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(
        !w.usable(&verify, Purpose::VerifyEmail).await,
        "verification links end"
    );
    assert_eq!(
        mails(&w.app, &w.email, "Your account is yours again").await,
        1
    );
    // The squatter's passkey and authenticator are gone: the owner signs in with the password
    // alone, and nothing else of theirs is left.
    let owner = Browser::new();
    let (status, body) = call(
        &w.app,
        &owner,
        Method::POST,
        "/api/auth/login",
        Some(json!({"email": w.email, "password": "the owner's own passphrase"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("second_factor_required").is_none(), "{body}");
    let passkeys: i64 = gatehouse::on_db!(&w.app.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM passkeys WHERE user_id = $1",
    )
    .bind(w.user_id)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(passkeys, 0);
    expect(
        w.observe().await,
        Row {
            owner_session: false,
            other_session: false,
            email_change: false,
            reset_link: false,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: false,
        },
    );
}

async fn claim_by_google(db: Database, sessions: Sessions) {
    let start = Start {
        two_factor: true,
        passkey: true,
        unverified: true,
        ..Start::default()
    };
    let w = world(db, sessions, start).await;
    let google = Browser::new();
    let issued = nonce(&w.app, &google.client).await;
    let token = sign(&claims(&w.email, &issued), "test-key-1", KEY_1);
    let response = post_credential(&w.app, &google.client, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        mails(&w.app, &w.email, "Your account is now linked to Google").await,
        1
    );
    expect(
        w.observe().await,
        Row {
            owner_session: false,
            other_session: false,
            email_change: false,
            reset_link: false,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: false,
        },
    );
}

async fn admin_disable(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let path = format!("/api/admin/users/{}", w.user_id);
    let response = w
        .app
        .call(
            &w.app.client,
            Method::PATCH,
            &path,
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    expect(
        w.observe().await,
        Row {
            owner_session: false,
            other_session: false,
            email_change: false,
            reset_link: false,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: false,
        },
    );
}

async fn admin_second_factor_reset(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let path = format!("/api/admin/users/{}/second-factor", w.user_id);
    let response = w.app.call(&w.app.client, Method::DELETE, &path, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    expect(
        w.observe().await,
        Row {
            owner_session: false,
            other_session: false,
            email_change: false,
            reset_link: true,
            held_sign_in: Some(false),
            ceremony: false,
            other_device: false,
            owner_device: false,
        },
    );
}

/// Granting or removing admin and disabling or enabling a user need a recent sign-in (C5).
async fn admin_access_changes_need_a_recent_sign_in(db: Database, sessions: Sessions) {
    let spawn = passkeys::spawn(db, sessions).setting("reauth_window_secs", 1_i64);
    let (app, admin) = TestApp::spawn_with_admin(spawn).await;
    let user = app.new_client();
    app.sign_up(&user).await;
    let id = app.user_id(&user).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let path = format!("/api/admin/users/{id}");
    for body in [json!({"disabled": true}), json!({"is_admin": true})] {
        let response = app
            .call(&app.client, Method::PATCH, &path, Some(body.clone()))
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"], "reauth_required", "{answer}");
    }
    assert_eq!(
        app.me_status(&user).await,
        StatusCode::OK,
        "nothing changed"
    );
    // After confirming the password, the same change goes through.
    let response = app
        .post_json(
            &app.client,
            "/api/auth/reauth",
            json!({ "password": PASSWORD }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{admin}");
    let response = app
        .call(
            &app.client,
            Method::PATCH,
            &path,
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_ne!(app.me_status(&user).await, StatusCode::OK);
}

/// Strangers who hold the password and spend the account's codes leave the owner's usual
/// browser (its device cookie) a budget of its own (C6).
async fn strangers_codes_leave_the_owners_browser_its_own_budget(db: Database, sessions: Sessions) {
    let w = world(
        db,
        sessions,
        Start {
            two_factor: true,
            ..Start::default()
        },
    )
    .await;
    let app = &w.app;
    // Ten wrong codes from two strangers' held sign-ins: the account's limit is spent.
    for _ in 0..2 {
        let stranger = Browser::new();
        let (status, _) = call(
            app,
            &stranger,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": w.email, "password": PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        for _ in 0..5 {
            call(
                app,
                &stranger,
                Method::POST,
                "/api/auth/login/second-factor",
                Some(json!({"code": "000000"})),
            )
            .await;
        }
    }
    let stranger = Browser::new();
    call(
        app,
        &stranger,
        Method::POST,
        "/api/auth/login",
        Some(json!({"email": w.email, "password": PASSWORD})),
    )
    .await;
    let code = w.authenticator.as_ref().unwrap().code(app).await;
    let (status, _) = call(
        app,
        &stranger,
        Method::POST,
        "/api/auth/login/second-factor",
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account's codes are spent"
    );

    // The owner's browser, which signed in before, signs in again with its right code.
    let (status, _) = call(app, &w.intruder, Method::POST, "/api/auth/logout", None).await;
    assert!(status.is_success());
    let (status, body) = call(
        app,
        &w.intruder,
        Method::POST,
        "/api/auth/login",
        Some(json!({"email": w.email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let code = w.authenticator.as_ref().unwrap().code(app).await;
    let (status, body) = call(
        app,
        &w.intruder,
        Method::POST,
        "/api/auth/login/second-factor",
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
