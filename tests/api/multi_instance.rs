//! Two instances of the app sharing one database and one session store, as behind a load
//! balancer: a session works on both, and an end to it or a change to its user holds on the
//! other at once (SECURITY S7). The release build repeats this with two processes
//! (`end2end/tests/multi-instance.spec.ts`).

use crate::common::{Database, PASSWORD, Sessions, Spawn, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_every_backend!(
    a_session_and_every_change_to_it_hold_on_both_instances,
    a_change_to_a_user_holds_on_the_next_request_on_the_other_instance,
    a_user_is_read_from_sql_only_when_the_users_epoch_changes,
);

async fn my_name(app: &TestApp, client: &reqwest::Client) -> String {
    let me: Value = app
        .call(client, Method::GET, "/api/users/me", None)
        .await
        .json()
        .await
        .unwrap();
    me["name"].as_str().unwrap().to_owned()
}

async fn audit_status(app: &TestApp, client: &reqwest::Client) -> StatusCode {
    app.call(client, Method::GET, "/api/admin/audit", None)
        .await
        .status()
}

/// The admin signed in on `app.client` changes user `user_id` (`PATCH /api/admin/users/{id}`).
async fn admin_update(app: &TestApp, user_id: i64, change: Value) -> StatusCode {
    app.call(
        &app.client,
        Method::PATCH,
        &format!("/api/admin/users/{user_id}"),
        Some(change),
    )
    .await
    .status()
}

/// Two instances on one database and session store, with a Redis key prefix of their own (so
/// no other test's announcements touch their users epoch); an admin signed in on `b.client`.
async fn two_instances(db: Database, sessions: Sessions) -> (TestApp, TestApp) {
    let prefix = format!("gatehouse-test-{}:", uuid::Uuid::new_v4());
    let (a, admin_email) = TestApp::spawn_with_admin(
        Spawn::new(db, sessions).setting("redis_key_prefix", prefix.clone()),
    )
    .await;
    let mut second = Spawn::new(db, sessions)
        .setting("admin_emails", admin_email.clone())
        .setting("redis_key_prefix", prefix);
    second.database_url = Some(a.database_url.clone());
    let b = TestApp::spawn_with(second).await;
    let admin = b
        .call(
            &b.client,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": admin_email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(admin.status(), StatusCode::OK);
    (a, b)
}

/// Each instance keeps the users its requests were made by; a change made through the other
/// instance must still show on the very next request (SECURITY S7).
pub(crate) async fn a_change_to_a_user_holds_on_the_next_request_on_the_other_instance(
    db: Database,
    sessions: Sessions,
) {
    let (a, b) = two_instances(db, sessions).await;
    let laptop = a.new_client();
    a.sign_up(&laptop).await;
    let user_id = a.user_id(&laptop).await;
    // Both instances have now served (and kept) the user.
    assert_eq!(my_name(&a, &laptop).await, my_name(&b, &laptop).await);

    let renamed = b
        .call(
            &laptop,
            Method::PATCH,
            "/api/users/me",
            Some(json!({"name": "Renamed on B"})),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(my_name(&a, &laptop).await, "Renamed on B");

    assert_eq!(audit_status(&a, &laptop).await, StatusCode::FORBIDDEN);
    for (is_admin, on_a) in [(true, StatusCode::OK), (false, StatusCode::FORBIDDEN)] {
        let changed = admin_update(&b, user_id, json!({ "is_admin": is_admin })).await;
        assert_eq!(changed, StatusCode::OK);
        assert_eq!(
            audit_status(&a, &laptop).await,
            on_a,
            "is_admin set to {is_admin} on B holds on A at once"
        );
    }
}

/// The users row is read from SQL when the users epoch has changed or the cached copy is
/// `MAX_AGE` old, not on every request: a change written straight into SQL (not through the app,
/// so never announced) shows only once the copy is that old.
pub(crate) async fn a_user_is_read_from_sql_only_when_the_users_epoch_changes(
    db: Database,
    sessions: Sessions,
) {
    let (a, _b) = two_instances(db, sessions).await;
    let laptop = a.new_client();
    let email = a.sign_up(&laptop).await;
    assert_eq!(my_name(&a, &laptop).await, "Test User");

    let sql = "UPDATE users SET name = 'Changed behind the app' WHERE email = $1";
    match &a.state.db {
        gatehouse::server::db::Db::Sqlite(pool) => {
            sqlx::query(sql).bind(&email).execute(pool).await.unwrap();
        }
        gatehouse::server::db::Db::Postgres(pool) => {
            sqlx::query(sql).bind(&email).execute(pool).await.unwrap();
        }
    }
    assert_eq!(
        my_name(&a, &laptop).await,
        "Test User",
        "served from the instance's copy, without reading SQL"
    );
    tokio::time::sleep(gatehouse::server::identity::user_cache::MAX_AGE).await;
    assert_eq!(
        my_name(&a, &laptop).await,
        "Changed behind the app",
        "a copy is never trusted past its maximum age"
    );
}

pub(crate) async fn a_session_and_every_change_to_it_hold_on_both_instances(
    db: Database,
    sessions: Sessions,
) {
    let (a, b) = two_instances(db, sessions).await;
    // Cookies are per host, not per port: one client talks to both instances like a browser
    // behind a load balancer.
    let laptop = a.new_client();
    let phone = a.new_client();

    let email = a.sign_up(&laptop).await;
    assert_eq!(
        b.me_status(&laptop).await,
        StatusCode::OK,
        "signed in on A, known to B"
    );
    assert_eq!(
        b.log_in(&phone, &email, PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        a.me_status(&phone).await,
        StatusCode::OK,
        "signed in on B, known to A"
    );

    // End the phone's session on A: B refuses it on the next request.
    let listed: Vec<Value> = a
        .call(&laptop, Method::GET, "/api/sessions", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    let phone_id = listed
        .iter()
        .find(|s| s["current"] == false)
        .and_then(|s| s["id"].as_str())
        .unwrap();
    let ended = a
        .call(
            &laptop,
            Method::DELETE,
            &format!("/api/sessions/{phone_id}"),
            None,
        )
        .await;
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(b.me_status(&phone).await, StatusCode::UNAUTHORIZED);

    // Disable on B: A refuses the very next request.
    let user_id = a.user_id(&laptop).await;
    let disable = admin_update(&b, user_id, json!({"disabled": true})).await;
    assert_eq!(disable, StatusCode::OK);
    assert_eq!(a.me_status(&laptop).await, StatusCode::FORBIDDEN);
    assert_eq!(b.me_status(&laptop).await, StatusCode::UNAUTHORIZED);

    // Signing out on one instance kills the cookie on the other.
    assert_eq!(a.me_status(&a.client).await, StatusCode::OK);
    let out = b
        .call(&a.client, Method::POST, "/api/auth/logout", None)
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(a.me_status(&a.client).await, StatusCode::UNAUTHORIZED);
}
