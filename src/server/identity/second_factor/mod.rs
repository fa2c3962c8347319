//! Two-factor sign-in: a code from an authenticator app (TOTP, RFC 6238, [`totp`]) with
//! single-use recovery codes ([`recovery`]). A first factor that is right for an account with
//! a second factor holds the sign-in in the session ([`pending`]) until a code completes it
//! ([`service::sign_in`]), which then ends in the same sign-in completion as every method.

pub mod pending;
pub mod recovery;
pub mod routes;
pub mod service;
pub mod totp;

use crate::{
    error::AppError,
    server::{http::error::db_error, platform::state::AppState},
};

/// The second-factor methods a sign-in of `user_id` needs: none for an account without one.
pub async fn methods_for(state: &AppState, user_id: i64) -> Result<Vec<&'static str>, AppError> {
    if !totp::enabled(&state.db, user_id).await.map_err(db_error)? {
        return Ok(Vec::new());
    }
    if recovery::left(&state.db, user_id).await.map_err(db_error)? > 0 {
        Ok(vec!["totp", "recovery_code"])
    } else {
        Ok(vec!["totp"])
    }
}
