//! The state every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::{
    config::Settings, db::Db, google::GoogleVerifier, proxies::Network, sessions::Store,
    throttle::Throttle,
};

/// Cheap to clone: every field is a handle.
#[derive(Clone, Debug)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub sessions: Store,
    pub throttle: Throttle,
    /// Present when Google sign-in is configured.
    pub google: Option<Arc<GoogleVerifier>>,
    /// `settings.trusted_proxies`, parsed.
    pub trusted_proxies: Arc<[Network]>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
