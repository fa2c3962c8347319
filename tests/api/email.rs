//! Owning an email address (SECURITY E1–E5, G8): verification, password reset, email change,
//! account deletion and export, with mail that reaches a real SMTP server in the test process.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{
    Database, PASSWORD, Sessions, Spawn, TestApp, session_cookie, smtp::Smtp, unique_email,
};
use crate::step_up::age_sign_in;

on_every_backend!(
    sign_up_mails_a_link_that_verifies_the_address,
    a_verification_link_works_once_and_expires,
    the_verification_mail_is_sent_again_on_request_within_limits,
    a_reset_link_sets_the_password_and_ends_every_session,
    asking_for_a_reset_answers_the_same_for_any_address_and_is_throttled,
    a_password_change_or_a_newer_reset_revokes_older_links,
    an_email_change_needs_a_recent_sign_in_and_the_new_address,
    an_address_in_use_gets_the_same_answer_and_its_owner_a_mail,
    deleting_the_account_removes_it_and_anonymises_its_history,
    the_export_holds_the_profile_todos_sessions_and_history,
    with_required_verification_an_unverified_account_can_only_verify,
    admins_send_verification_and_reset_links_without_seeing_them,
);

/// An app whose mail goes to a fresh in-process SMTP server.
async fn with_mail(db: Database, sessions: Sessions) -> (TestApp, Smtp) {
    with_mail_and(Spawn::new(db, sessions)).await
}

async fn with_mail_and(spawn: Spawn) -> (TestApp, Smtp) {
    let smtp = Smtp::start();
    let app = TestApp::spawn_with(
        spawn
            .setting("smtp_url", smtp.url())
            .setting("public_url", "https://gatehouse.test")
            .setting("mail_from", "Gatehouse <no-reply@gatehouse.test>"),
    )
    .await;
    (app, smtp)
}

/// Signs up `email` on `client`; returns the user's id.
async fn sign_up(app: &TestApp, client: &reqwest::Client, email: &str) -> i64 {
    let response = app
        .post_json(
            client,
            "/api/auth/signup",
            json!({"email": email, "password": PASSWORD, "name": "Mail Reader"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.post_json(client, path, body).await
}

async fn me(app: &TestApp, client: &reqwest::Client) -> Value {
    app.call(client, Method::GET, "/api/users/me", None)
        .await
        .json()
        .await
        .unwrap()
}

async fn sign_up_mails_a_link_that_verifies_the_address(db: Database, sessions: Sessions) {
    let (app, smtp) = with_mail(db, sessions).await;
    let browser = app.new_client();
    let email = unique_email();
    sign_up(&app, &browser, &email).await;
    assert_eq!(me(&app, &browser).await["email_verified"], false);

    let mail = smtp.wait_for(&email, 1).await;

    assert_eq!(
        mail.header("Subject").unwrap(),
        "Confirm your email address"
    );
    assert_eq!(
        mail.header("From").unwrap(),
        "Gatehouse <no-reply@gatehouse.test>"
    );
    assert!(
        mail.header("Message-ID")
            .unwrap()
            .ends_with("@gatehouse.test>")
    );
    assert!(
        mail.header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    let link = mail.link("/verify-email");
    assert!(
        link.starts_with("https://gatehouse.test/verify-email?token="),
        "{link}"
    );
    assert!(
        mail.html().contains(&link),
        "the HTML part has the link too"
    );
    let token = mail.token("/verify-email");
    assert_eq!(token.len(), 43, "256 bits, base64url");

    // Following the link shows a page and changes nothing (mail scanners follow links).
    let page = app.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Verify my email"));
    assert_eq!(me(&app, &browser).await["email_verified"], false);

    let verified = post(
        &app,
        &app.new_client(),
        "/api/auth/verify-email",
        json!({"token": token}),
    )
    .await;
    assert_eq!(verified.status(), StatusCode::OK);
    let user: Value = verified.json().await.unwrap();
    assert_eq!(user["email"], email.as_str());
    assert_eq!(user["email_verified"], true);
    assert_eq!(me(&app, &browser).await["email_verified"], true);
}

async fn a_verification_link_works_once_and_expires(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let email = unique_email();
    sign_up(&app, &app.new_client(), &email).await;
    let token = app.outbox_token(&email, "/verify-email").await;

    // Only a hash of the token is stored (E1).
    let stored: Vec<String> = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT token_hash FROM email_tokens",
    )
    .fetch_all(pool)
    .await
    .unwrap());
    assert!(stored.iter().all(|hash| hash != &token && hash.len() == 64));

    // Two at once: one wins.
    let (one, two) = (app.new_client(), app.new_client());
    let (first, second) = tokio::join!(
        post(
            &app,
            &one,
            "/api/auth/verify-email",
            json!({"token": token})
        ),
        post(
            &app,
            &two,
            "/api/auth/verify-email",
            json!({"token": token})
        ),
    );
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]);

    // An expired one does nothing.
    let other = unique_email();
    sign_up(&app, &app.new_client(), &other).await;
    let expired = app.outbox_token(&other, "/verify-email").await;
    gatehouse::on_db!(&app.state.db, pool => sqlx::query("UPDATE email_tokens SET expires_at = 0")
        .execute(pool)
        .await
        .map(drop)
        .unwrap());
    let late = post(
        &app,
        &app.new_client(),
        "/api/auth/verify-email",
        json!({"token": expired}),
    )
    .await;
    assert_eq!(late.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = late.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "token");
    for garbage in ["", "short", &"x".repeat(43), &"ä".repeat(43)] {
        let response = post(
            &app,
            &app.new_client(),
            "/api/auth/verify-email",
            json!({"token": garbage}),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{garbage}"
        );
    }
}

