//! Passkeys: enrolling, signing in, naming, listing and removing. The JSON API and the server
//! functions both call these.
//!
//! # Security (SECURITY M4, M5)
//! - webauthn-rs checks each answer: the challenge held in the session, the origin, the RP ID,
//!   the signature, and user verification (required for enrolment and sign-in alike).
//! - Enrolling and removing need a recent sign-in (S13); renaming does not.
//! - A sign-in's credential must be registered here under the user handle the authenticator
//!   gave; its counter and challenge are taken atomically ([`passkeys::take_sign_in`]).
//! - A passkey sign-in ends in [`sign_in::complete`] like every method (disabled accounts,
//!   a new session id, the audit trail); it proves both factors, so no code is asked for.
//! - Adding or removing one mails the account's address.

use serde::de::DeserializeOwned;
use serde_json::Value;
use tower_sessions::Session;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential, Uuid};

use super::{RelyingParty, ceremony};
use crate::{
    domain::{PasskeyInfo, PasskeyOptions},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        db::clock::rfc3339,
        http::{
            client::ClientInfo,
            error::{db_error, internal},
        },
        identity::{
            credential_events::{self, Actor, Event as CredentialEvent},
            current::Authenticated,
            second_factor::passkeys::{self, MAX_PER_ACCOUNT, Stored},
            sign_in::{self, Arrival, Completion, Method},
            users::{self, User},
        },
        platform::state::AppState,
    },
};

/// The name of a passkey added without one.
const DEFAULT_NAME: &str = "Passkey";
const MAX_NAME_CHARS: usize = 64;

/// The relying party, or 404: passkeys cannot work on this server's address.
fn relying_party(state: &AppState) -> Result<&RelyingParty, AppError> {
    state.passkeys.as_deref().ok_or_else(|| AppError::NotFound {
        message: "Passkeys are not set up on this server (its public_url is not a domain).".into(),
    })
}

fn info(stored: &Stored) -> PasskeyInfo {
    PasskeyInfo {
        id: stored.id,
        name: stored.name.clone(),
        created_at: rfc3339(stored.created_at),
        last_used_at: stored.last_used_at.map(rfc3339),
    }
}

