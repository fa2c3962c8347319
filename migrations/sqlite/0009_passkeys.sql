-- Passkeys (issue 19): an account's WebAuthn credentials
-- (src/server/identity/second_factor/passkeys.rs).

-- user_handle is the random 16-byte id the authenticator stores for the account (the same for
-- all of an account's passkeys; never the row id, so it says nothing about the account).
-- passkey is the verified credential as webauthn-rs keeps it (public key, algorithm, flags);
-- sign_count mirrors its signature counter so that taking a sign-in is one conditional UPDATE,
-- and last_challenge is the challenge of the newest sign-in it made, so one assertion signs in
-- once (SECURITY M4).
CREATE TABLE passkeys (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_handle    BLOB NOT NULL,
    credential_id  BLOB NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    passkey        TEXT NOT NULL,
    sign_count     INTEGER NOT NULL DEFAULT 0,
    last_challenge BLOB,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
);
CREATE INDEX passkeys_user ON passkeys (user_id);
