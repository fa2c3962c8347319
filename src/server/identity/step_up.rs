//! Step-up re-authentication ("sudo mode"; OWASP ASVS 7.5, SECURITY S13): a signed-in user
//! proves who they are again — with the password, or with a fresh Google ID token — before a
//! sensitive action. [`Authenticated::require_recent_sign_in`] is the check each sensitive
//! action makes; [`reauthenticate`] renews it.

use super::{
    current::Authenticated, google::service as google, passkey::service as passkey,
    password::service as password, second_factor::service as second_factor,
};
use crate::{
    domain::{Password, ReauthRequest},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        db::clock::now,
        http::{client::ClientInfo, parse::field},
        platform::state::AppState,
        sessions::service as sessions,
    },
};

fn one_proof() -> AppError {
    AppError::validation(
        "password",
        "give one of the password, a Google credential or a passkey",
    )
}

/// Confirms who the signed-in user is, and restarts the re-authentication window.
///
/// # Security
/// - A password is checked under the same throttling as a sign-in (P8, P9); a Google token must
///   carry this session's one-time nonce (G4) and be from the Google account linked to the user;
///   a passkey must answer this session's step-up options and be one of the user's, with user
///   verification, taken once like a sign-in (M4), so it needs no code.
/// - An account with two-factor sign-in also gives a current code from its app, checked like
///   one at sign-in (M1); a missing one is 422 on `code`.
/// - A wrong proof is 403, never 401: the session itself is still good.
/// - The session gets a new id, as at sign-in: whoever else holds the old cookie does not share
///   the new privileges (S1).
pub async fn reauthenticate(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    request: &ReauthRequest,
) -> Result<(), AppError> {
    let how = match (&request.password, &request.credential, &request.passkey) {
        // A passkey with user verification proves both factors (SECURITY M4, M5).
        (None, None, Some(answer)) => {
            passkey::confirm(state, me, client, answer).await?;
            "passkey"
        }
        (password, credential, None) => {
            // An account with two-factor sign-in proves both factors again (SECURITY M5); a
            // missing code is refused before the first factor is spent.
            let code =
                second_factor::code_for_step_up(state, &me.user, request.code.as_deref()).await?;
            let how = match (password, credential) {
                (Some(raw), None) => {
                    let given = field("password", Password::for_sign_in(raw))?;
                    if !password::confirm(state, client, &me.user, given, "Re-authentication")
                        .await?
                    {
                        return Err(AppError::forbidden(if me.user.password_hash().is_some() {
                            "The password is not correct."
                        } else {
                            "This account has no password: confirm with Google or a passkey."
                        }));
                    }
                    "password"
                }
                (None, Some(credential)) => {
                    google::confirm(state, &me.session, client, &me.user, credential).await?;
                    "google"
                }
                _ => return Err(one_proof()),
            };
            if let Some(code) = code {
                second_factor::confirm_for_step_up(state, client, &me.user, code).await?;
            }
            how
        }
        _ => return Err(one_proof()),
    };
    let now = now();
    let mut auth = me.auth;
    auth.authenticated_at = now;
    if !sessions::rotate(state, &me.session, &mut auth, now).await? {
        return Err(AppError::unauthenticated());
    }
    let event = Event {
        kind: Kind::Reauthenticated,
        user_id: Some(me.user.id),
        email: Some(&me.user.email),
        ip: &client.ip,
        detail: how,
    };
    audit::record(&state.db, event).await;
    Ok(())
}
