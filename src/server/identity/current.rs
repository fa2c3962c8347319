//! Who is signed in: the extractors that authenticate every request against the session store
//! *and* the user as it is now ([`Authenticated`], [`Admin`]), and [`authenticate`] behind them.

use std::sync::{Arc, atomic::Ordering};

use aide::{
    OperationInput,
    generate::GenContext,
    openapi::{Operation, Response},
};
use axum::{extract::FromRequestParts, http::request::Parts};
use tower_sessions::Session;

use super::users::{self, User};
use crate::{
    error::AppError,
    server::{
        db::clock::now,
        http::{
            error::{db_error, store_error},
            openapi,
        },
        platform::state::AppState,
        sessions::{
            service::{self as sessions, Freshness, SessionAuth},
            store::USERS_EPOCH_FIELD,
        },
    },
};

/// A request made by a signed-in, enabled user.
///
/// Extracting it loads the session (one store round trip) and the user row, so a disabled or
/// deleted account, or a revoked session, is refused on its very next request on every instance
/// (SECURITY S7): no session, or a revoked or expired one, is 401; a disabled account is 403
/// (once: that session ends with the answer); a store or database outage is 503.
pub struct Authenticated {
    pub user: Arc<User>,
    pub session: Session,
    pub auth: SessionAuth,
}

impl Authenticated {
    /// Passes when the user signed in, or re-authenticated, within `reauth_window_secs`; a
    /// sensitive action answers `403 reauth_required` otherwise (SECURITY S13, ASVS 7.5).
    ///
    /// # Security
    /// A session cookie alone, stolen or left signed in on a shared computer, must not be
    /// enough to lock the owner out: setting the password, changing the email, deleting the
    /// account, ending every other session, and adding or removing a passkey or second factor
    /// all need the user to prove who they are again (`POST /api/auth/reauth`).
    pub fn require_recent_sign_in(&self, state: &AppState) -> Result<(), AppError> {
        sessions::require_recent_sign_in(state, &self.auth, now())
    }

    /// Passes when the account's address is verified; `403 email_unverified` otherwise. An
    /// account nobody has proven the address of holds no durable credential (a passkey, a
    /// second factor, a linked identity): it may be a squatter's, made before the address's
    /// owner signed up (SECURITY C3).
    pub fn require_verified_email(&self) -> Result<(), AppError> {
        if self.user.email_verified {
            Ok(())
        } else {
            Err(AppError::email_unverified())
        }
    }

    /// Whose session this is, for the sessions service.
    pub fn owner(&self) -> sessions::Owner<'_> {
        sessions::Owner {
            id: self.user.id,
            email: &self.user.email,
        }
    }
}

/// Signed in, with `require_verified_email` on and the address unverified: 403
/// `email_unverified` for everything but signing out and verification (which take
/// [`SignedIn`]).
fn verified_if_required(state: &AppState, me: Authenticated) -> Result<Authenticated, AppError> {
    if state.settings.require_verified_email && !me.user.email_verified {
        return Err(AppError::email_unverified());
    }
    Ok(me)
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(me) = SignedIn::from_request_parts(parts, state).await?;
        verified_if_required(state, me)
    }
}

/// Any signed-in, enabled user, whether or not their address is verified: for the few
/// endpoints an unverified account may use when `require_verified_email` is on (who am I,
/// send the link again).
pub struct SignedIn(pub Authenticated);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>().cloned().ok_or_else(|| {
            tracing::error!("the session layer is missing");
            AppError::internal()
        })?;
        authenticate(state, session)
            .await?
            .map(SignedIn)
            .ok_or_else(AppError::unauthenticated)
    }
}

/// A request made by a signed-in admin; anyone else signed in gets 403.
pub struct Admin(pub Authenticated);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = Authenticated::from_request_parts(parts, state).await?;
        if !me.user.is_admin {
            return Err(AppError::forbidden("This needs an administrator."));
        }
        Ok(Admin(me))
    }
}

/// Documented as needing the session cookie, answering 401 without one, 403 for a disabled
/// account (and, for [`Admin`], anyone else), 503 while the store is down.
impl OperationInput for Authenticated {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        openapi::require_session(operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        openapi::error_responses(ctx, &[401, 403, 503])
    }
}

impl OperationInput for SignedIn {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Authenticated::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        Authenticated::inferred_early_responses(ctx, operation)
    }
}

impl OperationInput for Admin {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Authenticated::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        Authenticated::inferred_early_responses(ctx, operation)
    }
}

