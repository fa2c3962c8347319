//! What the first render needs to know: the signed-in user and the client-side settings. The
//! server reads it from the session while rendering; the browser receives it serialised in the
//! page, so hydration starts from the same state with no request.

use serde::{Deserialize, Serialize};

use crate::{domain::CurrentUser, error::AppError};

/// State the server hands to the browser with the first page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InitialState {
    pub user: Option<CurrentUser>,
    /// How long a successful `/api/users/me` check is trusted, in seconds.
    pub auth_cache_secs: u32,
    /// Google's OAuth client id, when Google sign-in is on.
    pub google_client_id: Option<String>,
    /// The passkeys' RP ID, when passkeys work on this server: they work on pages of that
    /// domain (or below it) only.
    #[serde(default)]
    pub passkey_rp_id: Option<String>,
    /// Whether an unverified address keeps the user out of every private page.
    #[serde(default)]
    pub require_verified_email: bool,
}

/// Reads the state from the request's session, checking it as every API request would.
#[cfg(feature = "ssr")]
pub async fn load_initial_state() -> Result<InitialState, AppError> {
    use crate::server::{identity::current::authenticate, platform::state::AppState};
    // Absent when the router renders the app only to list its routes, with no request.
    let state = leptos::prelude::use_context::<AppState>().ok_or_else(AppError::internal)?;
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|_| AppError::internal())?;
    let user = match authenticate(&state, session).await {
        Ok(me) => me.map(|me| me.user.to_current()),
        // A disabled account's session has just ended: the page shows a signed-out visitor.
        Err(AppError::Forbidden { .. }) => None,
        Err(err) => return Err(err),
    };
    Ok(InitialState {
        user,
        auth_cache_secs: state.settings.auth_check_cache_secs,
        google_client_id: state.settings.google_client_id.clone(),
        passkey_rp_id: state.passkeys.as_ref().map(|rp| rp.id.clone()),
        require_verified_email: state.settings.require_verified_email,
    })
}

/// In the browser the state arrives with the page; asked again (a page rendered without it),
/// it comes from the API. (Browser futures are single-threaded; the wrapper satisfies the
/// resource's `Send` bound, which only matters on the server.)
#[cfg(feature = "hydrate")]
pub fn load_initial_state() -> impl Future<Output = Result<InitialState, AppError>> + Send {
    send_wrapper::SendWrapper::new(async {
        let user = match crate::api::get_me().await {
            Ok(user) => Some(user),
            Err(AppError::Unauthenticated { .. }) => None,
            Err(err) => return Err(err),
        };
        Ok(InitialState {
            user,
            auth_cache_secs: 20,
            google_client_id: None,
            passkey_rp_id: None,
            require_verified_email: false,
        })
    })
}

/// Neither server nor browser: a plain library build renders nothing.
#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
pub async fn load_initial_state() -> Result<InitialState, AppError> {
    Err(AppError::internal())
}
