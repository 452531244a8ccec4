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
