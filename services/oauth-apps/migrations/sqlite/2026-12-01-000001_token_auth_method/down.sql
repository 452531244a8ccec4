ALTER TABLE oauth_apps DROP COLUMN token_auth_method;
