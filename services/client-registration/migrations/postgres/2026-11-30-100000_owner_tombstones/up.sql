-- Owners (users) whose rows were purged: an insert of their rows is refused from then on
-- (db::owners). User ids are never reused, so the rows stay.
CREATE TABLE deleted_owners (
    owner_id BIGINT PRIMARY KEY NOT NULL,
    deleted_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
