//! Mail that Gatehouse sends: composed here ([`compose`]), written to the outbox in the same
//! transaction as the change that causes it ([`outbox`]), and sent by a background worker on
//! every instance ([`sender`]). Without `smtp_url` it stays in the outbox, which
//! `/dev/mailbox` shows when `dev_mailbox` is on ([`dev_mailbox`]).
//!
//! # Delivery
//! At least once: a message is claimed by one instance for a while, sent, then marked sent. A
//! process that dies between the send and the mark leaves the claim to expire, and the message
//! goes again, with the same `Message-ID` (so mail clients show it once). A mail server that is
//! down loses nothing: the worker retries with a back-off of at most 30 seconds, `/readyz` stays
//! ready, and `/metrics` shows the backlog.

pub mod compose;
pub mod dev_mailbox;
pub mod outbox;
pub mod sender;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::server::{db::Tx, platform::config::Settings};

/// One mail: both parts, always.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What services need to send mail: where links point, and the outbox.
#[derive(Clone, Debug)]
pub struct Mailer {
    public_url: Arc<str>,
    /// The domain of `mail_from`, for `Message-ID`s.
    domain: Arc<str>,
    /// Wakes this instance's sender when a transaction that queued mail has committed.
    wake: Arc<Notify>,
}

impl Mailer {
    pub fn new(settings: &Settings) -> Self {
        let domain = settings
            .mail_from
            .parse::<lettre::message::Mailbox>()
            .map(|mailbox| mailbox.email.domain().to_owned())
            .unwrap_or_else(|_| "localhost".into());
        Self {
            public_url: settings.public_url().into(),
            domain: domain.into(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// `{public_url}{path}?token={token}`: a link for a mail.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    /// Queues `mail` in `tx`: it is sent once the transaction commits (and never if it does not).
    /// Call [`Mailer::wake`] after the commit.
    pub async fn queue(&self, tx: &mut Tx, mail: &Mail) -> Result<(), sqlx::Error> {
        let message_id = format!("<{}@{}>", uuid::Uuid::new_v4().simple(), self.domain);
        outbox::insert(tx, mail, &message_id).await
    }

    /// Queues `mail` in `tx`, commits `tx`, and wakes the sender: for a change whose only mail
    /// is this notice.
    pub async fn queue_and_commit(&self, mut tx: Tx, mail: &Mail) -> Result<(), sqlx::Error> {
        self.queue(&mut tx, mail).await?;
        tx.commit().await?;
        self.wake();
        Ok(())
    }

    /// Tells this instance's sender that mail is waiting (others find it within seconds).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
