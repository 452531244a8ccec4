//! The request shapes of the gateway's own API (tenants, users) and health, described for the
//! document only (the answers are `identity::views`), with the rules of `docs/api.md` (lengths, patterns, what
//! is required). The services' shapes are their client crates' types, the field rules
//! `api_common::fields::schema`'s.

use api_common::fields::schema::{self, IdInput};
use identity::views::{PASSWORD_MAX, PASSWORD_MIN, USER_NAME_MAX};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A permission id in a request body: one the system knows
/// ([`internal_auth::permissions::ALL`]; any other is 400), as a number or a string.
pub struct PermissionInput;

impl PartialSchema for PermissionInput {
    fn schema() -> RefOr<Schema> {
        let known = internal_auth::permissions::ALL;
        let numbers = known.map(|id| serde_json::json!(id));
        let strings = known.map(|id| serde_json::json!(id.to_string()));
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .enum_values(Some(numbers)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(strings)),
            )
            .description(Some(
                "A permission id the system knows, as a number or a string of digits \
                 (docs/identity.md lists them).",
            ))
            .into()
    }
}

impl ToSchema for PermissionInput {}

/// The body of `POST` and `PUT /api/admin/tenants[/{id}]`.
#[derive(ToSchema)]
pub struct TenantRequest {
    #[schema(schema_with = schema::object_name)]
    pub name: String,
    #[schema(schema_with = schema::description)]
    pub description: Option<String>,
}

/// A user name: no `:` (it would break Basic credentials), and the rules of a credential.
fn user_name() -> ObjectBuilder {
    schema::nonblank_without(":", USER_NAME_MAX)
}

fn described_user_name() -> ObjectBuilder {
    user_name().description(Some(
        "No `:`, no control characters, no white space at either end.",
    ))
}

// utoipa's attributes take literals only: the password limits above and below are the identity
// API's, checked here when the crate is built.
const _: () = assert!(PASSWORD_MIN == 8 && PASSWORD_MAX == 1024);

/// The body of `POST /api/admin/users`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCreateRequest {
    #[schema(schema_with = described_user_name)]
    pub user_name: String,
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    /// Defaults to the system tenant (1).
    pub tenant_id: Option<IdInput>,
    /// Known permission ids; may be empty.
    pub permissions: Vec<PermissionInput>,
    /// The tenants whose users this user manages.
    pub administered_tenants: Option<Vec<IdInput>>,
    /// Defaults to `true`.
    pub active: Option<bool>,
}

/// The body of `PUT /api/admin/users/{id}`: replaces everything; the password changes only
/// when sent, and without `tenantId` the user moves to the system tenant.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdateRequest {
    #[schema(schema_with = user_name)]
    pub user_name: String,
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
    pub tenant_id: Option<IdInput>,
    pub permissions: Vec<PermissionInput>,
    pub administered_tenants: Option<Vec<IdInput>>,
    pub active: Option<bool>,
}

/// `GET /healthz` and `GET /readyz`.
#[derive(ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}
