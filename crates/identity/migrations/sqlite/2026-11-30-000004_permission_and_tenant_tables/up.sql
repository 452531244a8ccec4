-- A user's permissions and administered tenants, one row each, in place of the comma-separated
-- text columns: the database now knows which tenants are referenced, and deleting a user or a
-- tenant takes its rows along (foreign_keys is on for every connection).
CREATE TABLE user_permissions (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission BIGINT NOT NULL,
    PRIMARY KEY (user_id, permission)
) WITHOUT ROWID;
-- "Who holds Administrator", asked by every change that could remove the last one.
CREATE INDEX user_permissions_permission ON user_permissions (permission);

CREATE TABLE user_administered_tenants (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, tenant_id)
) WITHOUT ROWID;
-- For the cascade when a tenant is deleted.
CREATE INDEX user_administered_tenants_tenant_id ON user_administered_tenants (tenant_id);

-- The old columns held ids joined by commas: a recursive query splits both into a temporary
-- table. Anything that is not a number is skipped (as the old reader did), and so is a tenant
-- that no longer exists.
CREATE TEMP TABLE carried_ids AS
WITH RECURSIVE split (user_id, list, item, rest) AS (
    SELECT id, 'permissions', '', permissions || ',' FROM users
    UNION ALL
    SELECT id, 'tenants', '', administered_tenants || ',' FROM users
    UNION ALL
    SELECT user_id, list, trim(substr(rest, 1, instr(rest, ',') - 1)),
           substr(rest, instr(rest, ',') + 1)
    FROM split WHERE rest <> ''
)
SELECT DISTINCT user_id, list, CAST(item AS INTEGER) AS id FROM split
WHERE item <> '' AND item NOT GLOB '*[^0-9]*' AND length(item) <= 18;

INSERT INTO user_permissions (user_id, permission)
SELECT user_id, id FROM carried_ids WHERE list = 'permissions';
INSERT INTO user_administered_tenants (user_id, tenant_id)
SELECT user_id, id FROM carried_ids WHERE list = 'tenants' AND id IN (SELECT id FROM tenants);
DROP TABLE carried_ids;

ALTER TABLE users DROP COLUMN permissions;
ALTER TABLE users DROP COLUMN administered_tenants;
