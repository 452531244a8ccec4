DROP TABLE oauth2_consents;
DROP TABLE oauth2_tokens;
DROP TABLE oauth2_codes;
DROP TABLE oauth2_grants;
