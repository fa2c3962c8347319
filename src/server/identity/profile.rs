//! The signed-in user's own profile: the one place both `PATCH /api/users/me` and the
//! `update_profile` server function change it.

use crate::{
    domain::{CurrentUser, DisplayName},
    error::AppError,
    server::{http::parse::field, platform::state::AppState},
};

/// Renames the user; answers the account as it now is (401 if it has just been deleted).
pub async fn rename(
    state: &AppState,
    user_id: i64,
    raw_name: &str,
) -> Result<CurrentUser, AppError> {
    let name = field("name", DisplayName::parse(raw_name))?;
    let user = state
        .accounts()
        .rename(user_id, &name)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    Ok(user.to_current())
}
