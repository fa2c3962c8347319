//! The user's own data: all of it as JSON (export), or none of it (deletion). Both from
//! `/profile` and the API.

use super::{
    accounts::access,
    current::Authenticated,
    passkey::service as passkeys,
    second_factor::service as second_factor,
    users::{self},
};
use crate::{
    domain::AccountExport,
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::{client::ClientInfo, error::db_error},
        mail::outbox,
        platform::state::AppState,
        sessions::{index, service as sessions},
        todos::repo as todos,
    },
};

/// Everything Gatehouse keeps about the signed-in user: the profile, their todos, their
/// sessions, their second factor and passkeys (never a secret, a code or a key), and the audit
/// trail's events about them.
pub async fn export(state: &AppState, me: &Authenticated) -> Result<AccountExport, AppError> {
    let id = me.user.id;
    Ok(AccountExport {
        user: me.user.to_current(),
        todos: todos::list(&state.db, id).await.map_err(db_error)?,
        sessions: sessions::list(state, id, &me.session).await?,
        second_factor: second_factor::status(state, id).await?,
        passkeys: passkeys::list(state, id).await?,
        audit: audit::all_of(&state.db, id).await.map_err(db_error)?,
    })
}

/// Deletes the signed-in account, with a recent sign-in (SECURITY S13): its todos, tokens and
/// sessions go with it, device cookies stop counting (they name its id, which is never
/// reused), and the audit trail keeps its events without the address. The last enabled admin
/// cannot (409).
pub async fn delete(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
) -> Result<(), AppError> {
    me.require_recent_sign_in(state)?;
    let id = me.user.id;
    // The session index rows go with the account: note which sessions to end first.
    let handles = index::handles_of(&state.db, id).await.map_err(db_error)?;
    let mut tx = state.db.begin().await.map_err(db_error)?;
    audit::anonymise(&mut tx, id, &me.user.email)
        .await
        .map_err(db_error)?;
    // Mail to the account's address goes too, sent or waiting (SECURITY C4).
    outbox::delete_to(&mut tx, &me.user.email)
        .await
        .map_err(db_error)?;
    let deleted = users::delete(&mut tx, id).await.map_err(db_error)?;
    if !access(state.accounts().commit(tx, deleted).await?)? {
        return Err(AppError::not_found("Account"));
    }
    state.users.forget(id);
    let current = sessions::current_handle(state, &me.session);
    for handle in handles
        .iter()
        .filter(|h| Some(h.as_str()) != current.as_deref())
    {
        sessions::end_by_handle(state, handle).await?;
    }
    sessions::end_current(state, &me.session).await?;
    let detail = format!("account {id}");
    let event = Event {
        kind: Kind::AccountDeleted,
        user_id: None,
        email: None,
        ip: &client.ip,
        detail: &detail,
    };
    audit::record(&state.db, event).await;
    Ok(())
}
