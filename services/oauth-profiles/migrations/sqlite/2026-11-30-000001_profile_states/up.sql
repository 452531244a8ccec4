-- docs/consistency.md, I1: a profile is written pending before its application is checked,
-- and a new link is held in pending_app_id until then; every existing profile is active.
ALTER TABLE oauth_profiles ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('pending', 'active'));
ALTER TABLE oauth_profiles ADD COLUMN pending_app_id BIGINT;
ALTER TABLE oauth_profiles ADD COLUMN pending_since TIMESTAMP;
CREATE INDEX oauth_profiles_pending_app_id ON oauth_profiles (pending_app_id);
