//! The JSON API under `/api` (contract: `docs/api.md`). Handlers are thin: extract, parse into
//! domain types, call one `server::` function, answer with a DTO.

pub mod auth;
pub mod customers;
pub mod google;
pub mod todos;
pub mod users;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, patch, post},
};

use super::{security, state::AppState};
use crate::error::AppError;

/// The largest request body the API reads (SECURITY X6).
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/signup", post(auth::sign_up))
        .route("/auth/login", post(auth::log_in))
        .route("/auth/logout", post(auth::log_out))
        .route("/auth/google/nonce", get(google::issue_nonce))
        .route("/auth/google", post(google::sign_in_with_google))
        .route("/users/me", get(users::get_me).patch(users::update_me))
        .route("/users/me/password", post(users::change_password))
        .route("/todos", get(todos::list_todos).post(todos::create_todo))
        .route("/customers", get(customers::list_customers))
        .route(
            "/todos/{id}",
            patch(todos::update_todo).delete(todos::delete_todo),
        )
        .fallback(|| async { AppError::not_found("API endpoint") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(security::no_store))
}

/// Parses one field, turning its error into a 422 that names it.
pub fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, AppError> {
    parsed.map_err(|why| AppError::validation(name, why))
}
