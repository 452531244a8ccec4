ALTER TABLE users DROP COLUMN administered_tenants;
