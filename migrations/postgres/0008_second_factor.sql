-- Two-factor sign-in (issue 19): an account's TOTP authenticator
-- (src/server/identity/second_factor/totp.rs) and its recovery codes
-- (src/server/identity/second_factor/recovery.rs).

-- One authenticator per account. The secret is sealed with secrets_key (never stored plain);
-- confirmed_at stays NULL until the first code proves the app holds it. last_step is the
-- newest 30-second step whose code was accepted: a code is taken by moving it forward, so a
-- code is accepted once (SECURITY M1).
CREATE TABLE totp_factors (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT NOT NULL DEFAULT 0
);

-- Single-use recovery codes; only a SHA-256 of each is kept (SECURITY M2).
CREATE TABLE recovery_codes (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    used_at   BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