async fn the_verification_mail_is_sent_again_on_request_within_limits(
    db: Database,
    sessions: Sessions,
) {
    let (app, smtp) = with_mail(db, sessions).await;
    let browser = app.new_client();
    let email = unique_email();
    sign_up(&app, &browser, &email).await;
    smtp.wait_for(&email, 1).await;

    let anonymous = post(
        &app,
        &app.new_client(),
        "/api/auth/verify-email/resend",
        json!({}),
    )
    .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            post(&app, &browser, "/api/auth/verify-email/resend", json!({}))
                .await
                .status(),
        );
    }
    assert_eq!(statuses[..5], [StatusCode::NO_CONTENT; 5], "{statuses:?}");
    assert_eq!(
        statuses[5],
        StatusCode::TOO_MANY_REQUESTS,
        "a few an hour (E3)"
    );
    let newest = smtp.wait_for(&email, 6).await;
    // Any of the links works; once verified, asking again sends nothing.
    let verified = post(
        &app,
        &app.new_client(),
        "/api/auth/verify-email",
        json!({"token": newest.token("/verify-email")}),
    )
    .await;
    assert_eq!(verified.status(), StatusCode::OK);
}

async fn a_reset_link_sets_the_password_and_ends_every_session(db: Database, sessions: Sessions) {
    let (app, smtp) = with_mail(db, sessions).await;
    let laptop = app.new_client();
    let email = unique_email();
    let id = sign_up(&app, &laptop, &email).await;
    let phone = app.new_client();
    assert_eq!(app.log_in(&phone, &email, PASSWORD).await.status(), 200);

    let asked = post(
        &app,
        &app.new_client(),
        "/api/auth/password-reset",
        json!({"email": email}),
    )
    .await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let mail = smtp.wait_for(&email, 2).await;
    assert_eq!(mail.header("Subject").unwrap(), "Reset your password");
    assert!(mail.text().contains("30 minutes"));
    let token = mail.token("/reset-password");

    // A password the policy refuses leaves the link usable (E4).
    let weak = post(
        &app,
        &app.new_client(),
        "/api/auth/password-reset/confirm",
        json!({"token": token, "new_password": "password"}),
    )
    .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        weak.json::<Value>().await.unwrap()["fields"][0]["field"],
        "new_password"
    );
    let reset = post(
        &app,
        &app.new_client(),
        "/api/auth/password-reset/confirm",
        json!({"token": token, "new_password": "a brand new passphrase"}),
    )
    .await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.me_status(&laptop).await,
        StatusCode::UNAUTHORIZED,
        "every session ends"
    );
    assert_eq!(app.me_status(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.log_in(&app.new_client(), &email, PASSWORD)
            .await
            .status(),
        401
    );
    let back = app.new_client();
    let login = app.log_in(&back, &email, "a brand new passphrase").await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(
        login.json::<Value>().await.unwrap()["email_verified"],
        true,
        "the link proved it"
    );
    // The account had never proved its address: the reset is its owner's claim (SECURITY C3).
    let notice = smtp.wait_for(&email, 3).await;
    assert_eq!(
        notice.header("Subject").unwrap(),
        "Your account is yours again"
    );
    let again = post(
        &app,
        &app.new_client(),
        "/api/auth/password-reset/confirm",
        json!({"token": token, "new_password": "yet another passphrase"}),
    )
    .await;
    assert_eq!(
        again.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "used once"
    );
    let (events, _) = gatehouse::server::audit::page(
        &app.state.db,
        Some(id),
        &gatehouse::domain::PageRequest {
            page: 1,
            per_page: 50,
        },
    )
    .await
    .unwrap();
    // The account had never proved its address: its reset is audited as the owner's claim.
    assert!(
        events.iter().any(|e| e.kind == "account_claimed"),
        "{events:?}"
    );
}

