DROP INDEX oauth_apps_tenant_id_id;
