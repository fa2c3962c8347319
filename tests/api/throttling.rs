//! Throttling under abuse (SECURITY P3, P8, P9, X6): attempts are reserved before the hash, so
//! parallel guesses get no more tries than sequential ones; IPv6 counts per /64; sign-ups are
//! throttled; a full hashing queue answers 503 at once; and a browser that signed in before
//! (device cookie) keeps signing in while strangers' guesses throttle the account.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Database, PASSWORD, Sessions, Spawn, TestApp, unique_email};

on_every_backend!(
    parallel_wrong_guesses_get_no_more_tries_than_the_limit,
    ipv6_addresses_are_counted_per_64,
    sign_ups_are_throttled_per_address_even_in_parallel,
    a_full_hashing_queue_answers_503_at_once,
    the_owners_browser_signs_in_while_strangers_guesses_lock_the_account,
    anonymous_requests_cannot_flood_the_session_store,
);

/// An app that trusts the test as its load balancer, so `X-Forwarded-For` names the client.
async fn behind_proxy(spawn: Spawn) -> TestApp {
    TestApp::spawn_with(spawn.setting("trusted_proxies", "127.0.0.1")).await
}

async fn log_in_from(
    app: &TestApp,
    client: &reqwest::Client,
    ip: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// How many sign-in failures (wrong passwords actually tried) the audit trail holds for `email`.
async fn tried(app: &TestApp, email: &str) -> usize {
    let (events, _) = gatehouse::server::audit::page(
        &app.state.db,
        None,
        &gatehouse::domain::PageRequest {
            page: 1,
            per_page: 100,
        },
    )
    .await
    .unwrap();
    events
        .iter()
        .filter(|event| event.kind == "sign_in_failed" && event.email.as_deref() == Some(email))
        .count()
}

pub(crate) async fn parallel_wrong_guesses_get_no_more_tries_than_the_limit(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.new_client()).await;

    // A hundred wrong guesses at one account from one address, all at once.
    let guesses = (0..100).map(|i| {
        let url = app.url("/api/auth/login");
        let body = json!({"email": email, "password": format!("wrong guess {i}")});
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(guesses)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(wrong + throttled, 100, "{statuses:?}");
    assert!(
        wrong <= 5,
        "{wrong} guesses were tried; the pair's limit is 5"
    );
    assert!(tried(&app, &email).await <= 5);
    let owner = app.log_in(&app.new_client(), &email, PASSWORD).await;
    assert_eq!(
        owner.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a new browser at that address waits too"
    );
}

async fn ipv6_addresses_are_counted_per_64(db: Database, sessions: Sessions) {
    let app = behind_proxy(Spawn::new(db, sessions)).await;
    let email = app.sign_up(&app.new_client()).await;
    let client = reqwest::Client::new();

    // Five guesses, each from another address of one /64: one network, five tries.
    for host in 1..=5 {
        let ip = format!("2001:db8:7:1::{host:x}");
        let response = log_in_from(&app, &client, &ip, &email, "a wrong guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{ip}");
    }
    let sixth = log_in_from(&app, &client, "2001:db8:7:1:ffff::1", &email, PASSWORD).await;
    let next_network = log_in_from(&app, &client, "2001:db8:7:2::1", &email, PASSWORD).await;

    assert_eq!(
        sixth.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a sixth address in the same /64 is the same client"
    );
    assert_eq!(next_network.status(), StatusCode::OK, "another /64 is not");
}

pub(crate) async fn sign_ups_are_throttled_per_address_even_in_parallel(
    db: Database,
    sessions: Sessions,
) {
    let app =
        behind_proxy(Spawn::new(db, sessions).setting("max_signups_per_ip_per_hour", 3)).await;
    let sign_up_from = |ip: &'static str| {
        let url = app.url("/api/auth/signup");
        let body = json!({"email": unique_email(), "password": PASSWORD, "name": "Bulk"});
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", ip)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    let burst: Vec<_> = (0..10)
        .map(|_| tokio::spawn(sign_up_from("198.51.100.7")))
        .collect();
    let mut created = 0;
    let mut throttled = Vec::new();
    for answer in futures::future::join_all(burst).await {
        let response = answer.unwrap();
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled.push(response),
            other => panic!("unexpected {other}"),
        }
    }
    let elsewhere = sign_up_from("198.51.100.8").await;

    assert_eq!(created, 3, "the limit is 3 an hour");
    let retry_after: u64 = throttled[0].headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(elsewhere.status(), StatusCode::CREATED);
}

async fn a_full_hashing_queue_answers_503_at_once(db: Database, sessions: Sessions) {
    let app = behind_proxy(Spawn::new(db, sessions).setting("password_hash_queue", 1)).await;
    let email = app.sign_up(&app.new_client()).await;

    // Forty sign-ins for forty accounts from forty addresses: nothing throttles them, and the
    // hashing threads can hold only a few at once.
    let attempts = (0..40).map(|i| {
        let url = app.url("/api/auth/login");
        let body = json!({"email": unique_email(), "password": "some password"});
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", format!("203.0.113.{i}"))
                .json(&body)
                .send()
                .await
                .unwrap()
        })
    });
    let mut busy = Vec::new();
    let mut tried = 0;
    for answer in futures::future::join_all(attempts).await {
        let response = answer.unwrap();
        match response.status() {
            StatusCode::UNAUTHORIZED => tried += 1,
            StatusCode::SERVICE_UNAVAILABLE => busy.push(response),
            other => panic!("unexpected {other}"),
        }
    }

    assert!(tried >= 1, "some were hashed");
    assert!(!busy.is_empty(), "the rest were refused, not queued");
    assert_eq!(busy[0].headers()["retry-after"], "1");
    let body: Value = busy.remove(0).json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    let later = app.log_in(&app.new_client(), &email, PASSWORD).await;
    assert_eq!(later.status(), StatusCode::OK, "the queue drains");
}

