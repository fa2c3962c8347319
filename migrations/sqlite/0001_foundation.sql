-- Secrets the server generates for itself on first start (shared by every instance through the
-- database), e.g. the key that hashes session ids before they reach the session store.
CREATE TABLE app_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);

-- The embedded session store, used when no REDIS_URL is set. `id` is a keyed hash of the
-- cookie's session id, never the id itself.
CREATE TABLE session_records (
    id         TEXT PRIMARY KEY NOT NULL,
    data       BLOB NOT NULL,
    expires_at INTEGER NOT NULL -- unix seconds
);
CREATE INDEX session_records_expires_at ON session_records (expires_at);
