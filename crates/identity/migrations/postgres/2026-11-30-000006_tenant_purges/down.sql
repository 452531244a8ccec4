DROP TABLE tenant_purges;
