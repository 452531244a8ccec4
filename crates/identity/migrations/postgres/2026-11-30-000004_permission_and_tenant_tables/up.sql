-- A user's permissions and administered tenants, one row each, in place of the comma-separated
-- text columns: the database now knows which tenants are referenced, and deleting a user or a
-- tenant takes its rows along.
CREATE TABLE user_permissions (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission BIGINT NOT NULL,
    PRIMARY KEY (user_id, permission)
);
-- "Who holds Administrator", asked by every change that could remove the last one.
CREATE INDEX user_permissions_permission ON user_permissions (permission);

CREATE TABLE user_administered_tenants (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, tenant_id)
);
-- For the cascade when a tenant is deleted.
CREATE INDEX user_administered_tenants_tenant_id ON user_administered_tenants (tenant_id);

-- The old columns held ids joined by commas; anything that is not a number is skipped (as the
-- old reader did), and so is a tenant that no longer exists.
INSERT INTO user_permissions (user_id, permission)
SELECT DISTINCT users.id, CAST(trim(item) AS BIGINT)
FROM users, unnest(string_to_array(users.permissions, ',')) AS item
WHERE trim(item) ~ '^[0-9]{1,18}$';

INSERT INTO user_administered_tenants (user_id, tenant_id)
SELECT DISTINCT users.id, tenants.id
FROM users, unnest(string_to_array(users.administered_tenants, ',')) AS item, tenants
WHERE trim(item) ~ '^[0-9]{1,18}$' AND tenants.id = CAST(trim(item) AS BIGINT);

ALTER TABLE users DROP COLUMN permissions;
ALTER TABLE users DROP COLUMN administered_tenants;
