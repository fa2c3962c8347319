-- Credential events (issue 27): each account's security stamp
-- (src/server/identity/users.rs, changed only through src/server/identity/credential_events.rs).

-- A random value replaced by every credential event (a password change or reset, signing out
-- every other session, a second-factor or passkey change, a linked identity, an email change,
-- a claim, an admin's disable or reset). What an account holds outside its own rows carries
-- the stamp it was made under and is void once the stamp moves: a sign-in waiting for its
-- code, a passkey ceremony, a device cookie. Accounts from before start with the empty stamp.
ALTER TABLE users ADD COLUMN security_stamp TEXT NOT NULL DEFAULT '';
