-- The users epoch: a value replaced whenever a user row changes, read with every session load so
-- each instance knows whether its cached users are still current (src/server/user_cache.rs).
CREATE TABLE app_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO app_counters (name, value) VALUES ('users_epoch', 0);
