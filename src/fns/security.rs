//! `/security`: two-factor sign-in and passkeys, over the same services as the JSON API
//! ([`second_factor::service`](crate::server::identity::second_factor::service),
//! [`passkey::service`](crate::server::identity::passkey::service)).

use leptos::prelude::*;

use crate::{
    domain::{PasskeyInfo, PasskeyOptions, RecoveryCodes, SecondFactorStatus, TotpEnrolment},
    error::AppError,
};

/// Whether the signed-in user's sign-in asks for a code, and how many recovery codes are left.
#[server(prefix = "/api/fn", endpoint = "second_factor_status")]
pub async fn load_second_factor() -> Result<SecondFactorStatus, AppError> {
    use crate::server::identity::{current::require_user, second_factor::service};
    let me = require_user().await?;
    service::status(&me.state, me.user.id).await
}

/// Starts turning two-factor sign-in on (needs a recent sign-in).
#[server(prefix = "/api/fn", endpoint = "begin_totp")]
pub async fn begin_totp() -> Result<TotpEnrolment, AppError> {
    use crate::server::identity::{current::require_user, second_factor::service};
    let me = require_user().await?;
    service::begin_totp(&me.state, &me).await
}

/// Turns it on with the app's first code; the recovery codes, shown once.
#[server(prefix = "/api/fn", endpoint = "confirm_totp")]
pub async fn confirm_totp(code: String) -> Result<RecoveryCodes, AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{current::require_user, second_factor::service},
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::confirm_totp(&me.state, &me, &client, &code).await
}

/// Turns two-factor sign-in off (needs a recent sign-in).
#[server(prefix = "/api/fn", endpoint = "disable_totp")]
pub async fn disable_totp() -> Result<(), AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{current::require_user, second_factor::service},
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::disable_totp(&me.state, &me, &client).await
}

/// A new set of recovery codes (needs a recent sign-in).
#[server(prefix = "/api/fn", endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes() -> Result<RecoveryCodes, AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{current::require_user, second_factor::service},
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::regenerate_recovery_codes(&me.state, &me, &client).await
}

/// The signed-in user's passkeys.
#[server(prefix = "/api/fn", endpoint = "list_passkeys")]
pub async fn list_passkeys() -> Result<Vec<PasskeyInfo>, AppError> {
    use crate::server::identity::{current::require_user, passkey::service};
    let me = require_user().await?;
    service::list(&me.state, me.user.id).await
}

/// Options for adding a passkey (needs a recent sign-in).
#[server(prefix = "/api/fn", endpoint = "passkey_enrol_options")]
pub async fn passkey_enrol_options() -> Result<PasskeyOptions, AppError> {
    use crate::server::identity::{current::require_user, passkey::service};
    let me = require_user().await?;
    service::enrol_options(&me.state, &me).await
}

/// Adds the passkey the browser made (`credential`: its JSON text) under `name`.
#[server(prefix = "/api/fn", endpoint = "add_passkey")]
pub async fn add_passkey(credential: String, name: String) -> Result<PasskeyInfo, AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{current::require_user, passkey::service},
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    let credential: serde_json::Value = serde_json::from_str(&credential)
        .map_err(|_| AppError::validation("credential", "is not JSON"))?;
    let name = Some(name).filter(|name| !name.trim().is_empty());
    service::enrol(&me.state, &me, &client, &credential, name.as_deref()).await
}

/// Renames one of the user's passkeys.
#[server(prefix = "/api/fn", endpoint = "rename_passkey")]
pub async fn rename_passkey(id: i64, name: String) -> Result<PasskeyInfo, AppError> {
    use crate::server::identity::{current::require_user, passkey::service};
    let me = require_user().await?;
    service::rename(&me.state, me.user.id, &id.to_string(), &name).await
}

/// Removes one of the user's passkeys (needs a recent sign-in).
#[server(prefix = "/api/fn", endpoint = "remove_passkey")]
pub async fn remove_passkey(id: i64) -> Result<(), AppError> {
    use crate::server::{
        http::client::ClientInfo,
        identity::{current::require_user, passkey::service},
    };
    let me = require_user().await?;
    let client = ClientInfo::from_context(&me.state).await?;
    service::remove(&me.state, &me, &client, &id.to_string()).await
}
