//! `/api/sessions`: the caller's own sessions, to review and end (SECURITY S8).

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};

use crate::{
    domain::SessionInfo,
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        auth::{self, Authenticated, ClientInfo},
        session_index,
        state::AppState,
    },
};

/// The handle of the session making the request.
pub fn current_handle(state: &AppState, me: &Authenticated) -> Option<String> {
    me.session.id().map(|id| auth::handle_of(state, &id))
}

pub async fn list_sessions(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<Vec<SessionInfo>>, AppError> {
    let current = current_handle(&state, &me);
    let list = session_index::list(&state.db, me.user.id, current.as_deref()).await?;
    Ok(Json(list))
}

/// Ends one of the caller's sessions: another device, or this one (a sign-out).
pub async fn end_session(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    // Handles are URL-safe base64; anything else names no session (and never reaches SQL).
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::not_found("Session"));
    }
    let detail = if current_handle(&state, &me).as_deref() == Some(id.as_str()) {
        auth::end_session(&state, &me.session).await?;
        "this session"
    } else {
        match session_index::owner(&state.db, &id).await? {
            Some(owner) if owner == me.user.id => auth::end_by_handle(&state, &id).await?,
            // Someone else's session is as unknown as a made-up one.
            _ => return Err(AppError::not_found("Session")),
        }
        "another session"
    };
    let event = Event {
        kind: Kind::SessionRevoked,
        user_id: Some(me.user.id),
        email: Some(&me.user.email),
        ip: &client.ip,
        detail,
    };
    audit::record(&state.db, event).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the caller but this one.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
) -> Result<StatusCode, AppError> {
    let current = current_handle(&state, &me);
    let ended = auth::end_sessions_of(&state, me.user.id, current.as_deref()).await?;
    let detail = format!("every other session ({ended})");
    let event = Event {
        kind: Kind::SessionRevoked,
        user_id: Some(me.user.id),
        email: Some(&me.user.email),
        ip: &client.ip,
        detail: &detail,
    };
    audit::record(&state.db, event).await;
    Ok(StatusCode::NO_CONTENT)
}
