-- Tenants whose applications were purged after the tenant's deletion: an application can no
-- longer be created in (or moved to) such a tenant (db::owners). Tenant ids are never reused,
-- so the rows stay.
CREATE TABLE deleted_tenants (
    tenant_id BIGINT PRIMARY KEY NOT NULL,
    deleted_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
