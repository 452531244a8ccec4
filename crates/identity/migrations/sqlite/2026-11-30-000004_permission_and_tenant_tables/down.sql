-- SQLite adds a NOT NULL column only with a default; the first migration had none on
-- permissions, which changes nothing for the code that wrote it.
ALTER TABLE users ADD COLUMN permissions TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN administered_tenants TEXT NOT NULL DEFAULT '';

UPDATE users SET
    permissions = COALESCE((
        SELECT string_agg(CAST(permission AS TEXT), ',' ORDER BY permission)
        FROM user_permissions WHERE user_permissions.user_id = users.id
    ), ''),
    administered_tenants = COALESCE((
        SELECT string_agg(CAST(tenant_id AS TEXT), ',' ORDER BY tenant_id)
        FROM user_administered_tenants WHERE user_administered_tenants.user_id = users.id
    ), '');

DROP TABLE user_administered_tenants;
DROP TABLE user_permissions;
