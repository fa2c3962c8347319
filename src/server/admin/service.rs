//! What admins do: find users, change their access, end their sessions, read the audit trail.
//! Each change goes through the service that owns it (accounts, sessions, audit), so it is
//! announced and audited the same way whoever makes it.

use crate::{
    domain::{
        AdminUserUpdate, AdminUserView, AuditPage, Email, PageRequest, SessionInfo, UserPage,
    },
    error::AppError,
    server::{
        audit::{self, Event, Kind},
        http::{
            client::ClientInfo,
            error::{db_error, internal},
        },
        identity::{
            accounts::Accounts,
            credential_events::{self, Actor, Event as CredentialEvent},
            current::Authenticated,
            password::reset,
            second_factor::service as second_factor,
            users::{self, User},
            verification,
        },
        platform::state::AppState,
        sessions::{
            index,
            service::{self as sessions, Owner},
        },
    },
};

/// The longest search text accepted.
const MAX_QUERY_LEN: usize = 200;

/// One page of the users matching `query`, with how many live sessions each has.
pub async fn search_users(
    state: &AppState,
    query: &str,
    page: PageRequest,
) -> Result<UserPage, AppError> {
    if query.chars().any(char::is_control) {
        return Err(AppError::validation(
            "query",
            "must not contain control characters",
        ));
    }
    if query.chars().count() > MAX_QUERY_LEN {
        return Err(AppError::validation(
            "query",
            format!("must be at most {MAX_QUERY_LEN} characters"),
        ));
    }
    let (found, total) = users::search(&state.db, query, &page).await?;
    let ids: Vec<i64> = found.iter().map(|user| user.id).collect();
    let counts = index::counts_of(&state.db, &ids).await?;
    let users = found
        .iter()
        .map(|user| user.to_admin_view(counts.get(&user.id).copied().unwrap_or(0)))
        .collect();
    Ok(UserPage {
        users,
        page: page.page,
        per_page: page.per_page,
        total,
    })
}

/// The user a path names; an id that is not a number names no one.
async fn find_user(state: &AppState, raw_id: &str) -> Result<User, AppError> {
    let Ok(id) = raw_id.parse::<i64>() else {
        return Err(AppError::not_found("User"));
    };
    users::by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("User"))
}

/// Disables or enables an account and grants or removes the admin role. Both hold on the
/// user's next request on every instance; a role change also gives their sessions new ids then.
/// An admin cannot lock themself out.
pub async fn update_user(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    raw_id: &str,
    update: &AdminUserUpdate,
) -> Result<AdminUserView, AppError> {
    let mut target = find_user(state, raw_id).await?;
    let changes_access = update.disabled.is_some_and(|d| d != target.disabled)
        || update.is_admin.is_some_and(|a| a != target.is_admin);
    // Power over other accounts: a stolen admin session alone must not be enough (SECURITY
    // C5).
    if changes_access {
        me.require_recent_sign_in(state)?;
    }
    if target.id == me.user.id && (update.disabled == Some(true) || update.is_admin == Some(false))
    {
        return Err(AppError::conflict(
            "You cannot disable your own account or remove your own admin role.",
        ));
    }
    let accounts = state.accounts();
    let mut changes = Vec::new();
    if let Some(disabled) = update.disabled.filter(|d| *d != target.disabled) {
        if disabled {
            // A credential event: every session, link and held sign-in of the account ends.
            let mut tx = state.db.begin().await.map_err(db_error)?;
            if !Accounts::disable_in(&mut tx, target.id).await? {
                return Err(AppError::not_found("User"));
            }
            let actor = Actor::outsider(client);
            credential_events::secure(state, tx, target.id, CredentialEvent::Disabled, actor)
                .await?;
        } else {
            if !accounts.set_disabled(target.id, disabled).await? {
                return Err(AppError::not_found("User"));
            }
            // Sessions from before the disable were only refused: none comes back to life.
            sessions::end_all_of(state, target.id, None).await?;
        }
        target.disabled = disabled;
        changes.push(if disabled {
            Kind::UserDisabled
        } else {
            Kind::UserEnabled
        });
    }
    if let Some(is_admin) = update.is_admin.filter(|a| *a != target.is_admin) {
        if !accounts.set_admin(target.id, is_admin).await? {
            return Err(AppError::not_found("User"));
        }
        target.is_admin = is_admin;
        changes.push(if is_admin {
            Kind::AdminGranted
        } else {
            Kind::AdminRevoked
        });
    }
    for kind in changes {
        let event = Event {
            kind,
            user_id: Some(target.id),
            email: Some(&target.email),
            ip: &client.ip,
            detail: "",
        };
        audit::record_by(&state.db, Some(me.user.id), event).await;
    }
    let sessions = index::count_of(&state.db, target.id)
        .await
        .map_err(db_error)?;
    Ok(target.to_admin_view(sessions))
}

