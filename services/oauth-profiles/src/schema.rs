//! The oauth-profiles database, in types both backends share.

diesel::table! {
    oauth_profiles (id) {
        id -> BigInt,
        owner_id -> BigInt,
        owner_tenant_id -> BigInt,
        name -> Text,
        oauth_app_id -> BigInt,
        description -> Nullable<Text>,
        access_token -> Nullable<Text>,
        refresh_token -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        state -> Text,
        pending_app_id -> Nullable<BigInt>,
        pending_since -> Nullable<Timestamp>,
    }
}
