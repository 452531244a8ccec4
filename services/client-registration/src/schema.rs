//! The client-registration database, in types both backends share.

diesel::table! {
    client_apps (id) {
        id -> BigInt,
        owner_id -> BigInt,
        owner_tenant_id -> BigInt,
        name -> Text,
        description -> Nullable<Text>,
        redirect_urls -> Text,
        client_id -> Text,
        client_secret_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// An authorization of an application by a user (a code redemption or a password grant)
    /// and every refresh since; revoking one deletes it, and its tokens with it.
    oauth2_grants (id) {
        id -> BigInt,
        client_app_id -> BigInt,
        user_id -> BigInt,
        user_name -> Nullable<Text>,
        scope -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Authorization codes, by their keyed hash.
    oauth2_codes (id) {
        id -> BigInt,
        code_hash -> Text,
        client_app_id -> BigInt,
        user_id -> BigInt,
        user_name -> Nullable<Text>,
        redirect_uri -> Nullable<Text>,
        scope -> Text,
        code_challenge -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        grant_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Access and refresh tokens, by their keyed hash.
    oauth2_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        kind -> Text,
        grant_id -> BigInt,
        client_app_id -> BigInt,
        user_id -> BigInt,
        scope -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Remembered consent: one row per user, application and scope.
    oauth2_consents (id) {
        id -> BigInt,
        user_id -> BigInt,
        client_app_id -> BigInt,
        scope -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(oauth2_grants -> client_apps (client_app_id));
diesel::joinable!(oauth2_tokens -> oauth2_grants (grant_id));
diesel::joinable!(oauth2_consents -> client_apps (client_app_id));

diesel::allow_tables_to_appear_in_same_query!(
    client_apps,
    oauth2_grants,
    oauth2_codes,
    oauth2_tokens,
    oauth2_consents,
);
