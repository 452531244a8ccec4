CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT tenants_name_unique UNIQUE (name)
);
INSERT INTO tenants (id, name, description, created_at)
VALUES (1, 'system', 'The system tenant', CURRENT_TIMESTAMP);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    permissions TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT users_user_name_unique UNIQUE (user_name)
);
