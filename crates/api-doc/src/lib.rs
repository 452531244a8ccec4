//! The OpenAPI 3.1 description of hdp-oauth's public API, which the gateway serves at
//! `GET /openapi.json`.
//!
//! The API is served by the gateway but implemented by the services, and the gateway depends on
//! client crates only; so the description lives here, built from the wire types themselves: the
//! error envelope and the field rules of `api-common`, each service's answers and request
//! bodies from its client crate (`oauth-apps-client`, `oauth-profiles-client`,
//! `client-registration-client`), and, for the gateway's own API, the shapes in [`schemas`]. Each operation is one
//! documentation function in `paths`; the gateway's tests check the document against the
//! routes the gateway and the services really register.

mod oauth2;
mod paths;
mod responses;
pub mod schemas;

use api_common::error::{ErrorBody, ErrorMessage};
use api_common::fields::schema::IdInput;
use api_common::{ErrorCode, ErrorEnvelope};
use client_registration_client::{
    ClientApplication, ClientApplicationList, ClientApplicationRequest, RedirectUrlsInput,
};
use oauth_apps_client::{
    OauthApp, OauthAppList, OauthAppRequest, OauthAppSummary, TokenAuthMethod,
};
use oauth_profiles_client::{
    OauthProfile, OauthProfileList, OauthProfileRequest, OauthProfileSummary, ProfileStatus,
    ProfileToken,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

use crate::responses::{
    BadGateway, BadRequest, Conflict, Forbidden, GatewayTimeout, InternalError, MethodNotAllowed,
    NotFound, PayloadTooLarge, ServiceUnavailable, Unauthorized, UnsupportedMediaType,
};
use identity::views::{TenantList, TenantView, UserList, UserView};

use crate::schemas::{Health, TenantRequest, UserCreateRequest, UserUpdateRequest};

/// The name of the security scheme: HTTP Basic, required everywhere but where an operation
/// says otherwise. (The `security(...)` attribute above needs it as a literal.)
pub const SECURITY_SCHEME: &str = "basic";

const DESCRIPTION: &str = "The management API of hdp-oauth: OAuth applications, OAuth profiles \
and client applications, and the identity administration API (tenants and users).\n\n\
Every `/api` request needs HTTP Basic credentials (realm `hdp-oauth`). Bodies are one JSON \
object sent as `application/json`, at most 256 KiB; duplicate keys are refused, unknown keys \
ignored, `null` counts as absent. Ids are JSON numbers in answers; in bodies a number or a \
string of digits. Absent optional fields are omitted from answers. A known path with a method \
it does not take is 405 (`222200021`); an unknown path under `/api` is 401 without credentials \
and 404 (`222200020`) with them. Every non-2xx answer is the `ErrorEnvelope`.";

#[derive(OpenApi)]
#[openapi(
    info(title = "hdp-oauth", description = DESCRIPTION),
    paths(
        paths::create_oauth_app, paths::list_oauth_apps, paths::read_oauth_app,
        paths::update_oauth_app, paths::delete_oauth_app,
        paths::create_oauth_profile, paths::list_oauth_profiles, paths::read_oauth_profile,
        paths::update_oauth_profile, paths::delete_oauth_profile,
        paths::connect_oauth_profile, paths::oauth_profile_callback,
        paths::refresh_oauth_profile, paths::oauth_profile_token,
        paths::create_client_application, paths::list_client_applications,
        paths::read_client_application, paths::update_client_application,
        paths::delete_client_application, paths::reset_client_application,
        paths::create_tenant, paths::list_tenants, paths::read_tenant, paths::update_tenant,
        paths::delete_tenant,
        paths::create_user, paths::list_users, paths::read_user, paths::update_user,
        paths::delete_user,
        paths::healthz, paths::openapi_json,
        paths::readyz,
        oauth2::authorize_get, oauth2::authorize_post, oauth2::authorize_get_mgmt,
        oauth2::authorize_post_mgmt, oauth2::token, oauth2::token_mgmt, oauth2::revoke,
        oauth2::revoke_mgmt, oauth2::introspect, oauth2::introspect_mgmt, oauth2::metadata,
        oauth2::list_allowed_applications, oauth2::revoke_allowed_application,
    ),
    components(
        schemas(
            ErrorEnvelope, ErrorBody, ErrorMessage, IdInput, RedirectUrlsInput,
            OauthApp, OauthAppSummary, OauthAppList, OauthAppRequest,
            OauthProfile, OauthProfileSummary, OauthProfileList, OauthProfileRequest,
            ProfileStatus, ProfileToken, TokenAuthMethod,
            ClientApplication, ClientApplicationList, ClientApplicationRequest,
            TenantView, TenantList, TenantRequest, UserView, UserList, UserCreateRequest,
            UserUpdateRequest, Health,
            oauth2::OAuthError, oauth2::TokenRequest, oauth2::TokenResponse, oauth2::TokenOfClient,
            oauth2::Introspection, oauth2::Metadata, oauth2::AuthorizeForm,
            oauth2::AllowedApplication, oauth2::AllowedApplicationList,
        ),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
            PayloadTooLarge, UnsupportedMediaType, InternalError, ServiceUnavailable,
            BadGateway, GatewayTimeout,
        ),
    ),
    modifiers(&BasicAuth, &ErrorCodes),
    security(("basic" = [])),
    tags(
        (name = paths::APPS, description = "Served by oauth-apps, through the gateway."),
        (name = paths::PROFILES, description = "Served by oauth-profiles, through the gateway. `?user=` acts on behalf of another user."),
        (name = paths::CLIENTS, description = "Served by client-registration, through the gateway. `?user=` acts on behalf of another user."),
        (name = paths::TENANTS, description = "Served by the gateway from its own database."),
        (name = paths::USERS, description = "Served by the gateway from its own database."),
        (name = paths::GATEWAY, description = "The gateway's own routes, without credentials."),
        (name = oauth2::AUTHORIZATION, description = "The authorization server: client applications get tokens. Served by the gateway (authorize, the password grant's user check) and client-registration. Answers are OAuth's (RFC 6749 errors, HTML pages), not the envelope, except `allowedapplications`. `/api/mgmt/...` also takes `Authorization: Bearer` with an access token of scope `api.access.mgmt`."),
    ),
)]
struct ApiDoc;