/// For server functions: the signed-in, enabled user behind this request, checked as
/// [`Authenticated`] checks an API request; 401 without one.
///
/// ```ignore
/// #[server(prefix = "/api/fn", endpoint = "list_notes")]
/// pub async fn list_notes() -> Result<Vec<Note>, AppError> {
///     use crate::server::{identity::current::require_user, notes::service};
///     let me = require_user().await?;
///     service::list(&me.state, me.user.id).await
/// }
/// ```
pub async fn require_user() -> Result<Caller, AppError> {
    let caller = require_signed_in().await?;
    let me = verified_if_required(&caller.state, caller.me)?;
    Ok(Caller {
        state: caller.state,
        me,
    })
}

/// For server functions: as [`require_user`], but an unverified address passes even when
/// `require_verified_email` is on (see [`SignedIn`]).
pub async fn require_signed_in() -> Result<Caller, AppError> {
    current_user().await?.ok_or_else(AppError::unauthenticated)
}

/// For server functions: as [`require_user`], and 403 unless the user is an admin.
pub async fn require_admin() -> Result<Caller, AppError> {
    let caller = require_user().await?;
    if !caller.me.user.is_admin {
        return Err(AppError::forbidden("This needs an administrator."));
    }
    Ok(caller)
}

/// For server functions: the signed-in user if there is one. A disabled account is still 403
/// (its session ends with that answer) and a store outage 503, as for the API.
pub async fn current_user() -> Result<Option<Caller>, AppError> {
    let state = AppState::from_context()?;
    let session: Session = leptos_axum::extract().await.map_err(|_| {
        tracing::error!("the session layer is missing");
        AppError::internal()
    })?;
    Ok(authenticate(&state, session)
        .await?
        .map(|me| Caller { state, me }))
}

/// A server function's caller: who it is, and the app's state to call services with.
pub struct Caller {
    pub state: AppState,
    pub me: Authenticated,
}

impl std::ops::Deref for Caller {
    type Target = Authenticated;

    fn deref(&self) -> &Authenticated {
        &self.me
    }
}

/// The answer for a session whose account has been disabled.
pub fn account_disabled() -> AppError {
    AppError::forbidden("This account is disabled.")
}

/// The signed-in user behind `session`, if any, refreshing the idle timeout when due. Ends
/// sessions that outlived their limits or whose user is gone, and those of a disabled user,
/// answering [`account_disabled`] for them. A session issued before the user's role changed
/// gets a new id here.
pub async fn authenticate(
    state: &AppState,
    session: Session,
) -> Result<Option<Authenticated>, AppError> {
    let Some(mut auth) = sessions::auth_of(&session).await? else {
        return Ok(None);
    };
    let now = now();
    let freshness = sessions::freshness_now(state, &auth, now);
    if freshness == Freshness::Expired {
        sessions::end_current(state, &session).await?;
        return Ok(None);
    }
    let user = match user_now(state, &session, auth.user_id).await? {
        Some(user) if !user.disabled => user,
        Some(_) => {
            sessions::end_current(state, &session).await?;
            return Err(account_disabled());
        }
        None => {
            sessions::end_current(state, &session).await?;
            return Ok(None);
        }
    };
    if auth.is_admin != user.is_admin {
        auth.is_admin = user.is_admin;
        if !sessions::rotate(state, &session, &mut auth, now).await? {
            return Ok(None);
        }
    } else if freshness == Freshness::Stale {
        sessions::touch(state, &session, &mut auth, now).await?;
    }
    Ok(Some(Authenticated {
        user,
        session,
        auth,
    }))
}

/// The user `id` as it is now: this instance's cached copy while the users epoch that came with
/// the session is the one it was cached under, else the row from SQL (then cached).
async fn user_now(
    state: &AppState,
    session: &Session,
    id: i64,
) -> Result<Option<Arc<User>>, AppError> {
    // Already loaded with the session: no round trip.
    let epoch = session
        .get::<i64>(USERS_EPOCH_FIELD)
        .await
        .map_err(store_error)?;
    // While the database is away, answer as a request that reads it would: 503.
    if let Some(epoch) = epoch
        && state.db_up.load(Ordering::Relaxed)
        && let Some(user) = state.users.get(id, epoch)
    {
        return Ok(Some(user));
    }
    let Some(user) = users::by_id(&state.db, id).await.map_err(db_error)? else {
        state.users.forget(id);
        return Ok(None);
    };
    let user = Arc::new(user);
    if let Some(epoch) = epoch {
        state.users.put(epoch, user.clone());
    }
    Ok(Some(user))
}
