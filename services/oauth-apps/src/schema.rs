//! The oauth-apps database, in types both backends share.

diesel::table! {
    oauth_apps (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        name -> Text,
        data_store -> BigInt,
        description -> Nullable<Text>,
        client_id -> Text,
        client_secret -> Text,
        authorize_uri -> Text,
        token_uri -> Text,
        scope -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        state -> Text,
        state_token -> Nullable<Text>,
        state_since -> Nullable<Timestamp>,
        token_auth_method -> Nullable<Text>,
    }
}
