DROP TABLE deleted_owners;
