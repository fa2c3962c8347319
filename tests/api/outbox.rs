//! The mail outbox (SECURITY E6): mail is written with the change that causes it, a server that
//! is down loses nothing, several instances send each message once, and a crash between sending
//! and marking sent sends it again with the same `Message-ID` (at least once).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{
    Database, PASSWORD, Sessions, Spawn, TestApp,
    smtp::{Smtp, free_port},
    unique_email,
};

on_every_backend!(
    a_mail_server_that_is_down_loses_nothing,
    two_instances_send_each_message_once,
    a_crash_between_sending_and_marking_sends_again_with_the_same_message_id,
    without_smtp_mail_waits_in_the_outbox_and_the_dev_mailbox_shows_it,
    a_sent_mail_keeps_no_link_and_goes_after_its_retention,
);

async fn sign_up(app: &TestApp, email: &str) {
    let response = app
        .post_json(
            &app.new_client(),
            "/api/auth/signup",
            json!({"email": email, "password": PASSWORD, "name": "Outbox"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap())
}

async fn a_mail_server_that_is_down_loses_nothing(db: Database, sessions: Sessions) {
    // The app is told about a server that is not there yet.
    let addr = free_port();
    let app =
        TestApp::spawn_with(Spawn::new(db, sessions).setting("smtp_url", format!("smtp://{addr}")))
            .await;
    let email = unique_email();
    sign_up(&app, &email).await;

    // It tries, fails, and keeps the mail; the app stays ready and shows the backlog.
    let started = Instant::now();
    while scalar(&app, "SELECT MAX(attempts) FROM mail_outbox").await < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the sender never tried"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error: Option<String> = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT last_error FROM mail_outbox",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert!(error.is_some());
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("gatehouse_mail_outbox_backlog 1"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("outbox"))
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The server comes back: the mail arrives, once.
    let smtp = Smtp::start_at(addr);
    let mail = smtp.wait_for(&email, 1).await;
    assert_eq!(
        mail.header("Subject").unwrap(),
        "Confirm your email address"
    );
    let started = Instant::now();
    while scalar(
        &app,
        "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL",
    )
    .await
        > 0
    {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("gatehouse_mail_outbox_backlog 0"));
    assert_eq!(smtp.to(&email).len(), 1);
}

async fn two_instances_send_each_message_once(db: Database, sessions: Sessions) {
    let smtp = Smtp::start();
    let prefix = format!("test-{}:", uuid::Uuid::new_v4().simple());
    let spawn = || {
        Spawn::new(db, sessions)
            .setting("smtp_url", smtp.url())
            .setting("redis_key_prefix", prefix.clone())
            .setting("max_signups_per_ip_per_hour", 1000)
    };
    let a = TestApp::spawn_with(spawn()).await;
    let mut second = spawn();
    second.database_url = Some(a.database_url.clone());
    let b = TestApp::spawn_with(second).await;

    // Twenty mails, written through both instances at once.
    let emails: Vec<String> = (0..20).map(|_| unique_email()).collect();
    let sign_ups = emails.iter().enumerate().map(|(i, email)| {
        let app = if i % 2 == 0 { &a } else { &b };
        sign_up(app, email)
    });
    futures::future::join_all(sign_ups).await;
    for email in &emails {
        smtp.wait_for(email, 1).await;
    }
    // Give both senders time to send anything twice, then count.
    let started = Instant::now();
    while scalar(&a, "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL").await > 0 {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let received = smtp.all();
    assert_eq!(received.len(), 20, "each message once");
    let mut ids: Vec<String> = received
        .iter()
        .map(|mail| mail.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}

async fn a_crash_between_sending_and_marking_sends_again_with_the_same_message_id(
    db: Database,
    sessions: Sessions,
) {
    let smtp = Smtp::start();
    let app = TestApp::spawn_with(Spawn::new(db, sessions).setting("smtp_url", smtp.url())).await;
    let email = unique_email();
    sign_up(&app, &email).await;
    let first = smtp.wait_for(&email, 1).await;
    let started = Instant::now();
    while scalar(
        &app,
        "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL",
    )
    .await
        > 0
    {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // What a process that died after the send and before the mark leaves behind: a message
    // not marked sent (so its bodies were never erased), whose claim has run out.
    gatehouse::on_db!(&app.state.db, pool => sqlx::query(
        "UPDATE mail_outbox SET sent_at = NULL, locked_until = 0, next_attempt_at = 0,
                text_body = $1, html_body = $2",
    )
    .bind(first.text().replace("\r\n", "\n"))
    .bind(first.html().replace("\r\n", "\n"))
    .execute(pool)
    .await
    .map(drop)
    .unwrap());

    let second = smtp.wait_for(&email, 2).await;
    assert_eq!(
        first.header("Message-ID"),
        second.header("Message-ID"),
        "the same message again: a mail client shows it once"
    );
    assert_eq!(first.text(), second.text());
}

async fn without_smtp_mail_waits_in_the_outbox_and_the_dev_mailbox_shows_it(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn_with(Spawn::new(db, sessions).setting("dev_mailbox", true)).await;
    let closed = TestApp::spawn(db, sessions).await;
    let email = unique_email();
    sign_up(&app, &email).await;

    let list = app.get("/dev/mailbox").await;
    assert_eq!(list.status(), StatusCode::OK);
    let page = list.text().await.unwrap();
    assert!(
        page.contains(&email) && page.contains("Confirm your email address"),
        "{page}"
    );
    let id: i64 = scalar(&app, "SELECT MAX(id) FROM mail_outbox").await;
    let html = app
        .get(&format!("/dev/mailbox/{id}/html"))
        .await
        .text()
        .await
        .unwrap();
    let text = app
        .get(&format!("/dev/mailbox/{id}/text"))
        .await
        .text()
        .await
        .unwrap();
    let token = app.outbox_token(&email, "/verify-email").await;
    assert!(
        html.contains(&format!("/verify-email?token={token}\"")),
        "a link to click: {html}"
    );
    assert!(text.contains(&token));
    assert_eq!(
        app.get("/dev/mailbox/999999/html").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        closed.get("/dev/mailbox").await.status(),
        StatusCode::NOT_FOUND,
        "off unless dev_mailbox is on"
    );
}

/// A database dump opens nothing (SECURITY C4): a sent mail's bodies, which held a live link,
/// are erased as it is sent; its row goes after `mail_retention_secs`; deleting an account
/// deletes the mail to it, sent or waiting.
async fn a_sent_mail_keeps_no_link_and_goes_after_its_retention(db: Database, sessions: Sessions) {
    let smtp = Smtp::start();
    let spawn = Spawn::new(db, sessions)
        .setting("smtp_url", smtp.url())
        .setting("mail_retention_secs", 2_i64);
    let app = TestApp::spawn_with(spawn).await;
    let email = unique_email();
    sign_up(&app, &email).await;
    let mail = smtp.wait_for(&email, 1).await;
    let token = mail.token("/verify-email");

    let started = Instant::now();
    loop {
        let row: Option<(String, String, Option<i64>)> = gatehouse::on_db!(&app.state.db, pool => sqlx::query_as(
            "SELECT text_body, html_body, sent_at FROM mail_outbox WHERE recipient = $1",
        )
        .bind(&email)
        .fetch_optional(pool)
        .await
        .unwrap());
        match row {
            Some((text, html, Some(_))) => {
                assert!(!text.contains(&token) && !html.contains(&token));
                assert_eq!((text.as_str(), html.as_str()), ("", ""));
                break;
            }
            Some((text, _, None)) => assert!(text.contains(&token), "waiting, the link is there"),
            None => panic!("the row went before it was seen sent"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never marked sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The link still works: only the copy at rest is gone.
    let verified = app
        .post_json(
            &app.new_client(),
            "/api/auth/verify-email",
            json!({ "token": token }),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::OK);

    // Past its retention the row is deleted.
    let started = Instant::now();
    loop {
        let rows: i64 = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_outbox WHERE recipient = $1",
        )
        .bind(&email)
        .fetch_one(pool)
        .await
        .unwrap());
        if rows == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never purged");
        // Mail to someone else wakes the sender, as it would in use.
        sign_up(&app, &unique_email()).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Deleting an account deletes its mail, waiting or sent.
    let waiting = TestApp::spawn(db, sessions).await;
    let client = waiting.new_client();
    let address = waiting.sign_up(&client).await;
    let deleted = waiting
        .call(&client, reqwest::Method::DELETE, "/api/users/me", None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let rows: i64 = gatehouse::on_db!(&waiting.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_outbox WHERE recipient = $1",
    )
    .bind(&address)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(rows, 0);
}
