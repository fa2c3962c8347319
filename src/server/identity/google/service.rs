//! Signing in with Google: a nonce bound to the browser's session (G4), the ID token verified
//! against Google's keys, and the account it opens, keyed on `sub` (G5). The sign-in then ends
//! in [`sign_in::complete`] like every other.

use std::time::Duration;

use tower_sessions::{Session, session::Expiry};

use super::verifier::{GoogleError, GoogleIdentity, GoogleVerifier};
use crate::{
    domain::{DisplayName, Email},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::{
            client::ClientInfo,
            error::{db_error, store_error},
        },
        identity::{
            accounts::{AccountError, Accounts},
            credential_events::{self, Actor, Claim, Event as CredentialEvent},
            second_factor::service as second_factor,
            sign_in::{self, Arrival, Completion, Method},
            throttle::Attempt,
            users::{self, NewUser, User},
        },
        platform::state::AppState,
        sessions::service as sessions,
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

/// A fresh nonce bound to this browser's session (G4). An anonymous session made only for it
/// lives [`NONCE_LIFETIME`].
pub async fn issue_nonce(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
) -> Result<String, AppError> {
    verifier(state)?;
    sign_in::admit_anonymous(state, session, client).await?;
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    if sessions::auth_of(session).await?.is_none() {
        session.set_expiry(Some(Expiry::OnInactivity(
            time::Duration::try_from(NONCE_LIFETIME).unwrap_or_default(),
        )));
    }
    session
        .insert(NONCE_KEY, &nonce)
        .await
        .map_err(store_error)?;
    Ok(nonce)
}

/// Verifies the ID token and signs its account in on `session`.
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    credential: &str,
) -> Result<Completion, AppError> {
    let identity = verified_identity(state, session, client, credential).await?;
    let (user, arrival) = match account_for(state, &identity, client).await {
        Ok(found) => found,
        Err(AppError::Unauthenticated { message }) => {
            return Err(refuse(state, client, &message).await);
        }
        Err(conflict @ AppError::Conflict { .. }) => {
            let detail = "google: the email's account is linked to a different Google account";
            sign_in::refused(state, Some(&identity.email), client, Method::Google, detail).await;
            return Err(conflict);
        }
        Err(other) => return Err(other),
    };
    sign_in::complete(state, session, user, Method::Google, arrival, client).await
}

/// Checks that a fresh ID token is from the Google account linked to `user`, who is already
/// signed in on `session`: a re-authentication. A wrong or unlinked account is 403.
pub async fn confirm(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    user: &User,
    credential: &str,
) -> Result<(), AppError> {
    // Refused as 403, not 401: the session itself is still signed in.
    let identity = verified_identity(state, session, client, credential)
        .await
        .map_err(|err| match err {
            AppError::Unauthenticated { message } => AppError::Forbidden { message },
            other => other,
        })?;
    if user.google_sub.as_deref() != Some(identity.sub.as_str()) {
        return Err(AppError::forbidden(
            "That is not the Google account linked to this account.",
        ));
    }
    Ok(())
}

/// The identity in `credential`, verified (G1–G3, G6) and carrying the nonce this browser's
/// session was given, used here for the first and only time (G4).
async fn verified_identity(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    credential: &str,
) -> Result<GoogleIdentity, AppError> {
    let google = verifier(state)?;
    // Taken out of the session by every attempt.
    let expected_nonce: Option<String> = session.remove(NONCE_KEY).await.map_err(store_error)?;
    let identity = match google.verify(credential).await {
        Ok(identity) => identity,
        Err(GoogleError::Invalid(why)) => return Err(refuse(state, client, why).await),
        Err(GoogleError::Unavailable(why)) => {
            tracing::warn!(error = %why, "Google's keys are unavailable");
            return Err(AppError::unavailable("Google sign-in"));
        }
    };
    let expired = || async {
        let why = "the sign-in request expired or was already used; try again";
        refuse(state, client, why).await
    };
    let Some(nonce) = expected_nonce.filter(|nonce| identity.nonce.as_ref() == Some(nonce)) else {
        return Err(expired().await);
    };
    // Parallel requests carrying one session all found the nonce in it: the first to use it
    // wins, atomically, in the store every instance shares.
    let first_use = state
        .throttle
        .reserve(Attempt::single_use("google-nonce", &nonce))
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "throttle unavailable");
            AppError::unavailable("Google sign-in")
        })?;
    match first_use {
        Ok(ticket) => ticket.counted(),
        Err(_) => return Err(expired().await),
    }
    Ok(identity)
}

