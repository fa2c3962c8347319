//! Owning one's address and account: the server functions of `/verify-email`,
//! `/forgot-password`, `/reset-password`, `/confirm-email` and `/profile`, over the same
//! services as the JSON API ([`verification`](crate::server::identity::verification),
//! [`reset`](crate::server::identity::password::reset),
//! [`email_change`](crate::server::identity::email_change),
//! [`account_data`](crate::server::identity::account_data)).

use leptos::prelude::*;

use crate::{domain::CurrentUser, error::AppError};

/// Uses the token of a verification link.
#[server(prefix = "/api/fn", endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<CurrentUser, AppError> {
    use crate::server::{
        http::client::ClientInfo, identity::verification, platform::state::AppState,
    };
    let state = AppState::from_context()?;
    let client = ClientInfo::from_context(&state).await?;
    Ok(verification::verify(&state, &token, &client)
        .await?
        .to_current())
}

/// Mails the signed-in user a new verification link.
#[server(prefix = "/api/fn", endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{current::require_signed_in, verification},
    };
    let me = require_signed_in().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    verification::send_again(&me.state, &me.user, &client, None).await
}

/// Mails a reset link to `email`, if it has an account; the same answer either way.
#[server(prefix = "/api/fn", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::{
        http::client::ClientInfo, identity::password::reset, platform::state::AppState,
    };
    let state = AppState::from_context()?;
    let client = ClientInfo::from_context(&state).await?;
    reset::request(&state, &client, &email).await
}

/// Sets a new password with the token of a reset link.
#[server(prefix = "/api/fn", endpoint = "reset_password")]
pub async fn reset_password(token: String, new_password: String) -> Result<(), AppError> {
    use crate::server::{
        http::client::ClientInfo, identity::password::reset, platform::state::AppState,
    };
    let state = AppState::from_context()?;
    let client = ClientInfo::from_context(&state).await?;
    reset::confirm(&state, &client, &token, &new_password).await?;
    Ok(())
}

/// Asks to move the signed-in account to `new_email` (needs a recent sign-in).
#[server(prefix = "/api/fn", endpoint = "request_email_change")]
pub async fn request_email_change(new_email: String) -> Result<(), AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{current::require_user, email_change},
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    email_change::request(&me.state, &me, &client, &new_email).await
}

/// Uses the token of an email-change link.
#[server(prefix = "/api/fn", endpoint = "confirm_email_change")]
pub async fn confirm_email_change(token: String) -> Result<CurrentUser, AppError> {
    use crate::server::{
        http::client::ClientInfo, identity::email_change, platform::state::AppState,
    };
    let state = AppState::from_context()?;
    let client = ClientInfo::from_context(&state).await?;
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|_| crate::error::AppError::internal())?;
    Ok(email_change::confirm(&state, &session, &client, &token)
        .await?
        .to_current())
}

/// Deletes the signed-in account (needs a recent sign-in) and signs out.
#[server(prefix = "/api/fn", endpoint = "delete_account")]
pub async fn delete_account() -> Result<(), AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{account_data, current::require_user},
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    account_data::delete(&me.state, &me, &client).await
}
