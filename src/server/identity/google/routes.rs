//! `/api/auth/google*`: Google Sign-In. The browser asks for a nonce, hands it to Google's
//! Identity Services, and posts back the ID token Google signed; the server verifies it and
//! signs the account in with a session of its own (the token is never the session).

use aide::NoApi;
use axum::{Json, extract::State};
use tower_sessions::Session;

use super::service;
use crate::{
    domain::{GoogleCredential, GoogleNonce, SignInResponse},
    error::AppError,
    server::{
        http::{client::ClientInfo, error::ApiJson},
        platform::state::AppState,
    },
};

/// `GET /api/auth/google/nonce`: a fresh nonce bound to this browser's session (G4).
pub async fn issue_nonce(
    State(state): State<AppState>,
    NoApi(session): NoApi<Session>,
    client: ClientInfo,
) -> Result<Json<GoogleNonce>, AppError> {
    let nonce = service::issue_nonce(&state, &session, &client).await?;
    Ok(Json(GoogleNonce { nonce }))
}

/// `POST /api/auth/google`: verifies the ID token and signs its account in.
pub async fn sign_in_with_google(
    State(state): State<AppState>,
    NoApi(session): NoApi<Session>,
    client: ClientInfo,
    ApiJson(body): ApiJson<GoogleCredential>,
) -> Result<Json<SignInResponse>, AppError> {
    let completion = service::sign_in(&state, &session, &client, &body.credential).await?;
    Ok(Json(completion.into()))
}
