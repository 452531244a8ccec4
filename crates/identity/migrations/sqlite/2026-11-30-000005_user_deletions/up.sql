-- Users being deleted (docs/consistency.md, I2): committed with the user's deactivation, taken
-- by one gateway replica at a time under a lease, and deleted with the user once both services
-- have confirmed their purge.
CREATE TABLE user_deletions (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    requested_at TIMESTAMP NOT NULL,
    lease_holder TEXT,
    lease_expires_at TIMESTAMP NOT NULL,
    profiles_purged BOOLEAN NOT NULL DEFAULT FALSE,
    registrations_purged BOOLEAN NOT NULL DEFAULT FALSE
);
-- "What is due", asked by every replica every few seconds.
CREATE INDEX user_deletions_lease_expires_at ON user_deletions (lease_expires_at);
