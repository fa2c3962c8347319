//! Server-rendered pages: protected routes redirect on the server, signed-in pages render at
//! once, and the sign-in forms work as plain HTML form posts.

use crate::common::{Database, PASSWORD, Sessions, Spawn, TestApp, unique_email};
use reqwest::StatusCode;

on_every_backend!(
    a_protected_page_redirects_anonymous_visitors_without_its_content,
    a_signed_in_first_load_renders_the_page_and_the_user,
    the_login_form_works_without_javascript,
    the_signup_form_reports_field_errors_and_signs_in,
    the_sign_in_pages_show_only_the_messages_they_know,
    a_cross_site_form_post_is_refused,
    an_oversized_form_post_is_refused_unread,
    customers_are_listed_for_signed_in_users_only,
    the_login_page_offers_google_only_when_configured,
    the_admin_page_is_forbidden_to_users_and_rendered_for_admins,
);

async fn a_protected_page_redirects_anonymous_visitors_without_its_content(
    db: Database,
    sessions: Sessions,
) {
    let app = TestApp::spawn(db, sessions).await;

    let response = app.get("/todos?filter=open").await;

    assert!(
        response.status().is_redirection(),
        "status {}",
        response.status()
    );
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Ftodos%3Ffilter%3Dopen"
    );
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("What needs doing"),
        "private content leaked: {html}"
    );
}

async fn a_signed_in_first_load_renders_the_page_and_the_user(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    app.sign_up(&app.client).await;

    let response = app.get("/todos").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("What needs doing"), "{html}");
    assert!(html.contains("Signed in as"), "{html}");
    assert!(!html.contains("Redirecting to sign in"), "{html}");
}

