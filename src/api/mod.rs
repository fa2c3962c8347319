//! The browser's typed client for the JSON API (`docs/api.md`). Every call returns the server's
//! [`AppError`] on failure, or [`AppError::Unavailable`] when the server cannot be reached.

pub mod client;

use crate::{
    domain::{
        AdminUserUpdate, AdminUserView, AuditPage, ChangePasswordRequest, CurrentUser, Customer,
        GoogleCredential, GoogleNonce, LoginRequest, NewCustomerRequest, NewTodoRequest,
        SessionInfo, SignupRequest, Todo, UpdateCustomerRequest, UpdateProfileRequest,
        UpdateTodoRequest, UserPage, next::encode_component,
    },
    error::AppError,
};
use client::{Method, request, request_empty};

pub async fn get_me() -> Result<CurrentUser, AppError> {
    request(Method::Get, "/api/users/me", None::<&()>).await
}

pub async fn sign_up(body: &SignupRequest) -> Result<CurrentUser, AppError> {
    request(Method::Post, "/api/auth/signup", Some(body)).await
}

pub async fn log_in(body: &LoginRequest) -> Result<CurrentUser, AppError> {
    request(Method::Post, "/api/auth/login", Some(body)).await
}

pub async fn log_out() -> Result<(), AppError> {
    request_empty(Method::Post, "/api/auth/logout", None::<&()>).await
}

pub async fn update_me(body: &UpdateProfileRequest) -> Result<CurrentUser, AppError> {
    request(Method::Patch, "/api/users/me", Some(body)).await
}

pub async fn change_password(body: &ChangePasswordRequest) -> Result<(), AppError> {
    request_empty(Method::Post, "/api/users/me/password", Some(body)).await
}

pub async fn list_todos() -> Result<Vec<Todo>, AppError> {
    request(Method::Get, "/api/todos", None::<&()>).await
}

pub async fn create_todo(body: &NewTodoRequest) -> Result<Todo, AppError> {
    request(Method::Post, "/api/todos", Some(body)).await
}

pub async fn update_todo(id: i64, body: &UpdateTodoRequest) -> Result<Todo, AppError> {
    request(Method::Patch, &format!("/api/todos/{id}"), Some(body)).await
}

pub async fn delete_todo(id: i64) -> Result<(), AppError> {
    request_empty(Method::Delete, &format!("/api/todos/{id}"), None::<&()>).await
}

pub async fn list_customers() -> Result<Vec<Customer>, AppError> {
    request(Method::Get, "/api/customers", None::<&()>).await
}

/// A fresh nonce bound to this browser's session, for Google's sign-in prompt.
pub async fn google_nonce() -> Result<GoogleNonce, AppError> {
    request(Method::Get, "/api/auth/google/nonce", None::<&()>).await
}

pub async fn sign_in_with_google(body: &GoogleCredential) -> Result<CurrentUser, AppError> {
    request(Method::Post, "/api/auth/google", Some(body)).await
}

pub async fn create_customer(body: &NewCustomerRequest) -> Result<Customer, AppError> {
    request(Method::Post, "/api/customers", Some(body)).await
}

pub async fn update_customer(id: i64, body: &UpdateCustomerRequest) -> Result<Customer, AppError> {
    request(Method::Patch, &format!("/api/customers/{id}"), Some(body)).await
}

pub async fn delete_customer(id: i64) -> Result<(), AppError> {
    request_empty(Method::Delete, &format!("/api/customers/{id}"), None::<&()>).await
}

/// The signed-in user's live sessions.
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    request(Method::Get, "/api/sessions", None::<&()>).await
}

pub async fn end_session(id: &str) -> Result<(), AppError> {
    let path = format!("/api/sessions/{}", encode_component(id));
    request_empty(Method::Delete, &path, None::<&()>).await
}

/// Signs out every other browser and device.
pub async fn end_other_sessions() -> Result<(), AppError> {
    request_empty(Method::Delete, "/api/sessions", None::<&()>).await
}

pub async fn admin_users(query: &str, page: u32) -> Result<UserPage, AppError> {
    let path = format!(
        "/api/admin/users?query={}&page={page}",
        encode_component(query)
    );
    request(Method::Get, &path, None::<&()>).await
}

pub async fn admin_update_user(id: i64, body: &AdminUserUpdate) -> Result<AdminUserView, AppError> {
    request(Method::Patch, &format!("/api/admin/users/{id}"), Some(body)).await
}

pub async fn admin_user_sessions(id: i64) -> Result<Vec<SessionInfo>, AppError> {
    let path = format!("/api/admin/users/{id}/sessions");
    request(Method::Get, &path, None::<&()>).await
}

pub async fn admin_end_user_sessions(id: i64) -> Result<(), AppError> {
    let path = format!("/api/admin/users/{id}/sessions");
    request_empty(Method::Delete, &path, None::<&()>).await
}

pub async fn admin_audit(page: u32, per_page: u32) -> Result<AuditPage, AppError> {
    let path = format!("/api/admin/audit?page={page}&per_page={per_page}");
    request(Method::Get, &path, None::<&()>).await
}