pub(crate) async fn the_owners_browser_signs_in_while_strangers_guesses_lock_the_account(
    db: Database,
    sessions: Sessions,
) {
    let app = behind_proxy(Spawn::new(db, sessions)).await;
    let owner = app.new_client();
    let email = app.sign_up(&owner).await;

    // Signing out ends the session but keeps the device cookie.
    let signed_out = app
        .call(&owner, Method::POST, "/api/auth/logout", None)
        .await;
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    let cleared = signed_out.headers()["clear-site-data"].to_str().unwrap();
    assert!(!cleared.contains("cookies"), "{cleared}");
    let set_cookies: Vec<&str> = signed_out
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        set_cookies.iter().any(|c| c.starts_with("gatehouse=;")),
        "the session cookie is removed: {set_cookies:?}"
    );
    assert!(
        !set_cookies
            .iter()
            .any(|c| c.starts_with("gatehouse-device=")),
        "the device cookie is left alone: {set_cookies:?}"
    );

    // Strangers guess from five networks until the account itself is throttled.
    let stranger = reqwest::Client::new();
    for network in 0..5 {
        for _ in 0..5 {
            let ip = format!("192.0.2.{network}");
            let guess = log_in_from(&app, &stranger, &ip, &email, "a wrong guess").await;
            assert!(
                [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&guess.status())
            );
        }
    }
    let new_browser = log_in_from(&app, &app.new_client(), "192.0.2.99", &email, PASSWORD).await;
    assert_eq!(
        new_browser.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the account is throttled for every browser it does not know"
    );

    // The owner's browser, which signed in before, still gets in with the right password.
    let back = app.log_in(&owner, &email, PASSWORD).await;
    assert_eq!(
        back.status(),
        StatusCode::OK,
        "{}",
        back.text().await.unwrap()
    );

    // It has a small limit of its own: five wrong passwords, and it waits too.
    app.call(&owner, Method::POST, "/api/auth/logout", None)
        .await;
    for _ in 0..5 {
        let wrong = app.log_in(&owner, &email, "the owner mistypes").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = app.log_in(&owner, &email, PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Anonymous requests cannot flood the session store (SECURITY C8): 400 parallel calls for
/// passkey options, each from a new browser at one address, leave at most 100 stored sessions
/// (`max_anonymous_sessions_per_ip`); the rest are 429. A signed-in browser, and one whose
/// session is stored already, are not counted.
async fn anonymous_requests_cannot_flood_the_session_store(db: Database, sessions: Sessions) {
    let app = TestApp::spawn_with(crate::passkeys::spawn(db, sessions)).await;
    let signed_in = app.new_client();
    app.sign_up(&signed_in).await;
    let returning = app.new_client();
    let first = app
        .call(&returning, Method::POST, "/api/auth/passkey/options", None)
        .await;
    assert_eq!(first.status(), StatusCode::OK);

    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..400 {
        let url = app.url("/api/auth/passkey/options");
        calls.spawn(async move {
            let response = reqwest::Client::new().post(url).send().await.unwrap();
            (
                response.status(),
                crate::common::session_cookie(&response).is_some(),
            )
        });
    }
    let (mut stored, mut refused) = (0, 0);
    while let Some(outcome) = calls.join_next().await {
        match outcome.unwrap() {
            (StatusCode::OK, true) => stored += 1,
            (StatusCode::TOO_MANY_REQUESTS, false) => refused += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    // The returning browser's first call counted as one of the 100.
    assert_eq!((stored, refused), (99, 301));

    // Still served: a browser whose session is stored, and a signed-in one.
    for client in [&returning, &signed_in] {
        let again = app
            .call(client, Method::POST, "/api/auth/passkey/options", None)
            .await;
        assert_eq!(again.status(), StatusCode::OK);
    }
}
