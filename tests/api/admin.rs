//! Roles and the admin API: who may call it, user management that holds on the very next
//! request, a user's sessions, the audit trail, and customer management (SECURITY S1, S7, X4).

use crate::common::{
    Database, PASSWORD, Sessions, Spawn, TestApp, session_cookie, set_cookie_header, unique_email,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_every_backend!(
    admin_endpoints_refuse_anonymous_visitors_and_non_admins,
    admins_search_and_page_through_users_with_session_counts,
    disabling_refuses_the_users_next_request_and_enabling_lets_them_back,
    a_role_change_holds_at_once_and_gives_the_session_a_new_id,
    an_admin_cannot_disable_or_demote_themself,
    admins_list_and_end_a_users_sessions,
    the_audit_log_records_who_did_what_newest_first,
    admins_manage_customers_and_everyone_signed_in_reads_them,
    two_admins_taking_each_others_access_at_once_leave_an_admin,
);

async fn admin_app(db: Database, sessions: Sessions) -> (TestApp, String) {
    TestApp::spawn_with_admin(Spawn::new(db, sessions)).await
}

async fn patch_user(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    body: Value,
) -> reqwest::Response {
    app.call(
        client,
        Method::PATCH,
        &format!("/api/admin/users/{id}"),
        Some(body),
    )
    .await
}

async fn admin_endpoints_refuse_anonymous_visitors_and_non_admins(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = admin_app(db, sessions).await;
    let admin_id = app.user_id(&app.client).await;
    let user = app.new_client();
    app.sign_up(&user).await;
    let anonymous = app.new_client();
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/admin/users?query=&page=1".into(), None),
        (
            Method::PATCH,
            format!("/api/admin/users/{admin_id}"),
            Some(json!({"disabled": true})),
        ),
        (
            Method::GET,
            format!("/api/admin/users/{admin_id}/sessions"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/admin/users/{admin_id}/sessions"),
            None,
        ),
        (Method::GET, "/api/admin/audit?page=1".into(), None),
        (
            Method::POST,
            "/api/customers".into(),
            Some(json!({"name": "Eve", "email": "eve@example.com"})),
        ),
        (
            Method::PATCH,
            "/api/customers/1".into(),
            Some(json!({"name": "Eve"})),
        ),
        (Method::DELETE, "/api/customers/1".into(), None),
    ];

    for (method, path, body) in &calls {
        let as_anonymous = app
            .call(&anonymous, method.clone(), path, body.clone())
            .await;
        let as_user = app.call(&user, method.clone(), path, body.clone()).await;
        assert_eq!(
            as_anonymous.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert_eq!(as_user.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let error: Value = as_user.json().await.unwrap();
        assert_eq!(error["error"], "forbidden");
    }
    let me: Value = app.get("/api/users/me").await.json().await.unwrap();
    assert_eq!(
        me["is_admin"], true,
        "nothing the others tried changed the admin"
    );
    let listed = app.call(&user, Method::GET, "/api/customers", None).await;
    assert_eq!(
        listed.status(),
        StatusCode::OK,
        "reading customers stays open"
    );
}

async fn admins_search_and_page_through_users_with_session_counts(
    db: Database,
    sessions: Sessions,
) {
    let (app, admin_email) = admin_app(db, sessions).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut emails = Vec::new();
    for i in 0..3 {
        let email = format!("Findme_{i}-{tag}@example.com").to_lowercase();
        let response = app
            .post_json(
                &app.new_client(),
                "/api/auth/signup",
                json!({"email": email, "password": PASSWORD, "name": format!("Person {i}")}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        emails.push(email);
    }
    // A second browser for the first of them: two live sessions.
    app.log_in(&app.new_client(), &emails[0], PASSWORD).await;

    let get = |path: String| {
        let app = &app;
        async move { app.call(&app.client, Method::GET, &path, None).await }
    };
    let all: Value = get(format!("/api/admin/users?query={}", tag.to_uppercase()))
        .await
        .json()
        .await
        .unwrap();
    let page_two: Value = get(format!("/api/admin/users?query={tag}&page=2&per_page=2"))
        .await
        .json()
        .await
        .unwrap();
    let wildcard: Value = get("/api/admin/users?query=%25".into())
        .await
        .json()
        .await
        .unwrap();
    let everyone: Value = get("/api/admin/users".into()).await.json().await.unwrap();
    let bad_page = get("/api/admin/users?page=0".into()).await;
    let bad_size = get("/api/admin/users?per_page=1000".into()).await;

    assert_eq!(all["total"], 3);
    assert_eq!(all["page"], 1);
    let listed: Vec<&str> = all["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(listed, emails, "oldest first");
    let first = &all["users"][0];
    assert_eq!(first["session_count"], 2);
    assert_eq!(first["disabled"], false);
    assert_eq!(first["is_admin"], false);
    assert_eq!(first["name"], "Person 0");
    assert_eq!(page_two["users"].as_array().unwrap().len(), 1);
    assert_eq!(page_two["users"][0]["email"], emails[2].as_str());
    assert_eq!(page_two["total"], 3);
    assert_eq!(wildcard["total"], 0, "a % in the query is literal");
    assert_eq!(everyone["total"], 4);
    assert_eq!(everyone["users"][0]["email"], admin_email.as_str());
    assert_eq!(everyone["users"][0]["is_admin"], true);
    assert_eq!(bad_page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_size.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn disabling_refuses_the_users_next_request_and_enabling_lets_them_back(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = admin_app(db, sessions).await;
    let user = app.new_client();
    let email = app.sign_up(&user).await;
    let user_id = app.user_id(&user).await;

    let disabled = patch_user(&app, &app.client, user_id, json!({"disabled": true})).await;
    assert_eq!(disabled.status(), StatusCode::OK);
    let view: Value = disabled.json().await.unwrap();
    let next = app.call(&user, Method::GET, "/api/todos", None).await;
    let after = app.me_status(&user).await;
    let login = app.log_in(&app.new_client(), &email, PASSWORD).await;
    let enabled = patch_user(&app, &app.client, user_id, json!({"disabled": false})).await;
    let login_again = app.log_in(&app.new_client(), &email, PASSWORD).await;

    assert_eq!(view["disabled"], true);
    assert_eq!(view["email"], email.as_str());
    assert_eq!(
        next.status(),
        StatusCode::FORBIDDEN,
        "the very next request"
    );
    assert_eq!(after, StatusCode::UNAUTHORIZED, "that session is over");
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    assert_eq!(enabled.status(), StatusCode::OK);
    assert_eq!(login_again.status(), StatusCode::OK);
}

async fn a_role_change_holds_at_once_and_gives_the_session_a_new_id(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = admin_app(db, sessions).await;
    let user = app.new_client();
    let signup = app
        .post_json(
            &user,
            "/api/auth/signup",
            json!({"email": unique_email(), "password": PASSWORD, "name": "Soon Admin"}),
        )
        .await;
    let cookie_before = session_cookie(&signup).unwrap();
    let user_id = app.user_id(&user).await;

    let promoted = patch_user(&app, &app.client, user_id, json!({"is_admin": true})).await;
    assert_eq!(promoted.status(), StatusCode::OK);
    // The promoted user's next request works as an admin and carries a new session id.
    let first = app.call(&user, Method::GET, "/api/admin/users", None).await;
    let rotated = session_cookie(&first);
    let old_cookie = app.get_with_cookie("/api/users/me", &cookie_before).await;

    assert_eq!(first.status(), StatusCode::OK);
    let rotated = rotated.expect("a new session cookie on the first request after promotion");
    assert_ne!(rotated, cookie_before);
    assert_eq!(
        old_cookie.status(),
        StatusCode::UNAUTHORIZED,
        "the old id is dead"
    );
    assert_eq!(app.me_status(&user).await, StatusCode::OK);

    let demoted = patch_user(&app, &app.client, user_id, json!({"is_admin": false})).await;
    assert_eq!(demoted.json::<Value>().await.unwrap()["is_admin"], false);
    let refused = app.call(&user, Method::GET, "/api/admin/users", None).await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "the very next request"
    );
    assert!(set_cookie_header(&refused).is_some(), "a new id again");
    assert_eq!(
        app.me_status(&user).await,
        StatusCode::OK,
        "still signed in"
    );
    let sessions: Vec<Value> = app
        .call(&user, Method::GET, "/api/sessions", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        sessions.len(),
        1,
        "rotation keeps the session listed: {sessions:?}"
    );
    assert_eq!(sessions[0]["current"], true, "under its new handle");
}

async fn an_admin_cannot_disable_or_demote_themself(db: Database, sessions: Sessions) {
    let (app, _) = admin_app(db, sessions).await;
    let me = app.user_id(&app.client).await;

    let disable = patch_user(&app, &app.client, me, json!({"disabled": true})).await;
    let demote = patch_user(&app, &app.client, me, json!({"is_admin": false})).await;
    let harmless = patch_user(&app, &app.client, me, json!({"is_admin": true})).await;
    let unknown = patch_user(&app, &app.client, 999_999, json!({"disabled": true})).await;
    let garbage = app
        .call(
            &app.client,
            Method::PATCH,
            "/api/admin/users/abc",
            Some(json!({})),
        )
        .await;
    let wrong_type = patch_user(&app, &app.client, me, json!({"disabled": "yes"})).await;

    assert_eq!(disable.status(), StatusCode::CONFLICT);
    assert_eq!(demote.status(), StatusCode::CONFLICT);
    assert_eq!(harmless.status(), StatusCode::OK);
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(garbage.status(), StatusCode::NOT_FOUND);
    assert_eq!(wrong_type.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let me_now: Value = app.get("/api/users/me").await.json().await.unwrap();
    assert_eq!(me_now["is_admin"], true);
}

async fn admins_list_and_end_a_users_sessions(db: Database, sessions: Sessions) {
    let (app, _) = admin_app(db, sessions).await;
    let laptop = app.new_client();
    let phone = app.new_client();
    let email = app.sign_up(&laptop).await;
    app.log_in(&phone, &email, PASSWORD).await;
    let id = app.user_id(&laptop).await;
    let path = format!("/api/admin/users/{id}/sessions");

    let listed: Vec<Value> = app
        .call(&app.client, Method::GET, &path, None)
        .await
        .json()
        .await
        .unwrap();
    let ended = app.call(&app.client, Method::DELETE, &path, None).await;
    let after: Vec<Value> = app
        .call(&app.client, Method::GET, &path, None)
        .await
        .json()
        .await
        .unwrap();
    let unknown = app
        .call(
            &app.client,
            Method::GET,
            "/api/admin/users/999999/sessions",
            None,
        )
        .await;
    let unknown_end = app
        .call(
            &app.client,
            Method::DELETE,
            "/api/admin/users/999999/sessions",
            None,
        )
        .await;

    assert_eq!(listed.len(), 2);
    assert!(
        listed.iter().all(|s| s["current"] == false),
        "none is the admin's"
    );
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&app.client).await, StatusCode::OK);
    assert!(after.is_empty());
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown_end.status(), StatusCode::NOT_FOUND);
}

async fn the_audit_log_records_who_did_what_newest_first(db: Database, sessions: Sessions) {
    let (app, admin_email) = admin_app(db, sessions).await;
    let user = app.new_client();
    let email = app.sign_up(&user).await;
    let id = app.user_id(&user).await;
    app.log_in(&app.new_client(), &email, "not the password")
        .await;
    app.call(&user, Method::POST, "/api/auth/logout", None)
        .await;
    patch_user(&app, &app.client, id, json!({"disabled": true})).await;
    patch_user(&app, &app.client, id, json!({"is_admin": true})).await;

    let page: Value = app
        .call(
            &app.client,
            Method::GET,
            "/api/admin/audit?page=1&per_page=100",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let paged: Value = app
        .call(
            &app.client,
            Method::GET,
            "/api/admin/audit?page=2&per_page=2",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let bad = app
        .call(&app.client, Method::GET, "/api/admin/audit?page=x", None)
        .await;

    let events = page["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "admin_granted",
            "user_disabled",
            "sign_out",
            "sign_in_failed",
            "sign_up",
            // The admin's own: the listed address became an admin once verified.
            "admin_granted",
            "email_verified",
            "sign_up"
        ],
        "newest first"
    );
    let disabled = &events[1];
    assert_eq!(disabled["email"], email.as_str());
    assert_eq!(disabled["actor_email"], admin_email.as_str());
    assert_eq!(disabled["ip"], "127.0.0.1");
    assert!(disabled["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(events[3]["email"], email.as_str());
    assert!(events[3]["actor_id"].is_null());
    assert_eq!(page["total"], 8);
    assert_eq!(paged["events"].as_array().unwrap().len(), 2);
    assert_eq!(paged["events"][0]["kind"], "sign_out");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = page.to_string();
    assert!(!text.contains(PASSWORD) && !text.contains("not the password"));
}

async fn admins_manage_customers_and_everyone_signed_in_reads_them(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = admin_app(db, sessions).await;
    let user = app.new_client();
    app.sign_up(&user).await;
    let email = unique_email();

    let created = app
        .call(
            &app.client,
            Method::POST,
            "/api/customers",
            Some(json!({"name": " Grace ", "email": email.to_uppercase(), "company": "Navy", "plan": "team"})),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let customer: Value = created.json().await.unwrap();
    let id = customer["id"].as_i64().unwrap();
    let path = format!("/api/customers/{id}");
    let invalid = app
        .call(
            &app.client,
            Method::POST,
            "/api/customers",
            Some(json!({"name": "", "email": "nope", "plan": "gold"})),
        )
        .await;
    let read = app.call(&user, Method::GET, &path, None).await;
    let edited = app
        .call(
            &app.client,
            Method::PATCH,
            &path,
            Some(json!({"plan": "enterprise"})),
        )
        .await;
    let empty_edit = app
        .call(&app.client, Method::PATCH, &path, Some(json!({})))
        .await;
    let bad_edit = app
        .call(
            &app.client,
            Method::PATCH,
            &path,
            Some(json!({"email": "x"})),
        )
        .await;
    let deleted = app.call(&app.client, Method::DELETE, &path, None).await;
    let gone = app.call(&user, Method::GET, &path, None).await;
    let gone_edit = app
        .call(
            &app.client,
            Method::PATCH,
            &path,
            Some(json!({"plan": "free"})),
        )
        .await;
    let deleted_again = app.call(&app.client, Method::DELETE, &path, None).await;

    assert_eq!(customer["name"], "Grace");
    assert_eq!(customer["email"], email.as_str());
    assert_eq!(customer["plan"], "team");
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let invalid: Value = invalid.json().await.unwrap();
    let fields: Vec<&str> = invalid["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "plan"]);
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.json::<Value>().await.unwrap()["company"], "Navy");
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(edited["plan"], "enterprise");
    assert_eq!(edited["name"], "Grace", "untouched fields stay");
    assert_eq!(empty_edit.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_edit.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(gone_edit.status(), StatusCode::NOT_FOUND);
    assert_eq!(deleted_again.status(), StatusCode::NOT_FOUND);
}

/// How many enabled admins there are.
async fn enabled_admins(app: &TestApp) -> i64 {
    gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE is_admin AND NOT disabled",
    )
    .fetch_one(pool)
    .await
    .unwrap())
}

async fn two_admins_taking_each_others_access_at_once_leave_an_admin(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = admin_app(db, sessions).await;
    let first_id = app.user_id(&app.client).await;
    for (round, change) in [
        json!({"is_admin": false}),
        json!({"disabled": true}),
        json!({"is_admin": false}),
        json!({"disabled": true}),
    ]
    .into_iter()
    .enumerate()
    {
        // Arrange: a second admin, promoted by the first, signed in on its own browser.
        let second = app.new_client();
        app.sign_up(&second).await;
        let second_id = app.user_id(&second).await;
        let promoted = patch_user(&app, &app.client, second_id, json!({"is_admin": true})).await;
        assert_eq!(promoted.status(), StatusCode::OK);

        // Act: each takes the other's access at the same moment.
        let (one, two) = tokio::join!(
            patch_user(&app, &app.client, second_id, change.clone()),
            patch_user(&app, &second, first_id, change.clone()),
        );

        // Assert: never no admin; at most one of the two changes went through.
        let statuses = [one.status(), two.status()];
        assert!(
            enabled_admins(&app).await >= 1,
            "round {round}: nobody can administer any more ({statuses:?})"
        );
        assert!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count() <= 1,
            "round {round}: {statuses:?}"
        );
        // Start over from the first admin alone, whoever won.
        if two.status() == StatusCode::OK {
            let restore = match change.get("is_admin") {
                Some(_) => "UPDATE users SET is_admin = TRUE WHERE id = $1",
                None => "UPDATE users SET disabled = FALSE WHERE id = $1",
            };
            gatehouse::on_db!(&app.state.db, pool => sqlx::query(restore)
                .bind(first_id)
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
            // The first admin's session ended with the disabling, or rotates with the role.
            if app.me_status(&app.client).await != StatusCode::OK {
                let email: String = gatehouse::on_db!(&app.state.db, pool => sqlx::query_scalar(
                    "SELECT email FROM users WHERE id = $1",
                )
                .bind(first_id)
                .fetch_one(pool)
                .await
                .unwrap());
                assert_eq!(
                    app.log_in(&app.client, &email, PASSWORD).await.status(),
                    200
                );
            }
        }
        gatehouse::on_db!(&app.state.db, pool => sqlx::query(
            "UPDATE users SET is_admin = FALSE, disabled = TRUE WHERE id = $1",
        )
        .bind(second_id)
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
}
