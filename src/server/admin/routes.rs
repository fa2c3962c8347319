//! `/api/admin/*`: the JSON adapters of [`service`](super::service). Every handler takes
//! [`Admin`], so the role is checked on the server, against the user as it is now, on each
//! request.

use axum::{
    Json,
    extract::{Path, State},
    response::NoContent,
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::service;
use crate::{
    domain::{AdminUserUpdate, AdminUserView, AuditPage, SessionInfo, UserPage},
    error::AppError,
    server::{
        http::{
            client::ClientInfo,
            error::{ApiJson, ApiQuery},
            parse::{PageQuery, RowId},
            response::Accepted,
        },
        identity::current::Admin,
        platform::state::AppState,
    },
};

/// `?query=&page=&per_page=`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct UserQuery {
    /// Matches the email or the name, in any case.
    #[serde(default)]
    #[schemars(length(max = 200))]
    query: String,
    #[serde(flatten)]
    paging: PageQuery,
}

pub async fn list_users(
    State(state): State<AppState>,
    _admin: Admin,
    ApiQuery(params): ApiQuery<UserQuery>,
) -> Result<Json<UserPage>, AppError> {
    let page = params.paging.parse()?;
    let found = service::search_users(&state, &params.query, page).await?;
    Ok(Json(found))
}

pub async fn update_user(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(RowId { id }): Path<RowId>,
    ApiJson(body): ApiJson<AdminUserUpdate>,
) -> Result<Json<AdminUserView>, AppError> {
    let view = service::update_user(&state, &me, &client, &id, &body).await?;
    Ok(Json(view))
}

pub async fn user_sessions(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(RowId { id }): Path<RowId>,
) -> Result<Json<Vec<SessionInfo>>, AppError> {
    Ok(Json(service::user_sessions(&state, &me, &id).await?))
}

pub async fn end_user_sessions(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(RowId { id }): Path<RowId>,
) -> Result<NoContent, AppError> {
    service::end_user_sessions(&state, &me, &client, &id).await?;
    Ok(NoContent)
}

/// Mails the user a new verification link.
pub async fn send_verification(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(RowId { id }): Path<RowId>,
) -> Result<Accepted, AppError> {
    service::send_verification(&state, &me, &client, &id).await?;
    Ok(Accepted)
}

/// Mails the user a password reset link.
pub async fn send_password_reset(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(RowId { id }): Path<RowId>,
) -> Result<Accepted, AppError> {
    service::send_password_reset(&state, &me, &client, &id).await?;
    Ok(Accepted)
}

/// `DELETE /api/admin/users/{id}/second-factor`: removes the user's second factor.
pub async fn reset_second_factor(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(RowId { id }): Path<RowId>,
) -> Result<NoContent, AppError> {
    service::reset_second_factor(&state, &me, &client, &id).await?;
    Ok(NoContent)
}

/// `?page=&per_page=&user_id=`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct AuditQuery {
    #[serde(flatten)]
    paging: PageQuery,
    /// Only the events about this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64")]
    user_id: Option<String>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    _admin: Admin,
    ApiQuery(params): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, AppError> {
    let page = params.paging.parse()?;
    let user_id = match params.user_id.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::validation("user_id", "must be a user id"))?,
        ),
    };
    Ok(Json(service::audit_page(&state, user_id, page).await?))
}
