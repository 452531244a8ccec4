CREATE TABLE client_apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    owner_id BIGINT NOT NULL,
    owner_tenant_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    redirect_urls TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT client_apps_owner_name_unique UNIQUE (owner_id, name),
    CONSTRAINT client_apps_client_id_unique UNIQUE (client_id)
);
CREATE INDEX client_apps_owner_id_idx ON client_apps (owner_id);
