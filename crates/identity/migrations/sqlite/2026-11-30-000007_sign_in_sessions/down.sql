DROP TABLE gateway_keys;
DROP TABLE sign_in_sessions;
