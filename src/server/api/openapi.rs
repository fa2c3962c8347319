//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every operation of the API. The
//! operations themselves come from [`routes`](super::routes()), so the document can only lack an
//! endpoint if its description below is missing, and a test (`tests/openapi.rs`) fails then.

use std::sync::LazyLock;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::routes;

/// What one operation takes and answers.
struct Op {
    summary: &'static str,
    tag: &'static str,
    /// Whether the session cookie is needed.
    signed_in: bool,
    /// A request body schema (a `#/components/schemas` name).
    body: Option<&'static str>,
    /// Query parameters: name, schema, description.
    query: Vec<(&'static str, Value)>,
    /// The success status and its body schema (`None`: no body).
    success: (u16, Option<Value>),
    /// Failure statuses besides the ones every operation of its kind has.
    errors: &'static [u16],
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list_of(name: &str) -> Value {
    json!({ "type": "array", "items": schema(name) })
}

fn describe(method: &Method, path: &str) -> Option<Op> {
    let op = |summary, tag, signed_in, body, success, errors| Op {
        summary,
        tag,
        signed_in,
        body,
        query: Vec::new(),
        success,
        errors,
    };
    let page = (
        "page",
        json!({"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}),
    );
    let per_page = (
        "per_page",
        json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
    );
    Some(match (method.as_str(), path) {
        ("POST", "/auth/signup") => op(
            "Create an account and sign in",
            "auth",
            false,
            Some("SignupRequest"),
            (201, Some(schema("CurrentUser"))),
            &[409],
        ),
        ("POST", "/auth/login") => op(
            "Sign in with email and password",
            "auth",
            false,
            Some("LoginRequest"),
            (200, Some(schema("CurrentUser"))),
            &[401, 403, 429],
        ),
        ("POST", "/auth/logout") => op(
            "Sign out: the session ends",
            "auth",
            false,
            None,
            (204, None),
            &[],
        ),
        ("GET", "/auth/google/nonce") => op(
            "A one-time nonce for Google's sign-in prompt",
            "auth",
            false,
            None,
            (200, Some(schema("GoogleNonce"))),
            &[404],
        ),
        ("POST", "/auth/google") => op(
            "Sign in with a Google ID token",
            "auth",
            false,
            Some("GoogleCredential"),
            (200, Some(schema("CurrentUser"))),
            &[401, 403, 404, 409],
        ),
        ("GET", "/users/me") => op(
            "The signed-in user",
            "users",
            true,
            None,
            (200, Some(schema("CurrentUser"))),
            &[],
        ),
        ("PATCH", "/users/me") => op(
            "Change the display name",
            "users",
            true,
            Some("UpdateProfileRequest"),
            (200, Some(schema("CurrentUser"))),
            &[],
        ),
        ("POST", "/users/me/password") => op(
            "Change the password; other sessions end",
            "users",
            true,
            Some("ChangePasswordRequest"),
            (204, None),
            &[429],
        ),
        ("GET", "/todos") => op(
            "The user's todos, oldest first",
            "todos",
            true,
            None,
            (200, Some(list_of("Todo"))),
            &[],
        ),
        ("POST", "/todos") => op(
            "Add a todo",
            "todos",
            true,
            Some("NewTodoRequest"),
            (201, Some(schema("Todo"))),
            &[],
        ),
        ("PATCH", "/todos/{id}") => op(
            "Change a todo",
            "todos",
            true,
            Some("UpdateTodoRequest"),
            (200, Some(schema("Todo"))),
            &[404],
        ),
        ("DELETE", "/todos/{id}") => op("Delete a todo", "todos", true, None, (204, None), &[404]),
        ("GET", "/customers") => op(
            "Every customer",
            "customers",
            true,
            None,
            (200, Some(list_of("Customer"))),
            &[],
        ),
        ("POST", "/customers") => op(
            "Add a customer (admins)",
            "customers",
            true,
            Some("NewCustomerRequest"),
            (201, Some(schema("Customer"))),
            &[],
        ),
        ("GET", "/customers/{id}") => op(
            "One customer",
            "customers",
            true,
            None,
            (200, Some(schema("Customer"))),
            &[404],
        ),
        ("PATCH", "/customers/{id}") => op(
            "Change a customer (admins)",
            "customers",
            true,
            Some("UpdateCustomerRequest"),
            (200, Some(schema("Customer"))),
            &[404],
        ),
        ("DELETE", "/customers/{id}") => op(
            "Delete a customer (admins)",
            "customers",
            true,
            None,
            (204, None),
            &[404],
        ),
        ("GET", "/sessions") => op(
            "The caller's live sessions",
            "sessions",
            true,
            None,
            (200, Some(list_of("Session"))),
            &[],
        ),
        ("DELETE", "/sessions") => op(
            "Sign out every other session of the caller",
            "sessions",
            true,
            None,
            (204, None),
            &[],
        ),
        ("DELETE", "/sessions/{id}") => op(
            "Sign out one session of the caller",
            "sessions",
            true,
            None,
            (204, None),
            &[404],
        ),
        ("GET", "/admin/users") => Op {
            query: vec![
                ("query", json!({"type": "string", "maxLength": 200})),
                page,
                per_page,
            ],
            ..op(
                "Users, oldest first, with status and session counts (admins)",
                "admin",
                true,
                None,
                (200, Some(schema("UserPage"))),
                &[],
            )
        },
        ("PATCH", "/admin/users/{id}") => op(
            "Disable or enable a user, grant or remove admin (admins)",
            "admin",
            true,
            Some("AdminUserUpdate"),
            (200, Some(schema("AdminUser"))),
            &[404, 409],
        ),
        ("GET", "/admin/users/{id}/sessions") => op(
            "A user's live sessions (admins)",
            "admin",
            true,
            None,
            (200, Some(list_of("Session"))),
            &[404],
        ),
        ("DELETE", "/admin/users/{id}/sessions") => op(
            "End every session of a user (admins)",
            "admin",
            true,
            None,
            (204, None),
            &[404],
        ),
        ("GET", "/admin/audit") => Op {
            query: vec![page, per_page, ("user_id", json!({"type": "integer"}))],
            ..op(
                "The audit trail, newest first (admins)",
                "admin",
                true,
                None,
                (200, Some(schema("AuditPage"))),
                &[],
            )
        },
        ("GET", "/openapi.json") => op(
            "This document",
            "meta",
            false,
            None,
            (200, Some(json!({"type": "object"}))),
            &[],
        ),
        _ => return None,
    })
}

/// The operations `routes()` serves that have no description here (a test keeps this empty).
pub fn undescribed() -> Vec<(Method, &'static str)> {
    routes()
        .operations()
        .iter()
        .filter(|(method, path)| describe(method, path).is_none())
        .cloned()
        .collect()
}

fn error_response(status: u16) -> Value {
    let why = match status {
        400 => "The body is not JSON, lacks its content type, or is too large",
        401 => "No valid session",
        403 => "Not allowed (not an admin, a disabled account, or a cross-site request)",
        404 => "No such thing, or not yours",
        409 => "Conflicts with existing data",
        422 => "A field or parameter is unacceptable",
        429 => "Too many attempts; see Retry-After",
        503 => "A dependency is unavailable; see Retry-After",
        _ => "An error",
    };
    json!({
        "description": why,
        "content": { "application/json": { "schema": schema("Error") } },
    })
}

fn operation(method: &Method, path: &str, op: &Op) -> Value {
    let mut statuses: Vec<u16> = op.errors.to_vec();
    if op.signed_in {
        statuses.extend([401, 403, 503]);
    }
    if method != Method::GET {
        statuses.extend([403, 503]);
    }
    if op.body.is_some() {
        statuses.extend([400, 422]);
    }
    if !op.query.is_empty() {
        statuses.extend([400, 422]);
    }
    statuses.sort_unstable();
    statuses.dedup();

    let mut responses = Map::new();
    let (code, body) = &op.success;
    let success = match body {
        Some(body) => json!({
            "description": "Success",
            "content": { "application/json": { "schema": body } },
        }),
        None => json!({ "description": "Done; no body" }),
    };
    responses.insert(code.to_string(), success);
    for status in statuses {
        responses.insert(status.to_string(), error_response(status));
    }

    let mut parameters: Vec<Value> = Vec::new();
    if path.contains("{id}") {
        let id_schema = if path.starts_with("/sessions/") {
            json!({"type": "string"})
        } else {
            json!({"type": "integer"})
        };
        parameters.push(json!({"name": "id", "in": "path", "required": true, "schema": id_schema}));
    }
    for (name, schema) in &op.query {
        parameters.push(json!({"name": name, "in": "query", "required": false, "schema": schema}));
    }

    let mut value = json!({
        "operationId": format!("{}{}", method.as_str().to_lowercase(), path.replace(['/', '{', '}', '.'], "_")),
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
        "security": if op.signed_in { json!([{ "sessionCookie": [] }]) } else { json!([]) },
    });
    if !parameters.is_empty() {
        value["parameters"] = Value::Array(parameters);
    }
    if let Some(body) = op.body {
        value["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": schema(body) } },
        });
    }
    value
}

fn nullable(kind: &str) -> Value {
    json!({ "type": [kind, "null"] })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

fn schemas() -> Value {
    let text = json!({"type": "string"});
    let int = json!({"type": "integer"});
    let boolean = json!({"type": "boolean"});
    let time = json!({"type": "string", "format": "date-time"});
    json!({
        "Error": object(&["error", "message"], json!({
            "error": {"type": "string", "enum": [
                "validation", "bad_request", "unauthenticated", "forbidden", "not_found",
                "conflict", "rate_limited", "unavailable", "internal"]},
            "message": text,
            "fields": {"type": "array", "items": object(&["field", "message"], json!({"field": text, "message": text}))},
            "retry_after_secs": int,
        })),
        "CurrentUser": object(&["id", "email", "name", "is_admin", "has_password", "has_google", "created_at"], json!({
            "id": int, "email": {"type": "string", "format": "email"}, "name": text, "is_admin": boolean,
            "has_password": boolean, "has_google": boolean, "created_at": time,
        })),
        "SignupRequest": object(&["email", "password", "name"], json!({
            "email": text, "password": text, "name": text,
        })),
        "LoginRequest": object(&["email", "password"], json!({"email": text, "password": text})),
        "UpdateProfileRequest": object(&["name"], json!({"name": text})),
        "ChangePasswordRequest": object(&["new_password"], json!({"current_password": text, "new_password": text})),
        "GoogleNonce": object(&["nonce"], json!({"nonce": text})),
        "GoogleCredential": object(&["credential"], json!({"credential": text})),
        "Todo": object(&["id", "title", "done"], json!({"id": int, "title": text, "done": boolean})),
        "NewTodoRequest": object(&["title"], json!({"title": text})),
        "UpdateTodoRequest": object(&[], json!({"title": text, "done": boolean})),
        "Customer": object(&["id", "name", "email", "company", "plan", "created_at"], json!({
            "id": int, "name": text, "email": text, "company": text,
            "plan": {"type": "string", "enum": ["free", "team", "enterprise"]}, "created_at": time,
        })),
        "NewCustomerRequest": object(&["name", "email"], json!({
            "name": text, "email": text, "company": text, "plan": nullable("string"),
        })),
        "UpdateCustomerRequest": object(&[], json!({
            "name": text, "email": text, "company": text, "plan": text,
        })),
        "Session": object(&["id", "created_at", "last_seen_at", "ip", "user_agent", "current"], json!({
            "id": {"type": "string", "description": "An opaque handle, never the cookie's value"},
            "created_at": time, "last_seen_at": time, "ip": text, "user_agent": text, "current": boolean,
        })),
        "AdminUser": object(&["id", "email", "name", "is_admin", "disabled", "has_password", "has_google", "created_at", "session_count"], json!({
            "id": int, "email": text, "name": text, "is_admin": boolean, "disabled": boolean,
            "has_password": boolean, "has_google": boolean, "created_at": time,
            "session_count": {"type": "integer", "minimum": 0},
        })),
        "UserPage": object(&["users", "page", "per_page", "total"], json!({
            "users": list_of("AdminUser"), "page": int, "per_page": int, "total": int,
        })),
        "AdminUserUpdate": object(&[], json!({"disabled": boolean, "is_admin": boolean})),
        "AuditEvent": object(&["id", "at", "kind", "user_id", "email", "actor_id", "actor_email", "ip", "detail"], json!({
            "id": int, "at": time, "kind": text, "user_id": nullable("integer"), "email": nullable("string"),
            "actor_id": nullable("integer"), "actor_email": nullable("string"), "ip": text, "detail": text,
        })),
        "AuditPage": object(&["events", "page", "per_page", "total"], json!({
            "events": list_of("AuditEvent"), "page": int, "per_page": int, "total": int,
        })),
    })
}

/// The whole document, built once.
pub fn spec() -> &'static Value {
    static SPEC: LazyLock<Value> = LazyLock::new(|| {
        let mut paths = Map::new();
        for (method, path) in routes().operations() {
            let Some(op) = describe(method, path) else {
                continue;
            };
            let entry = paths
                .entry(format!("/api{path}"))
                .or_insert_with(|| json!({}));
            entry[method.as_str().to_lowercase()] = operation(method, path, &op);
        }
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "Gatehouse API",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "Cookie-session authentication, accounts, todos, customers, sessions and administration. Sign in with POST /api/auth/login; the session cookie (HTTP-only) authenticates every other call. State-changing requests from other sites are refused unless their origin is in CORS_ALLOWED_ORIGINS.",
            },
            "servers": [{ "url": "/" }],
            "tags": [
                {"name": "auth"}, {"name": "users"}, {"name": "todos"}, {"name": "customers"},
                {"name": "sessions"}, {"name": "admin"}, {"name": "meta"},
            ],
            "paths": paths,
            "components": {
                "schemas": schemas(),
                "securitySchemes": {
                    "sessionCookie": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "gatehouse",
                        "description": "The HTTP-only session cookie set by sign-in; named __Host-gatehouse when session_cookie_secure is on.",
                    },
                },
            },
        })
    });
    &SPEC
}

/// The document as served: serialised once, not on every request.
pub async fn document() -> impl axum::response::IntoResponse {
    static TEXT: LazyLock<String> = LazyLock::new(|| spec().to_string());
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        TEXT.as_str(),
    )
}

/// The Content-Security-Policy of `/api/docs`: Swagger UI's script and stylesheet from this
/// origin only (it sets inline styles, hence `'unsafe-inline'` for styles alone), requests to
/// this origin only.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// `GET /api/docs`: interactive documentation (Swagger UI, served from `/api-docs/`) for the
/// document above. "Try it out" runs in this page, with the browser's session cookie.
pub async fn docs_page() -> impl axum::response::IntoResponse {
    use axum::http::header;
    (
        [
            (header::CONTENT_SECURITY_POLICY, DOCS_CSP),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        axum::response::Html(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse API</title>
<link rel="icon" type="image/svg+xml" href="/favicon.svg">
<link rel="stylesheet" href="/api-docs/vendor/swagger-ui.css">
<script src="/api-docs/vendor/swagger-ui-bundle.js" defer></script>
<script src="/api-docs/init.js" defer></script>
</head>
<body>
<main id="swagger-ui"></main>
</body>
</html>
"#,
        ),
    )
}
