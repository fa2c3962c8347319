//! Every change to an account, together with its announcement: the one door to the writes in
//! [`users`], for the JSON handlers, the HTML forms, the command line and the server functions
//! alike.
//!
//! # Security
//! Signed-in requests read users from each instance's cache, valid while the users epoch is
//! unchanged ([`user_cache`](super::user_cache)). Each method here writes the row and then
//! replaces the epoch, so a disabled account, a removed role or a new password holds on the
//! very next request on every instance (SECURITY S7). No adapter can write a user and forget to
//! announce it: the writes are private to [`identity`](super).

use tower_sessions::session_store::Error as StoreError;

use super::{
    password::hashing::PasswordHash,
    user_cache,
    users::{self, Access, CreateError, NewUser, User},
};
use crate::{
    domain::DisplayName,
    error::AppError,
    server::{
        db::{Db, Tx},
        sessions::store::Backend,
    },
};

/// Why an account change failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the last enabled admin cannot lose admin access")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// The change is saved, but the other instances could not be told.
    #[error("the change is saved but could not be announced: {0}")]
    Unannounced(StoreError),
}

impl From<AccountError> for AppError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::EmailTaken => {
                AppError::conflict("An account with this email already exists.")
            }
            AccountError::LastAdmin => AppError::conflict(
                "This is the last enabled administrator: make someone else an admin first.",
            ),
            AccountError::Db(err) => err.into(),
            AccountError::Unannounced(err) => {
                tracing::error!(
                    error = %err,
                    max_age_secs = user_cache::MAX_AGE.as_secs(),
                    "a user change is saved but could not be announced; other requests may use \
                     the old row until their cached copy reaches its maximum age"
                );
                AppError::unavailable("The session store")
            }
        }
    }
}

impl From<CreateError> for AccountError {
    fn from(err: CreateError) -> Self {
        match err {
            CreateError::EmailTaken => AccountError::EmailTaken,
            CreateError::Db(err) => AccountError::Db(err),
        }
    }
}

/// `true` when the change was made, `false` when there is no such user, and
/// [`AccountError::LastAdmin`] when it would leave no enabled admin.
pub fn access(outcome: Access) -> Result<bool, AccountError> {
    match outcome {
        Access::Changed => Ok(true),
        Access::NoSuchUser => Ok(false),
        Access::LastAdmin => Err(AccountError::LastAdmin),
    }
}

/// The accounts of one database, announced through one session store.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    db: &'a Db,
    sessions: &'a Backend,
}

impl<'a> Accounts<'a> {
    pub fn new(db: &'a Db, sessions: &'a Backend) -> Self {
        Self { db, sessions }
    }

    async fn announce<T>(&self, changed: users::Changed<T>) -> Result<T, AccountError> {
        changed
            .announce(self.sessions)
            .await
            .map_err(AccountError::Unannounced)
    }

    /// Creates an account. Nothing to announce: no instance has cached a user that did not
    /// exist (ids are never reused).
    pub async fn create(&self, new: NewUser<'_>) -> Result<User, AccountError> {
        let mut tx = self.db.begin().await?;
        let user = Self::create_in(&mut tx, new).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Creates an account within `tx`, with whatever else must happen with it (the
    /// verification mail).
    pub async fn create_in(tx: &mut Tx, new: NewUser<'_>) -> Result<User, AccountError> {
        users::create(tx, new).await.map_err(AccountError::from)
    }

    /// Commits `tx`, which made `changed`, then announces the change.
    pub(super) async fn commit<T>(
        &self,
        tx: Tx,
        changed: users::Changed<T>,
    ) -> Result<T, AccountError> {
        tx.commit().await?;
        self.announce(changed).await
    }

    /// Gives a never-verified password account to the Google identity `sub` within `tx` (see
    /// [`users::claim_for_google`]); `None` when it is not such an account. The claim's
    /// credential event announces it.
    pub async fn claim_for_google_in(
        tx: &mut Tx,
        id: i64,
        sub: &str,
    ) -> Result<Option<User>, AccountError> {
        Ok(users::claim_for_google(tx, id, sub)
            .await?
            .announced_later())
    }

    /// Changes the display name; `None` when no such user exists.
    pub async fn rename(&self, id: i64, name: &DisplayName) -> Result<Option<User>, AccountError> {
        let changed = users::update_name(self.db, id, name).await?;
        self.announce(changed).await
    }

    pub async fn set_password(&self, id: i64, hash: &PasswordHash) -> Result<(), AccountError> {
        let changed = users::set_password_hash(self.db, id, hash).await?;
        self.announce(changed).await
    }

    /// Sets the password within `tx`, which then goes to its credential event
    /// ([`credential_events::secure`](super::credential_events::secure)), whose commit
    /// announces it.
    pub async fn set_password_in(
        tx: &mut Tx,
        id: i64,
        hash: &PasswordHash,
    ) -> Result<(), AccountError> {
        users::set_password_hash_in(tx, id, hash)
            .await?
            .announced_later();
        Ok(())
    }

    /// Moves user `id` to the proven address `email` within `tx`: `false` when the user is
    /// gone, [`AccountError::EmailTaken`] when another account has it. The credential event's
    /// commit announces it.
    pub async fn set_email_in(tx: &mut Tx, id: i64, email: &str) -> Result<bool, AccountError> {
        let changed = users::set_email(tx, id, email).await?;
        Ok(changed.announced_later().is_some())
    }

    /// User `id` within `tx`, locked on PostgreSQL until `tx` ends.
    pub async fn lock_in(tx: &mut Tx, id: i64) -> Result<Option<User>, AccountError> {
        Ok(users::lock(tx, id).await?)
    }

    /// Sets the password through a reset link within `tx` (which proves the address); the
    /// credential event's commit announces it.
    pub async fn reset_password_in(
        tx: &mut Tx,
        id: i64,
        hash: &PasswordHash,
    ) -> Result<(), AccountError> {
        users::reset_password(tx, id, hash).await?.announced_later();
        Ok(())
    }

    /// Grants or removes the admin role; `false` when no such user exists. Removing it from
    /// the last enabled admin is refused ([`AccountError::LastAdmin`]).
    pub async fn set_admin(&self, id: i64, is_admin: bool) -> Result<bool, AccountError> {
        let mut tx = self.db.begin().await?;
        let changed = users::set_admin(&mut tx, id, is_admin).await?;
        access(self.commit(tx, changed).await?)
    }

    /// Disables or re-enables an account; `false` when no such user exists. Disabling the last
    /// enabled admin is refused ([`AccountError::LastAdmin`]).
    pub async fn set_disabled(&self, id: i64, disabled: bool) -> Result<bool, AccountError> {
        let mut tx = self.db.begin().await?;
        let changed = users::set_disabled(&mut tx, id, disabled).await?;
        access(self.commit(tx, changed).await?)
    }

    /// Disables an account within `tx`, which then goes to the credential event
    /// ([`credential_events::secure`](super::credential_events::secure)) whose commit announces
    /// it. As [`Accounts::set_disabled`] otherwise.
    pub async fn disable_in(tx: &mut Tx, id: i64) -> Result<bool, AccountError> {
        access(users::set_disabled(tx, id, true).await?.announced_later())
    }

    /// Links a Google account (by its `sub`) to a user that has none, within `tx`; `None` when
    /// no such unlinked user exists. The link's credential event announces it.
    pub async fn link_google_in(
        tx: &mut Tx,
        id: i64,
        sub: &str,
    ) -> Result<Option<User>, AccountError> {
        Ok(users::link_google(tx, id, sub).await?.announced_later())
    }
}
