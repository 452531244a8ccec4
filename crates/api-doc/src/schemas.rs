//! The request and response shapes that no client crate carries, described for the document
//! only. The services parse bodies from raw JSON values (so that every mistake names its field)
//! and serialize answers with their own view types; these mirror them field for field, with the
//! rules of `docs/api.md` (lengths, patterns, what is required).

use api_common::fields::{DESCRIPTION_MAX, NAME_MAX, URL_MAX};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Client ids, client secrets and scope lists of OAuth applications.
pub const CREDENTIAL_MAX: usize = 1024;
/// Access and refresh tokens of OAuth profiles.
pub const TOKEN_MAX: usize = 8192;
/// Redirect URLs of one client application.
pub const REDIRECT_URLS_MAX: usize = 20;
/// The rule for the names of OAuth applications, profiles and tenants.
pub const OBJECT_NAME_PATTERN: &str = "^[A-Za-z0-9_]{1,128}$";

/// An id in a request body: a positive JSON number or a string of digits (`17` or `"17"`).
pub struct IdInput;

impl PartialSchema for IdInput {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .minimum(Some(1)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    // 1 to 18 significant digits: every id we hand out, and never one past
                    // the largest 64-bit id.
                    .pattern(Some("^0*[1-9][0-9]{0,17}(\\.0+)?$")),
            )
            .description(Some(
                "A positive whole number, as a JSON number or a string of digits (`17`, `17.0` \
                 or `\"17\"`).",
            ))
            .into()
    }
}

impl ToSchema for IdInput {}

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

// What the services accept as URLs, as patterns a generator can draw from. They describe a
// subset: no IPv6 literals, no user info, no private-use schemes for redirects, ports below
// 10000; every URL they match is accepted.
macro_rules! host_pattern {
    () => {
        concat!(
            r"(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
            r"|(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})",
            r"(:[0-9]{1,4})?"
        )
    };
}
macro_rules! path_pattern {
    () => {
        r"([/?][^\s#,*\\\u0000-\u001F\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\uD800-\uDFFF]*)?"
    };
}

/// An absolute `http` or `https` URL with a host (`authorizeURI`, `tokenURI`).
const HTTP_URL_PATTERN: &str = concat!(
    "^[Hh][Tt][Tt][Pp][Ss]?://",
    host_pattern!(),
    path_pattern!(),
    "$"
);

/// A redirect URL: `https`, or `http` to a loopback host; no fragment.
const REDIRECT_URL_PATTERN: &str = concat!(
    "^([Hh][Tt][Tt][Pp][Ss]://",
    host_pattern!(),
    r"|[Hh][Tt][Tt][Pp]://([Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]|127\.0\.0\.1)(:[0-9]{1,4})?)",
    path_pattern!(),
    "$"
);

/// `authorizeURI` and `tokenURI`: an absolute `http` or `https` URL with a host.
pub struct HttpUrl;

impl PartialSchema for HttpUrl {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(URL_MAX))
            .pattern(Some(HTTP_URL_PATTERN))
            .description(Some(
                "An absolute `http` or `https` URL with a host, e.g. \
                 `https://accounts.google.com/o/oauth2/auth`.",
            ))
            .into()
    }
}

impl ToSchema for HttpUrl {}

/// `redirectUrls` as sent: an array of 1 to 20 URLs, or one string of comma-separated URLs.
pub struct RedirectUrlsInput;

impl PartialSchema for RedirectUrlsInput {
    fn schema() -> RefOr<Schema> {
        let url = ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(URL_MAX))
            .pattern(Some(REDIRECT_URL_PATTERN));
        OneOfBuilder::new()
            .item(
                ArrayBuilder::new()
                    .items(url)
                    .min_items(Some(1))
                    .max_items(Some(REDIRECT_URLS_MAX)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .pattern(Some(REDIRECT_URL_PATTERN)),
            )
            .description(Some(
                "1 to 20 absolute redirect URLs, as an array or one comma-separated string. \
                 Each uses `https`, `http` to a loopback host only, or a private-use scheme \
                 (`com.example.app:/callback`); no fragment, no user info; at most 2,048 bytes.",
            ))
            .into()
    }
}

impl ToSchema for RedirectUrlsInput {}

