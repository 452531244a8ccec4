ALTER TABLE users ADD COLUMN administered_tenants TEXT NOT NULL DEFAULT '';
