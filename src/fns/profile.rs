//! The signed-in user's account: the server functions of `/profile`.

use leptos::prelude::*;

use crate::{domain::CurrentUser, error::AppError};

#[server(prefix = "/api/fn", endpoint = "update_profile")]
pub async fn update_profile(name: String) -> Result<CurrentUser, AppError> {
    use crate::server::identity::{current::require_user, profile};
    let me = require_user().await?;
    profile::rename(&me.state, me.user.id, &name).await
}

/// Sets a new password (the current one is needed when there is one). Every other session ends
/// and this one gets a new id. Answers the account as it now is.
#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(
    #[server(default)] current_password: String,
    new_password: String,
) -> Result<CurrentUser, AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{current::require_user, password::service as password},
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    password::change_password(&me.state, &me, &client, &current_password, &new_password).await?;
    let mut user = me.user.to_current();
    user.has_password = true;
    Ok(user)
}
