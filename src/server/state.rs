//! The state every handler can reach.

use std::sync::{Arc, atomic::AtomicBool};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::{
    config::Settings,
    db::Db,
    google::GoogleVerifier,
    proxies::Network,
    sessions::Store,
    throttle::Throttle,
    user_cache::{self, UserCache},
    users::Changed,
};
use crate::error::AppError;

/// What every handler can reach. Cloned several times per request (every `State` extractor
/// takes its own), so it is one shared pointer.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct Shared {
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub sessions: Store,
    pub throttle: Throttle,
    /// Present when Google sign-in is configured.
    pub google: Option<Arc<GoogleVerifier>>,
    /// `settings.trusted_proxies`, parsed.
    pub trusted_proxies: Arc<[Network]>,
    /// The users that signed-in requests were made by, as of the current users epoch.
    pub users: Arc<UserCache>,
    /// Whether the database answered its latest probe ([`Db::watch`]).
    pub db_up: Arc<AtomicBool>,
}

impl AppState {
    /// Announces a committed change to a user row to every instance (see
    /// [`Changed`]) and returns the write's result; 503 when the session store is down.
    pub async fn announce<T>(&self, changed: Changed<T>) -> Result<T, AppError> {
        changed
            .announce(self.sessions.inner())
            .await
            .map_err(|err| {
                tracing::error!(
                    error = %err,
                    max_age_secs = user_cache::MAX_AGE.as_secs(),
                    "a user change is saved but could not be announced; other requests may use \
                     the old row until their cached copy reaches its maximum age"
                );
                AppError::unavailable("The session store")
            })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
