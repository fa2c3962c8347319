//! `/api/admin/*`: user management, their sessions, and the audit trail. Every handler takes
//! [`Admin`], so the role is checked on the server against the users table on each request.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Deserialize;

use super::page_request;
use crate::{
    domain::{AdminUserUpdate, AdminUserView, AuditPage, SessionInfo, UserPage},
    error::AppError,
    server::{
        api::sessions::current_handle,
        audit::{self, Event, Kind},
        auth::{self, Admin, ClientInfo},
        http_error::{ApiJson, ApiQuery},
        session_index,
        state::AppState,
        users::{self, User},
    },
};

/// The longest search text accepted.
const MAX_QUERY_LEN: usize = 200;

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
    if params.query.chars().any(char::is_control) {
        return Err(AppError::validation(
            "query",
            "must not contain control characters",
        ));
    }
    if params.query.chars().count() > MAX_QUERY_LEN {
        return Err(AppError::validation(
            "query",
            format!("must be at most {MAX_QUERY_LEN} characters"),
        ));
    }
    let page = page_request(params.page.as_deref(), params.per_page.as_deref())?;
    let (users, total) = users::search(&state.db, &params.query, &page).await?;
    Ok(Json(UserPage {
        users,
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}

/// Disables or enables an account and grants or removes the admin role. Both take effect on the
/// user's next request (the extractor reads the users table every time); a role change also
/// gives their session a new id then.
pub async fn update_user(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AdminUserUpdate>,
) -> Result<Json<AdminUserView>, AppError> {
    let mut target = find_user(&state, &id).await?;
    if target.id == me.user.id && (body.disabled == Some(true) || body.is_admin == Some(false)) {
        return Err(AppError::conflict(
            "You cannot disable your own account or remove your own admin role.",
        ));
    }
    let mut changes = Vec::new();
    if let Some(disabled) = body.disabled.filter(|d| *d != target.disabled) {
        let changed = users::set_disabled(&state.db, target.id, disabled).await?;
        if !state.announce(changed).await? {
            return Err(AppError::not_found("User"));
        }
        target.disabled = disabled;
        changes.push(if disabled {
            Kind::UserDisabled
        } else {
            Kind::UserEnabled
        });
    }
    if let Some(is_admin) = body.is_admin.filter(|a| *a != target.is_admin) {
        let changed = users::set_admin(&state.db, target.id, is_admin).await?;
        if !state.announce(changed).await? {
            return Err(AppError::not_found("User"));
        }
        target.is_admin = is_admin;
        changes.push(if is_admin {
            Kind::AdminGranted
        } else {
            Kind::AdminRevoked
        });
    }
    for kind in changes {
        let event = Event {
            kind,
            user_id: Some(target.id),
            email: Some(&target.email),
            ip: &client.ip,
            detail: "",
        };
        audit::record_by(&state.db, Some(me.user.id), event).await;
    }
    let sessions = users::session_count(&state.db, target.id).await?;
    Ok(Json(target.to_admin_view(sessions)))
}

pub async fn user_sessions(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<SessionInfo>>, AppError> {
    let target = find_user(&state, &id).await?;
    let current = current_handle(&state, &me);
    let list = session_index::list(&state.db, target.id, current.as_deref()).await?;
    Ok(Json(list))
}

/// Ends every session of a user, the admin's own current one included when they pick
/// themselves.
pub async fn end_user_sessions(
    State(state): State<AppState>,
    Admin(me): Admin,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let target = find_user(&state, &id).await?;
    let ended = if target.id == me.user.id {
        let current = current_handle(&state, &me);
        let others = auth::end_sessions_of(&state, me.user.id, current.as_deref()).await?;
        auth::end_session(&state, &me.session).await?;
        others + 1
    } else {
        auth::end_sessions_of(&state, target.id, None).await?
    };
    let detail = format!("every session ({ended}), by an admin");
    let event = Event {
        kind: Kind::SessionRevoked,
        user_id: Some(target.id),
        email: Some(&target.email),
        ip: &client.ip,
        detail: &detail,
    };
    audit::record_by(&state.db, Some(me.user.id), event).await;
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
    let (events, total) = audit::page(&state.db, user_id, &page).await?;
    Ok(Json(AuditPage {
        events,
        page: page.page,
        per_page: page.per_page,
        total,
    }))
}

/// The user a path names; an id that is not a number names no one.
async fn find_user(state: &AppState, raw_id: &str) -> Result<User, AppError> {
    let Ok(id) = raw_id.parse::<i64>() else {
        return Err(AppError::not_found("User"));
    };
    users::by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("User"))
}
