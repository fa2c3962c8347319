//! `/api/auth/google*`: Google Sign-In. The browser asks for a nonce, hands it to Google's
//! Identity Services, and posts back the ID token Google signed; the server verifies it and
//! signs the account in with a session of its own (the token is never the session).

use std::time::Duration;

use axum::{Json, extract::State};
use tower_sessions::{Session, session::Expiry};

use crate::{
    domain::{CurrentUser, DisplayName, Email, GoogleCredential, GoogleNonce},
    error::AppError,
    server::{
        api::auth::promote_listed_admin,
        audit::{self, Event, Kind},
        auth::{self, ClientInfo},
        google::{GoogleError, GoogleIdentity, GoogleVerifier},
        http_error::{ApiJson, store_error},
        state::AppState,
        users::{self, CreateError, NewUser, User},
    },
};

/// Where the session keeps the nonce it issued.
const NONCE_KEY: &str = "google_nonce";
/// How long an anonymous session holding only a nonce lives.
const NONCE_LIFETIME: Duration = Duration::from_secs(10 * 60);

fn verifier(state: &AppState) -> Result<&GoogleVerifier, AppError> {
    state
        .google
        .as_deref()
        .ok_or_else(|| AppError::not_found("Google sign-in"))
}

/// `GET /api/auth/google/nonce`: a fresh nonce bound to this browser's session (G4).
pub async fn issue_nonce(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<GoogleNonce>, AppError> {
    verifier(&state)?;
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    if session
        .get::<auth::SessionAuth>("auth")
        .await
        .map_err(store_error)?
        .is_none()
    {
        session.set_expiry(Some(Expiry::OnInactivity(
            time::Duration::try_from(NONCE_LIFETIME).unwrap_or_default(),
        )));
    }
    session
        .insert(NONCE_KEY, &nonce)
        .await
        .map_err(store_error)?;
    Ok(Json(GoogleNonce { nonce }))
}

/// `POST /api/auth/google`: verifies the ID token and signs its account in.
pub async fn sign_in_with_google(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    ApiJson(body): ApiJson<GoogleCredential>,
) -> Result<Json<CurrentUser>, AppError> {
    let google = verifier(&state)?;
    // Consumed by every attempt, so a token can be replayed never (G4).
    let expected_nonce: Option<String> = session.remove(NONCE_KEY).await.map_err(store_error)?;
    let refuse = |why: &str| {
        let state = state.clone();
        let ip = client.ip.clone();
        let why = why.to_owned();
        async move {
            let event = Event {
                kind: Kind::SignInFailed,
                user_id: None,
                email: None,
                ip: &ip,
                detail: &format!("google: {why}"),
            };
            audit::record(&state.db, event).await;
            AppError::Unauthenticated {
                message: format!("Google sign-in failed: {why}."),
            }
        }
    };
    let identity = match google.verify(&body.credential).await {
        Ok(identity) => identity,
        Err(GoogleError::Invalid(why)) => return Err(refuse(why).await),
        Err(GoogleError::Unavailable(why)) => {
            tracing::warn!(error = %why, "Google's keys are unavailable");
            return Err(AppError::unavailable("Google sign-in"));
        }
    };
    if expected_nonce.is_none() || identity.nonce != expected_nonce {
        return Err(refuse("the sign-in request expired or was already used; try again").await);
    }
    let user = match account_for(&state, &identity).await {
        Ok(user) => user,
        Err(AppError::Unauthenticated { message }) => return Err(refuse(&message).await),
        Err(other) => return Err(other),
    };
    if user.disabled {
        return Err(auth::account_disabled());
    }
    let user = promote_listed_admin(&state, user).await?;
    auth::sign_in(&state, &session, &user, &client).await?;
    let event = Event {
        kind: Kind::SignIn,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: "google",
    };
    audit::record(&state.db, event).await;
    Ok(Json(user.to_current()))
}

/// The account of a verified Google identity, keyed on `sub` (G5): found, linked to the
/// password account with the same email when Google has verified that email, or created.
async fn account_for(state: &AppState, identity: &GoogleIdentity) -> Result<User, AppError> {
    if let Some(user) = users::by_google_sub(&state.db, &identity.sub).await? {
        return Ok(user);
    }
    if !identity.email_verified {
        // Linking or creating on an unverified address would let anyone claim that address.
        return Err(AppError::Unauthenticated {
            message: "Google has not verified this account's email".into(),
        });
    }
    let email = Email::parse(&identity.email).map_err(|_| AppError::Unauthenticated {
        message: "the Google account has no usable email".into(),
    })?;
    if let Some(existing) = users::by_email(&state.db, &email).await? {
        let changed = users::link_google(&state.db, existing.id, &identity.sub).await?;
        return state
            .announce(changed)
            .await?
            .ok_or_else(AppError::unauthenticated);
    }
    let fallback = email
        .as_str()
        .split('@')
        .next()
        .unwrap_or("Google user")
        .to_owned();
    let raw_name: String = identity
        .name
        .clone()
        .unwrap_or(fallback)
        .chars()
        .take(DisplayName::MAX_LEN)
        .collect();
    let name = DisplayName::parse(&raw_name)
        .or_else(|_| DisplayName::parse("Google user"))
        .map_err(|_| AppError::internal())?;
    let new = NewUser {
        email: &email,
        name: &name,
        password_hash: None,
        google_sub: Some(&identity.sub),
        is_admin: state.settings.is_admin_email(email.as_str()),
    };
    match users::create(&state.db, new).await {
        Ok(user) => Ok(user),
        Err(CreateError::EmailTaken) => Err(AppError::conflict(
            "An account with this email was just created; try again.",
        )),
        Err(CreateError::Db(err)) => Err(err.into()),
    }
}
