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
        expires_at -> Nullable<Timestamp>,
        status -> Text,
        token_version -> BigInt,
        refresh_lease -> Nullable<Text>,
        refresh_lease_until -> Nullable<Timestamp>,
        refresh_failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    connect_states (state_hash) {
        state_hash -> Text,
        owner_id -> BigInt,
        owner_tenant_id -> BigInt,
        oauth_app_id -> BigInt,
        name -> Text,
        description -> Nullable<Text>,
        redirect_uri -> Text,
        expires_at -> Timestamp,
    }
}
