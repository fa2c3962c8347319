//! `/api/sessions`: the caller's own sessions, to review and end (SECURITY S8).

use axum::{
    Json,
    extract::{Path, State},
    response::NoContent,
};

use super::service;
use crate::{
    domain::SessionInfo,
    error::AppError,
    server::{
        http::{client::ClientInfo, parse::Handle},
        identity::current::Authenticated,
        platform::state::AppState,
    },
};

pub async fn list_sessions(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<Vec<SessionInfo>>, AppError> {
    Ok(Json(service::list(&state, me.user.id, &me.session).await?))
}

/// Ends one of the caller's sessions: another device, or this one (a sign-out).
pub async fn end_session(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    Path(Handle { id }): Path<Handle>,
) -> Result<NoContent, AppError> {
    service::end_own(&state, me.owner(), &me.session, &id, &client).await?;
    Ok(NoContent)
}

/// Ends every session of the caller but this one.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
) -> Result<NoContent, AppError> {
    crate::server::identity::credential_events::sign_out_others(&state, &me, &client).await?;
    Ok(NoContent)
}
