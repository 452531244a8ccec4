CREATE INDEX users_tenant_id ON users (tenant_id);
