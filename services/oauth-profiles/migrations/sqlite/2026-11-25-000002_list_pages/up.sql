CREATE INDEX oauth_profiles_owner_id_id ON oauth_profiles (owner_id, id);
