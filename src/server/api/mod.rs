//! The JSON API under `/api` (contract: `docs/api.md`): its route table, which names each
//! feature's handlers (thin adapters over that feature's service), and its OpenAPI document.

pub mod openapi;

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

use super::{
    admin::routes as admin,
    customers::routes as customers,
    http::security,
    identity::{google::routes as google, me_routes as users, password::routes as auth},
    platform::state::AppState,
    sessions::routes as sessions,
    todos::routes as todos,
};
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
