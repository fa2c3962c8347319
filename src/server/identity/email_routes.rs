//! The JSON adapters of owning one's address: verification
//! ([`verification`](super::verification)), password reset
//! ([`password::reset`](super::password::reset)) and email change
//! ([`email_change`](super::email_change)).

use axum::{Json, extract::State, response::NoContent};

use super::{
    current::{Authenticated, SignedIn},
    email_change,
    password::reset,
    verification,
};
use crate::{
    domain::{
        CurrentUser, EmailChangeRequest, PasswordResetConfirmation, PasswordResetRequest,
        TokenRequest,
    },
    error::AppError,
    server::{
        http::{client::ClientInfo, error::ApiJson, response::Accepted},
        platform::state::AppState,
    },
};

/// `POST /api/auth/verify-email`: uses the token of a verification link.
pub async fn verify_email(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<CurrentUser>, AppError> {
    let user = verification::verify(&state, &body.token, &client).await?;
    Ok(Json(user.to_current()))
}

/// `POST /api/auth/verify-email/resend`: mails the signed-in user a new link.
pub async fn resend_verification(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    client: ClientInfo,
) -> Result<NoContent, AppError> {
    verification::send_again(&state, &me.user, &client, None).await?;
    Ok(NoContent)
}

/// `POST /api/auth/password-reset`: mails a reset link, if the address has an account.
pub async fn request_password_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> Result<Accepted, AppError> {
    reset::request(&state, &client, &body.email).await?;
    Ok(Accepted)
}

/// `POST /api/auth/password-reset/confirm`: sets a new password with a reset token.
pub async fn reset_password(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasswordResetConfirmation>,
) -> Result<NoContent, AppError> {
    reset::confirm(&state, &client, &body.token, &body.new_password).await?;
    Ok(NoContent)
}

/// `POST /api/users/me/email`: asks to move the account to another address.
pub async fn request_email_change(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    ApiJson(body): ApiJson<EmailChangeRequest>,
) -> Result<Accepted, AppError> {
    email_change::request(&state, &me, &client, &body.new_email).await?;
    Ok(Accepted)
}

/// `POST /api/users/me/email/confirm`: uses the token of an email-change link.
pub async fn confirm_email_change(
    State(state): State<AppState>,
    aide::NoApi(session): aide::NoApi<tower_sessions::Session>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<CurrentUser>, AppError> {
    let user = email_change::confirm(&state, &session, &client, &body.token).await?;
    Ok(Json(user.to_current()))
}
