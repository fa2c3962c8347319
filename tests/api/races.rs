//! Sessions under races (SECURITY S11, S12): a request still in flight when its session ends
//! never brings it back, whichever way it ended; parallel requests after a role change rotate
//! the session once.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tower_sessions::{SessionStore, session::Id};

use crate::common::{Database, PASSWORD, Sessions, Spawn, TestApp, session_cookie, unique_email};
use gatehouse::{on_db, server::db::Db};

on_every_backend!(
    a_request_in_flight_never_revives_its_ended_session,
    requests_in_flight_during_a_step_up_never_bring_the_old_id_back,
    parallel_requests_after_a_role_change_rotate_the_session_once,
);

/// A request whose body is still arriving: its headers and all but the last byte of its body
/// are sent, so the server has loaded the session and waits for the rest.
struct SlowRequest {
    stream: TcpStream,
    last: u8,
}

impl SlowRequest {
    async fn start(app: &TestApp, method: &str, path: &str, cookie: &str, body: &str) -> Self {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            app.addr,
            body.len()
        );
        let (first, last) = body.as_bytes().split_at(body.len() - 1);
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(first).await.unwrap();
        stream.flush().await.unwrap();
        Self {
            stream,
            last: last[0],
        }
    }

    /// Sends the last byte and reads the status code of the answer.
    async fn finish(mut self) -> u16 {
        self.stream.write_all(&[self.last]).await.unwrap();
        let mut answer = Vec::new();
        self.stream.read_to_end(&mut answer).await.unwrap();
        let text = String::from_utf8_lossy(&answer);
        text.split(' ').nth(1).unwrap().parse().unwrap()
    }
}

/// The session id a `name=value` cookie carries.
fn cookie_id(cookie: &str) -> Id {
    cookie.split_once('=').unwrap().1.parse().unwrap()
}

/// Makes the stored session look last used two minutes ago, so its next request refreshes the
/// idle timer: that request changes the session and saves it when it answers.
async fn make_stale(app: &TestApp, cookie: &str) {
    let id = cookie_id(cookie);
    let mut record = app.state.sessions.load(&id).await.unwrap().unwrap();
    let auth = record.data.get_mut("auth").unwrap();
    auth["seen_at"] = json!(auth["seen_at"].as_i64().unwrap() - 120);
    app.state.sessions.save(&record).await.unwrap();
    // So that the refresh can be seen in the index.
    on_db!(&app.state.db, pool => sqlx::query("UPDATE user_sessions SET last_seen_at = 0")
        .execute(pool)
        .await
        .map(drop)
        .unwrap());
}

/// Waits until some request has refreshed a session's idle timer in the index.
async fn wait_for_refresh(db: &Db) {
    for _ in 0..500 {
        let refreshed: i64 = on_db!(db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_sessions WHERE last_seen_at > 0",
        )
        .fetch_one(pool)
        .await
        .unwrap());
        if refreshed > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the slow request never loaded its session");
}

/// The ways a session ends while one of its requests is in flight.
#[derive(Clone, Copy, Debug)]
enum Ending {
    SignOut,
    EndedFromAnotherDevice,
    EveryOtherEndedFromAnotherDevice,
    PasswordChangedOnAnotherDevice,
    AdminEndsAll,
    AccountDisabled,
    /// Not an end: a step-up on the laptop gives it a new id, and the old one must not come back.
    RotatedByStepUp,
}

