-- Owning an email address (issue 18): whether the account's address is verified, the one-time
-- tokens that mails carry (src/server/identity/tokens.rs), and the outbox mails are sent from
-- (src/server/mail/outbox.rs).

-- Accounts Google vouched for count as verified; password accounts from before did not prove
-- their address and start unverified.
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET email_verified = TRUE WHERE google_sub IS NOT NULL;

-- Verification, password reset and email change links. Only a SHA-256 of the token is kept.
CREATE TABLE email_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,     -- verify_email, reset_password, change_email
    new_email  TEXT,              -- the address an email change moves to
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER            -- set when consumed or revoked
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

-- Mail waiting to be sent, written in the transaction of the change that causes it.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT NOT NULL UNIQUE,  -- the Message-ID header, the same on every try
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER,               -- an instance is sending it until then
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);
