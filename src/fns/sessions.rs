//! The signed-in user's own sessions: the server functions of `/sessions`, over
//! [`server::sessions::service`](crate::server::sessions::service) (SECURITY S8).

use leptos::prelude::*;

use crate::{domain::SessionInfo, error::AppError};

#[server(prefix = "/api/fn", endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    use crate::server::{identity::current::require_user, sessions::service};
    let me = require_user().await?;
    service::list(&me.state, me.user.id, &me.session).await
}

/// Ends one of the caller's sessions: another device, or this one (a sign-out).
#[server(prefix = "/api/fn", endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use crate::server::{
        http::client::ClientInfo, identity::current::require_user, sessions::service,
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::end_own(&me.state, me.owner(), &me.session, &id, &client).await
}

/// Ends every session of the caller but this one.
#[server(prefix = "/api/fn", endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<(), AppError> {
    use crate::server::{http::client::ClientInfo, identity::current::require_user};
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    crate::server::identity::credential_events::sign_out_others(&me.state, &me, &client).await?;
    Ok(())
}
