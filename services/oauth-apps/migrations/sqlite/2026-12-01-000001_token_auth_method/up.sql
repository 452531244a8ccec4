-- Issue 16: how this system authenticates at the application's tokenURI. NULL (every existing
-- application) means client_secret_post, the default.
ALTER TABLE oauth_apps ADD COLUMN token_auth_method TEXT
    CHECK (token_auth_method IN ('client_secret_post', 'client_secret_basic'));
