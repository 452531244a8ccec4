-- Sign-in sessions of the authorization server's pages (gateway/src/oauth2/sessions.rs): the
-- session id (32 random bytes) is kept only as a keyed hash; `password_stamp` is a keyed hash
-- of the user's password hash at sign-in, so that a password change ends the session; a deleted
-- user's sessions go with them. Expired rows are purged by the gateway's background worker.
CREATE TABLE sign_in_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_stamp TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_sessions_expires_at ON sign_in_sessions (expires_at);
CREATE INDEX sign_in_sessions_user_id ON sign_in_sessions (user_id);
-- Keys every gateway replica shares and that survive restarts (the sessions' hash key and the
-- CSRF key): made by the first replica that needs one, read by all.
CREATE TABLE gateway_keys (
    name TEXT PRIMARY KEY NOT NULL,
    key_value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