async fn asking_for_a_reset_answers_the_same_for_any_address_and_is_throttled(
    db: Database,
    sessions: Sessions,
) {
    let (app, smtp) = with_mail(db, sessions).await;
    let known = unique_email();
    sign_up(&app, &app.new_client(), &known).await;
    let unknown = unique_email();

    let answer = |email: String| {
        let app = &app;
        async move {
            let response = post(
                app,
                &app.new_client(),
                "/api/auth/password-reset",
                json!({"email": email}),
            )
            .await;
            let status = response.status();
            let mut headers: Vec<String> = response
                .headers()
                .iter()
                .filter(|(name, _)| !["date", "x-request-id"].contains(&name.as_str()))
                .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
                .collect();
            headers.sort();
            (status, headers, response.bytes().await.unwrap())
        }
    };
    let for_known = answer(known.clone()).await;
    let for_unknown = answer(unknown.clone()).await;
    assert_eq!(
        for_known, for_unknown,
        "the same status, headers and body (E3)"
    );
    assert_eq!(for_known.0, StatusCode::ACCEPTED);
    smtp.wait_for(&known, 2).await;
    assert!(
        smtp.to(&unknown).is_empty(),
        "no mail for an address without an account"
    );

    // A few an hour per address, known or not.
    for email in [&known, &unknown] {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(answer(email.clone()).await.0);
        }
        assert_eq!(statuses[..4], [StatusCode::ACCEPTED; 4], "{statuses:?}");
        assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    }
    let malformed = answer("not an address".into()).await;
    assert_eq!(malformed.0, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_password_change_or_a_newer_reset_revokes_older_links(db: Database, sessions: Sessions) {
    let (app, smtp) = with_mail(db, sessions).await;
    let browser = app.new_client();
    let email = unique_email();
    sign_up(&app, &browser, &email).await;
    let confirm = |token: String, password: &'static str| {
        let app = &app;
        async move {
            post(
                app,
                &app.new_client(),
                "/api/auth/password-reset/confirm",
                json!({"token": token, "new_password": password}),
            )
            .await
            .status()
        }
    };

    // Two links; using the second revokes the first.
    post(
        &app,
        &app.new_client(),
        "/api/auth/password-reset",
        json!({"email": email}),
    )
    .await;
    let first = smtp.wait_for(&email, 2).await.token("/reset-password");
    post(
        &app,
        &app.new_client(),
        "/api/auth/password-reset",
        json!({"email": email}),
    )
    .await;
    let second = smtp.wait_for(&email, 3).await.token("/reset-password");
    assert_eq!(
        confirm(second, "the second passphrase").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        confirm(first, "the first passphrase").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A link asked for before a password change does not undo it.
    let browser = app.new_client();
    assert_eq!(
        app.log_in(&browser, &email, "the second passphrase")
            .await
            .status(),
        200
    );
    post(
        &app,
        &app.new_client(),
        "/api/auth/password-reset",
        json!({"email": email}),
    )
    .await;
    let stale = smtp.wait_for(&email, 5).await.token("/reset-password");
    let changed = app
        .call(
            &browser,
            Method::POST,
            "/api/users/me/password",
            Some(json!({"current_password": "the second passphrase", "new_password": "a third passphrase"})),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        confirm(stale, "an attacker's passphrase").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn an_email_change_needs_a_recent_sign_in_and_the_new_address(
    db: Database,
    sessions: Sessions,
) {
    let (app, smtp) = with_mail(db, sessions).await;
    let browser = app.new_client();
    let old = unique_email();
    let signup = app
        .post_json(
            &browser,
            "/api/auth/signup",
            json!({"email": old, "password": PASSWORD, "name": "Mover"}),
        )
        .await;
    assert_eq!(signup.status(), StatusCode::CREATED);
    let new = unique_email();
    let change = |email: String| {
        let (app, browser) = (&app, &browser);
        async move {
            app.call(
                browser,
                Method::POST,
                "/api/users/me/email",
                Some(json!({"new_email": email})),
            )
            .await
        }
    };

    let same = change(old.clone()).await;
    assert_eq!(same.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let asked = change(new.clone()).await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let confirm_mail = smtp.wait_for(&new, 1).await;
    assert_eq!(
        confirm_mail.header("Subject").unwrap(),
        "Confirm your new email address"
    );
    let notice = smtp.wait_for(&old, 2).await;
    assert_eq!(
        notice.header("Subject").unwrap(),
        "Your email address is being changed"
    );
    assert!(notice.text().contains(&new));
    assert_eq!(me(&app, &browser).await["email"], old.as_str(), "not yet");

    let confirmed = post(
        &app,
        &app.new_client(),
        "/api/users/me/email/confirm",
        json!({"token": confirm_mail.token("/confirm-email")}),
    )
    .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let user: Value = confirmed.json().await.unwrap();
    assert_eq!(user["email"], new.as_str());
    assert_eq!(user["email_verified"], true);
    // A credential event: confirmed from another browser, it ends every session of the account
    // (SECURITY C2; the notice to the old address: `credential_events::email_changed`).
    assert_eq!(app.me_status(&browser).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.log_in(&app.new_client(), &new, PASSWORD).await.status(),
        200
    );
    assert_eq!(
        app.log_in(&app.new_client(), &old, PASSWORD).await.status(),
        401
    );

    // An old session must confirm who it is first (S13).
    let back = app.log_in(&browser, &new, PASSWORD).await;
    assert_eq!(back.status(), StatusCode::OK);
    let cookie = session_cookie(&back).unwrap();
    age_sign_in(&app, &cookie, 11 * 60).await;
    let refused = change(unique_email()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "reauth_required"
    );
}

async fn an_address_in_use_gets_the_same_answer_and_its_owner_a_mail(
    db: Database,
    sessions: Sessions,
) {
    let (app, smtp) = with_mail(db, sessions).await;
    let owner = unique_email();
    sign_up(&app, &app.new_client(), &owner).await;
    smtp.wait_for(&owner, 1).await;
    let browser = app.new_client();
    let mover = unique_email();
    sign_up(&app, &browser, &mover).await;
    smtp.wait_for(&mover, 1).await;

    let asked = app
        .call(
            &browser,
            Method::POST,
            "/api/users/me/email",
            Some(json!({"new_email": owner})),
        )
        .await;

    assert_eq!(
        asked.status(),
        StatusCode::ACCEPTED,
        "the same answer as for a free address"
    );
    let warning = smtp.wait_for(&owner, 2).await;
    assert_eq!(
        warning.header("Subject").unwrap(),
        "Someone tried to use your email address"
    );
    assert!(
        !warning.text().contains("token="),
        "no link to take the address with"
    );
    assert_eq!(
        smtp.to(&mover).len(),
        1,
        "and no notice that would tell the mover"
    );
}

async fn deleting_the_account_removes_it_and_anonymises_its_history(
    db: Database,
    sessions: Sessions,
) {
    let (app, admin_email) = TestApp::spawn_with_admin(Spawn::new(db, sessions)).await;
    let browser = app.new_client();
    let email = unique_email();
    let signup = app
        .post_json(
            &browser,
            "/api/auth/signup",
            json!({"email": email, "password": PASSWORD, "name": "Leaver"}),
        )
        .await;
    let cookie = session_cookie(&signup).unwrap();
    let id = signup.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    app.call(
        &browser,
        Method::POST,
        "/api/todos",
        Some(json!({"title": "last thing"})),
    )
    .await;
    let phone = app.new_client();
    assert_eq!(app.log_in(&phone, &email, PASSWORD).await.status(), 200);

    // An old session must confirm who it is first.
    age_sign_in(&app, &cookie, 11 * 60).await;
    let refused = app
        .call(&browser, Method::DELETE, "/api/users/me", None)
        .await;
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "reauth_required"
    );
    let confirmed = app
        .call(
            &browser,
            Method::POST,
            "/api/auth/reauth",
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    let deleted = app
        .call(&browser, Method::DELETE, "/api/users/me", None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let named: i64 = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE email = $1",
    )
    .bind(&email)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(named, 0, "the history keeps no address");
    assert_eq!(app.me_status(&browser).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.log_in(&app.new_client(), &email, PASSWORD)
            .await
            .status(),
        401
    );
    let count = |sql: &'static str| {
        let app = &app;
        async move {
            let n: i64 = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(sql)
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap());
            n
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM todos WHERE user_id = $1").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM user_sessions WHERE user_id = $1").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM email_tokens WHERE user_id = $1").await,
        0
    );
    let kinds: Vec<String> = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT kind FROM audit_events WHERE kind = 'account_deleted'",
    )
    .fetch_all(pool)
    .await
    .unwrap());
    assert_eq!(kinds.len(), 1);

    // The last admin cannot leave (409); the account stays.
    let refused = app
        .call(&app.client, Method::DELETE, "/api/users/me", None)
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.log_in(&app.new_client(), &admin_email, PASSWORD)
            .await
            .status(),
        200
    );
}

