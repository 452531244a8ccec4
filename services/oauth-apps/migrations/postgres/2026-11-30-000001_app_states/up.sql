-- docs/consistency.md, I1: an application being deleted or moved is fenced by its own token;
-- every existing application is live.
ALTER TABLE oauth_apps ADD COLUMN state TEXT NOT NULL DEFAULT 'live'
    CHECK (state IN ('live', 'deleting', 'moving'));
ALTER TABLE oauth_apps ADD COLUMN state_token TEXT;
ALTER TABLE oauth_apps ADD COLUMN state_since TIMESTAMP;
