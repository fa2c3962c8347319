//! The admin console's server functions, over [`server::admin::service`](crate::server::admin::service).
//! Each checks the role itself ([`require_admin`](crate::server::identity::current::require_admin)),
//! against the user as they are now.

use leptos::prelude::*;

use crate::{
    domain::{AdminUserView, AuditPage, SessionInfo, UserPage},
    error::AppError,
};

/// Users whose email or name contains `query`, a page at a time.
#[server(prefix = "/api/fn", endpoint = "admin_list_users")]
pub async fn admin_list_users(
    #[server(default)] query: String,
    #[server(default)] page: Option<u32>,
) -> Result<UserPage, AppError> {
    use crate::server::{
        admin::service, http::parse::page_request, identity::current::require_admin,
    };
    let me = require_admin().await?;
    let page = page_request(page.map(|p| p.to_string()).as_deref(), None)?;
    service::search_users(&me.state, &query, page).await
}

/// Disables or enables a user, or gives or takes the admin role.
#[server(prefix = "/api/fn", endpoint = "admin_update_user")]
pub async fn admin_update_user(
    id: i64,
    #[server(default)] disabled: Option<bool>,
    #[server(default)] is_admin: Option<bool>,
) -> Result<AdminUserView, AppError> {
    use crate::{
        domain::AdminUserUpdate,
        server::{admin::service, http::client::ClientInfo, identity::current::require_admin},
    };
    let me = require_admin().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    let change = AdminUserUpdate { disabled, is_admin };
    service::update_user(&me.state, &me, &client, &id.to_string(), &change).await
}

#[server(prefix = "/api/fn", endpoint = "admin_user_sessions")]
pub async fn admin_user_sessions(id: i64) -> Result<Vec<SessionInfo>, AppError> {
    use crate::server::{admin::service, identity::current::require_admin};
    let me = require_admin().await?;
    service::user_sessions(&me.state, &me, &id.to_string()).await
}

/// Signs the user out everywhere.
#[server(prefix = "/api/fn", endpoint = "admin_end_user_sessions")]
pub async fn admin_end_user_sessions(id: i64) -> Result<(), AppError> {
    use crate::server::{
        admin::service, http::client::ClientInfo, identity::current::require_admin,
    };
    let me = require_admin().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::end_user_sessions(&me.state, &me, &client, &id.to_string()).await?;
    Ok(())
}

/// The audit trail, newest first.
#[server(prefix = "/api/fn", endpoint = "admin_audit")]
pub async fn admin_audit(
    #[server(default)] page: Option<u32>,
    #[server(default)] per_page: Option<u32>,
) -> Result<AuditPage, AppError> {
    use crate::server::{
        admin::service, http::parse::page_request, identity::current::require_admin,
    };
    let me = require_admin().await?;
    let text = |n: Option<u32>| n.map(|n| n.to_string());
    let page = page_request(text(page).as_deref(), text(per_page).as_deref())?;
    service::audit_page(&me.state, None, page).await
}

/// Mails the user a new verification link.
#[server(prefix = "/api/fn", endpoint = "admin_send_verification")]
pub async fn admin_send_verification(id: i64) -> Result<(), AppError> {
    use crate::server::{
        admin::service, http::client::ClientInfo, identity::current::require_admin,
    };
    let me = require_admin().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::send_verification(&me.state, &me, &client, &id.to_string()).await
}

/// Mails the user a password reset link.
#[server(prefix = "/api/fn", endpoint = "admin_send_password_reset")]
pub async fn admin_send_password_reset(id: i64) -> Result<(), AppError> {
    use crate::server::{
        admin::service, http::client::ClientInfo, identity::current::require_admin,
    };
    let me = require_admin().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::send_password_reset(&me.state, &me, &client, &id.to_string()).await
}

/// Turns off the user's two-factor sign-in (a lost phone); needs a recent sign-in.
#[server(prefix = "/api/fn", endpoint = "admin_reset_second_factor")]
pub async fn admin_reset_second_factor(id: i64) -> Result<(), AppError> {
    use crate::server::{
        admin::service, http::client::ClientInfo, identity::current::require_admin,
    };
    let me = require_admin().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::reset_second_factor(&me.state, &me, &client, &id.to_string()).await
}