async fn the_export_holds_the_profile_todos_sessions_and_history(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let browser = app.new_client();
    let email = unique_email();
    sign_up(&app, &browser, &email).await;
    app.call(
        &browser,
        Method::POST,
        "/api/todos",
        Some(json!({"title": "exported"})),
    )
    .await;

    let export = app
        .call(&browser, Method::GET, "/api/users/me/export", None)
        .await;
    let anonymous = app.get("/api/users/me/export").await;

    assert_eq!(export.status(), StatusCode::OK);
    assert_eq!(export.headers()["cache-control"], "no-store");
    let data: Value = export.json().await.unwrap();
    assert_eq!(data["user"]["email"], email.as_str());
    assert_eq!(data["todos"][0]["title"], "exported");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(data["sessions"][0]["current"], true);
    assert!(
        data["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "sign_up"),
        "{data}"
    );
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn with_required_verification_an_unverified_account_can_only_verify(
    db: Database,
    sessions: Sessions,
) {
    let app =
        TestApp::spawn_with(Spawn::new(db, sessions).setting("require_verified_email", true)).await;
    let browser = app.new_client();
    let email = unique_email();
    sign_up(&app, &browser, &email).await;

    let todos = app.call(&browser, Method::GET, "/api/todos", None).await;
    let via_fn = browser
        .post(app.url("/api/fn/list_todos"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    let who = app.call(&browser, Method::GET, "/api/users/me", None).await;
    let resend = post(&app, &browser, "/api/auth/verify-email/resend", json!({})).await;
    let page = app
        .call(&browser, Method::GET, "/todos", None)
        .await
        .text()
        .await
        .unwrap();

    assert_eq!(todos.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        todos.json::<Value>().await.unwrap()["error"],
        "email_unverified"
    );
    assert_eq!(via_fn.status(), StatusCode::FORBIDDEN);
    assert_eq!(who.status(), StatusCode::OK, "who am I still answers");
    assert_eq!(resend.status(), StatusCode::NO_CONTENT);
    assert!(page.contains("Check your inbox"), "{page}");

    app.verify_email(&email).await;
    let after = app.call(&browser, Method::GET, "/api/todos", None).await;
    assert_eq!(after.status(), StatusCode::OK);
}

async fn admins_send_verification_and_reset_links_without_seeing_them(
    db: Database,
    sessions: Sessions,
) {
    let smtp = Smtp::start();
    let (app, _) = TestApp::spawn_with_admin(
        Spawn::new(db, sessions)
            .setting("smtp_url", smtp.url())
            .setting("public_url", "https://gatehouse.test"),
    )
    .await;
    let email = unique_email();
    let id = sign_up(&app, &app.new_client(), &email).await;
    smtp.wait_for(&email, 1).await;

    let view: Value = app
        .call(
            &app.client,
            Method::GET,
            &format!("/api/admin/users?query={email}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["users"][0]["email_verified"], false);
    let verification = app
        .call(
            &app.client,
            Method::POST,
            &format!("/api/admin/users/{id}/verification"),
            None,
        )
        .await;
    let reset = app
        .call(
            &app.client,
            Method::POST,
            &format!("/api/admin/users/{id}/password-reset"),
            None,
        )
        .await;
    let by_user = app
        .call(
            &app.new_client(),
            Method::POST,
            &format!("/api/admin/users/{id}/password-reset"),
            None,
        )
        .await;

    assert_eq!(verification.status(), StatusCode::ACCEPTED);
    assert_eq!(reset.status(), StatusCode::ACCEPTED);
    assert!(
        verification.bytes().await.unwrap().is_empty(),
        "the admin sees no link"
    );
    assert_eq!(by_user.status(), StatusCode::UNAUTHORIZED);
    smtp.wait_for(&email, 3).await;
    let subjects: Vec<String> = smtp
        .to(&email)
        .iter()
        .map(|mail| mail.header("Subject").unwrap())
        .collect();
    assert!(
        subjects.contains(&"Reset your password".to_owned()),
        "{subjects:?}"
    );
    assert_eq!(
        subjects
            .iter()
            .filter(|s| *s == "Confirm your email address")
            .count(),
        2
    );
}
