//! The `users` table: the only module that runs SQL on it. Reads are open to the server; every
//! write returns a [`Changed`] and is reachable only through [`accounts`](super::accounts),
//! which announces it.

use sqlx::FromRow;
use tower_sessions::session_store::Error as StoreError;

use super::password::hashing::PasswordHash;
use crate::{
    domain::{AdminUserView, CurrentUser, DisplayName, Email, PageRequest},
    on_db, on_tx,
    server::{
        db::{
            Db, Tx,
            clock::{now, rfc3339},
        },
        sessions::store::Backend,
    },
};

/// A stored account.
#[derive(Clone, Debug, FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    password_hash: Option<String>,
    pub google_sub: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    /// Whether the address is proven: by the mailed link, a password reset, or Google.
    pub email_verified: bool,
    pub created_at: i64,
    /// Replaced by every credential event
    /// ([`credential_events`](super::credential_events)): what was made under an older stamp
    /// (a held sign-in, a passkey ceremony, a device cookie) is void.
    pub security_stamp: String,
}

const COLUMNS: &str = "id, email, name, password_hash, google_sub, is_admin, disabled, \
                       email_verified, created_at, security_stamp";

impl User {
    pub fn password_hash(&self) -> Option<PasswordHash> {
        self.password_hash.clone().map(PasswordHash::from_stored)
    }

    /// A fingerprint of how the account signs in (its password hash, its Google link, its
    /// address, its security stamp): a sign-in held for its second factor is void once any of
    /// them changes.
    pub fn credentials_stamp(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in [
            self.password_hash.as_deref().unwrap_or(""),
            self.google_sub.as_deref().unwrap_or(""),
            self.email.as_str(),
            self.security_stamp.as_str(),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hex::encode(&hasher.finalize()[..16])
    }

    /// The JSON the API returns for this user.
    pub fn to_current(&self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            is_admin: self.is_admin,
            has_password: self.password_hash.is_some(),
            has_google: self.google_sub.is_some(),
            email_verified: self.email_verified,
            created_at: rfc3339(self.created_at),
        }
    }
}

#[cfg(test)]
impl User {
    /// A user that exists only in memory.
    pub fn for_tests(id: i64, name: &str) -> Self {
        Self {
            id,
            email: format!("user{id}@example.com"),
            name: name.into(),
            password_hash: None,
            google_sub: None,
            is_admin: false,
            disabled: false,
            email_verified: false,
            created_at: 0,
            security_stamp: String::new(),
        }
    }
}

/// A committed change to a user row, holding the write's result.
///
/// Signed-in requests read users from each instance's [`UserCache`](super::user_cache::UserCache),
/// so the change has to be announced before anyone relies on it having happened: [`announce`]
/// replaces the users epoch and hands the result over. Every function here that writes a user
/// row returns one, so a write that is never announced does not compile cleanly.
///
/// [`announce`]: Changed::announce
#[must_use = "announce the change, or instances keep using their cached copy of the user"]
pub(super) struct Changed<T>(T);

impl<T> Changed<T> {
    /// The write's result, before the change is announced.
    pub(super) fn peek(&self) -> &T {
        &self.0
    }

    /// The write's result, for a change made in a transaction whose commit announces another
    /// change of the same user (a credential event's), which covers this one.
    pub(super) fn announced_later(self) -> T {
        self.0
    }

    /// Replaces the users epoch in the session store, then gives back the write's result.
    pub(super) async fn announce(self, sessions: &Backend) -> Result<T, StoreError> {
        sessions.announce_user_change().await?;
        Ok(self.0)
    }
}

impl User {
    /// The admin console's view of this user.
    pub fn to_admin_view(&self, session_count: u64) -> AdminUserView {
        AdminUserView {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            is_admin: self.is_admin,
            disabled: self.disabled,
            has_password: self.password_hash.is_some(),
            has_google: self.google_sub.is_some(),
            email_verified: self.email_verified,
            created_at: rfc3339(self.created_at),
            session_count,
        }
    }
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A new account.
pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a DisplayName,
    pub password_hash: Option<&'a PasswordHash>,
    pub google_sub: Option<&'a str>,
    pub is_admin: bool,
    /// Whether the address is already proven (Google said so).
    pub email_verified: bool,
}

