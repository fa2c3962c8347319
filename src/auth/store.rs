//! The auth store: the current user, a loading flag and `is_authenticated` as signals, shared
//! through context, plus the one cached answer to "is this visitor signed in?".

use std::cell::RefCell;

use futures::{
    FutureExt,
    future::{LocalBoxFuture, Shared},
};
use leptos::prelude::*;

use super::initial::InitialState;
use crate::{
    domain::{CurrentUser, SignInResponse},
    error::AppError,
};

type Check = Shared<LocalBoxFuture<'static, Result<Option<CurrentUser>, AppError>>>;

thread_local! {
    /// The `/api/users/me` check under way, shared by every caller that asks meanwhile. A page
    /// has one store and the browser one thread; kept out of the reactive arena so that nothing
    /// thread-bound is ever dropped by the server's multi-threaded renderer.
    static IN_FLIGHT: RefCell<Option<Check>> = const { RefCell::new(None) };
}

/// Copyable handle to the auth state.
#[derive(Clone, Copy)]
pub struct AuthStore {
    user: RwSignal<Option<CurrentUser>>,
    loading: RwSignal<bool>,
    /// When `/api/users/me` last confirmed the user (ms since the epoch).
    confirmed_at: StoredValue<Option<f64>>,
    cache_ms: StoredValue<f64>,
    /// What the server knew when it rendered the page; applied once, by [`ready`](Self::ready).
    initial: Resource<Result<InitialState, AppError>>,
    applied: StoredValue<bool>,
    google_client_id: RwSignal<Option<String>>,
    passkey_rp_id: RwSignal<Option<String>>,
    require_verified_email: RwSignal<bool>,
}

/// The store provided by the app shell.
pub fn use_auth() -> AuthStore {
    expect_context::<AuthStore>()
}

impl AuthStore {
    /// A store that will start from `initial`: resolved from the session while the server
    /// renders, and shipped inside the page to the browser.
    pub fn new(initial: Resource<Result<InitialState, AppError>>) -> Self {
        let store = Self {
            user: RwSignal::new(None),
            loading: RwSignal::new(false),
            confirmed_at: StoredValue::new(None),
            cache_ms: StoredValue::new(20_000.0),
            initial,
            applied: StoredValue::new(false),
            google_client_id: RwSignal::new(None),
            passkey_rp_id: RwSignal::new(None),
            require_verified_email: RwSignal::new(false),
        };
        tabs::listen(store);
        page::register(store);
        store
    }

    /// Waits for the initial state and applies it the first time. Views that depend on who is
    /// signed in render inside a `Suspense` that awaits this, so the server renders them with
    /// the real user and the browser hydrates the same markup.
    pub async fn ready(self) {
        let state = self.initial.await;
        if self.applied.get_value() {
            return;
        }
        if let Ok(state) = state {
            self.cache_ms
                .set_value(f64::from(state.auth_cache_secs) * 1000.0);
            self.google_client_id.set(state.google_client_id);
            self.passkey_rp_id.set(state.passkey_rp_id);
            self.require_verified_email
                .set(state.require_verified_email);
            self.accept(state.user);
        }
        // Marked only once applied, so no caller can see "ready" before the state is in place.
        self.applied.set_value(true);
    }

    pub fn user(&self) -> Signal<Option<CurrentUser>> {
        self.user.into()
    }

    /// Google's client id when Google sign-in is configured (known after [`ready`](Self::ready)).
    pub fn google_client_id(&self) -> Signal<Option<String>> {
        self.google_client_id.into()
    }

    /// The passkeys' RP ID when the server takes passkeys (known after [`ready`](Self::ready)).
    pub fn passkey_rp_id(&self) -> Signal<Option<String>> {
        self.passkey_rp_id.into()
    }

    /// Whether the signed-in user must verify their address before any private page (the
    /// server's `require_verified_email`, and an unverified address).
    pub fn must_verify_email(&self) -> Signal<bool> {
        let (required, user) = (self.require_verified_email, self.user);
        Signal::derive(move || {
            required.get() && user.with(|u| u.as_ref().is_some_and(|u| !u.email_verified))
        })
    }

    pub fn loading(&self) -> Signal<bool> {
        self.loading.into()
    }

