CREATE INDEX oauth_apps_tenant_id_id ON oauth_apps (tenant_id, id);
