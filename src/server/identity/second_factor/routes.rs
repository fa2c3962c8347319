//! `/api/users/me/totp`, `/api/users/me/recovery-codes`, `/api/users/me/second-factor` and
//! `/api/auth/login/second-factor`: the JSON adapters of [`service`](super::service).

use aide::NoApi;
use axum::{Json, extract::State, response::NoContent};
use tower_sessions::Session;

use super::service;
use crate::{
    domain::{
        CurrentUser, RecoveryCodes, SecondFactorRequest, SecondFactorStatus, TotpCodeRequest,
        TotpEnrolment,
    },
    error::AppError,
    server::{
        http::{client::ClientInfo, error::ApiJson},
        identity::current::Authenticated,
        platform::state::AppState,
    },
};

/// `GET /api/users/me/second-factor`.
pub async fn status(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<SecondFactorStatus>, AppError> {
    Ok(Json(service::status(&state, me.user.id).await?))
}

/// `POST /api/users/me/totp`: a new authenticator secret to confirm (needs a recent sign-in).
pub async fn begin_totp(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<TotpEnrolment>, AppError> {
    Ok(Json(service::begin_totp(&state, &me).await?))
}

/// `POST /api/users/me/totp/confirm`: the first code turns it on; the recovery codes, once.
pub async fn confirm_totp(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    ApiJson(body): ApiJson<TotpCodeRequest>,
) -> Result<Json<RecoveryCodes>, AppError> {
    Ok(Json(
        service::confirm_totp(&state, &me, &client, &body.code).await?,
    ))
}

/// `DELETE /api/users/me/totp` (needs a recent sign-in).
pub async fn disable_totp(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
) -> Result<NoContent, AppError> {
    service::disable_totp(&state, &me, &client).await?;
    Ok(NoContent)
}

/// `POST /api/users/me/recovery-codes`: a new set (needs a recent sign-in).
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
) -> Result<Json<RecoveryCodes>, AppError> {
    Ok(Json(
        service::regenerate_recovery_codes(&state, &me, &client).await?,
    ))
}

/// `POST /api/auth/login/second-factor`: completes a sign-in held for its second factor.
pub async fn sign_in(
    State(state): State<AppState>,
    NoApi(session): NoApi<Session>,
    client: ClientInfo,
    ApiJson(body): ApiJson<SecondFactorRequest>,
) -> Result<Json<CurrentUser>, AppError> {
    let user = service::sign_in(&state, &session, &client, &body).await?;
    Ok(Json(user.to_current()))
}