pub(super) async fn create(tx: &mut Tx, new: NewUser<'_>) -> Result<User, CreateError> {
    let now = now();
    let sql = format!(
        "INSERT INTO users (email, name, password_hash, google_sub, is_admin, disabled, email_verified, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7, $7) RETURNING {COLUMNS}"
    );
    let hash = new.password_hash.map(PasswordHash::as_str);
    let created = on_tx!(tx, conn => sqlx::query_as::<_, User>(&sql)
        .bind(new.email.as_str())
        .bind(new.name.as_str())
        .bind(hash)
        .bind(new.google_sub)
        .bind(new.is_admin)
        .bind(new.email_verified)
        .bind(now)
        .fetch_one(conn)
        .await);
    created.map_err(|err| match &err {
        sqlx::Error::Database(db_err) if db_err.is_unique_violation() => CreateError::EmailTaken,
        _ => CreateError::Db(err),
    })
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    on_db!(db, pool => sqlx::query_as::<_, User>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn by_email(db: &Db, email: &Email) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    on_db!(db, pool => sqlx::query_as::<_, User>(&sql).bind(email.as_str()).fetch_optional(pool).await)
}

pub(super) async fn update_name(
    db: &Db,
    id: i64,
    name: &DisplayName,
) -> Result<Changed<Option<User>>, sqlx::Error> {
    let sql =
        format!("UPDATE users SET name = $1, updated_at = $2 WHERE id = $3 RETURNING {COLUMNS}");
    on_db!(db, pool => sqlx::query_as::<_, User>(&sql)
        .bind(name.as_str())
        .bind(now())
        .bind(id)
        .fetch_optional(pool)
        .await)
    .map(Changed)
}

pub(super) async fn set_password_hash(
    db: &Db,
    id: i64,
    hash: &PasswordHash,
) -> Result<Changed<()>, sqlx::Error> {
    on_db!(db, pool => sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash.as_str())
        .bind(now())
        .bind(id)
        .execute(pool)
        .await
        .map(|_| Changed(())))
}

/// Sets the password hash within `tx` (a password change, with its credential event).
pub(super) async fn set_password_hash_in(
    tx: &mut Tx,
    id: i64,
    hash: &PasswordHash,
) -> Result<Changed<()>, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash.as_str())
        .bind(now())
        .bind(id)
        .execute(conn)
        .await
        .map(|_| Changed(())))
}

/// Gives user `id` a new random security stamp within `tx`: the user as they now are, or
/// `None` when gone. Only [`credential_events`](super::credential_events) calls it.
pub(super) async fn renew_stamp(
    tx: &mut Tx,
    id: i64,
) -> Result<Changed<Option<User>>, sqlx::Error> {
    let stamp = hex::encode(rand::random::<[u8; 16]>());
    let sql = format!(
        "UPDATE users SET security_stamp = $1, updated_at = $2 WHERE id = $3 RETURNING {COLUMNS}"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, User>(&sql)
        .bind(stamp)
        .bind(now())
        .bind(id)
        .fetch_optional(conn)
        .await)
    .map(Changed)
}

/// User `id` as the transaction `tx` sees it, the row locked on PostgreSQL until `tx` ends.
pub(super) async fn lock(tx: &mut Tx, id: i64) -> Result<Option<User>, sqlx::Error> {
    let lock = match tx {
        Tx::Postgres(_) => " FOR UPDATE",
        Tx::Sqlite(_) => "",
    };
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1{lock}");
    on_tx!(tx, conn => sqlx::query_as::<_, User>(&sql).bind(id).fetch_optional(conn).await)
}

/// How a change to an account's access went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Changed,
    NoSuchUser,
    /// Refused: the account is the last enabled admin, and the change would leave none.
    LastAdmin,
}

