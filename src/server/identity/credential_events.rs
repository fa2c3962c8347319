//! The credential-event rule: what each change to how an account proves who it is must end,
//! in one place, for every feature (SECURITY C1).
//!
//! A credential event is a password change or reset, signing out every other session, turning
//! the second factor on or off, new recovery codes, adding or removing a passkey, linking an
//! identity, a completed email change, a claim of a never-verified account, and an admin's
//! disable or second-factor reset. Each feature makes its change in a transaction and hands the
//! transaction to [`secure`], which, in that same transaction:
//! - gives the account a new security stamp, which voids what the account holds outside its
//!   own rows: a sign-in waiting for its code, a passkey ceremony, a device cookie (each carries
//!   the stamp it was made under);
//! - revokes the mailed links the event makes stale (a pending email change, reset and
//!   verification links);
//! - queues the notice to the account's address;
//!
//! then commits, announces the change to every instance, and ends the sessions the event ends.
//! The browser that made the change keeps its session (when the event keeps it) and gets a
//! fresh device cookie.
//!
//! The table of events and what each ends is [`Event::ends`]; `docs/security.md` shows it with
//! the test that pins each cell.

use tower_sessions::Session;

use super::{
    current::Authenticated,
    tokens::{self, Purpose},
    users::{self, User},
};
use crate::{
    error::AppError,
    server::{
        db::Tx,
        http::client::ClientInfo,
        mail::{Mail, compose},
        platform::state::AppState,
        sessions::service as sessions,
    },
};

/// A change to how an account proves who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The owner changed the password, knowing the current one.
    PasswordChanged,
    /// The password was set through a mailed reset link.
    PasswordReset,
    /// The owner signed out every other session.
    SignedOutOthers,
    /// Two-factor sign-in was turned on.
    SecondFactorOn,
    /// Two-factor sign-in was turned off by the owner.
    SecondFactorOff,
    /// A new set of recovery codes replaced the old one.
    RecoveryCodes,
    /// A passkey (named so) was added.
    PasskeyAdded(&'a str),
    /// A passkey (named so) was removed by the owner.
    PasskeyRemoved(&'a str),
    /// An identity at a provider (named so: "Google") was linked to the account.
    IdentityLinked(&'a str),
    /// The account moved from the address `old` to a new, proven one.
    EmailChanged { old: &'a str },
    /// The owner of the address took over a never-verified account (through a provider that
    /// proved the address, or a reset link): whatever its squatter set is gone.
    Claimed { through: Claim },
    /// An admin disabled the account.
    Disabled,
    /// An admin removed the account's second factor and passkeys.
    SecondFactorReset,
}

/// How a never-verified account was claimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// A provider (Google) proved the address.
    Provider,
    /// A password reset link sent to the address was used.
    ResetLink,
}

/// Which of the account's sessions an event ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionsEnd {
    /// None.
    Kept,
    /// All but the one that made the change (which gets a new id when the event rotates it).
    Others,
    /// Every one.
    All,
}

/// Which mailed links an event revokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinksEnd {
    Kept,
    /// Password reset links.
    Reset,
    /// Password reset and verification links.
    All,
}

/// What an event ends: one row of the table in `docs/security.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ends {
    pub sessions: SessionsEnd,
    pub links: LinksEnd,
    /// Every device cookie, the acting browser's too (otherwise the acting browser's is
    /// renewed and every other one ends).
    pub every_device: bool,
    // A pending email change, held sign-ins and passkey ceremonies end with every event: its
    // link is revoked, and the new stamp voids the others.
}

impl Event<'_> {
    /// What this event ends.
    ///
    /// # Security
    /// - Every event ends the sign-ins waiting for their code, passkey ceremonies and other
    ///   browsers' device cookies, and a pending email change: whoever started those before
    ///   the owner acted starts over under the new rules (SECURITY C1, C2).
    /// - An event that changes what proves the account (a password change, turning the second
    ///   factor on, removing a passkey, a completed email change) ends every other session; a
    ///   reset, a claim and an admin's disable or reset end every session.
    pub const fn ends(self) -> Ends {
        use LinksEnd as L;
        use SessionsEnd as S;
        let (sessions, links, every_device) = match self {
            Event::PasswordChanged => (S::Others, L::Reset, false),
            Event::PasswordReset => (S::All, L::All, true),
            Event::SignedOutOthers => (S::Others, L::Kept, false),
            Event::SecondFactorOn => (S::Others, L::Kept, false),
            Event::SecondFactorOff => (S::Kept, L::Kept, false),
            Event::RecoveryCodes => (S::Kept, L::Kept, false),
            Event::PasskeyAdded(_) => (S::Kept, L::Kept, false),
            Event::PasskeyRemoved(_) => (S::Others, L::Kept, false),
            Event::IdentityLinked(_) => (S::Kept, L::Kept, false),
            Event::EmailChanged { .. } => (S::Others, L::All, false),
            Event::Claimed { .. } => (S::All, L::All, true),
            // A disabled account's sessions are refused (403) and each ends with that answer;
            // enabling it again ends any left, so none comes back.
            Event::Disabled => (S::Kept, L::All, true),
            Event::SecondFactorReset => (S::All, L::Kept, true),
        };
        Ends {
            sessions,
            links,
            every_device,
        }
    }

    /// The notice the account's address gets (the old address, for an email change).
    fn notice(self, user: &User) -> Option<Mail> {
        let (to, name) = (user.email.as_str(), user.name.as_str());
        Some(match self {
            Event::PasswordChanged => compose::password_changed(to, name),
            Event::PasswordReset => compose::password_was_reset(to, name),
            Event::SignedOutOthers | Event::Disabled => return None,
            Event::SecondFactorOn => compose::second_factor_enabled(to, name),
            Event::SecondFactorOff => compose::second_factor_disabled(to, name),
            Event::RecoveryCodes => compose::recovery_codes_regenerated(to, name),
            Event::PasskeyAdded(passkey) => compose::passkey_added(to, name, passkey),
            Event::PasskeyRemoved(passkey) => compose::passkey_removed(to, name, passkey),
            Event::IdentityLinked(provider) => compose::identity_linked(to, name, provider),
            Event::EmailChanged { old } => compose::email_changed(old, name, to),
            Event::Claimed {
                through: Claim::Provider,
            } => compose::account_claimed(to, name),
            Event::Claimed {
                through: Claim::ResetLink,
            } => compose::account_claimed_by_reset(to, name),
            Event::SecondFactorReset => compose::second_factor_reset(to, name),
        })
    }
}