/// A passkey's name: trimmed, 1 to 64 characters, no control characters.
fn name(raw: Option<&str>) -> Result<String, AppError> {
    let Some(raw) = raw.map(str::trim) else {
        return Ok(DEFAULT_NAME.to_owned());
    };
    if raw.is_empty() {
        return Err(AppError::validation("name", "must not be empty"));
    }
    if raw.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::validation(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(AppError::validation(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(raw.to_owned())
}

/// The browser's answer, read as WebAuthn's JSON; 422 on `credential` when it is not.
fn credential<T: DeserializeOwned>(value: &Value) -> Result<T, AppError> {
    T::deserialize(value).map_err(|err| {
        AppError::validation(
            "credential",
            format!(
                "is not a WebAuthn credential as PublicKeyCredential.toJSON() gives it ({err})"
            ),
        )
    })
}

/// Options as the browser reads them: the `publicKey` member of what webauthn-rs made.
fn options(public_key: impl serde::Serialize) -> Result<PasskeyOptions, AppError> {
    let public_key =
        serde_json::to_value(public_key).map_err(|err| internal("passkey options", err))?;
    Ok(PasskeyOptions { public_key })
}

/// Options for signing in with any passkey of this site (the button, and the autofill), held
/// in the session for [`sign_in`].
pub async fn sign_in_options(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
) -> Result<PasskeyOptions, AppError> {
    let rp = relying_party(state)?;
    sign_in::admit_anonymous(state, session, client).await?;
    let (request, held) = rp
        .webauthn
        .start_discoverable_authentication()
        .map_err(|err| internal("starting a passkey sign-in", err))?;
    ceremony::hold_sign_in(session, held).await?;
    options(request.public_key)
}

/// Signs in with the browser's answer to [`sign_in_options`].
///
/// # Security
/// - No held ceremony (none asked for, expired, or answered already): 401.
/// - A credential not registered here, under another user handle, failing any check, or taken
///   already (a replayed assertion, or a counter that went back): 401, audited.
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    answer: &Value,
) -> Result<Completion, AppError> {
    let rp = relying_party(state)?;
    let answer: PublicKeyCredential = credential(answer)?;
    let Some(held) = ceremony::take_sign_in(session).await? else {
        return Err(AppError::Unauthenticated {
            message: "The passkey request expired or was answered already. Try again.".into(),
        });
    };
    let user = match verify(state, rp, &answer, held).await? {
        Ok(user) => user,
        Err((detail, who)) => {
            sign_in::refused(state, who.as_deref(), client, Method::Passkey, detail).await;
            return Err(AppError::Unauthenticated {
                message: "That passkey did not sign you in. Try again, or use another way.".into(),
            });
        }
    };
    sign_in::complete(
        state,
        session,
        user,
        Method::Passkey,
        Arrival::SignIn,
        client,
    )
    .await
}

/// Why an answer was refused (for the audit trail), and whose passkey it claimed to be.
type Refusal = (&'static str, Option<String>);

/// Checks a passkey assertion against the ceremony `held` and takes it: the account it signs
/// in, or why not. The credential must be registered here under the user handle it gives, pass
/// webauthn-rs's checks with user verification, and be taken once (its counter and challenge,
/// atomically).
async fn verify(
    state: &AppState,
    rp: &RelyingParty,
    answer: &PublicKeyCredential,
    held: ceremony::SignIn,
) -> Result<Result<User, Refusal>, AppError> {
    let Ok((handle, credential_id)) = rp.webauthn.identify_discoverable_authentication(answer)
    else {
        return Ok(Err(("passkey: no user handle", None)));
    };
    let Some(mut stored) = passkeys::by_credential(&state.db, credential_id)
        .await
        .map_err(db_error)?
    else {
        return Ok(Err(("passkey: unknown credential", None)));
    };
    let Some(user) = users::by_id(&state.db, stored.user_id)
        .await
        .map_err(db_error)?
    else {
        return Ok(Err(("passkey: unknown credential", None)));
    };
    let who = Some(user.email.clone());
    if Uuid::from_slice(&stored.user_handle).ok() != Some(handle) {
        return Ok(Err(("passkey: wrong user handle", who)));
    }
    let result =
        match rp
            .webauthn
            .finish_discoverable_authentication_v2(answer, held, &stored.passkey)
        {
            Ok(result) if result.user_verified() => result,
            Ok(_) => return Ok(Err(("passkey: no user verification", who))),
            Err(err) => {
                tracing::info!(error = %err, "a passkey assertion failed its checks");
                return Ok(Err(("passkey: failed verification", who)));
            }
        };
    stored.passkey.update_credential(&result);
    let challenge = challenge_of(answer);
    if !passkeys::take_sign_in(
        &state.db,
        stored.id,
        &stored.passkey,
        result.counter(),
        &challenge,
    )
    .await
    .map_err(db_error)?
    {
        return Ok(Err(("passkey: replayed or cloned", who)));
    }
    Ok(Ok(user))
}

/// Options for confirming who the signed-in user is with one of their passkeys (step-up),
/// held in the session for [`confirm`]; 404 when the account has none.
pub async fn reauth_options(
    state: &AppState,
    me: &Authenticated,
) -> Result<PasskeyOptions, AppError> {
    let rp = relying_party(state)?;
    let stored = passkeys::list(&state.db, me.user.id)
        .await
        .map_err(db_error)?;
    if stored.is_empty() {
        return Err(AppError::NotFound {
            message: "This account has no passkey.".into(),
        });
    }
    let (request, held) = rp
        .webauthn
        .start_discoverable_authentication()
        .map_err(|err| internal("starting a passkey step-up", err))?;
    ceremony::hold_reauth(&me.session, &me.user, held).await?;
    let mut options = options(request.public_key)?;
    // Only this account's passkeys answer.
    let allowed: Vec<Value> = stored
        .iter()
        .map(|stored| serde_json::json!({"type": "public-key", "id": stored.passkey.cred_id()}))
        .collect();
    options.public_key["allowCredentials"] = allowed.into();
    Ok(options)
}

/// Checks that the browser's answer to [`reauth_options`] comes from one of the signed-in
/// user's passkeys, with user verification: a step-up. 403 otherwise (the session stays good).
pub async fn confirm(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    answer: &Value,
) -> Result<(), AppError> {
    let rp = relying_party(state)?;
    let answer: PublicKeyCredential = credential(answer)?;
    let Some(held) = ceremony::take_reauth(&me.session, &me.user).await? else {
        return Err(AppError::forbidden(
            "The passkey request expired or was answered already. Try again.",
        ));
    };
    let detail = match verify(state, rp, &answer, held).await? {
        Ok(user) if user.id == me.user.id => return Ok(()),
        Ok(_) => "passkey: another account's passkey",
        Err((detail, _)) => detail,
    };
    sign_in::refused(state, Some(&me.user.email), client, Method::Passkey, detail).await;
    Err(AppError::forbidden(
        "That passkey is not one of this account's, or could not be checked.",
    ))
}

/// The challenge an answer signed (its client data was checked against the held one).
fn challenge_of(answer: &PublicKeyCredential) -> Vec<u8> {
    serde_json::from_slice::<Value>(&answer.response.client_data_json)
        .ok()
        .and_then(|data| data.get("challenge")?.as_str().map(str::to_owned))
        .unwrap_or_default()
        .into_bytes()
}

/// Options for adding a passkey to the signed-in account (needs a recent sign-in), held in the
/// session for [`enrol`]. The account's passkeys are excluded, so an authenticator holding one
/// says so rather than making a second.
pub async fn enrol_options(
    state: &AppState,
    me: &Authenticated,
) -> Result<PasskeyOptions, AppError> {
    me.require_recent_sign_in(state)?;
    me.require_verified_email()?;
    let rp = relying_party(state)?;
    let existing = passkeys::list(&state.db, me.user.id)
        .await
        .map_err(db_error)?;
    if existing.len() as i64 >= MAX_PER_ACCOUNT {
        return Err(too_many());
    }
    let handle = passkeys::user_handle(&state.db, me.user.id)
        .await
        .map_err(db_error)?;
    let exclude = existing
        .iter()
        .map(|stored| stored.passkey.cred_id().clone())
        .collect();
    let (creation, held) = rp
        .webauthn
        .start_passkey_registration(
            Uuid::from_bytes(handle),
            &me.user.email,
            &me.user.name,
            Some(exclude),
        )
        .map_err(|err| internal("starting a passkey enrolment", err))?;
    ceremony::hold_enrolment(&me.session, &me.user, handle, held).await?;
    let mut options = options(creation.public_key)?;
    // A discoverable credential (a passkey proper): the email field's autofill and the
    // "Sign in with a passkey" button find it without a username.
    if let Some(selection) = options.public_key.get_mut("authenticatorSelection") {
        selection["residentKey"] = "required".into();
        selection["requireResidentKey"] = true.into();
    }
    Ok(options)
}

fn too_many() -> AppError {
    AppError::conflict(format!(
        "An account can have at most {MAX_PER_ACCOUNT} passkeys. Remove one first."
    ))
}

/// Adds the passkey the browser made from [`enrol_options`] (needs a recent sign-in); 201.
///
/// # Security
/// - The answer must match the enrolment held in this session for this account (single-use,
///   five minutes), come from this origin for this RP ID, and carry user verification.
/// - A credential registered already, here or to another account, is refused (409).
pub async fn enrol(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    answer: &Value,
    raw_name: Option<&str>,
) -> Result<PasskeyInfo, AppError> {
    me.require_recent_sign_in(state)?;
    me.require_verified_email()?;
    let rp = relying_party(state)?;
    let name = name(raw_name)?;
    let answer: RegisterPublicKeyCredential = credential(answer)?;
    let Some((held, handle)) = ceremony::take_enrolment(&me.session, &me.user).await? else {
        return Err(AppError::conflict(
            "No passkey enrolment is waiting, or it expired. Start again.",
        ));
    };
    let passkey = rp
        .webauthn
        .finish_passkey_registration(&answer, &held)
        .map_err(|err| {
            tracing::info!(error = %err, "a passkey enrolment failed its checks");
            AppError::validation(
                "credential",
                "could not be verified as a new passkey for this site",
            )
        })?;
    let mut tx = state.db.begin().await.map_err(db_error)?;
    let Some(stored) = passkeys::add(&mut tx, me.user.id, &handle, &name, &passkey)
        .await
        .map_err(db_error)?
    else {
        return Err(AppError::conflict(
            "This passkey is registered already, or the account has too many.",
        ));
    };
    let actor = Actor::owner(&me.session, client);
    let event = CredentialEvent::PasskeyAdded(&name);
    credential_events::secure(state, tx, me.user.id, event, actor).await?;
    audit_own(state, Kind::PasskeyAdded, &me.user, client, &name).await;
    Ok(info(&stored))
}

/// The account's passkeys, oldest first.
pub async fn list(state: &AppState, user_id: i64) -> Result<Vec<PasskeyInfo>, AppError> {
    Ok(passkeys::list(&state.db, user_id)
        .await
        .map_err(db_error)?
        .iter()
        .map(info)
        .collect())
}

/// The row id in a path; anything else names no passkey (404).
fn row_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::not_found("Passkey"))
}

/// Renames one of the account's passkeys.
pub async fn rename(
    state: &AppState,
    user_id: i64,
    raw_id: &str,
    raw_name: &str,
) -> Result<PasskeyInfo, AppError> {
    let id = row_id(raw_id)?;
    let name = name(Some(raw_name))?;
    passkeys::rename(&state.db, user_id, id, &name)
        .await
        .map_err(db_error)?
        .map(|stored| info(&stored))
        .ok_or_else(|| AppError::not_found("Passkey"))
}

/// Removes one of the account's passkeys (needs a recent sign-in); it signs in no more.
pub async fn remove(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    raw_id: &str,
) -> Result<(), AppError> {
    me.require_recent_sign_in(state)?;
    let id = row_id(raw_id)?;
    let mut tx = state.db.begin().await.map_err(db_error)?;
    let Some(name) = passkeys::remove(&mut tx, me.user.id, id)
        .await
        .map_err(db_error)?
    else {
        return Err(AppError::not_found("Passkey"));
    };
    let actor = Actor::owner(&me.session, client);
    let event = CredentialEvent::PasskeyRemoved(&name);
    credential_events::secure(state, tx, me.user.id, event, actor).await?;
    audit_own(state, Kind::PasskeyRemoved, &me.user, client, &name).await;
    Ok(())
}

async fn audit_own(state: &AppState, kind: Kind, user: &User, client: &ClientInfo, detail: &str) {
    let event = Event {
        kind,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail,
    };
    audit::record(&state.db, event).await;
}
