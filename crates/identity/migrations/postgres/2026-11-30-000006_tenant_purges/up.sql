-- Deleted tenants whose OAuth applications oauth-apps has yet to purge (docs/consistency.md,
-- tenant deletion): committed with the tenant's deletion, taken by one gateway replica at a time
-- under a lease, and deleted once oauth-apps confirms the purge. No foreign key: the tenant's
-- row is already gone.
CREATE TABLE tenant_purges (
    tenant_id BIGINT PRIMARY KEY NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    lease_holder TEXT,
    lease_expires_at TIMESTAMP NOT NULL
);
CREATE INDEX tenant_purges_lease_expires_at ON tenant_purges (lease_expires_at);