/// The browser that made the change, if the account's owner did, signed in on `session`.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    pub session: Option<&'a Session>,
    pub client: &'a ClientInfo,
}

impl<'a> Actor<'a> {
    /// The owner, signed in on `session`.
    pub fn owner(session: &'a Session, client: &'a ClientInfo) -> Self {
        Self {
            session: Some(session),
            client,
        }
    }

    /// Someone with no session of the account: a mailed link's user, an admin, a provider's
    /// callback before its sign-in.
    pub fn outsider(client: &'a ClientInfo) -> Self {
        Self {
            session: None,
            client,
        }
    }
}

/// "Sign out every other session": a sensitive action (it needs a recent sign-in), and a
/// credential event, so it also ends the sign-ins waiting for their code and a pending email
/// change. Returns how many sessions ended.
pub async fn sign_out_others(
    state: &AppState,
    me: &Authenticated,
    client: &ClientInfo,
) -> Result<u64, AppError> {
    let ended = sessions::end_others(state, me.owner(), &me.session, &me.auth, client).await?;
    let tx = state.db.begin().await?;
    let actor = Actor::owner(&me.session, client);
    secure(state, tx, me.user.id, Event::SignedOutOthers, actor).await?;
    Ok(ended)
}

/// Applies `event` to `user_id`'s account within `tx`, which holds the change itself, then
/// commits `tx` and ends what the event ends. Returns the account as it now is.
///
/// The acting browser's session, when the event keeps it, stays as it is; a caller that must
/// give it a new id (a password change) issues it afterwards.
pub async fn secure(
    state: &AppState,
    mut tx: Tx,
    user_id: i64,
    event: Event<'_>,
    actor: Actor<'_>,
) -> Result<User, AppError> {
    let ends = event.ends();
    let changed = users::renew_stamp(&mut tx, user_id).await?;
    let Some(user) = changed.peek().clone() else {
        return Err(AppError::not_found("User"));
    };
    let mut purposes = vec![Purpose::ChangeEmail];
    match ends.links {
        LinksEnd::Kept => {}
        LinksEnd::Reset => purposes.push(Purpose::ResetPassword),
        LinksEnd::All => purposes.extend([Purpose::ResetPassword, Purpose::VerifyEmail]),
    }
    for purpose in purposes {
        tokens::revoke(&mut tx, user_id, purpose).await?;
    }
    if let Some(notice) = event.notice(&user) {
        state.mailer.queue(&mut tx, &notice).await?;
    }
    let user = state
        .accounts()
        .commit(tx, changed)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::not_found("User"))?;
    state.mailer.wake();
    end_sessions(state, &user, ends.sessions, actor.session).await?;
    if !ends.every_device && actor.session.is_some() {
        // The browser that acted stays known to the account (SECURITY P9); every other one's
        // cookie carries the old stamp.
        state
            .devices
            .remember(&actor.client.device, user.id, &user.security_stamp);
    }
    Ok(user)
}

async fn end_sessions(
    state: &AppState,
    user: &User,
    end: SessionsEnd,
    acting: Option<&Session>,
) -> Result<(), AppError> {
    // Only a session of this account is kept as the actor's.
    let keep = match acting {
        Some(session) if own_session(session, user.id).await? => {
            sessions::current_handle(state, session)
        }
        _ => None,
    };
    match end {
        SessionsEnd::Kept => {}
        SessionsEnd::Others => {
            sessions::end_all_of(state, user.id, keep.as_deref()).await?;
        }
        SessionsEnd::All => {
            sessions::end_all_of(state, user.id, None).await?;
            if let Some(session) = acting.filter(|_| keep.is_some()) {
                sessions::end_current(state, session).await?;
            }
        }
    }
    Ok(())
}

async fn own_session(session: &Session, user_id: i64) -> Result<bool, AppError> {
    Ok(sessions::auth_of(session)
        .await?
        .is_some_and(|auth| auth.user_id == user_id))
}
