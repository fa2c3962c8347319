//! The OpenAPI document describes exactly the operations the server serves, and each one
//! answers at its documented method and path.

use std::collections::BTreeSet;

use crate::common::{Database, Sessions, TestApp};
use gatehouse::{
    domain::{CurrentUser, SessionInfo},
    server::api::{openapi, routes},
};
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[tokio::test]
async fn the_document_and_the_router_list_the_same_operations() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();

    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = routes()
        .operations()
        .iter()
        .map(|endpoint| (endpoint.method.as_str().to_owned(), endpoint.url()))
        .collect();

    assert_eq!(documented, served);
    assert!(served.len() >= 26, "{served:?}");
    // Every reference resolves.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "missing schema {name}"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_served_at_its_method_and_path() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let client = app.new_client();

    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let url = app.url(&path.replace("{id}", "1"));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = client.request(method.clone(), &url).send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !body.contains("API endpoint not found"),
                "{method} {path} reached the fallback"
            );
        }
    }
    // And an undocumented one is not.
    let unknown = app.get("/api/not-an-endpoint").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_docs_page_loads_swagger_ui_from_this_origin_only() {
    let app = TestApp::spawn(Database::Sqlite, Sessions::Embedded).await;
    let response = app.get("/api/docs").await;

    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"src="/api-docs/vendor/swagger-ui-bundle.js""#));
    assert!(!html.contains("http"), "no absolute (external) URL: {html}");
}

/// The bodies in the document are the DTOs' own: the fields a handler sends are exactly the
/// properties its schema lists, so renaming a field in a DTO changes the document with it.
#[test]
fn response_schemas_list_exactly_the_fields_the_dtos_serialise() {
    let doc = openapi::spec();
    let schemas = &doc["components"]["schemas"];
    let properties = |name: &str| -> BTreeSet<String> {
        schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("schema {name}: {}", schemas[name]))
            .keys()
            .cloned()
            .collect()
    };
    let fields =
        |value: Value| -> BTreeSet<String> { value.as_object().unwrap().keys().cloned().collect() };

    let user = CurrentUser {
        id: 1,
        email: "a@example.com".into(),
        name: "A".into(),
        is_admin: false,
        has_password: true,
        has_google: false,
        email_verified: true,
        created_at: "2026-01-01T00:00:00Z".into(),
    };
    assert_eq!(
        properties("CurrentUser"),
        fields(serde_json::to_value(&user).unwrap())
    );
    let session = SessionInfo {
        id: "h".into(),
        created_at: String::new(),
        last_seen_at: String::new(),
        ip: String::new(),
        user_agent: String::new(),
        current: true,
    };
    assert_eq!(
        properties("Session"),
        fields(serde_json::to_value(&session).unwrap())
    );

    // And the operations refer to them.
    let me = &doc["paths"]["/api/users/me"]["get"]["responses"]["200"];
    assert_eq!(
        me["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/CurrentUser"
    );
    let signup = &doc["paths"]["/api/auth/signup"]["post"];
    assert_eq!(
        signup["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SignupRequest"
    );
    assert!(signup["responses"]["201"].is_object(), "{signup}");
    assert!(signup["responses"]["409"].is_object(), "{signup}");
}

/// `docs/api.md` explains the operations in prose; it names exactly the served ones (`GET
/// /api/docs`, the Swagger page, is the one page it names besides).
#[test]
fn the_prose_contract_names_exactly_the_served_operations() {
    let text = include_str!("../../docs/api.md");
    let mut named = BTreeSet::new();
    for method in ["GET", "POST", "PATCH", "PUT", "DELETE"] {
        for piece in text.split(&format!("`{method} /api/")).skip(1) {
            let path: String = piece
                .chars()
                .take_while(|c| !matches!(c, '`' | '?' | ' '))
                .collect();
            named.insert((method.to_owned(), format!("/api/{path}")));
        }
    }
    named.remove(&("GET".to_owned(), "/api/docs".to_owned()));
    let served: BTreeSet<(String, String)> = routes()
        .operations()
        .iter()
        .map(|endpoint| (endpoint.method.as_str().to_owned(), endpoint.url()))
        .collect();
    assert_eq!(named, served);
}
