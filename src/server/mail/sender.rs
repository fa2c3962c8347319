//! The background sender: on every instance, claims due messages from the outbox one at a time
//! and sends them over SMTP with lettre, retrying failures with a capped back-off.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};
use tokio::sync::Notify;

use super::outbox::{self, Stored};
use crate::server::{
    db::Db,
    platform::config::{Settings, SmtpSecurity, smtp_scheme},
};

/// How long a claimed message is this instance's to send; longer than any one send takes.
const LEASE_SECS: i64 = 60;
/// How often the outbox is looked at when nothing wakes the sender.
const POLL: Duration = Duration::from_secs(2);
/// The longest wait between two tries of one message.
const MAX_BACKOFF_SECS: i64 = 30;
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The wait before the next try of a message tried `attempts` times: 1, 2, 4, … 30 seconds.
pub fn backoff_secs(attempts: i64) -> i64 {
    let exponent = attempts.clamp(1, 6) - 1;
    (1_i64 << exponent).min(MAX_BACKOFF_SECS)
}

/// Sends the outbox's mail through `smtp_url`, if it is set, until the process ends.
pub fn spawn(settings: &Settings, db: Db, wake: Arc<Notify>) -> anyhow::Result<()> {
    let Some(url) = &settings.smtp_url else {
        tracing::info!("no smtp_url: mail stays in the outbox");
        return Ok(());
    };
    let transport = transport(url.expose())?;
    let from: Mailbox = settings.mail_from.parse().context("parsing mail_from")?;
    let retention_secs = settings.mail_retention_secs;
    tokio::spawn(async move {
        loop {
            drain(&db, &transport, &from).await;
            match outbox::purge_sent(&db, retention_secs).await {
                Ok(0) => {}
                Ok(purged) => tracing::debug!(purged, "deleted sent mail past its retention"),
                Err(err) => tracing::warn!(error = %err, "could not purge sent mail"),
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
    Ok(())
}

/// Sends every message that is due now.
async fn drain(db: &Db, transport: &AsyncSmtpTransport<Tokio1Executor>, from: &Mailbox) {
    loop {
        let message = match outbox::claim(db, LEASE_SECS).await {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the mail outbox");
                return;
            }
        };
        let outcome = match build(&message, from) {
            Ok(email) => transport
                .send(email)
                .await
                .map(drop)
                .map_err(|err| err.to_string()),
            Err(err) => Err(format!("{err:#}")),
        };
        let recorded = match outcome {
            Ok(()) => outbox::mark_sent(db, message.id).await,
            Err(error) => {
                let delay = backoff_secs(message.attempts);
                tracing::warn!(
                    message_id = %message.message_id,
                    attempts = message.attempts,
                    retry_in_secs = delay,
                    %error,
                    "could not send a mail"
                );
                outbox::retry_later(db, message.id, delay, &error).await
            }
        };
        if let Err(err) = recorded {
            // The lease runs out and the message is tried again: at least once, never lost.
            tracing::warn!(error = %err, "could not record a mail's outcome");
        }
    }
}

fn build(message: &Stored, from: &Mailbox) -> anyhow::Result<Message> {
    Message::builder()
        .from(from.clone())
        .to(message.recipient.parse().context("the recipient")?)
        .subject(&message.subject)
        .message_id(Some(message.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            message.text_body.clone(),
            message.html_body.clone(),
        ))
        .context("building the message")
}

/// The SMTP transport `smtp_url` describes (see [`smtp_scheme`]).
fn transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let security = smtp_scheme(url).context("smtp_url")?;
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (credentials, address) = match rest.rsplit_once('@') {
        Some((credentials, address)) => (Some(credentials), address),
        None => (None, rest),
    };
    let address = address.trim_end_matches('/');
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => (
            host,
            Some(port.parse::<u16>().context("the smtp_url port")?),
        ),
        None => (address, None),
    };
    let builder = match security {
        SmtpSecurity::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
    };
    let mut builder = builder.timeout(Some(SMTP_TIMEOUT));
    if let Some(port) = port {
        builder = builder.port(port);
    }
    if let Some(credentials) = credentials {
        let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
        builder = builder.credentials(Credentials::new(
            percent_decode(user),
            percent_decode(password),
        ));
    }
    Ok(builder.build())
}

/// Undoes the percent-encoding a URL's user and password may carry (`p%40ss` is `p@ss`).
fn percent_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).and_then(|b| hex(*b)),
            bytes.get(i + 2).and_then(|b| hex(*b)),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_thirty_seconds() {
        let waits: Vec<i64> = (1..=8).map(backoff_secs).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn each_smtp_url_form_builds_a_transport() {
        for url in [
            "smtp://127.0.0.1:1025",
            "smtp+starttls://user:p%40ss@mail.example.com:587",
            "smtps://user:secret@mail.example.com:465",
            "smtps://mail.example.com",
        ] {
            assert!(transport(url).is_ok(), "{url}");
        }
        assert!(transport("smtp://host:notaport").is_err());
        assert_eq!(percent_decode("p%40ss%2"), "p@ss%2");
    }
}
