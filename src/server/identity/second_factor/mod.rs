//! Two-factor sign-in: a code from an authenticator app (TOTP, RFC 6238, [`totp`]) with
//! single-use recovery codes ([`recovery`]). A first factor that is right for an account with
//! a second factor holds the sign-in in the session ([`pending`]) until a code completes it
//! ([`service::sign_in`]), which then ends in the same sign-in completion as every method.
//! The account's passkeys ([`passkeys`]) live here too: they complete such a sign-in, and an
//! admin's reset removes them with the rest.

pub mod passkeys;
pub mod pending;
pub mod recovery;
pub mod routes;
pub mod service;
pub mod totp;

use crate::{
    error::AppError,
    server::{http::error::db_error, platform::state::AppState},
};

/// The second-factor methods a sign-in of `user_id` needs: none for an account without
/// two-factor sign-in. A passkey, when the account has one, completes it too (it proves both
/// factors itself).
pub async fn methods_for(state: &AppState, user_id: i64) -> Result<Vec<&'static str>, AppError> {
    if !totp::enabled(&state.db, user_id).await.map_err(db_error)? {
        return Ok(Vec::new());
    }
    let mut methods = vec!["totp"];
    if recovery::left(&state.db, user_id).await.map_err(db_error)? > 0 {
        methods.push("recovery_code");
    }
    if state.passkeys.is_some()
        && passkeys::count(&state.db, user_id)
            .await
            .map_err(db_error)?
            > 0
    {
        methods.push("passkey");
    }
    Ok(methods)
}
