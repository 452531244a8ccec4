//! The identity tables, in types both backends share.

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
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One row per permission a user holds.
    user_permissions (user_id, permission) {
        user_id -> BigInt,
        permission -> BigInt,
    }
}

diesel::table! {
    /// One row per tenant a user administers (besides the one they belong to).
    user_administered_tenants (user_id, tenant_id) {
        user_id -> BigInt,
        tenant_id -> BigInt,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(user_permissions -> users (user_id));
diesel::joinable!(user_administered_tenants -> users (user_id));
diesel::joinable!(user_administered_tenants -> tenants (tenant_id));
diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    users,
    user_permissions,
    user_administered_tenants,
    user_deletions
);

diesel::table! {
    /// A user being deleted: the work, who holds it until when, and which purges are done.
    user_deletions (user_id) {
        user_id -> BigInt,
        requested_at -> Timestamp,
        lease_holder -> Nullable<Text>,
        lease_expires_at -> Timestamp,
        profiles_purged -> Bool,
        registrations_purged -> Bool,
    }
}

diesel::joinable!(user_deletions -> users (user_id));

diesel::table! {
    /// A deleted tenant whose OAuth applications are yet to be purged: who holds the work until
    /// when.
    tenant_purges (tenant_id) {
        tenant_id -> BigInt,
        requested_at -> Timestamp,
        lease_holder -> Nullable<Text>,
        lease_expires_at -> Timestamp,
    }
}

diesel::table! {
    /// A sign-in session of the authorization server's pages: a keyed hash of its id, whose it
    /// is, a keyed hash of their password hash at sign-in, and until when.
    sign_in_sessions (id_hash) {
        id_hash -> Text,
        user_id -> BigInt,
        password_stamp -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(sign_in_sessions -> users (user_id));

diesel::table! {
    /// Keys the gateway replicas share (base64url), by name.
    gateway_keys (name) {
        name -> Text,
        key_value -> Text,
        created_at -> Timestamp,
    }
}
