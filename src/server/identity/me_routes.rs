//! `/api/users/me`: the signed-in user's own account; `/api/auth/reauth`, confirming who they
//! are before a sensitive change to it.

use axum::{Json, extract::State, response::NoContent};

use super::{
    account_data,
    current::{Authenticated, SignedIn},
    password::service as password,
    profile, step_up,
};
use crate::{
    domain::{
        AccountExport, ChangePasswordRequest, CurrentUser, ReauthRequest, UpdateProfileRequest,
    },
    error::AppError,
    server::{
        http::{client::ClientInfo, error::ApiJson},
        platform::state::AppState,
    },
};

/// Answers even while the address still needs verifying: the pages ask it who is signed in.
pub async fn get_me(SignedIn(me): SignedIn) -> Json<CurrentUser> {
    Json(me.user.to_current())
}

/// `GET /api/users/me/export`: everything kept about the signed-in user.
pub async fn export_me(
    State(state): State<AppState>,
    me: Authenticated,
) -> Result<Json<AccountExport>, AppError> {
    Ok(Json(account_data::export(&state, &me).await?))
}

/// `DELETE /api/users/me`: deletes the account (needs a recent sign-in) and signs out.
pub async fn delete_me(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
) -> Result<NoContent, AppError> {
    account_data::delete(&state, &me, &client).await?;
    Ok(NoContent)
}

pub async fn update_me(
    State(state): State<AppState>,
    me: Authenticated,
    ApiJson(body): ApiJson<UpdateProfileRequest>,
) -> Result<Json<CurrentUser>, AppError> {
    Ok(Json(profile::rename(&state, me.user.id, &body.name).await?))
}

/// Changes the password; every other session ends and this one gets a new id.
pub async fn change_password(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<NoContent, AppError> {
    let (current, new) = (&body.current_password, &body.new_password);
    password::change_password(&state, &me, &client, current, new).await?;
    Ok(NoContent)
}

/// `POST /api/auth/reauth`: confirms who the signed-in user is (step-up), so sensitive actions
/// are allowed for the next `reauth_window_secs`.
pub async fn reauthenticate(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    ApiJson(body): ApiJson<ReauthRequest>,
) -> Result<NoContent, AppError> {
    step_up::reauthenticate(&state, &me, &client, &body).await?;
    Ok(NoContent)
}