/// Grants or removes the admin role within `tx`.
pub(super) async fn set_admin(
    tx: &mut Tx,
    id: i64,
    is_admin: bool,
) -> Result<Changed<Access>, sqlx::Error> {
    set_access(tx, id, "is_admin", is_admin, !is_admin).await
}

/// Disables or re-enables an account within `tx`.
pub(super) async fn set_disabled(
    tx: &mut Tx,
    id: i64,
    disabled: bool,
) -> Result<Changed<Access>, sqlx::Error> {
    set_access(tx, id, "disabled", disabled, disabled).await
}

/// Sets `column` (`is_admin` or `disabled`) of user `id`. A change that takes access away
/// (`guarded`) is made only if another enabled admin remains.
///
/// # Security
/// Two admins demoting (or disabling) each other at once must not leave nobody able to
/// administer: the check and the write are one statement, and on PostgreSQL such changes are
/// serialised by an advisory lock held until `tx` ends, so the second one sees the first.
async fn set_access(
    tx: &mut Tx,
    id: i64,
    column: &'static str,
    value: bool,
    guarded: bool,
) -> Result<Changed<Access>, sqlx::Error> {
    let guard = if guarded {
        " AND (NOT is_admin OR disabled OR EXISTS (SELECT 1 FROM users other \
           WHERE other.is_admin AND NOT other.disabled AND other.id <> $3))"
    } else {
        ""
    };
    if guarded && let Tx::Postgres(pg) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ADMIN_CHANGES_LOCK)
            .execute(&mut **pg)
            .await?;
    }
    // SQLite runs one write at a time: the statement's check and write cannot interleave with
    // another's.
    let sql = format!("UPDATE users SET {column} = $1, updated_at = $2 WHERE id = $3{guard}");
    let changed = on_tx!(tx, conn => sqlx::query(&sql)
        .bind(value)
        .bind(now())
        .bind(id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    if changed == 1 {
        return Ok(Changed(Access::Changed));
    }
    let exists: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(Changed(match exists {
        None => Access::NoSuchUser,
        Some(_) => Access::LastAdmin,
    }))
}

/// The PostgreSQL advisory lock that serialises changes taking admin access away.
const ADMIN_CHANGES_LOCK: i64 = 0x6761_7465_6164_6d6e; // "gateadmn"

/// Marks the address of user `id` as proven; the user as they now are, or `None` when gone.
pub(super) async fn mark_verified(
    tx: &mut Tx,
    id: i64,
) -> Result<Changed<Option<User>>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET email_verified = TRUE, updated_at = $1 WHERE id = $2 RETURNING {COLUMNS}"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, User>(&sql).bind(now()).bind(id).fetch_optional(conn).await)
        .map(Changed)
}

/// Sets the password after a reset through the mailed link, which also proves the address.
pub(super) async fn reset_password(
    tx: &mut Tx,
    id: i64,
    hash: &PasswordHash,
) -> Result<Changed<Option<User>>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET password_hash = $1, email_verified = TRUE, updated_at = $2 WHERE id = $3 \
         RETURNING {COLUMNS}"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, User>(&sql)
        .bind(hash.as_str())
        .bind(now())
        .bind(id)
        .fetch_optional(conn)
        .await)
    .map(Changed)
}

/// Moves user `id` to the (proven) address `email`: the user as they now are, `None` when gone,
/// or [`CreateError::EmailTaken`] when another account has it.
pub(super) async fn set_email(
    tx: &mut Tx,
    id: i64,
    email: &str,
) -> Result<Changed<Option<User>>, CreateError> {
    let sql = format!(
        "UPDATE users SET email = $1, email_verified = TRUE, updated_at = $2 WHERE id = $3 \
         RETURNING {COLUMNS}"
    );
    let changed = on_tx!(tx, conn => sqlx::query_as::<_, User>(&sql)
        .bind(email)
        .bind(now())
        .bind(id)
        .fetch_optional(conn)
        .await);
    changed.map(Changed).map_err(|err| match &err {
        sqlx::Error::Database(db_err) if db_err.is_unique_violation() => CreateError::EmailTaken,
        _ => CreateError::Db(err),
    })
}

