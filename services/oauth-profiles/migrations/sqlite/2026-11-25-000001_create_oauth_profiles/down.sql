DROP TABLE oauth_profiles;
