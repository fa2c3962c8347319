//! The audit trail: sign-ins, failures, sign-outs, revocations and admin changes (SECURITY P7),
//! in the database for the admin console and in the log for collectors. Never holds secrets.

use super::{db::Db, users::now};
use crate::on_db;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    SignUp,
    SignIn,
    SignInFailed,
    SignInThrottled,
    SignOut,
    PasswordChanged,
    SessionRevoked,
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
            Kind::SessionRevoked => "session_revoked",
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
    tracing::info!(
        target: "audit",
        kind = event.kind.as_str(),
        user_id = event.user_id,
        email = event.email,
        ip = event.ip,
        detail = event.detail,
        "audit"
    );
    let stored = on_db!(db, pool => sqlx::query(
        "INSERT INTO audit_events (at, kind, user_id, email, ip, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now())
    .bind(event.kind.as_str())
    .bind(event.user_id)
    .bind(event.email)
    .bind(event.ip)
    .bind(event.detail)
    .execute(pool)
    .await
    .map(|_| ()));
    if let Err(err) = stored {
        tracing::warn!(error = %err, "could not store an audit event");
    }
}
