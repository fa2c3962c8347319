-- Passkeys (issue 19): an account's WebAuthn credentials
-- (src/server/identity/second_factor/passkeys.rs).

-- user_handle is the random 16-byte id the authenticator stores for the account (the same for
-- all of an account's passkeys; never the row id, so it says nothing about the account).
-- passkey is the verified credential as webauthn-rs keeps it (public key, algorithm, flags);
-- sign_count mirrors its signature counter so that taking a sign-in is one conditional UPDATE,
-- and last_challenge is the challenge of the newest sign-in it made, so one assertion signs in
-- once (SECURITY M4).
CREATE TABLE passkeys (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_handle    BYTEA NOT NULL,
    credential_id  BYTEA NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    passkey        TEXT NOT NULL,
    sign_count     BIGINT NOT NULL DEFAULT 0,
    last_challenge BYTEA,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);
