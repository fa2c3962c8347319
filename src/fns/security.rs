//! `/security`: two-factor sign-in, over the same service as the JSON API
//! ([`second_factor::service`](crate::server::identity::second_factor::service)).

use leptos::prelude::*;

use crate::{
    domain::{RecoveryCodes, SecondFactorStatus, TotpEnrolment},
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
