-- Who did it, for events one user does to another (an admin disabling an account, ending its
-- sessions, editing a customer); NULL when the subject acted themself.
ALTER TABLE audit_events ADD COLUMN actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX audit_events_user_id ON audit_events (user_id, at);
CREATE INDEX users_created_at ON users (created_at, id);