/// The body of `POST` and `PUT /api/mgmt/oauthapps[/{id}]`. `PUT` replaces the whole
/// application: an optional field left out is cleared. Unknown keys are ignored; `null` counts
/// as absent.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthAppRequest {
    #[schema(pattern = "^[A-Za-z0-9_]{1,128}$", max_length = 128)]
    pub name: String,
    pub data_store: IdInput,
    /// Defaults to the caller's tenant.
    pub tenant_id: Option<IdInput>,
    #[schema(
        max_length = 256,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*$"
    )]
    pub description: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 1024,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]([^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF])?$"
    )]
    pub client_id: String,
    /// Echoed by create and update only; never read back.
    #[schema(
        min_length = 1,
        max_length = 1024,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]([^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF])?$"
    )]
    pub client_secret: String,
    /// An absolute `http` or `https` URL with a host.
    #[serde(rename = "authorizeURI")]
    pub authorize_uri: HttpUrl,
    /// An absolute `http` or `https` URL with a host.
    #[serde(rename = "tokenURI")]
    pub token_uri: HttpUrl,
    /// Kept as sent.
    #[schema(
        min_length = 1,
        max_length = 1024,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]([^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF])?$"
    )]
    pub scope: String,
}

/// The body of `POST` and `PUT /api/mgmt/oauthprofiles[/{id}]`. `PUT` replaces the whole
/// profile. Unknown keys are ignored; `null` counts as absent.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthProfileRequest {
    #[schema(pattern = "^[A-Za-z0-9_]{1,128}$", max_length = 128)]
    pub name: String,
    /// An OAuth application of the owner's tenant or of the system tenant (else 400
    /// `222207702`).
    pub oauth_app_id: IdInput,
    #[schema(
        max_length = 256,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*$"
    )]
    pub description: Option<String>,
    /// An empty one counts as absent.
    #[schema(
        max_length = 8192,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*$"
    )]
    pub access_token: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 8192,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]([^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF])?$"
    )]
    pub refresh_token: String,
}

/// An OAuth profile as create and `GET /{id}` return it.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthProfile {
    pub id: i64,
    pub name: String,
    pub oauth_app_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub access_token: Option<String>,
    pub refresh_token: String,
}

/// A list item: no tokens.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthProfileSummary {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    pub oauth_app_id: i64,
}

/// `GET /api/mgmt/oauthprofiles`: one page, ordered by id.
#[derive(ToSchema)]
pub struct OauthProfileList {
    pub profiles: Vec<OauthProfileSummary>,
}

/// The body of `POST` and `PUT /api/mgmt/oauth/client/applications[/{id}]`. `PUT` replaces
/// the whole application (its credentials stay). Unknown keys are ignored.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientApplicationRequest {
    /// Any printable text: it is shown to people.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]([^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF])?$"
    )]
    pub name: String,
    #[schema(
        max_length = 256,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*$"
    )]
    pub description: Option<String>,
    pub redirect_urls: RedirectUrlsInput,
}

/// A client application; `clientSecret` only in the answers to create and reset.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientApplication {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    pub redirect_urls: Vec<String>,
    /// A random UUID.
    pub client_id: String,
    /// 256 random bits, base64url without padding (43 characters); shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, min_length = 43, max_length = 43)]
    pub client_secret: Option<String>,
}

/// `GET /api/mgmt/oauth/client/applications`: one page, ordered by id.
#[derive(ToSchema)]
pub struct ClientApplicationList {
    pub applications: Vec<ClientApplication>,
}

/// The body of `POST` and `PUT /api/admin/tenants[/{id}]`.
#[derive(ToSchema)]
pub struct TenantRequest {
    #[schema(pattern = "^[A-Za-z0-9_]{1,128}$", max_length = 128)]
    pub name: String,
    #[schema(
        max_length = 256,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*$"
    )]
    pub description: Option<String>,
}

/// A tenant.
#[derive(ToSchema)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
}

/// `GET /api/admin/tenants`: every tenant the caller may see (not paged).
#[derive(ToSchema)]
pub struct TenantList {
    pub tenants: Vec<Tenant>,
}

/// The body of `POST /api/admin/users`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCreateRequest {
    /// No `:`, no control characters, no white space at either end.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = "^[^:\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]([^:\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*[^:\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF])?$"
    )]
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
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = "^[^:\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]([^:\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF]*[^:\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890-\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB\\uD800-\\uDFFF])?$"
    )]
    pub user_name: String,
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
    pub tenant_id: Option<IdInput>,
    pub permissions: Vec<PermissionInput>,
    pub administered_tenants: Option<Vec<IdInput>>,
    pub active: Option<bool>,
}

/// A user: never the password or its hash.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: i64,
    pub user_name: String,
    pub tenant_id: i64,
    pub permissions: Vec<u32>,
    pub administered_tenants: Vec<i64>,
    pub active: bool,
}

/// `GET /api/admin/users`: every user the caller may manage or see (not paged).
#[derive(ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

/// `GET /healthz`.
#[derive(ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// The limits above are those of the services; this keeps the shared ones from drifting.
const _: () = assert!(NAME_MAX == 128 && DESCRIPTION_MAX == 256 && URL_MAX == 2048);
