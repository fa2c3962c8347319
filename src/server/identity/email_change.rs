//! Moving an account to another email address: asked for with a recent sign-in, confirmed by a
//! link sent to the new address, announced to the old one (SECURITY E1, S13). An address that
//! belongs to another account gets the same answer; its owner gets a mail instead, so the
//! request reveals nothing.

use tower_sessions::Session;

use super::{
    accounts::{AccountError, Accounts},
    credential_events::{self, Actor, Event as CredentialEvent},
    current::Authenticated,
    tokens::{self, Purpose},
    users::{self, User},
    verification::{invalid_link, reserve_mail},
};
use crate::{
    domain::{Email, email},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::{client::ClientInfo, error::db_error, parse::field},
        mail::compose,
        platform::state::AppState,
    },
};

/// Where the link in the confirmation mail leads.
pub const LINK_PATH: &str = "/confirm-email";

/// Asks to move the signed-in account to `raw_email`. Needs a recent sign-in.
pub async fn request(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    raw_email: &str,
) -> Result<(), AppError> {
    me.require_recent_sign_in(state)?;
    if raw_email.trim().len() > email::MAX_LEN {
        return Err(AppError::validation(
            "new_email",
            format!("must be at most {} characters", email::MAX_LEN),
        ));
    }
    let new_email = field("new_email", Email::parse(raw_email))?;
    if new_email.as_str() == me.user.email {
        return Err(AppError::validation(
            "new_email",
            "is already this account's address",
        ));
    }
    reserve_mail(state, new_email.as_str(), client).await?;
    let owner = users::by_email(&state.db, &new_email)
        .await
        .map_err(db_error)?;
    let mut tx = state.db.begin().await.map_err(db_error)?;
    match owner {
        Some(_) => {
            let mail = compose::address_in_use(new_email.as_str());
            state.mailer.queue(&mut tx, &mail).await.map_err(db_error)?;
        }
        None => {
            let ttl = state.settings.email_verification_ttl_secs;
            tokens::revoke(&mut tx, me.user.id, Purpose::ChangeEmail)
                .await
                .map_err(db_error)?;
            let token = tokens::issue(
                &mut tx,
                me.user.id,
                Purpose::ChangeEmail,
                ttl,
                Some(new_email.as_str()),
            )
            .await
            .map_err(db_error)?;
            let link = state.mailer.link(LINK_PATH, &token);
            let confirm = compose::confirm_new_email(new_email.as_str(), &me.user.name, &link, ttl);
            let notice =
                compose::email_change_requested(&me.user.email, &me.user.name, new_email.as_str());
            state
                .mailer
                .queue(&mut tx, &confirm)
                .await
                .map_err(db_error)?;
            state
                .mailer
                .queue(&mut tx, &notice)
                .await
                .map_err(db_error)?;
        }
    }
    tx.commit().await.map_err(db_error)?;
    state.mailer.wake();
    Ok(())
}

/// Uses an email-change token: the account moves to the new address, verified. 409 when
/// another account took that address in the meantime. A credential event: the old address is
/// told, the account's other sessions end (all of them unless `session` is the account's own)
/// and every other link is revoked (SECURITY C1, C2).
pub async fn confirm(
    state: &AppState,
    session: &Session,
    client: &ClientInfo,
    token: &str,
) -> Result<User, AppError> {
    let mut tx = state.db.begin().await.map_err(db_error)?;
    let used = tokens::take(&mut tx, token, Purpose::ChangeEmail)
        .await
        .map_err(db_error)?
        .ok_or_else(invalid_link)?;
    let new_email = used.new_email.ok_or_else(invalid_link)?;
    let Some(before) = Accounts::lock_in(&mut tx, used.user_id).await? else {
        return Err(invalid_link());
    };
    match Accounts::set_email_in(&mut tx, used.user_id, &new_email).await {
        Ok(true) => {}
        Ok(false) => return Err(invalid_link()),
        Err(AccountError::EmailTaken) => {
            return Err(AppError::conflict("Another account uses that address now."));
        }
        Err(err) => return Err(err.into()),
    }
    let event = CredentialEvent::EmailChanged { old: &before.email };
    let actor = Actor::owner(session, client);
    let user = credential_events::secure(state, tx, used.user_id, event, actor).await?;
    let event = Event {
        kind: Kind::EmailChanged,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: "",
    };
    audit::record(&state.db, event).await;
    Ok(user)
}
