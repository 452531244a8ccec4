//! A client application as the management API shows it, and what create and update are sent.

use std::fmt;

use api_common::fields::schema;
use api_common::fields::URL_MAX;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Most redirect URLs one application may register; enough for every platform of an app, few
/// enough that matching a request against them stays trivial.
pub const REDIRECT_URLS_MAX: usize = 20;

/// Characters of a client secret: 256 random bits in base64url without padding.
pub const CLIENT_SECRET_LENGTH: usize = 43;

/// A client application; `clientSecret` only in the answers to create and reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientApplication {
    pub id: i64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    pub redirect_urls: Vec<String>,
    /// A random UUID.
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = client_secret)]
    pub client_secret: Option<ClientSecretText>,
}

/// A client secret in clear, as the answers to create and reset carry it: a JSON string. Its
/// `Debug` hides it, so that it cannot reach a log through `{:?}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientSecretText(pub String);

impl fmt::Debug for ClientSecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

fn client_secret() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(CLIENT_SECRET_LENGTH))
        .max_length(Some(CLIENT_SECRET_LENGTH))
        .description(Some(format!(
            "256 random bits, base64url without padding ({CLIENT_SECRET_LENGTH} characters); \
             shown once."
        )))
}

/// `GET /api/mgmt/oauth/client/applications`: one page, ordered by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientApplicationList {
    pub applications: Vec<ClientApplication>,
}

/// The body of `POST` and `PUT /api/mgmt/oauth/client/applications[/{id}]`. `PUT` replaces
/// the whole application (its credentials stay). Unknown keys are ignored.
// The document's description of what the service parses (its own body type reads every field
// as a JSON value, so that a mistake names its field), under the same rules and limits.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientApplicationRequest {
    #[schema(schema_with = name)]
    pub name: String,
    #[schema(schema_with = schema::description)]
    pub description: Option<String>,
    pub redirect_urls: RedirectUrlsInput,
}

fn name() -> ObjectBuilder {
    schema::nonblank(api_common::fields::NAME_MAX)
        .description(Some("Any printable text: it is shown to people."))
}

/// `redirectUrls` as sent: an array of 1 to [`REDIRECT_URLS_MAX`] URLs, or one string of
/// comma-separated URLs. The pattern describes a subset of what is accepted: `https`, or `http`
/// to a loopback host, without private-use schemes.
pub struct RedirectUrlsInput;

impl PartialSchema for RedirectUrlsInput {
    fn schema() -> RefOr<Schema> {
        let pattern = format!(
            "^([Hh][Tt][Tt][Pp][Ss]://{}|[Hh][Tt][Tt][Pp]://([Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]|127\\.0\\.0\\.1)(:[0-9]{{1,4}})?){}$",
            schema::URL_HOST_PATTERN,
            schema::url_path_pattern()
        );
        let url = ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(URL_MAX))
            .pattern(Some(pattern.clone()));
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
                    .pattern(Some(pattern)),
            )
            .description(Some(format!(
                "1 to {REDIRECT_URLS_MAX} absolute redirect URLs, as an array or one \
                 comma-separated string. Each uses `https`, `http` to a loopback host only, or a \
                 private-use scheme (`com.example.app:/callback`); no fragment, no user info; at \
                 most 2,048 bytes."
            )))
            .into()
    }
}

impl ToSchema for RedirectUrlsInput {}
