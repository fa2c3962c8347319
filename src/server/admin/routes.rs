//! `/api/admin/*`: the JSON adapters of [`service`](super::service). Every handler takes
//! [`Admin`], so the role is checked on the server, against the user as it is now, on each
//! request.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Deserialize;

use super::service;
use crate::{
    domain::{AdminUserUpdate, AdminUserView, AuditPage, SessionInfo, UserPage},
    error::AppError,
    server::{
        http::{
            client::ClientInfo,
            error::{ApiJson, ApiQuery},
            parse::page_request,
        },
        identity::current::Admin,
        platform::state::AppState,
        sessions::{index, service::current_handle},
    },
};

#[derive(Debug, Deserialize)]
pub struct UserQuery {
    #[serde(default)]
    query: String,
    page: Option<String>,
    per_page: Option<String>,
}

pub async fn list_users(
    State(state): State<AppState>,
    _admin: Admin,
    ApiQuery(params): ApiQuery<UserQuery>,
) -> Result<Json<UserPage>, AppError> {
    let page = page_request(params.page.as_deref(), params.per_page.as_deref())?;
    let found = service::search_users(&state, &params.query, page).await?;
    Ok(Json(found))
}

pub async fn update_user(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AdminUserUpdate>,
) -> Result<Json<AdminUserView>, AppError> {
    let target = service::find_user(&state, &id).await?;
    let view = service::update_user(&state, &me, &client, target, &body).await?;
    Ok(Json(view))
}

pub async fn user_sessions(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<SessionInfo>>, AppError> {
    let target = service::find_user(&state, &id).await?;
    let current = current_handle(&state, &me.session);
    let list = index::list(&state.db, target.id, current.as_deref()).await?;
    Ok(Json(list))
}

pub async fn end_user_sessions(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let target = service::find_user(&state, &id).await?;
    service::end_user_sessions(&state, &me, &client, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    page: Option<String>,
    per_page: Option<String>,
    user_id: Option<String>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    _admin: Admin,
    ApiQuery(params): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, AppError> {
    let page = page_request(params.page.as_deref(), params.per_page.as_deref())?;
    let user_id = match params.user_id.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::validation("user_id", "must be a user id"))?,
        ),
    };
    Ok(Json(service::audit_page(&state, user_id, page).await?))
}