    pub fn is_authenticated(&self) -> Signal<bool> {
        let user = self.user;
        Signal::derive(move || user.with(Option::is_some))
    }

    /// After a sign-in or sign-up: trust this user for the cache period and tell other tabs.
    pub fn signed_in(&self, user: CurrentUser) {
        self.accept(Some(user));
        tabs::announce(tabs::SIGNED_IN);
    }

    /// After a sign-out, or any 401: forget the user and tell other tabs.
    pub fn signed_out(&self) {
        self.accept(None);
        tabs::announce(tabs::SIGNED_OUT);
    }

    /// Replaces the user with a fresh copy from the server (after a profile change).
    pub fn update(&self, user: CurrentUser) {
        self.user.set(Some(user));
    }

    /// Passes a result through, signing out on 401 so the guard sends the visitor to log in. A
    /// 403 means the account changed (disabled, or no longer an admin): ask the server again at
    /// once rather than trust the cached user.
    pub fn check<T>(&self, result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(err) = &result {
            self.react(err);
        }
        result
    }

    /// What [`check`](Self::check) does with a failure; every server function's failure comes
    /// here by itself ([`observe`]).
    fn react(&self, err: &AppError) {
        match err {
            AppError::Unauthenticated { .. } => {
                if self.user.with_untracked(Option::is_some) {
                    self.signed_out();
                }
            }
            // The account changed (disabled, no longer an admin), or its address must be
            // verified first: ask the server who is signed in now.
            AppError::Forbidden { .. } | AppError::EmailUnverified { .. } => {
                self.invalidate();
                let store = *self;
                leptos::task::spawn_local(async move {
                    let _ = store.ensure().await;
                });
            }
            _ => {}
        }
    }

    fn accept(&self, user: Option<CurrentUser>) {
        self.confirmed_at.set_value(user.as_ref().map(|_| now_ms()));
        self.user.set(user);
    }

    /// Drops the cached answer, so the next [`ensure`](Self::ensure) asks the server.
    pub fn invalidate(&self) {
        self.confirmed_at.set_value(None);
    }

    /// Whether the visitor is signed in: answered from the cache when the server confirmed it
    /// within the cache period, otherwise by `GET /api/users/me` — one request however many
    /// callers ask at once.
    pub async fn ensure(self) -> Result<Option<CurrentUser>, AppError> {
        let fresh = self
            .confirmed_at
            .get_value()
            .is_some_and(|at| now_ms() - at < self.cache_ms.get_value());
        if fresh && let Some(user) = self.user.get_untracked() {
            return Ok(Some(user));
        }
        let existing = IN_FLIGHT.with(|slot| slot.borrow().clone());
        let check = match existing {
            Some(check) => check,
            None => {
                let check = fetch_me().boxed_local().shared();
                IN_FLIGHT.with(|slot| *slot.borrow_mut() = Some(check.clone()));
                self.loading.set(true);
                check
            }
        };
        let outcome = check.await;
        if IN_FLIGHT.with(|slot| slot.borrow_mut().take()).is_some() {
            self.loading.set(false);
            match &outcome {
                Ok(user) => self.accept(user.clone()),
                Err(_) => self.invalidate(),
            }
        }
        outcome
    }
}

/// Tells the page's store about a failed server-function answer: a 401 signs it out, a 403
/// makes it ask the server who is signed in now (a disabled account then signs out).
pub fn observe(err: &AppError) {
    if matches!(
        err,
        AppError::Unauthenticated { .. }
            | AppError::Forbidden { .. }
            | AppError::EmailUnverified { .. }
    ) {
        let err = err.clone();
        // After the answer has been handed to its caller: a sign-out unmounts the page, which
        // must not happen while that page is still taking the answer in.
        page::with(move |store| leptos::task::spawn_local(async move { store.react(&err) }));
    }
}

/// The browser page's one store, reachable from code that has no reactive context (the server
/// function client). The server renders many pages at once and keeps none here.
mod page {
    use super::AuthStore;

    #[cfg(feature = "hydrate")]
    thread_local! {
        static STORE: std::cell::Cell<Option<AuthStore>> = const { std::cell::Cell::new(None) };
    }

    #[cfg(feature = "hydrate")]
    pub fn register(store: AuthStore) {
        STORE.with(|slot| slot.set(Some(store)));
    }

