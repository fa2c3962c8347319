-- Throttling counters for the embedded setup (src/server/identity/throttle.rs): one row per
-- counter, counting attempts until its fixed window ends. With Redis configured they live there.
CREATE TABLE throttle_counters (
    key TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX throttle_counters_expires_at ON throttle_counters (expires_at);
