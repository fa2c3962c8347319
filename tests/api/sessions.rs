//! A user's own sessions: listing, ending one, ending all others, the cap (SECURITY S8).

use crate::common::{Database, PASSWORD, Sessions, Spawn, TestApp, session_cookie};
use reqwest::{Method, StatusCode};
use serde_json::Value;

on_every_backend!(
    sessions_are_listed_with_this_one_marked,
    ending_one_session_signs_that_browser_out_only,
    another_users_session_cannot_be_ended,
    ending_this_session_is_a_sign_out,
    ending_every_other_session_keeps_this_one,
    the_session_cap_ends_the_oldest,
    signing_in_again_replaces_this_browsers_session,
);

async fn list(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let response = app.call(client, Method::GET, "/api/sessions", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The id of the one session in `sessions` that is not the caller's.
fn other_id(sessions: &[Value]) -> String {
    let others: Vec<&Value> = sessions.iter().filter(|s| s["current"] == false).collect();
    assert_eq!(others.len(), 1, "{sessions:?}");
    others[0]["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn sessions_are_listed_with_this_one_marked(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let laptop = app.new_client();
    let phone = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1")
        .build()
        .unwrap();
    let email = app.sign_up(&laptop).await;
    let login = app.log_in(&phone, &email, PASSWORD).await;
    let phone_cookie = session_cookie(&login).unwrap();

    let listed = list(&app, &laptop).await;
    let anonymous = app.get("/api/sessions").await;

    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
    for session in &listed {
        for key in ["id", "created_at", "last_seen_at", "ip", "user_agent"] {
            assert!(session[key].is_string(), "{key} in {session}");
        }
        assert_eq!(session["ip"], "127.0.0.1");
        let id = session["id"].as_str().unwrap();
        assert!(
            !phone_cookie.contains(id),
            "the handle is not the cookie value"
        );
        let as_cookie = app
            .get_with_cookie("/api/users/me", &format!("gatehouse={id}"))
            .await;
        assert_eq!(as_cookie.status(), StatusCode::UNAUTHORIZED);
    }
    let phone_entry = listed.iter().find(|s| s["current"] == false).unwrap();
    assert!(
        phone_entry["user_agent"]
            .as_str()
            .unwrap()
            .contains("iPhone")
    );
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

pub(crate) async fn ending_one_session_signs_that_browser_out_only(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn(db, sessions).await;
    let laptop = app.new_client();
    let phone = app.new_client();
    let email = app.sign_up(&laptop).await;
    app.log_in(&phone, &email, PASSWORD).await;
    let phone_id = other_id(&list(&app, &laptop).await);
    let path = format!("/api/sessions/{phone_id}");

    let ended = app.call(&laptop, Method::DELETE, &path, None).await;
    let again = app.call(&laptop, Method::DELETE, &path, None).await;
    let made_up = app
        .call(&laptop, Method::DELETE, "/api/sessions/not-a-session", None)
        .await;

    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&laptop).await, StatusCode::OK);
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(made_up.status(), StatusCode::NOT_FOUND);
    assert_eq!(list(&app, &laptop).await.len(), 1);
}

async fn another_users_session_cannot_be_ended(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let mallory = app.new_client();
    let alice_laptop = app.new_client();
    let alice_phone = app.new_client();
    app.sign_up(&mallory).await;
    let alice = app.sign_up(&alice_laptop).await;
    app.log_in(&alice_phone, &alice, PASSWORD).await;
    let alice_phone_id = other_id(&list(&app, &alice_laptop).await);

    let attempt = app
        .call(
            &mallory,
            Method::DELETE,
            &format!("/api/sessions/{alice_phone_id}"),
            None,
        )
        .await;

    assert_eq!(attempt.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.me_status(&alice_phone).await, StatusCode::OK);
}

async fn ending_this_session_is_a_sign_out(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    app.sign_up(&app.client).await;
    let listed = list(&app, &app.client).await;
    let id = listed[0]["id"].as_str().unwrap();

    let ended = app
        .call(
            &app.client,
            Method::DELETE,
            &format!("/api/sessions/{id}"),
            None,
        )
        .await;

    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&app.client).await, StatusCode::UNAUTHORIZED);
}

