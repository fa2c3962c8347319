//! `/api/auth/passkey…` and `/api/users/me/passkeys…`: the JSON adapters of
//! [`service`](super::service).

use aide::NoApi;
use axum::{
    Json,
    extract::{Path, State},
    response::NoContent,
};
use tower_sessions::Session;

use super::service;
use crate::{
    domain::{
        CurrentUser, PasskeyEnrolRequest, PasskeyInfo, PasskeyOptions, PasskeyRename,
        PasskeySignInRequest,
    },
    error::AppError,
    server::{
        http::{client::ClientInfo, error::ApiJson, parse::RowId, response::Created},
        identity::{current::Authenticated, sign_in::Completion},
        platform::state::AppState,
    },
};

/// `POST /api/auth/passkey/options`: request options for signing in with a passkey.
pub async fn sign_in_options(
    State(state): State<AppState>,
    NoApi(session): NoApi<Session>,
    client: ClientInfo,
) -> Result<Json<PasskeyOptions>, AppError> {
    Ok(Json(
        service::sign_in_options(&state, &session, &client).await?,
    ))
}

/// `POST /api/auth/reauth/options`: options for confirming who the signed-in user is with one
/// of their passkeys (step-up), held in the session for five minutes.
pub async fn reauth_options(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<PasskeyOptions>, AppError> {
    Ok(Json(service::reauth_options(&state, &me).await?))
}

/// `POST /api/auth/passkey`: signs in with the browser's answer; 200 with the user.
pub async fn sign_in(
    State(state): State<AppState>,
    NoApi(session): NoApi<Session>,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasskeySignInRequest>,
) -> Result<Json<CurrentUser>, AppError> {
    match service::sign_in(&state, &session, &client, &body.credential).await? {
        Completion::SignedIn(user) => Ok(Json(user.to_current())),
        // A passkey proves both factors: no code is ever asked for after one.
        Completion::SecondFactor(_) => Err(AppError::internal()),
    }
}

/// `POST /api/users/me/passkeys/options`: creation options for a new passkey (needs a recent
/// sign-in).
pub async fn enrol_options(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<PasskeyOptions>, AppError> {
    Ok(Json(service::enrol_options(&state, &me).await?))
}

/// `POST /api/users/me/passkeys`: adds the passkey the browser made (needs a recent sign-in).
pub async fn enrol(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasskeyEnrolRequest>,
) -> Result<Created<PasskeyInfo>, AppError> {
    Ok(Created(
        service::enrol(&state, &me, &client, &body.credential, body.name.as_deref()).await?,
    ))
}

/// `GET /api/users/me/passkeys`.
pub async fn list(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<Vec<PasskeyInfo>>, AppError> {
    Ok(Json(service::list(&state, me.user.id).await?))
}

/// `PATCH /api/users/me/passkeys/{id}`.
pub async fn rename(
    State(state): State<AppState>,
    me: Authenticated,
    Path(RowId { id }): Path<RowId>,
    ApiJson(body): ApiJson<PasskeyRename>,
) -> Result<Json<PasskeyInfo>, AppError> {
    Ok(Json(
        service::rename(&state, me.user.id, &id, &body.name).await?,
    ))
}

/// `DELETE /api/users/me/passkeys/{id}` (needs a recent sign-in).
pub async fn remove(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    Path(RowId { id }): Path<RowId>,
) -> Result<NoContent, AppError> {
    service::remove(&state, &me, &client, &id).await?;
    Ok(NoContent)
}
