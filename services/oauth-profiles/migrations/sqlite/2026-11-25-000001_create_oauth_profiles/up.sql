CREATE TABLE oauth_profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    owner_id BIGINT NOT NULL,
    owner_tenant_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    oauth_app_id BIGINT NOT NULL,
    description TEXT,
    access_token TEXT,
    refresh_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT oauth_profiles_owner_name_unique UNIQUE (owner_id, name)
);
CREATE INDEX oauth_profiles_oauth_app_id ON oauth_profiles (oauth_app_id);