async fn the_login_form_works_without_javascript(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.new_client()).await;
    let browser = app.new_client();

    let wrong = browser
        .post(app.url("/auth/login"))
        .form(&[
            ("email", email.as_str()),
            ("password", "wrong wrong wrong"),
            ("next", "/todos"),
        ])
        .send()
        .await
        .unwrap();
    let right = browser
        .post(app.url("/auth/login"))
        .form(&[
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("next", "/todos"),
        ])
        .send()
        .await
        .unwrap();
    let evil = app
        .new_client()
        .post(app.url("/auth/login"))
        .form(&[
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("next", "//evil.example/x"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    let back = wrong.headers()["location"].to_str().unwrap().to_owned();
    // The failure travels as a code; nothing typed comes back (P10).
    assert_eq!(back, "/login?error=credentials&next=%2Ftodos");
    let page = app.get(&back).await.text().await.unwrap();
    assert!(page.contains("Incorrect email or password."), "{page}");
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(right.headers()["location"], "/todos");
    assert_eq!(app.me_status(&browser).await, StatusCode::OK);
    assert_eq!(
        evil.headers()["location"],
        "/welcome",
        "unsafe next targets are replaced"
    );
}

async fn the_signup_form_reports_field_errors_and_signs_in(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let browser = app.new_client();
    let email = unique_email();

    let refused = browser
        .post(app.url("/auth/signup"))
        .form(&[("email", "nope"), ("password", "short"), ("name", "Ada")])
        .send()
        .await
        .unwrap();
    let created = browser
        .post(app.url("/auth/signup"))
        .form(&[
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("name", "Ada"),
        ])
        .send()
        .await
        .unwrap();

    let back = refused.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, "/signup?error=invalid&invalid=email,password");
    assert_eq!(created.headers()["location"], "/welcome");
    let page = browser
        .get(app.url(back.as_str()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Enter an email address like name@example.com.")
            && page.contains("Choose a password of at least 8 characters"),
        "each refused field shows the page's own message: {page}"
    );
    assert!(!page.contains("Enter a name of at most"), "{page}");
}

async fn the_sign_in_pages_show_only_the_messages_they_know(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let planted = "Your account is locked. Call +1 555 0100 to unlock it";
    let encoded = planted.replace(' ', "%20").replace('+', "%2B");

    for path in [
        format!("/login?error={encoded}"),
        format!("/signup?error={encoded}&invalid=email"),
        "/login?error=credentials%3Cscript%3E".to_owned(),
    ] {
        let page = app.get(&path).await.text().await.unwrap();
        assert!(!page.contains("555 0100"), "{path}: {page}");
        assert!(!page.contains("<script>"), "{path}");
        assert!(!page.contains("Incorrect email or password."), "{path}");
    }
    let known = app
        .get("/login?error=throttled")
        .await
        .text()
        .await
        .unwrap();
    assert!(known.contains("Too many attempts."), "{known}");
}

async fn a_cross_site_form_post_is_refused(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;

    let response = app
        .client
        .post(app.url("/auth/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", "a@b.co"), ("password", "x")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn an_oversized_form_post_is_refused_unread(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    let email = app.sign_up(&app.new_client()).await;
    let padding = "x".repeat(gatehouse::server::http::BODY_LIMIT);

    for path in ["/auth/login", "/auth/signup"] {
        let browser = app.new_client();
        let response = browser
            .post(app.url(path))
            .form(&[
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("name", "Big"),
                ("next", padding.as_str()),
            ])
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(
            app.me_status(&browser).await,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
}

async fn customers_are_listed_for_signed_in_users_only(db: Database, sessions: Sessions) {
    let app = TestApp::spawn(db, sessions).await;
    gatehouse::server::customers::repo::create(
        &app.state.db,
        "Ada",
        "ada@x.example",
        "Engines",
        "team",
    )
    .await
    .unwrap();

    let anonymous = app.get("/api/customers").await;
    app.sign_up(&app.client).await;
    let signed_in = app.get("/api/customers").await;

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(signed_in.status(), StatusCode::OK);
    let list: serde_json::Value = signed_in.json().await.unwrap();
    assert_eq!(list[0]["name"], "Ada");
    assert_eq!(list[0]["plan"], "team");
}

async fn the_login_page_offers_google_only_when_configured(db: Database, sessions: Sessions) {
    let plain = TestApp::spawn(db, sessions).await;
    let google = TestApp::spawn_with(
        crate::common::Spawn::new(db, sessions)
            .setting("google_client_id", "id.apps.googleusercontent.com"),
    )
    .await;

    let without = plain.get("/login").await.text().await.unwrap();
    let with = google.get("/login").await.text().await.unwrap();

    assert!(
        without.contains(r#"<div hidden class="google">"#),
        "{without}"
    );
    assert!(with.contains(r#"<div class="google">"#), "{with}");
}

async fn the_admin_page_is_forbidden_to_users_and_rendered_for_admins(
    db: Database,
    sessions: Sessions,
) {
    let (app, _) = TestApp::spawn_with_admin(Spawn::new(db, sessions)).await;
    let user = app.new_client();
    app.sign_up(&user).await;

    let anonymous = app
        .new_client()
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap();
    let as_user = user.get(app.url("/admin")).send().await.unwrap();
    let as_admin = app.get("/admin").await;
    let sessions = user.get(app.url("/sessions")).send().await.unwrap();

    assert!(anonymous.status().is_redirection());
    assert_eq!(anonymous.headers()["location"], "/login?next=%2Fadmin");
    assert_eq!(as_user.status(), StatusCode::FORBIDDEN);
    let html = as_user.text().await.unwrap();
    assert!(html.contains("Forbidden"), "{html}");
    assert!(!html.contains("Admin sections"), "{html}");
    assert!(
        !html.contains(r#"href="/admin""#),
        "no Admin link for users: {html}"
    );
    assert_eq!(as_admin.status(), StatusCode::OK);
    let html = as_admin.text().await.unwrap();
    assert!(html.contains("Admin sections"), "{html}");
    assert!(html.contains(r#"href="/admin""#), "{html}");
    // Paging controls render as buttons, whatever the page count.
    assert!(html.contains(">Next<"), "{html}");
    assert!(
        !html.contains("on : click"),
        "a view macro swallowed code: {html}"
    );
    assert_eq!(sessions.status(), StatusCode::OK);
    assert!(sessions.text().await.unwrap().contains("Your sessions"));
}