pub(crate) async fn ending_every_other_session_keeps_this_one(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let laptop = app.new_client();
    let email = app.sign_up(&laptop).await;
    let others = [app.new_client(), app.new_client(), app.new_client()];
    for other in &others {
        app.log_in(other, &email, PASSWORD).await;
    }
    assert_eq!(list(&app, &laptop).await.len(), 4);

    let ended = app
        .call(&laptop, Method::DELETE, "/api/sessions", None)
        .await;
    let anonymous = app
        .call(&app.new_client(), Method::DELETE, "/api/sessions", None)
        .await;

    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    for other in &others {
        assert_eq!(app.me_status(other).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.me_status(&laptop).await, StatusCode::OK);
    let left = list(&app, &laptop).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_rows_are_pruned_from_the_session_index() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    app.sign_up(&app.client).await;
    let db = &app.state.db;
    let gatehouse::server::db::Db::Sqlite(pool) = db else {
        unreachable!("a SQLite app")
    };
    sqlx::query("UPDATE user_sessions SET expires_at = 0")
        .execute(pool)
        .await
        .unwrap();

    let pruned = gatehouse::server::sessions::index::prune_expired(db)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions")
        .fetch_one(pool)
        .await
        .unwrap();

    assert_eq!(pruned, 1);
    assert_eq!(left, 0);
}

pub(crate) async fn the_session_cap_ends_the_oldest(db: Database, sessions: Sessions) {
    let app =
        TestApp::spawn_with(Spawn::new(db, sessions).setting("max_sessions_per_user", 2)).await;
    let first = app.new_client();
    let second = app.new_client();
    let third = app.new_client();
    // Creation times are whole seconds: pause between sign-ins to make the order unambiguous.
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(1100));
    let email = app.sign_up(&first).await;
    pause().await;
    app.log_in(&second, &email, PASSWORD).await;
    pause().await;
    app.log_in(&third, &email, PASSWORD).await;

    assert_eq!(app.me_status(&third).await, StatusCode::OK);
    assert_eq!(app.me_status(&second).await, StatusCode::OK);
    assert_eq!(app.me_status(&first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(list(&app, &third).await.len(), 2);
}

/// A sign-in from a browser that is already signed in replaces its session: the old id's row
/// leaves the list with it, so the list never shows a session that no longer exists.
pub(crate) async fn signing_in_again_replaces_this_browsers_session(
    db: Database,
    sessions: Sessions,
) {
    // Two sessions at most: a dead row left by signing in again would end the phone's.
    let app =
        TestApp::spawn_with(Spawn::new(db, sessions).setting("max_sessions_per_user", 2)).await;
    let email = app.sign_up(&app.client).await;
    let phone = app.new_client();
    assert_eq!(app.log_in(&phone, &email, PASSWORD).await.status(), 200);
    assert_eq!(list(&app, &app.client).await.len(), 2);

    for round in 0..3 {
        // The JSON API, then the form posted without JavaScript.
        let again = app.log_in(&app.client, &email, PASSWORD).await;
        assert_eq!(again.status(), StatusCode::OK);
        let form = app
            .client
            .post(app.url("/auth/login"))
            .form(&[
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("next", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), StatusCode::SEE_OTHER, "round {round}");

        let listed = list(&app, &app.client).await;
        assert_eq!(listed.len(), 2, "round {round}: {listed:?}");
        assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
        assert_eq!(app.me_status(&phone).await, StatusCode::OK, "round {round}");
    }

    // Signing up for another account from this browser leaves the first account's list too.
    app.sign_up(&app.client).await;
    let remaining = list(&app, &phone).await;
    assert_eq!(remaining.len(), 1, "{remaining:?}");
}
