//! The audit trail: sign-ins, failures, sign-outs, revocations and admin changes (SECURITY P7),
//! in the database for the admin console and in the log for collectors. Never holds secrets.
//! Owns the `audit_events` table.

use crate::{
    domain::{AuditEvent, PageRequest},
    on_db, on_tx,
    server::db::{
        Db, Tx,
        clock::{now, rfc3339},
    },
};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    SignUp,
    SignIn,
    SignInFailed,
    SignInThrottled,
    SignOut,
    PasswordChanged,
    /// A password reset link was mailed (by request, or by an admin: then `actor_id`).
    PasswordResetSent,
    /// The password was set through a reset link.
    PasswordReset,
    /// A verification link was mailed again by an admin.
    VerificationSent,
    /// The address was proven through the mailed link.
    EmailVerified,
    /// The account moved to a new, proven address.
    EmailChanged,
    /// A Google identity that proved the address took over a never-verified password account.
    AccountClaimed,
    /// The account was deleted; its earlier rows keep no address.
    AccountDeleted,
    /// The user confirmed who they are again, for a sensitive action (step-up).
    Reauthenticated,
    /// Two-factor sign-in was turned on (the authenticator's first code was right).
    SecondFactorEnabled,
    /// Two-factor sign-in was turned off by the user.
    SecondFactorDisabled,
    /// An admin removed the user's second factor (`actor_id`), e.g. for a lost phone.
    SecondFactorReset,
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesRegenerated,
    /// A recovery code was used to sign in.
    RecoveryCodeUsed,
    /// A passkey was added (`detail`: its name).
    PasskeyAdded,
    /// A passkey was removed by its owner (`detail`: its name).
    PasskeyRemoved,
    /// One session ended by its user or an admin (`detail` says which and how many).
    SessionRevoked,
    UserDisabled,
    UserEnabled,
    AdminGranted,
    AdminRevoked,
    CustomerCreated,
    CustomerUpdated,
    CustomerDeleted,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SignUp => "sign_up",
            Kind::SignIn => "sign_in",
            Kind::SignInFailed => "sign_in_failed",
            Kind::SignInThrottled => "sign_in_throttled",
            Kind::SignOut => "sign_out",
            Kind::PasswordChanged => "password_changed",
            Kind::PasswordResetSent => "password_reset_sent",
            Kind::PasswordReset => "password_reset",
            Kind::VerificationSent => "verification_sent",
            Kind::EmailVerified => "email_verified",
            Kind::EmailChanged => "email_changed",
            Kind::AccountClaimed => "account_claimed",
            Kind::AccountDeleted => "account_deleted",
            Kind::Reauthenticated => "reauthenticated",
            Kind::SecondFactorEnabled => "second_factor_enabled",
            Kind::SecondFactorDisabled => "second_factor_disabled",
            Kind::SecondFactorReset => "second_factor_reset",
            Kind::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Kind::RecoveryCodeUsed => "recovery_code_used",
            Kind::PasskeyAdded => "passkey_added",
            Kind::PasskeyRemoved => "passkey_removed",
            Kind::SessionRevoked => "session_revoked",
            Kind::UserDisabled => "user_disabled",
            Kind::UserEnabled => "user_enabled",
            Kind::AdminGranted => "admin_granted",
            Kind::AdminRevoked => "admin_revoked",
            Kind::CustomerCreated => "customer_created",
            Kind::CustomerUpdated => "customer_updated",
            Kind::CustomerDeleted => "customer_deleted",
        }
    }
}

/// One event to record.
pub struct Event<'a> {
    pub kind: Kind,
    pub user_id: Option<i64>,
    pub email: Option<&'a str>,
    pub ip: &'a str,
    pub detail: &'a str,
}

/// Logs the event and stores it. A failure to store is logged, not raised: the action it
/// describes has already happened.
pub async fn record(db: &Db, event: Event<'_>) {
    record_by(db, None, event).await
}

/// [`record`] for an event one user (`actor_id`, an admin) caused to another.
pub async fn record_by(db: &Db, actor_id: Option<i64>, event: Event<'_>) {
    tracing::info!(
        target: "audit",
        kind = event.kind.as_str(),
        actor_id,
        user_id = event.user_id,
        email = event.email,
        ip = event.ip,
        detail = event.detail,
        "audit"
    );
    // PostgreSQL refuses NUL in text; what someone typed as an email may hold one.
    let email = event.email.map(|e| e.replace('\0', "\u{FFFD}"));
    let stored = on_db!(db, pool => sqlx::query(
        "INSERT INTO audit_events (at, kind, user_id, email, ip, detail, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now())
    .bind(event.kind.as_str())
    .bind(event.user_id)
    .bind(email)
    .bind(event.ip)
    .bind(event.detail)
    .bind(actor_id)
    .execute(pool)
    .await
    .map(|_| ()));
    if let Err(err) = stored {
        tracing::warn!(error = %err, "could not store an audit event");
    }
}

/// Every event about `user_id`, newest first (the user's own export).
pub async fn all_of(db: &Db, user_id: i64) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(
        "SELECT e.id, e.at, e.kind, e.user_id, e.email, e.ip, e.detail, e.actor_id
         FROM audit_events e WHERE e.user_id = $1 ORDER BY e.at DESC, e.id DESC",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// Before an account is deleted: its events keep what happened and when, but no longer who.
/// Rows about it lose the address (the user id goes with the account), and so do attempts that
/// named its address.
pub async fn anonymise(tx: &mut Tx, user_id: i64, email: &str) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE audit_events SET email = NULL WHERE user_id = $1 OR email = $2",
    )
    .bind(user_id)
    .bind(email)
    .execute(conn)
    .await
    .map(drop))
}

/// One page of the trail, newest first, optionally about one user only. The actors' emails are
/// left for the caller to fill in: they live in `users`, which this module does not read.
pub async fn page(
    db: &Db,
    user_id: Option<i64>,
    page: &PageRequest,
) -> Result<(Vec<AuditEvent>, u64), sqlx::Error> {
    let filter = "WHERE ($1 IS NULL OR e.user_id = $1)";
    let total: i64 = on_db!(db, pool => sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM audit_events e {filter}"
    ))
    .bind(user_id)
    .fetch_one(pool)
    .await)?;
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(&format!(
        "SELECT e.id, e.at, e.kind, e.user_id, e.email, e.ip, e.detail, e.actor_id
         FROM audit_events e
         {filter}
         ORDER BY e.at DESC, e.id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(user_id)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await)?;
    Ok((
        rows.into_iter().map(AuditEvent::from).collect(),
        total as u64,
    ))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: i64,
    kind: String,
    user_id: Option<i64>,
    email: Option<String>,
    ip: Option<String>,
    detail: String,
    actor_id: Option<i64>,
}

impl From<Row> for AuditEvent {
    fn from(row: Row) -> Self {
        AuditEvent {
            id: row.id,
            at: rfc3339(row.at),
            kind: row.kind,
            user_id: row.user_id,
            email: row.email,
            actor_id: row.actor_id,
            actor_email: None,
            ip: row.ip.unwrap_or_default(),
            detail: row.detail,
        }
    }
}