/// The document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as JSON, as `GET /openapi.json` serves it.
pub fn openapi_json() -> Result<String, serde_json::Error> {
    openapi().to_json()
}

/// Declares HTTP Basic; the operations without credentials say so with an empty list.
struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "User name and password of a gateway user; realm `hdp-oauth`.",
                    ))
                    .build(),
            ),
        );
        // `security(())` renders `[{}]` ("credentials optional"); these need none at all.
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let open = operation
                    .security
                    .as_ref()
                    .is_some_and(|s| s.iter().all(is_empty_requirement));
                if open {
                    operation.security = Some(Vec::new());
                }
            }
        }
    }
}

fn is_empty_requirement(requirement: &utoipa::openapi::security::SecurityRequirement) -> bool {
    serde_json::to_value(requirement).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
}

/// Puts the list of error codes, from [`ErrorCode::ALL`], into the envelope's schema: as the
/// `enum` of `error.code` and as a table in the envelope's description.
struct ErrorCodes;

impl Modify for ErrorCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(schemas) = openapi.components.as_mut().map(|c| &mut c.schemas) else {
            return;
        };
        if let Some(RefOr::T(Schema::Object(body))) = schemas.get_mut("ErrorBody") {
            if let Some(RefOr::T(Schema::Object(code))) = body.properties.get_mut("code") {
                code.enum_values = Some(
                    ErrorCode::ALL
                        .iter()
                        .map(|c| serde_json::Value::from(c.as_str()))
                        .collect(),
                );
            }
        }
        if let Some(RefOr::T(Schema::Object(envelope))) = schemas.get_mut("ErrorEnvelope") {
            let mut text = String::from(
                "The body of every non-2xx answer. `error.code` is stable per kind of error; \
                 `error.message.value` is for people.\n\n| code | status | meaning |\n|---|---|---|\n",
            );
            for code in ErrorCode::ALL {
                text.push_str(&format!(
                    "| {} | {} | {} |\n",
                    code.as_str(),
                    code.status().as_u16(),
                    meaning(code)
                ));
            }
            envelope.description = Some(text);
        }
    }
}

