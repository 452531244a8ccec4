DROP TABLE client_apps;
