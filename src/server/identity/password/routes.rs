//! `/api/auth/signup`, `/api/auth/login`, `/api/auth/logout`: the JSON adapters of
//! [`service`](super::service) and [`sign_in::sign_out`].

use aide::NoApi;
use axum::{Json, extract::State};
use tower_sessions::Session;

use super::service;
use crate::{
    domain::{CurrentUser, LoginRequest, Password, SignInResponse, SignupRequest},
    error::AppError,
    server::{
        http::{
            client::ClientInfo,
            error::ApiJson,
            parse::field,
            response::{Created, SignedOut},
        },
        identity::sign_in::{self, Method},
        platform::state::AppState,
    },
};

pub async fn sign_up(
    State(state): State<AppState>,
    NoApi(session): NoApi<Session>,
    client: ClientInfo,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<Created<CurrentUser>, AppError> {
    let user = service::sign_up(&state, &session, &client, &body).await?;
    Ok(Created(user.to_current()))
}

pub async fn log_in(
    State(state): State<AppState>,
    NoApi(session): NoApi<Session>,
    client: ClientInfo,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<SignInResponse>, AppError> {
    let password = field("password", Password::for_sign_in(&body.password))?;
    let completion = service::sign_in(
        &state,
        &session,
        &client,
        &body.email,
        password,
        Method::Password,
    )
    .await?;
    Ok(Json(completion.into()))
}

pub async fn log_out(
    State(state): State<AppState>,
    NoApi(session): NoApi<Session>,
    client: ClientInfo,
) -> Result<SignedOut, AppError> {
    sign_in::sign_out(&state, &session, &client).await?;
    Ok(SignedOut)
}
