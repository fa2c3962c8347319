//! The browser's typed client for the JSON API (`docs/api.md`). Every call returns the server's
//! [`AppError`] on failure, or [`AppError::Unavailable`] when the server cannot be reached. The
//! methods and paths come from [`paths`], the table the server registers its routes from.

pub mod client;

use serde::{Serialize, de::DeserializeOwned};

use crate::{
    domain::{
        AdminUserUpdate, AdminUserView, AuditPage, ChangePasswordRequest, CurrentUser, Customer,
        GoogleCredential, GoogleNonce, LoginRequest, NewCustomerRequest, NewTodoRequest,
        SessionInfo, SignupRequest, Todo, UpdateCustomerRequest, UpdateProfileRequest,
        UpdateTodoRequest, UserPage,
        next::encode_component,
        paths::{self, *},
    },
    error::AppError,
};
use client::{request, request_empty};

async fn call<T: DeserializeOwned>(
    endpoint: paths::Endpoint,
    body: Option<&impl Serialize>,
) -> Result<T, AppError> {
    request(endpoint.method, &endpoint.url(), body).await
}

async fn call_at<T: DeserializeOwned>(
    endpoint: paths::Endpoint,
    id: impl std::fmt::Display,
    body: Option<&impl Serialize>,
) -> Result<T, AppError> {
    request(endpoint.method, &endpoint.url_for(id), body).await
}

async fn call_empty(
    endpoint: paths::Endpoint,
    body: Option<&impl Serialize>,
) -> Result<(), AppError> {
    request_empty(endpoint.method, &endpoint.url(), body).await
}

async fn call_empty_at(
    endpoint: paths::Endpoint,
    id: impl std::fmt::Display,
    body: Option<&impl Serialize>,
) -> Result<(), AppError> {
    request_empty(endpoint.method, &endpoint.url_for(id), body).await
}

pub async fn get_me() -> Result<CurrentUser, AppError> {
    call(GET_ME, None::<&()>).await
}

pub async fn sign_up(body: &SignupRequest) -> Result<CurrentUser, AppError> {
    call(SIGN_UP, Some(body)).await
}

pub async fn log_in(body: &LoginRequest) -> Result<CurrentUser, AppError> {
    call(LOG_IN, Some(body)).await
}

pub async fn log_out() -> Result<(), AppError> {
    call_empty(LOG_OUT, None::<&()>).await
}

pub async fn update_me(body: &UpdateProfileRequest) -> Result<CurrentUser, AppError> {
    call(UPDATE_ME, Some(body)).await
}

pub async fn change_password(body: &ChangePasswordRequest) -> Result<(), AppError> {
    call_empty(CHANGE_PASSWORD, Some(body)).await
}

pub async fn list_todos() -> Result<Vec<Todo>, AppError> {
    call(LIST_TODOS, None::<&()>).await
}

pub async fn create_todo(body: &NewTodoRequest) -> Result<Todo, AppError> {
    call(CREATE_TODO, Some(body)).await
}

pub async fn update_todo(id: i64, body: &UpdateTodoRequest) -> Result<Todo, AppError> {
    call_at(UPDATE_TODO, id, Some(body)).await
}

pub async fn delete_todo(id: i64) -> Result<(), AppError> {
    call_empty_at(DELETE_TODO, id, None::<&()>).await
}

pub async fn list_customers() -> Result<Vec<Customer>, AppError> {
    call(LIST_CUSTOMERS, None::<&()>).await
}

/// A fresh nonce bound to this browser's session, for Google's sign-in prompt.
pub async fn google_nonce() -> Result<GoogleNonce, AppError> {
    call(GOOGLE_NONCE, None::<&()>).await
}

pub async fn sign_in_with_google(body: &GoogleCredential) -> Result<CurrentUser, AppError> {
    call(GOOGLE_SIGN_IN, Some(body)).await
}

pub async fn create_customer(body: &NewCustomerRequest) -> Result<Customer, AppError> {
    call(CREATE_CUSTOMER, Some(body)).await
}

pub async fn update_customer(id: i64, body: &UpdateCustomerRequest) -> Result<Customer, AppError> {
    call_at(UPDATE_CUSTOMER, id, Some(body)).await
}

pub async fn delete_customer(id: i64) -> Result<(), AppError> {
    call_empty_at(DELETE_CUSTOMER, id, None::<&()>).await
}

/// The signed-in user's live sessions.
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    call(LIST_SESSIONS, None::<&()>).await
}

pub async fn end_session(id: &str) -> Result<(), AppError> {
    call_empty_at(END_SESSION, id, None::<&()>).await
}

/// Signs out every other browser and device.
pub async fn end_other_sessions() -> Result<(), AppError> {
    call_empty(END_OTHER_SESSIONS, None::<&()>).await
}

pub async fn admin_users(query: &str, page: u32) -> Result<UserPage, AppError> {
    let url = format!(
        "{}?query={}&page={page}",
        ADMIN_LIST_USERS.url(),
        encode_component(query)
    );
    request(ADMIN_LIST_USERS.method, &url, None::<&()>).await
}

pub async fn admin_update_user(id: i64, body: &AdminUserUpdate) -> Result<AdminUserView, AppError> {
    call_at(ADMIN_UPDATE_USER, id, Some(body)).await
}

pub async fn admin_user_sessions(id: i64) -> Result<Vec<SessionInfo>, AppError> {
    call_at(ADMIN_USER_SESSIONS, id, None::<&()>).await
}

pub async fn admin_end_user_sessions(id: i64) -> Result<(), AppError> {
    call_empty_at(ADMIN_END_USER_SESSIONS, id, None::<&()>).await
}

pub async fn admin_audit(page: u32, per_page: u32) -> Result<AuditPage, AppError> {
    let url = format!("{}?page={page}&per_page={per_page}", ADMIN_AUDIT.url());
    request(ADMIN_AUDIT.method, &url, None::<&()>).await
}
