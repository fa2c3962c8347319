//! Two instances of the app sharing one database and one session store, as behind a load
//! balancer: a session works on both, and an end to it or a change to its user holds on the
//! other at once (SECURITY S7). The release build repeats this with two processes
//! (`end2end/tests/multi-instance.spec.ts`).

mod common;

use common::{Database, PASSWORD, Sessions, Spawn, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(a_session_and_every_change_to_it_hold_on_both_instances);

async fn a_session_and_every_change_to_it_hold_on_both_instances(db: Database, sessions: Sessions) {
    let (a, admin_email) = TestApp::spawn_with_admin(Spawn::new(db, sessions)).await;
    let mut second = Spawn::new(db, sessions).setting("admin_emails", admin_email.clone());
    second.database_url = Some(a.database_url.clone());
    let b = TestApp::spawn_with(second).await;
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
    let admin_on_b = b
        .call(
            &b.client,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": admin_email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(admin_on_b.status(), StatusCode::OK);
    let disable = b
        .call(
            &b.client,
            Method::PATCH,
            &format!("/api/admin/users/{user_id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disable.status(), StatusCode::OK);
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