    #[cfg(feature = "hydrate")]
    pub fn with(f: impl FnOnce(AuthStore)) {
        if let Some(store) = STORE.with(std::cell::Cell::get) {
            f(store);
        }
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn register(_: AuthStore) {}

    #[cfg(not(feature = "hydrate"))]
    pub fn with(_: impl FnOnce(AuthStore)) {}
}

async fn fetch_me() -> Result<Option<CurrentUser>, AppError> {
    match crate::api::get_me().await {
        Ok(user) => Ok(Some(user)),
        Err(AppError::Unauthenticated { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Milliseconds since the epoch.
#[cfg(feature = "hydrate")]
fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The server renders each page once; its clock never decides a cache hit.
#[cfg(not(feature = "hydrate"))]
fn now_ms() -> f64 {
    0.0
}

/// Keeps every open tab of the app in step: a sign-in or sign-out in one is announced on a
/// `BroadcastChannel`, and the others re-check with the server.
mod tabs {
    use super::AuthStore;

    pub const SIGNED_IN: &str = "signed-in";
    pub const SIGNED_OUT: &str = "signed-out";

    #[cfg(feature = "hydrate")]
    const CHANNEL: &str = "gatehouse-auth";

    #[cfg(feature = "hydrate")]
    thread_local! {
        static SENDER: Option<web_sys::BroadcastChannel> = web_sys::BroadcastChannel::new(CHANNEL).ok();
    }

    /// Tells the other tabs.
    #[cfg(feature = "hydrate")]
    pub fn announce(message: &str) {
        SENDER.with(|channel| {
            if let Some(channel) = channel {
                let _ = channel.post_message(&message.into());
            }
        });
    }

    /// Reacts to the other tabs: a sign-out clears this tab's user at once (its guard then
    /// sends the visitor to log in); a sign-in asks the server who is signed in now.
    #[cfg(feature = "hydrate")]
    pub fn listen(store: AuthStore) {
        use wasm_bindgen::{JsCast, closure::Closure};
        let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
            return;
        };
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| match event.data().as_string().as_deref() {
                Some(SIGNED_OUT) => store.accept(None),
                Some(SIGNED_IN) => {
                    store.invalidate();
                    leptos::task::spawn_local(async move {
                        let _ = store.ensure().await;
                    });
                }
                _ => {}
            },
        );
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // Both live as long as the page.
        on_message.forget();
        std::mem::forget(channel);
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn announce(_: &str) {}

    #[cfg(not(feature = "hydrate"))]
    pub fn listen(_: AuthStore) {}
}

/// The code step of a sign-in held for its second factor.
pub const SECOND_FACTOR_PAGE: &str = "/login/second-factor";

/// Runs a sign-in or sign-up request in the background. `pending` is on while it is under way;
/// on success the store takes the user (telling other tabs) and the browser goes to `target`;
/// an account with a second factor goes to its code step first (and then to `target`); on
/// failure `on_error` gets the server's answer. Shared by the password forms, Google and the
/// code step.
pub fn complete_sign_in(
    auth: AuthStore,
    request: impl Future<Output = Result<SignInResponse, AppError>> + 'static,
    pending: Option<RwSignal<bool>>,
    target: String,
    navigate: impl Fn(&str, leptos_router::NavigateOptions) + 'static,
    on_error: impl FnOnce(AppError) + 'static,
) {
    if let Some(pending) = pending {
        pending.set(true);
    }
    leptos::task::spawn_local(async move {
        let outcome = request.await;
        if let Some(pending) = pending {
            pending.set(false);
        }
        match outcome {
            Ok(SignInResponse::SignedIn(user)) => {
                auth.signed_in(user);
                navigate(&target, Default::default());
            }
            Ok(SignInResponse::SecondFactor(required)) => {
                // The code step offers a passkey when the account has one.
                let passkey = if required.methods.iter().any(|m| m == "passkey") {
                    "&passkey=1"
                } else {
                    ""
                };
                let step = format!(
                    "{SECOND_FACTOR_PAGE}?next={}{passkey}",
                    crate::domain::next::encode_component(&target)
                );
                navigate(&step, Default::default());
            }
            Err(err) => on_error(err),
        }
    });
}
