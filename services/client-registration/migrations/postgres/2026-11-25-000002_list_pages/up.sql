CREATE INDEX client_apps_owner_id_id ON client_apps (owner_id, id);
