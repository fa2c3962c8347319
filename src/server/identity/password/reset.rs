//! Password reset through a mailed link (SECURITY E1–E4): asking answers the same whether or
//! not the address has an account; the link's token works once, briefly; using it sets the
//! password, proves the address, revokes the other links, ends every session and sends a notice.

use crate::{
    domain::{Email, Password, email},
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::{
            client::ClientInfo,
            error::{db_error, internal},
            parse::field,
        },
        identity::{
            accounts::Accounts,
            credential_events::{self, Actor, Claim, Event as CredentialEvent},
            second_factor::service as second_factor,
            tokens::{self, Purpose},
            users::{self, User},
            verification::{invalid_link, reserve_mail},
        },
        mail::compose,
        platform::state::AppState,
    },
};

/// Where the link in a reset mail leads.
pub const LINK_PATH: &str = "/reset-password";

/// Asks for a reset link for `raw_email`. Answers the same (202) whether or not the address has
/// an account, at the same speed: the account is looked up and mailed after the answer has
/// gone. Throttled per address and network (SECURITY E3).
pub async fn request(
    state: &AppState,
    client: &ClientInfo,
    raw_email: &str,
) -> Result<(), AppError> {
    if raw_email.trim().len() > email::MAX_LEN {
        return Err(AppError::validation(
            "email",
            format!("must be at most {} characters", email::MAX_LEN),
        ));
    }
    let address = field("email", Email::parse(raw_email))?;
    reserve_mail(state, address.as_str(), client).await?;
    let state = state.clone();
    let client = client.clone();
    tokio::spawn(async move {
        if let Err(err) = mail_link(&state, &address, &client, None).await {
            tracing::warn!(
                error = format!("{err:#}"),
                "could not queue a password reset mail"
            );
        }
    });
    Ok(())
}

/// Queues a reset link for the account with `address`, if there is one. `actor`: the admin
/// who asked, if one did.
pub async fn mail_link(
    state: &AppState,
    address: &Email,
    client: &ClientInfo,
    actor: Option<i64>,
) -> anyhow::Result<()> {
    let Some(user) = users::by_email(&state.db, address).await? else {
        return Ok(());
    };
    let ttl = state.settings.password_reset_ttl_secs;
    let mut tx = state.db.begin().await?;
    let token = tokens::issue(&mut tx, user.id, Purpose::ResetPassword, ttl, None).await?;
    let link = state.mailer.link(LINK_PATH, &token);
    let mail = compose::password_reset(&user.email, &user.name, &link, ttl);
    state.mailer.queue(&mut tx, &mail).await?;
    tx.commit().await?;
    state.mailer.wake();
    let event = Event {
        kind: Kind::PasswordResetSent,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: "",
    };
    audit::record_by(&state.db, actor, event).await;
    Ok(())
}

/// Sets a new password with a reset token. A password the policy refuses (422) leaves the
/// token usable; a used, revoked, expired or unknown token is 422 on `token`.
pub async fn confirm(
    state: &AppState,
    client: &ClientInfo,
    token: &str,
    new_password: &str,
) -> Result<User, AppError> {
    let password = field("new_password", Password::parse(new_password))?;
    // Hash only for a token that can still work, then take it for good below.
    if !tokens::usable(&state.db, token, Purpose::ResetPassword)
        .await
        .map_err(db_error)?
    {
        return Err(invalid_link());
    }
    let hash = state.hasher.hash(password).await.map_err(|err| match err {
        super::hashing::HashError::Busy => AppError::unavailable("Password reset"),
        super::hashing::HashError::Failed(err) => internal("hashing a password", err),
    })?;
    let mut tx = state.db.begin().await.map_err(db_error)?;
    let used = tokens::take(&mut tx, token, Purpose::ResetPassword)
        .await
        .map_err(db_error)?
        .ok_or_else(invalid_link)?;
    let Some(before) = Accounts::lock_in(&mut tx, used.user_id).await? else {
        return Err(invalid_link());
    };
    Accounts::reset_password_in(&mut tx, used.user_id, &hash).await?;
    // A reset of an account that never proved its address is its owner's claim, as a Google
    // sign-in's is (SECURITY C3, G8): whatever its squatter set goes.
    let event = if before.email_verified {
        CredentialEvent::PasswordReset
    } else {
        second_factor::remove_all(&mut tx, used.user_id)
            .await
            .map_err(db_error)?;
        CredentialEvent::Claimed {
            through: Claim::ResetLink,
        }
    };
    // Whoever knew the old password, or held a session, is out; every link is revoked and the
    // owner is mailed (SECURITY E4, C1).
    let user =
        credential_events::secure(state, tx, used.user_id, event, Actor::outsider(client)).await?;
    let kind = match event {
        CredentialEvent::PasswordReset => Kind::PasswordReset,
        _ => Kind::AccountClaimed,
    };
    let event = Event {
        kind,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: if kind == Kind::AccountClaimed {
            "through a reset link: the password, passkeys and second factor were replaced and \
             every session ended"
        } else {
            ""
        },
    };
    audit::record(&state.db, event).await;
    Ok(user)
}
