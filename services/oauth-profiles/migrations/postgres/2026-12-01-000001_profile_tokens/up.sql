-- Issue 16 (docs/connect.md): when the access token expires (NULL: unknown), whether the
-- provider still honours the refresh token, and the single-flight refresh: a lease taken in a
-- short statement before the provider is called, a version bumped by every stored refresh
-- (what waiters watch), and the time of the last failed refresh (the back-off of /token).
-- Every existing profile: expiry unknown, active, never refreshed.
ALTER TABLE oauth_profiles ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE oauth_profiles ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'reauthorization_required'));
ALTER TABLE oauth_profiles ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE oauth_profiles ADD COLUMN refresh_lease TEXT;
ALTER TABLE oauth_profiles ADD COLUMN refresh_lease_until TIMESTAMP;
ALTER TABLE oauth_profiles ADD COLUMN refresh_failed_at TIMESTAMP;

-- A connect flow under way: the state sent to the provider, stored as its SHA-256 only (the
-- PKCE verifier is derived from the state itself, so nothing here opens the flow), bound to
-- the caller, the application and the profile's name; used once, gone after 10 minutes.
CREATE TABLE connect_states (
    state_hash TEXT PRIMARY KEY NOT NULL,
    owner_id BIGINT NOT NULL,
    owner_tenant_id BIGINT NOT NULL,
    oauth_app_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    redirect_uri TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX connect_states_expires_at ON connect_states (expires_at);
CREATE INDEX connect_states_owner_id ON connect_states (owner_id);
