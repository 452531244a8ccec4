ALTER TABLE oauth_apps DROP COLUMN state_since;
ALTER TABLE oauth_apps DROP COLUMN state_token;
ALTER TABLE oauth_apps DROP COLUMN state;