/// Audits a refused attempt and gives its answer.
async fn refuse(state: &AppState, client: &ClientInfo, why: &str) -> AppError {
    let detail = format!("google: {why}");
    sign_in::refused(state, None, client, Method::Google, &detail).await;
    AppError::Unauthenticated {
        message: format!("Google sign-in failed: {why}."),
    }
}

/// The account of a verified Google identity, keyed on `sub` (G5): found, linked to the
/// password account with the same email when Google has verified that email, or created.
async fn account_for(
    state: &AppState,
    identity: &GoogleIdentity,
    client: &ClientInfo,
) -> Result<(User, Arrival), AppError> {
    if let Some(user) = users::by_google_sub(&state.db, &identity.sub).await? {
        return Ok((user, Arrival::SignIn));
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
        // An account already linked to another Google identity keeps it: the email alone
        // never moves an account to a different `sub`.
        if existing.google_sub.is_some() {
            return Err(linked_elsewhere());
        }
        if !existing.email_verified
            && let Some(claimed) = claim(state, &existing, &identity.sub, client).await?
        {
            return Ok((claimed, Arrival::SignIn));
        }
        // Links only while still unlinked, so two identities racing for one account cannot
        // both win.
        let mut tx = state.db.begin().await?;
        if Accounts::link_google_in(&mut tx, existing.id, &identity.sub)
            .await?
            .is_none()
        {
            return Err(linked_elsewhere());
        }
        // A credential event: the owner is mailed, and what waited starts over (SECURITY C1).
        let event = CredentialEvent::IdentityLinked("Google");
        let linked =
            credential_events::secure(state, tx, existing.id, event, Actor::outsider(client))
                .await?;
        return Ok((linked, Arrival::SignIn));
    }
    let new = NewUser {
        email: &email,
        name: &display_name(identity, &email)?,
        password_hash: None,
        google_sub: Some(&identity.sub),
        // Google verified the address, so a listed admin address counts (SECURITY E5).
        is_admin: state.settings.is_admin_email(email.as_str()),
        email_verified: true,
    };
    match state.accounts().create(new).await {
        // Audited as a sign-in, as before: the account came from Google, not a sign-up form.
        Ok(user) => Ok((user, Arrival::SignIn)),
        Err(AccountError::EmailTaken) => Err(AppError::conflict(
            "An account with this email was just created; try again.",
        )),
        Err(err) => Err(err.into()),
    }
}

/// Gives a password account that never proved its address to the Google identity that just
/// did (SECURITY G8, pre-account hijacking): someone could have signed up with the victim's
/// address before them. The password and every pending link are revoked and every session
/// ends, so whoever set that password has nothing left. `None` when the account is no longer
/// such an account (it was verified or linked meanwhile).
async fn claim(
    state: &AppState,
    account: &User,
    sub: &str,
    client: &ClientInfo,
) -> Result<Option<User>, AppError> {
    let mut tx = state.db.begin().await?;
    if Accounts::claim_for_google_in(&mut tx, account.id, sub)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    // A second factor the claimant never set would lock them out, or let its setter in.
    second_factor::remove_all(&mut tx, account.id)
        .await
        .map_err(db_error)?;
    // Every link is revoked, every session ends, the owner is mailed (SECURITY C1, C3).
    let event = CredentialEvent::Claimed {
        through: Claim::Provider,
    };
    let claimed =
        credential_events::secure(state, tx, account.id, event, Actor::outsider(client)).await?;
    let event = Event {
        kind: Kind::AccountClaimed,
        user_id: Some(claimed.id),
        email: Some(&claimed.email),
        ip: &client.ip,
        detail: "the unverified password and any second factor were removed and every session ended",
    };
    audit::record(&state.db, event).await;
    Ok(Some(claimed))
}

/// The answer for a Google identity whose verified email belongs to an account linked to a
/// different Google identity (G5).
fn linked_elsewhere() -> AppError {
    AppError::conflict(
        "This email's account is linked to a different Google account. Sign in with that one, or with the password.",
    )
}

/// The name Google gave, cut to fit, or the email's local part.
fn display_name(identity: &GoogleIdentity, email: &Email) -> Result<DisplayName, AppError> {
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
    DisplayName::parse(&raw_name)
        .or_else(|_| DisplayName::parse("Google user"))
        .map_err(|_| AppError::internal())
}
