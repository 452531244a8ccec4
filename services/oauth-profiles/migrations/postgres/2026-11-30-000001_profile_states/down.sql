DROP INDEX oauth_profiles_pending_app_id;
ALTER TABLE oauth_profiles DROP COLUMN pending_since;
ALTER TABLE oauth_profiles DROP COLUMN pending_app_id;
ALTER TABLE oauth_profiles DROP COLUMN state;
