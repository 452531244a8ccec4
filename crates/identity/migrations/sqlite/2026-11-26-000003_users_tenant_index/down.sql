DROP INDEX users_tenant_id;
