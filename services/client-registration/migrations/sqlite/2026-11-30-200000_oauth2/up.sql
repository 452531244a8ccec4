-- The authorization server (issue 15). Codes and tokens are stored only as their keyed hash
-- (HashKey::hash, deterministic: the lookup key). Deleting an application deletes everything
-- below it through the foreign keys (PRAGMA foreign_keys=ON on every connection).

-- One authorization of an application by a user: what a code redemption or a password grant
-- started, and every refresh since. Revoking it deletes it and so its tokens.
CREATE TABLE oauth2_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    client_app_id BIGINT NOT NULL REFERENCES client_apps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    user_name TEXT,
    scope TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX oauth2_grants_client_app_id_idx ON oauth2_grants (client_app_id);
CREATE INDEX oauth2_grants_user_id_idx ON oauth2_grants (user_id, client_app_id);

CREATE TABLE oauth2_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code_hash TEXT NOT NULL,
    client_app_id BIGINT NOT NULL REFERENCES client_apps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    user_name TEXT,
    redirect_uri TEXT,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    -- The grant the code's one use started, revoked if the code is presented again.
    grant_id BIGINT REFERENCES oauth2_grants (id) ON DELETE SET NULL,
    CONSTRAINT oauth2_codes_code_hash_unique UNIQUE (code_hash)
);
CREATE INDEX oauth2_codes_client_app_id_idx ON oauth2_codes (client_app_id);
CREATE INDEX oauth2_codes_user_id_idx ON oauth2_codes (user_id);
CREATE INDEX oauth2_codes_grant_id_idx ON oauth2_codes (grant_id);
CREATE INDEX oauth2_codes_expires_at_idx ON oauth2_codes (expires_at);

-- Access and refresh tokens (kind 'access' or 'refresh').
CREATE TABLE oauth2_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    grant_id BIGINT NOT NULL REFERENCES oauth2_grants (id) ON DELETE CASCADE,
    client_app_id BIGINT NOT NULL REFERENCES client_apps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    scope TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    -- A refresh token's one use; presenting it again revokes its grant (past the grace).
    rotated_at TIMESTAMP,
    CONSTRAINT oauth2_tokens_token_hash_unique UNIQUE (token_hash)
);
CREATE INDEX oauth2_tokens_grant_id_idx ON oauth2_tokens (grant_id);
CREATE INDEX oauth2_tokens_client_app_id_idx ON oauth2_tokens (client_app_id);
CREATE INDEX oauth2_tokens_user_id_idx ON oauth2_tokens (user_id);
CREATE INDEX oauth2_tokens_expires_at_idx ON oauth2_tokens (expires_at);

-- Remembered consent: one row per (user, application, scope), so that remembering more
-- scopes is an insert that cannot lose a concurrent one.
CREATE TABLE oauth2_consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL,
    client_app_id BIGINT NOT NULL REFERENCES client_apps (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT oauth2_consents_unique UNIQUE (user_id, client_app_id, scope)
);
CREATE INDEX oauth2_consents_client_app_id_idx ON oauth2_consents (client_app_id);