/// What each code means, in a line; `docs/errors.md` says more.
fn meaning(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::MalformedRequest => {
            "The body is not one JSON object, or has a duplicate or mistyped key."
        }
        ErrorCode::InvalidField => "A field is missing or breaks a rule; the message names it.",
        ErrorCode::InvalidQuery => "A query string parameter is malformed.",
        ErrorCode::InvalidPath => {
            "An id in the path is not a positive whole number, or the path holds a dot segment, \
             percent-encoding, a backslash or a ';'."
        }
        ErrorCode::Unauthenticated => "No credentials, wrong ones, or an inactive user.",
        ErrorCode::Forbidden => "The caller lacks a permission the operation needs.",
        ErrorCode::RouteNotFound => "No route has this path.",
        ErrorCode::MethodNotAllowed => "The path exists, but not with this method.",
        ErrorCode::PayloadTooLarge => "The body is larger than the limit.",
        ErrorCode::UnsupportedMediaType => "The body is not sent as application/json.",
        ErrorCode::Conflict => "A name already taken, or an object still in use.",
        ErrorCode::OauthAppNotFound => {
            "Invalid OAuthAppId: no such OAuth application visible to the caller."
        }
        ErrorCode::InvalidOauthAppId => {
            "Invalid OAuthAppId: a profile names an application its owner may not use."
        }
        ErrorCode::OauthProfileNotFound => {
            "Invalid OAuthProfileId: no such OAuth profile of the caller's."
        }
        ErrorCode::ClientAppNotFound => {
            "Invalid client application id: no such client application of the caller's."
        }
        ErrorCode::ClientAppCreateFailed => {
            "Problem creating OAuth Client Application at this time."
        }
        ErrorCode::UserNotFound => "Invalid user id: no such user the caller may manage or see.",
        ErrorCode::TenantNotFound => "Invalid tenant id: no such tenant the caller may see.",
        ErrorCode::ServiceUnavailable => {
            "A database or peer service cannot be reached; nothing was written."
        }
        ErrorCode::UpstreamTimeout => "A peer service did not answer in time.",
        ErrorCode::ReauthorizationRequired => {
            "The OAuth provider refused the profile's refresh token: connect it again."
        }
        ErrorCode::ProviderFailed => {
            "The OAuth provider could not be reached, failed or answered what OAuth does not allow."
        }
        ErrorCode::ProviderTimeout => "The OAuth provider did not answer in time.",
        ErrorCode::Internal => "Anything unexpected; the cause is logged, never shown.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_renders() {
        let document: serde_json::Value = serde_json::from_str(&openapi_json().unwrap()).unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1."));
        assert_eq!(document["paths"].as_object().unwrap().len(), 29);
    }

    #[test]
    fn every_reference_resolves() {
        let document = serde_json::to_value(openapi()).unwrap();
        let mut refs = Vec::new();
        collect_refs(&document, &mut refs);
        assert!(!refs.is_empty());
        for reference in refs {
            let pointer = reference.trim_start_matches('#');
            assert!(
                document.pointer(pointer).is_some(),
                "{reference} resolves to nothing"
            );
        }
    }

    fn collect_refs(value: &serde_json::Value, refs: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    match item {
                        serde_json::Value::String(target) if key == "$ref" => {
                            refs.push(target.clone())
                        }
                        other => collect_refs(other, refs),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| collect_refs(i, refs)),
            _ => {}
        }
    }
}
