//! The JSON API under `/api` (contract: `docs/api.md`). Handlers are thin: extract, parse into
//! domain types, call one `server::` function, answer with a DTO.

pub mod admin;
pub mod auth;
pub mod customers;
pub mod google;
pub mod sessions;
pub mod todos;
pub mod users;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{delete, get, patch, post},
};

use crate::{domain::PageRequest, error::FieldError};

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
        .route(
            "/customers",
            get(customers::list_customers).post(customers::create_customer),
        )
        .route(
            "/customers/{id}",
            get(customers::get_customer)
                .patch(customers::update_customer)
                .delete(customers::delete_customer),
        )
        .route(
            "/sessions",
            get(sessions::list_sessions).delete(sessions::end_other_sessions),
        )
        .route("/sessions/{id}", delete(sessions::end_session))
        .route("/admin/users", get(admin::list_users))
        .route("/admin/users/{id}", patch(admin::update_user))
        .route(
            "/admin/users/{id}/sessions",
            get(admin::user_sessions).delete(admin::end_user_sessions),
        )
        .route("/admin/audit", get(admin::audit_log))
        .route(
            "/todos/{id}",
            patch(todos::update_todo).delete(todos::delete_todo),
        )
        .route_layer(middleware::from_fn(super::metrics::note_route))
        .fallback(|| async { AppError::not_found("API endpoint") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(security::no_store))
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