pub(crate) async fn a_request_in_flight_never_revives_its_ended_session(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = TestApp::spawn_with_admin(Spawn::new(db, sessions)).await;
    for ending in [
        Ending::SignOut,
        Ending::EndedFromAnotherDevice,
        Ending::EveryOtherEndedFromAnotherDevice,
        Ending::PasswordChangedOnAnotherDevice,
        Ending::AdminEndsAll,
        Ending::AccountDisabled,
        Ending::RotatedByStepUp,
    ] {
        // Arrange: a user signed in on a laptop (the session that ends) and a phone.
        let email = unique_email();
        let signup = app
            .post_json(
                &app.new_client(),
                "/api/auth/signup",
                json!({"email": email, "password": PASSWORD, "name": "Racer"}),
            )
            .await;
        let laptop = session_cookie(&signup).unwrap();
        let user_id = signup.json::<Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let phone = app.new_client();
        assert_eq!(app.log_in(&phone, &email, PASSWORD).await.status(), 200);
        let laptop_handle = {
            let listed: Vec<Value> = app
                .call(&phone, Method::GET, "/api/sessions", None)
                .await
                .json()
                .await
                .unwrap();
            let other = listed.iter().find(|s| s["current"] == false).unwrap();
            other["id"].as_str().unwrap().to_owned()
        };
        make_stale(&app, &laptop).await;

        // Act: a slow rename from the laptop has loaded its session; the session ends; then the
        // rename's body arrives and it answers.
        let slow = SlowRequest::start(
            &app,
            "PATCH",
            "/api/users/me",
            &laptop,
            r#"{"name":"Renamed while ending"}"#,
        )
        .await;
        wait_for_refresh(&app.state.db).await;
        let ended = match ending {
            Ending::SignOut => {
                let client = reqwest::Client::new();
                client
                    .post(app.url("/api/auth/logout"))
                    .header("cookie", &laptop)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
            Ending::EndedFromAnotherDevice => {
                let path = format!("/api/sessions/{laptop_handle}");
                app.call(&phone, Method::DELETE, &path, None).await.status()
            }
            Ending::EveryOtherEndedFromAnotherDevice => app
                .call(&phone, Method::DELETE, "/api/sessions", None)
                .await
                .status(),
            Ending::PasswordChangedOnAnotherDevice => {
                let body =
                    json!({"current_password": PASSWORD, "new_password": "a new passphrase 2"});
                app.call(&phone, Method::POST, "/api/users/me/password", Some(body))
                    .await
                    .status()
            }
            Ending::AdminEndsAll => {
                let path = format!("/api/admin/users/{user_id}/sessions");
                app.call(&app.client, Method::DELETE, &path, None)
                    .await
                    .status()
            }
            Ending::AccountDisabled => {
                let path = format!("/api/admin/users/{user_id}");
                let body = json!({"disabled": true});
                let disabled = app
                    .call(&app.client, Method::PATCH, &path, Some(body))
                    .await;
                assert_eq!(disabled.status(), StatusCode::OK);
                // The laptop's next request is refused, and ends the session.
                app.get_with_cookie("/api/users/me", &laptop).await.status()
            }
            Ending::RotatedByStepUp => reqwest::Client::new()
                .post(app.url("/api/auth/reauth"))
                .header("cookie", &laptop)
                .json(&json!({ "password": PASSWORD }))
                .send()
                .await
                .unwrap()
                .status(),
        };
        assert!(
            ended.is_success() || ended == StatusCode::FORBIDDEN,
            "{ending:?}: {ended}"
        );
        let slow_status = slow.finish().await;

        // Assert: the session stays ended, in the store and for the cookie.
        assert!(
            [200, 401, 403].contains(&slow_status),
            "{ending:?}: the slow request answered {slow_status}"
        );
        // Nothing signed in is left under the old id (a rotated one keeps a stand-in signed in
        // to nobody for a minute).
        let stored = app.state.sessions.load(&cookie_id(&laptop)).await.unwrap();
        assert!(
            stored.is_none_or(|record| !record.data.contains_key("auth")),
            "{ending:?}: the in-flight request wrote the ended session back"
        );
        let replay = app.get_with_cookie("/api/users/me", &laptop).await;
        assert_eq!(
            replay.status(),
            StatusCode::UNAUTHORIZED,
            "{ending:?}: the ended session works again"
        );
    }
}

/// SECURITY C7, with real parallel requests: passkey options asked for in a loop with the old
/// cookie (each one saves its session) while a step-up on the same cookie gives it a new id. No
/// save writes the old id back: afterwards it works for nothing, and "sign out every other
/// session" leaves exactly the new one.
pub(crate) async fn requests_in_flight_during_a_step_up_never_bring_the_old_id_back(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn_with(crate::passkeys::spawn(db, sessions)).await;
    for round in 0..5 {
        let signup = app
            .post_json(
                &app.new_client(),
                "/api/auth/signup",
                json!({"email": unique_email(), "password": PASSWORD, "name": "Racer"}),
            )
            .await;
        let old = session_cookie(&signup).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut loops = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let (url, old, stop) = (
                app.url("/api/auth/passkey/options"),
                old.clone(),
                stop.clone(),
            );
            loops.spawn(async move {
                let client = reqwest::Client::new();
                let mut sent = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || sent < 5 {
                    client
                        .post(&url)
                        .header("cookie", &old)
                        .send()
                        .await
                        .unwrap();
                    sent += 1;
                }
            });
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        let stepped = reqwest::Client::new()
            .post(app.url("/api/auth/reauth"))
            .header("cookie", &old)
            .json(&json!({ "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(stepped.status(), StatusCode::NO_CONTENT, "round {round}");
        let new = session_cookie(&stepped).expect("a new id");
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        while let Some(done) = loops.join_next().await {
            done.unwrap();
        }
        assert_eq!(
            app.get_with_cookie("/api/users/me", &old).await.status(),
            StatusCode::UNAUTHORIZED,
            "round {round}: the old id was written back"
        );
        let ended = reqwest::Client::new()
            .delete(app.url("/api/sessions"))
            .header("cookie", &new)
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            app.get_with_cookie("/api/users/me", &new).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            app.get_with_cookie("/api/users/me", &old).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

pub(crate) async fn parallel_requests_after_a_role_change_rotate_the_session_once(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = TestApp::spawn_with_admin(Spawn::new(db, sessions)).await;
    let signup = app
        .post_json(
            &app.new_client(),
            "/api/auth/signup",
            json!({"email": unique_email(), "password": PASSWORD, "name": "Promoted"}),
        )
        .await;
    let old = session_cookie(&signup).unwrap();
    let user_id = signup.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/admin/users/{user_id}");
    let promoted = app
        .call(
            &app.client,
            Method::PATCH,
            &path,
            Some(json!({"is_admin": true})),
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);

    // Sixteen requests carrying the pre-change cookie, at once.
    let requests = (0..16).map(|_| {
        let url = app.url("/api/users/me");
        let old = old.clone();
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .get(url)
                .header("cookie", old)
                .send()
                .await
                .unwrap();
            (response.status(), session_cookie(&response))
        })
    });
    let answers: Vec<(StatusCode, Option<String>)> = futures::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let issued: Vec<&String> = answers
        .iter()
        .filter_map(|(_, cookie)| cookie.as_ref())
        .filter(|cookie| !cookie.ends_with('='))
        .collect();
    assert_eq!(issued.len(), 1, "one new id, not {answers:?}");
    for (status, _) in &answers {
        assert!(
            [StatusCode::OK, StatusCode::UNAUTHORIZED].contains(status),
            "{answers:?}"
        );
    }
    let new = issued[0].clone();
    let me: Value = app
        .get_with_cookie("/api/users/me", &new)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_admin"], true);
    let listed: Vec<Value> = app
        .get_with_cookie("/api/sessions", &new)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        app.get_with_cookie("/api/users/me", &old).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Ending every session of the user ends the one id the rotation issued.
    let ended = app
        .call(
            &app.client,
            Method::DELETE,
            &format!("/api/admin/users/{user_id}/sessions"),
            None,
        )
        .await;
    assert!(ended.status().is_success(), "{}", ended.status());
    for (_, cookie) in &answers {
        if let Some(cookie) = cookie {
            assert_eq!(
                app.get_with_cookie("/api/users/me", cookie).await.status(),
                StatusCode::UNAUTHORIZED,
                "an id issued by the parallel requests outlived \"end all sessions\""
            );
        }
    }
}
