//! The gateway's database: tenants and users, in types both backends share.

diesel::table! {
    tenants (id) {
        id -> BigInt,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        user_name -> Text,
        password_hash -> Text,
        tenant_id -> BigInt,
        permissions -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        administered_tenants -> Text,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::allow_tables_to_appear_in_same_query!(tenants, users);
