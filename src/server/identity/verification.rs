//! Proving an email address (SECURITY E1, E2, E5): a link mailed at sign-up (and again on
//! request) whose token, posted back, marks the address verified. A listed admin address
//! (`admin_emails`) becomes an admin only then.

use super::{
    accounts::Accounts,
    tokens::{self, Purpose},
    users::{self, User},
};
use crate::{
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        db::Tx,
        http::{
            client::ClientInfo,
            error::{db_error, internal},
        },
        identity::throttle::Attempt,
        mail::compose,
        platform::state::AppState,
    },
};

/// Where the link in a verification mail leads: a page that asks before it verifies.
pub const LINK_PATH: &str = "/verify-email";

/// Queues a verification mail for `user` in `tx`, with a fresh token.
pub async fn queue_mail(state: &AppState, tx: &mut Tx, user: &User) -> Result<(), sqlx::Error> {
    let ttl = state.settings.email_verification_ttl_secs;
    let token = tokens::issue(tx, user.id, Purpose::VerifyEmail, ttl, None).await?;
    let link = state.mailer.link(LINK_PATH, &token);
    let mail = compose::verify_email(&user.email, &user.name, &link, ttl);
    state.mailer.queue(tx, &mail).await
}

/// Mails `user` a new link, unless their address is verified already (then nothing is sent),
/// throttled per address and network. `actor` is the admin who asked, if one did.
pub async fn send_again(
    state: &AppState,
    user: &User,
    client: &ClientInfo,
    actor: Option<i64>,
) -> Result<(), AppError> {
    if user.email_verified {
        return Ok(());
    }
    reserve_mail(state, &user.email, client).await?;
    let mut tx = state.db.begin().await.map_err(db_error)?;
    queue_mail(state, &mut tx, user).await.map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    state.mailer.wake();
    if actor.is_some() {
        let event = Event {
            kind: Kind::VerificationSent,
            user_id: Some(user.id),
            email: Some(&user.email),
            ip: &client.ip,
            detail: "",
        };
        audit::record_by(&state.db, actor, event).await;
    }
    Ok(())
}

/// Counts a mail to `address` against its throttles (SECURITY E3): 429 when over.
pub async fn reserve_mail(
    state: &AppState,
    address: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let reserved = state
        .throttle
        .reserve(Attempt::mail(address, &client.ip))
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, "throttle unavailable");
            AppError::unavailable("Mail")
        })?;
    match reserved {
        Ok(ticket) => {
            ticket.counted();
            Ok(())
        }
        Err(wait) => Err(AppError::rate_limited(wait)),
    }
}

/// The answer for a link that cannot be used.
pub fn invalid_link() -> AppError {
    AppError::validation(
        "token",
        "This link is invalid, was already used, or has expired.",
    )
}

/// Uses a verification token: the address is verified, and an address listed in
/// `admin_emails` becomes an admin now. Answers the user as they now are.
pub async fn verify(state: &AppState, token: &str, client: &ClientInfo) -> Result<User, AppError> {
    let mut tx = state.db.begin().await.map_err(db_error)?;
    let used = tokens::take(&mut tx, token, Purpose::VerifyEmail)
        .await
        .map_err(db_error)?
        .ok_or_else(invalid_link)?;
    let changed = users::mark_verified(&mut tx, used.user_id)
        .await
        .map_err(db_error)?;
    let accounts: Accounts<'_> = state.accounts();
    let mut user = accounts
        .commit(tx, changed)
        .await?
        .ok_or_else(invalid_link)?;
    let event = Event {
        kind: Kind::EmailVerified,
        user_id: Some(user.id),
        email: Some(&user.email),
        ip: &client.ip,
        detail: "",
    };
    audit::record(&state.db, event).await;
    // SECURITY E5: a configured admin address is trusted only once it is proven.
    if !user.is_admin && state.settings.is_admin_email(&user.email) {
        accounts.set_admin(user.id, true).await?;
        user.is_admin = true;
        let event = Event {
            kind: Kind::AdminGranted,
            user_id: Some(user.id),
            email: Some(&user.email),
            ip: &client.ip,
            detail: "admin_emails, once verified",
        };
        audit::record(&state.db, event).await;
    }
    Ok(user)
}

/// Signs a user up with their verification mail in the same transaction.
pub async fn create_with_mail(state: &AppState, new: users::NewUser<'_>) -> Result<User, AppError> {
    let mut tx = state.db.begin().await.map_err(db_error)?;
    let user = Accounts::create_in(&mut tx, new).await?;
    queue_mail(state, &mut tx, &user)
        .await
        .map_err(|err| internal("queueing the verification mail", err))?;
    tx.commit().await.map_err(db_error)?;
    state.mailer.wake();
    Ok(user)
}
