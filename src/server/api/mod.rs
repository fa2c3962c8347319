//! The JSON API under `/api` (contract: `docs/api.md`). Handlers are thin: extract, parse into
//! domain types, call one `server::` function, answer with a DTO.

pub mod admin;
pub mod auth;
pub mod customers;
pub mod google;
pub mod openapi;
pub mod sessions;
pub mod todos;
pub mod users;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    handler::Handler,
    http::Method,
    middleware,
    routing::{MethodFilter, any, on},
};

use tower::ServiceBuilder;
use tower_http::cors::CorsLayer;

use crate::{domain::PageRequest, error::FieldError};

use super::{security, state::AppState};
use crate::error::AppError;

/// The largest request body the API reads (SECURITY X6).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Where the API is served.
pub const PREFIX: &str = "/api";

/// The API's routes, registered one operation (method and path) at a time and listed as they
/// are, so the OpenAPI document can be checked against exactly what is served.
pub struct Routes {
    router: Router<AppState>,
    operations: Vec<(Method, &'static str)>,
}

impl Routes {
    fn new() -> Self {
        Self {
            router: Router::new(),
            operations: Vec::new(),
        }
    }

    fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        self.router = self
            .router
            .route(&format!("{PREFIX}{path}"), on(filter, handler));
        self.operations.push((method, path));
        self
    }

    /// Every `(method, path)` served under `/api`, paths as axum writes them (`/todos/{id}`).
    pub fn operations(&self) -> &[(Method, &'static str)] {
        &self.operations
    }
}

/// Every operation of the API.
pub fn routes() -> Routes {
    use Method as M;
    Routes::new()
        .add(M::POST, "/auth/signup", auth::sign_up)
        .add(M::POST, "/auth/login", auth::log_in)
        .add(M::POST, "/auth/logout", auth::log_out)
        .add(M::GET, "/auth/google/nonce", google::issue_nonce)
        .add(M::POST, "/auth/google", google::sign_in_with_google)
        .add(M::GET, "/users/me", users::get_me)
        .add(M::PATCH, "/users/me", users::update_me)
        .add(M::POST, "/users/me/password", users::change_password)
        .add(M::GET, "/todos", todos::list_todos)
        .add(M::POST, "/todos", todos::create_todo)
        .add(M::PATCH, "/todos/{id}", todos::update_todo)
        .add(M::DELETE, "/todos/{id}", todos::delete_todo)
        .add(M::GET, "/customers", customers::list_customers)
        .add(M::POST, "/customers", customers::create_customer)
        .add(M::GET, "/customers/{id}", customers::get_customer)
        .add(M::PATCH, "/customers/{id}", customers::update_customer)
        .add(M::DELETE, "/customers/{id}", customers::delete_customer)
        .add(M::GET, "/sessions", sessions::list_sessions)
        .add(M::DELETE, "/sessions", sessions::end_other_sessions)
        .add(M::DELETE, "/sessions/{id}", sessions::end_session)
        .add(M::GET, "/admin/users", admin::list_users)
        .add(M::PATCH, "/admin/users/{id}", admin::update_user)
        .add(M::GET, "/admin/users/{id}/sessions", admin::user_sessions)
        .add(
            M::DELETE,
            "/admin/users/{id}/sessions",
            admin::end_user_sessions,
        )
        .add(M::GET, "/admin/audit", admin::audit_log)
        .add(M::GET, "/openapi.json", openapi::document)
}

/// The API with its own layers: CORS outermost (when any origin is allowed: with none, it
/// would only add work and `Vary` headers), then `no-store` on every answer, then the body limit.
/// They are one layer so each request clones one boxed service for them, not three.
///
/// Its routes carry the full path (`/api/users/me`) so that the app merges them rather than
/// nesting a router, which would rewrite every request's URI on the way in.
pub fn router(cors: Option<CorsLayer>) -> Router<AppState> {
    let not_found = || async { AppError::not_found("API endpoint") };
    routes()
        .router
        .route(PREFIX, any(not_found))
        .route(&format!("{PREFIX}/"), any(not_found))
        .route(&format!("{PREFIX}/{{*rest}}"), any(not_found))
        .layer(
            ServiceBuilder::new()
                .option_layer(cors)
                .layer(middleware::from_fn(security::no_store))
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
}

/// Parses one field, turning its error into a 422 that names it.
pub fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, AppError> {
    parsed.map_err(|why| AppError::validation(name, why))
}

/// The 422 naming every field that failed, or `Ok` when none did.
pub fn collect_fields<'a>(
    checks: impl IntoIterator<Item = (&'a str, Option<&'a String>)>,
) -> Result<(), AppError> {
    let fields: Vec<FieldError> = checks
        .into_iter()
        .filter_map(|(field, why)| {
            why.map(|message| FieldError {
                field: field.into(),
                message: message.clone(),
            })
        })
        .collect();
    if fields.is_empty() {
        return Ok(());
    }
    let message = fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ");
    Err(AppError::Validation { message, fields })
}

/// `?page=&per_page=`, with a 422 naming the bad one.
pub fn page_request(page: Option<&str>, per_page: Option<&str>) -> Result<PageRequest, AppError> {
    PageRequest::parse(page, per_page).map_err(|(field, why)| AppError::validation(field, why))
}