/// Gives a never-verified password account to the Google identity that proved its address: the
/// link is made, the password goes, the address counts as verified. `None` when the account is
/// gone, already linked, or already verified (then it links the usual way).
pub(super) async fn claim_for_google(
    tx: &mut Tx,
    id: i64,
    sub: &str,
) -> Result<Changed<Option<User>>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET google_sub = $1, password_hash = NULL, email_verified = TRUE, \
         updated_at = $2 WHERE id = $3 AND google_sub IS NULL AND NOT email_verified \
         RETURNING {COLUMNS}"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, User>(&sql).bind(sub).bind(now()).bind(id).fetch_optional(conn).await)
        .map(Changed)
}

/// Deletes user `id` (their todos, session index rows and tokens go with them), unless they are
/// the last enabled admin.
pub(super) async fn delete(tx: &mut Tx, id: i64) -> Result<Changed<Access>, sqlx::Error> {
    if let Tx::Postgres(pg) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ADMIN_CHANGES_LOCK)
            .execute(&mut **pg)
            .await?;
    }
    let deleted = on_tx!(tx, conn => sqlx::query(
        "DELETE FROM users WHERE id = $1 AND (NOT is_admin OR disabled OR EXISTS (
             SELECT 1 FROM users other WHERE other.is_admin AND NOT other.disabled AND other.id <> $1))",
    )
    .bind(id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    if deleted == 1 {
        return Ok(Changed(Access::Changed));
    }
    let exists: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(Changed(match exists {
        None => Access::NoSuchUser,
        Some(_) => Access::LastAdmin,
    }))
}

pub async fn by_google_sub(db: &Db, sub: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE google_sub = $1");
    on_db!(db, pool => sqlx::query_as::<_, User>(&sql).bind(sub).fetch_optional(pool).await)
}

/// Links a Google account (by its `sub`) to an existing user that has none yet; `None` when the
/// user is gone or already linked.
pub(super) async fn link_google(
    tx: &mut Tx,
    id: i64,
    sub: &str,
) -> Result<Changed<Option<User>>, sqlx::Error> {
    let sql = format!(
        "UPDATE users SET google_sub = $1, updated_at = $2 WHERE id = $3 AND google_sub IS NULL \
         RETURNING {COLUMNS}"
    );
    on_tx!(tx, conn => sqlx::query_as::<_, User>(&sql).bind(sub).bind(now()).bind(id).fetch_optional(conn).await)
        .map(Changed)
}

/// One page of the users whose email or name contains `query` (any case), oldest first, and
/// how many match in all.
pub async fn search(
    db: &Db,
    query: &str,
    page: &PageRequest,
) -> Result<(Vec<User>, u64), sqlx::Error> {
    let pattern = format!("%{}%", like_escape(&query.trim().to_lowercase()));
    let filter = r"WHERE lower(email) LIKE $1 ESCAPE '\' OR lower(name) LIKE $1 ESCAPE '\'";
    let total: i64 = on_db!(db, pool => sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM users {filter}"
    ))
    .bind(&pattern)
    .fetch_one(pool)
    .await)?;
    let sql =
        format!("SELECT {COLUMNS} FROM users {filter} ORDER BY created_at, id LIMIT $2 OFFSET $3");
    let users = on_db!(db, pool => sqlx::query_as::<_, User>(&sql)
        .bind(&pattern)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(pool)
        .await)?;
    Ok((users, total.max(0) as u64))
}

/// The emails of the users `ids` that exist, by id.
pub async fn emails_of(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    // A page of events at most (100); ids are integers, never text.
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT id, email FROM users WHERE id IN ({list})");
    let rows: Vec<(i64, String)> = on_db!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    Ok(rows.into_iter().collect())
}

/// Escapes `%`, `_` and the escape character itself for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::like_escape;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(like_escape("plain"), "plain");
    }
}
