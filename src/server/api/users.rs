//! `/api/users/me`: the signed-in user's own account.

use axum::{Json, extract::State, http::StatusCode};

use super::field;
use crate::{
    domain::{ChangePasswordRequest, CurrentUser, DisplayName, Password, UpdateProfileRequest},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        auth::{self, Authenticated, ClientInfo},
        http_error::{ApiJson, internal},
        passwords,
        state::AppState,
        users,
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
    let name = field("name", DisplayName::parse(&body.name))?;
    let changed = users::update_name(&state.db, me.user.id, &name).await?;
    let user = state
        .announce(changed)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    Ok(Json(user.to_current()))
}

/// Changes the password after checking the current one (which an account without a password,
/// signed up through Google, does not have). Every other session of the user ends and this one
/// gets a new id (SECURITY P5, S1).
pub async fn change_password(
    State(state): State<AppState>,
    me: Authenticated,
    client: ClientInfo,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, AppError> {
    let new_password = field("new_password", Password::parse(&body.new_password))?;
    if let Some(current_hash) = me.user.password_hash() {
        let current = field(
            "current_password",
            Password::for_sign_in(&body.current_password),
        )?;
        let throttle = &state.throttle;
        let unavailable = |err| {
            tracing::warn!(error = %err, "throttle unavailable");
            AppError::unavailable("Password change")
        };
        if let Some(wait) = throttle
            .check(&me.user.email, &client.ip)
            .await
            .map_err(unavailable)?
        {
            return Err(AppError::rate_limited(wait));
        }
        let verified = passwords::verify(current, Some(current_hash))
            .await
            .map_err(|err| internal("verifying a password", err))?;
        if !verified {
            throttle
                .failed(&me.user.email, &client.ip)
                .await
                .map_err(unavailable)?;
            return Err(AppError::forbidden("The current password is not correct."));
        }
    }
    let hash = passwords::hash(new_password)
        .await
        .map_err(|err| internal("hashing a password", err))?;
    let changed = users::set_password_hash(&state.db, me.user.id, &hash).await?;
    state.announce(changed).await?;

    let current_handle = me.session.id().map(|id| auth::handle_of(&state, &id));
    auth::end_sessions_of(&state, me.user.id, current_handle.as_deref()).await?;
    auth::end_session_index(&state, &me.session).await?;
    auth::sign_in(&state, &me.session, &me.user, &client).await?;

    let event = Event {
        kind: Kind::PasswordChanged,
        user_id: Some(me.user.id),
        email: Some(&me.user.email),
        ip: &client.ip,
        detail: "",
    };
    audit::record(&state.db, event).await;
    Ok(StatusCode::NO_CONTENT)
}
