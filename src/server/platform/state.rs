//! The state every handler can reach: the composition root, holding one of each feature's
//! parts. Features read it; it names their types but calls none of their code.

use std::sync::{Arc, atomic::AtomicBool};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::{config::Settings, sealing::Sealer};
use crate::server::{
    db::Db,
    http::proxies::Network,
    identity::{
        accounts::Accounts, device::Devices, google::verifier::GoogleVerifier,
        passkey::RelyingParty, password::hashing::Hasher, throttle::Throttle,
        user_cache::UserCache,
    },
    mail::Mailer,
    sessions::store::Store,
};

/// What every handler can reach. Cloned several times per request (every `State` extractor
/// takes its own), so it is one shared pointer.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// The state, from inside a server function or a page being rendered (the router provides
    /// it to both).
    pub fn from_context() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState is not in the Leptos context");
            crate::error::AppError::internal()
        })
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
    /// Argon2id on its own threads, behind a bounded queue.
    pub hasher: Arc<Hasher>,
    /// Issues and checks device cookies.
    pub devices: Devices,
    /// Links for mail, and the outbox.
    pub mailer: Mailer,
    /// Present when Google sign-in is configured.
    pub google: Option<Arc<GoogleVerifier>>,
    /// Seals second-factor secrets; present when `secrets_key` is set.
    pub sealer: Option<Arc<Sealer>>,
    /// Checks passkey ceremonies; present when passkeys can work on `public_url`.
    pub passkeys: Option<Arc<RelyingParty>>,
    /// `settings.trusted_proxies`, parsed.
    pub trusted_proxies: Arc<[Network]>,
    /// The users that signed-in requests were made by, as of the current users epoch.
    pub users: Arc<UserCache>,
    /// Whether the database answered its latest probe ([`Db::watch`]).
    pub db_up: Arc<AtomicBool>,
}

impl AppState {
    /// Changes to accounts, each announced to every instance through the session store.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts::new(&self.db, self.sessions.inner())
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
