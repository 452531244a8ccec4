DROP INDEX client_apps_owner_id_id;
