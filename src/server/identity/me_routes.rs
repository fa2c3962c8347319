//! `/api/users/me`: the signed-in user's own account; `/api/auth/reauth`, confirming who they
//! are before a sensitive change to it.

use axum::{Json, extract::State, response::NoContent};

use super::{current::Authenticated, password::service as password, profile, step_up};
use crate::{
    domain::{ChangePasswordRequest, CurrentUser, ReauthRequest, UpdateProfileRequest},
    error::AppError,
    server::{
        http::{client::ClientInfo, error::ApiJson},
        platform::state::AppState,
    },
};

pub async fn get_me(me: Authenticated) -> Json<CurrentUser> {
    Json(me.user.to_current())
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
