DROP TABLE connect_states;
ALTER TABLE oauth_profiles DROP COLUMN refresh_failed_at;
ALTER TABLE oauth_profiles DROP COLUMN refresh_lease_until;
ALTER TABLE oauth_profiles DROP COLUMN refresh_lease;
ALTER TABLE oauth_profiles DROP COLUMN token_version;
ALTER TABLE oauth_profiles DROP COLUMN status;
ALTER TABLE oauth_profiles DROP COLUMN expires_at;
