CREATE TABLE oauth_apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    tenant_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    data_store BIGINT NOT NULL,
    description TEXT,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    authorize_uri TEXT NOT NULL,
    token_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT oauth_apps_tenant_name_unique UNIQUE (tenant_id, name)
);