/// A user's live sessions; the admin's own current one is marked when they pick themselves.
pub async fn user_sessions(
    state: &AppState,
    me: &Authenticated,
    raw_id: &str,
) -> Result<Vec<SessionInfo>, AppError> {
    let target = find_user(state, raw_id).await?;
    sessions::list(state, target.id, &me.session).await
}

/// Ends every session of the user a path names, the admin's own current one included when they
/// pick themselves.
pub async fn end_user_sessions(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    raw_id: &str,
) -> Result<u64, AppError> {
    let target = find_user(state, raw_id).await?;
    let owner = Owner {
        id: target.id,
        email: &target.email,
    };
    sessions::end_every(state, me.user.id, owner, &me.session, client).await
}

/// Mails the user a new verification link (nothing when their address is already verified).
/// The admin never sees the link.
pub async fn send_verification(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    raw_id: &str,
) -> Result<(), AppError> {
    let target = find_user(state, raw_id).await?;
    verification::send_again(state, &target, client, Some(me.user.id)).await
}

/// Mails the user a password reset link. The admin never sees or sets a password.
pub async fn send_password_reset(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    raw_id: &str,
) -> Result<(), AppError> {
    let target = find_user(state, raw_id).await?;
    verification::reserve_mail(state, &target.email, client).await?;
    let address = Email::parse(&target.email).map_err(|_| AppError::internal())?;
    reset::mail_link(state, &address, client, Some(me.user.id))
        .await
        .map_err(|err| internal("queueing a password reset mail", err))
}

/// Removes the user's second factor (a lost phone): audited, and the user is mailed. Needs a
/// recent sign-in; 404 for an unknown user or one without a second factor.
pub async fn reset_second_factor(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
    raw_id: &str,
) -> Result<(), AppError> {
    // It takes away a user's protection: a stolen admin session alone must not be enough.
    me.require_recent_sign_in(state)?;
    let target = find_user(state, raw_id).await?;
    if second_factor::reset_by_admin(state, me.user.id, &target, client).await? {
        Ok(())
    } else {
        Err(AppError::NotFound {
            message: "This user has no second factor.".into(),
        })
    }
}

/// One page of the audit trail, optionally about one user, with the acting admins' emails.
pub async fn audit_page(
    state: &AppState,
    user_id: Option<i64>,
    page: PageRequest,
) -> Result<AuditPage, AppError> {
    let (mut events, total) = audit::page(&state.db, user_id, &page).await?;
    let mut actors: Vec<i64> = events.iter().filter_map(|event| event.actor_id).collect();
    actors.sort_unstable();
    actors.dedup();
    let emails = users::emails_of(&state.db, &actors).await?;
    for event in &mut events {
        event.actor_email = event.actor_id.and_then(|id| emails.get(&id).cloned());
    }
    Ok(AuditPage {
        events,
        page: page.page,
        per_page: page.per_page,
        total,
    })
}
