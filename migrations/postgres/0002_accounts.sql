-- Accounts, their todos, the index of their sessions, and the audit trail.
-- Timestamps are unix seconds (UTC) on both backends.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    name          TEXT NOT NULL,
    password_hash TEXT,            -- argon2id PHC string; NULL for Google-only accounts
    google_sub    TEXT UNIQUE,     -- Google's stable account id, once linked
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE todos (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    done       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX todos_user_id ON todos (user_id, id);

-- One row per signed-in session, for listing and revoking them. `handle` is the keyed hash the
-- session store keys on, never the cookie's id.
CREATE TABLE user_sessions (
    handle       TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX user_sessions_user_id ON user_sessions (user_id, expires_at);

CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,     -- sign_in, sign_in_failed, sign_out, …
    user_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    email      TEXT,
    ip         TEXT,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at DESC);
