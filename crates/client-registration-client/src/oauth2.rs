//! The authorization server's wire types, shared by its two halves: the gateway (which signs
//! people in, renders the authorize pages and accepts Bearer tokens) and client-registration
//! (which authenticates clients and keeps every grant, code, token and consent).
//!
//! - The internal routes the gateway calls with its system token: [`OauthClient`] (client
//!   lookup), [`RememberedConsent`], [`NewCode`] / [`IssuedCode`] and [`TokenCheck`], with their
//!   typed methods on [`ClientRegistrationClient`].
//! - The public answers of the token, introspection and metadata endpoints (RFC 6749 5.1 and
//!   5.2, RFC 7662, RFC 8414) and of `allowedapplications`, for the OpenAPI document.
//!
//! Every type that holds a code or a token hides it from `Debug`.

use std::fmt;

use api_common::ErrorCode;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ClientRegistrationClient, PeerError};

/// The scope of the product's OData access; the default when a client asks for none.
pub const SCOPE_ODATA: &str = "api.access.odata";
/// The scope that lets an access token act as its user on `/api/mgmt/...`.
pub const SCOPE_MGMT: &str = "api.access.mgmt";
/// Every scope a client may ask for; anything else is `invalid_scope`.
pub const SCOPES: [&str; 2] = [SCOPE_ODATA, SCOPE_MGMT];

/// The readable prefix of an authorization code.
pub const CODE_PREFIX: &str = "hdpc_";
/// The readable prefix of an access token.
pub const ACCESS_TOKEN_PREFIX: &str = "hdpat_";
/// The readable prefix of a refresh token.
pub const REFRESH_TOKEN_PREFIX: &str = "hdprt_";

/// The header in which the gateway passes a client's own `Authorization` header (its
/// `client_secret_basic` credentials) on to client-registration's public OAuth routes
/// (token, revoke, introspect): the request's `Authorization` carries the internal token. Only
/// the gateway sets it (it forwards no other client header), and only with the value of a
/// `Basic` client `Authorization` header, unchanged.
pub const CLIENT_AUTHORIZATION_HEADER: &str = "x-hdp-client-authorization";

/// The answer headers of the token, revocation and introspection endpoints that the gateway
/// copies back besides `Content-Type` and `Cache-Control`: RFC 6749 5.1 asks for
/// `Pragma: no-cache`, and an `invalid_client` through Basic is 401 with `WWW-Authenticate`.
pub const ANSWER_HEADERS: [&str; 2] = ["pragma", "www-authenticate"];

/// The only PKCE method accepted (`plain` is refused).
pub const PKCE_METHOD_S256: &str = "S256";

/// Longest code, token or token-like value the internal routes accept, in characters: far
/// above the real ones (6 + 43), low enough that nobody has large inputs hashed.
pub const TOKEN_TEXT_MAX: usize = 256;

/// `GET /internal/oauth2/clients/{clientId}`: what the authorize pages need of a client
/// application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthClient {
    /// The application's id (`clientAppId` elsewhere).
    pub id: i64,
    pub client_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub owner_id: i64,
    pub redirect_urls: Vec<String>,
}

/// `GET /internal/oauth2/consents?userId=U&clientAppId=A`: the scopes the user has consented to
/// for the application, empty when none is remembered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RememberedConsent {
    pub scopes: Vec<String>,
}

/// The body of `POST /internal/oauth2/codes`: a consented authorization request, already
/// checked by the gateway (client, redirect URI, scope and PKCE method).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCode {
    pub user_id: i64,
    /// The user's login name, which introspection answers as `username` (an addition to the
    /// contract: without it the service, which keeps no users, cannot name them). Left out of
    /// the wire form when `None`; introspection then answers without `username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    pub client_app_id: i64,
    /// The `redirect_uri` of the authorization request; `None` when it left it out (the
    /// application's only registered one was used). Always sent, as `null` when `None`.
    pub redirect_uri: Option<String>,
    /// Space-separated scopes, each one of [`SCOPES`].
    pub scope: String,
    /// The PKCE `code_challenge`, when the request had one.
    pub code_challenge: Option<String>,
    /// [`PKCE_METHOD_S256`] when there is a challenge.
    pub code_challenge_method: Option<String>,
}

/// The answer to `POST /internal/oauth2/codes` (201). Its `Debug` hides the code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    pub code: String,
}

impl fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IssuedCode(***)")
    }
}

/// The body of `POST /internal/oauth2/tokens/check`. Its `Debug` hides the token.
#[derive(Clone, Copy, Serialize)]
pub struct TokenCheckRequest<'a> {
    pub token: &'a str,
}

impl fmt::Debug for TokenCheckRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCheckRequest(***)")
    }
}

/// The answer to `POST /internal/oauth2/tokens/check`: `{"active": false}`, or active with
/// what the token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCheck {
    pub active: bool,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub token: Option<ActiveToken>,
}

/// What an active access token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveToken {
    /// The user who consented: the request acts as them.
    pub user_id: i64,
    pub client_app_id: i64,
    /// Space-separated scopes.
    pub scope: String,
    /// Unix seconds; the token must not be taken for valid from then on (nor cached past it).
    pub expires_at: i64,
}

impl ActiveToken {
    /// Whether the token's scope holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

impl TokenCheck {
    pub fn active(token: ActiveToken) -> Self {
        TokenCheck {
            active: true,
            token: Some(token),
        }
    }

    pub fn inactive() -> Self {
        TokenCheck {
            active: false,
            token: None,
        }
    }
}

/// A successful token answer (RFC 6749 5.1). Its `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub refresh_token: Option<String>,
    /// Space-separated scopes granted.
    pub scope: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// An error of the token, revocation and introspection endpoints (RFC 6749 5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OauthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope`, `unsupported_token_type` or `server_error`.
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error_description: Option<String>,
}

/// The answer of `POST /oauth2/introspect` (RFC 7662): only `active` when the token is not an
/// active token of the calling client.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_id: Option<String>,
    /// The user's login name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub username: Option<String>,
    /// `Bearer` for an access token (RFC 6749 5.1), `refresh_token` for a refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub iat: Option<i64>,
    /// The user id, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub sub: Option<String>,
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub response_types_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
}

/// One application the caller has granted access to, in
/// `GET /api/mgmt/oauth/client/allowedapplications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllowedApplication {
    /// The client application's id (what `DELETE .../allowedapplications/{id}` takes).
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub client_id: String,
    /// Every scope consented to or held by a live grant.
    pub scopes: Vec<String>,
    /// When access was first granted, RFC 3339 (UTC).
    pub granted_at: String,
}

/// `GET /api/mgmt/oauth/client/allowedapplications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AllowedApplicationList {
    pub applications: Vec<AllowedApplication>,
}

/// Whether `client_id` is shaped like a client id (a UUID: 36 hex digits and hyphens), which
/// can go into a path as is. Paths are accepted in canonical form only (no percent-encoding),
/// and no client id has any other shape.
fn uuid_shaped(client_id: &str) -> bool {
    client_id.len() == 36
        && client_id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-')
}

impl ClientRegistrationClient {
    /// The client application with `client_id`, or `None` when there is none (including a
    /// `client_id` that is not a UUID). Needs the gateway's system token.
    pub async fn oauth2_client(
        &self,
        system_token: &str,
        client_id: &str,
    ) -> Result<Option<OauthClient>, PeerError> {
        if !uuid_shaped(client_id) {
            return Ok(None);
        }
        let path = format!("/internal/oauth2/clients/{client_id}");
        match self
            .0
            .call(self.0.request(Method::GET, &path), system_token)
            .await
        {
            Ok(client) => Ok(Some(client)),
            Err(PeerError::Api(err)) if err.code() == ErrorCode::ClientAppNotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The scopes `user_id` has consented to for the application `client_app_id` (empty when
    /// none). Needs the gateway's system token.
    pub async fn oauth2_consent(
        &self,
        system_token: &str,
        user_id: i64,
        client_app_id: i64,
    ) -> Result<RememberedConsent, PeerError> {
        let path =
            format!("/internal/oauth2/consents?userId={user_id}&clientAppId={client_app_id}");
        self.0
            .call(self.0.request(Method::GET, &path), system_token)
            .await
    }

    /// Issues an authorization code for a consented request and remembers the consent (in one
    /// transaction). A deleted user is refused (400 envelope, [`PeerError::Api`]), an unknown
    /// application too (404). Needs the gateway's system token.
    pub async fn oauth2_create_code(
        &self,
        system_token: &str,
        code: &NewCode,
    ) -> Result<IssuedCode, PeerError> {
        let request = self
            .0
            .request(Method::POST, "/internal/oauth2/codes")
            .json(code);
        self.0.call(request, system_token).await
    }

    /// Whether `token` is an active access token, and what it grants. Needs the gateway's
    /// system token.
    pub async fn oauth2_check_token(
        &self,
        system_token: &str,
        token: &str,
    ) -> Result<TokenCheck, PeerError> {
        let request = self
            .0
            .request(Method::POST, "/internal/oauth2/tokens/check")
            .json(&TokenCheckRequest { token });
        self.0.call(request, system_token).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_token_check_is_active_false_or_everything_it_grants() {
        assert_eq!(
            serde_json::to_value(TokenCheck::inactive()).unwrap(),
            json!({"active": false})
        );
        let active = TokenCheck::active(ActiveToken {
            user_id: 7,
            client_app_id: 3,
            scope: "api.access.odata api.access.mgmt".to_owned(),
            expires_at: 1_800_000_000,
        });
        let wire = serde_json::to_value(&active).unwrap();
        assert_eq!(
            wire,
            json!({"active": true, "userId": 7, "clientAppId": 3,
                   "scope": "api.access.odata api.access.mgmt", "expiresAt": 1_800_000_000})
        );
        assert_eq!(serde_json::from_value::<TokenCheck>(wire).unwrap(), active);
        assert!(active.token.as_ref().unwrap().has_scope(SCOPE_MGMT));
        assert!(!active.token.as_ref().unwrap().has_scope("api.access"));
    }

    #[test]
    fn a_new_code_sends_its_absent_fields_as_null() {
        let code = NewCode {
            user_id: 7,
            user_name: None,
            client_app_id: 3,
            redirect_uri: None,
            scope: SCOPE_ODATA.to_owned(),
            code_challenge: None,
            code_challenge_method: None,
        };
        assert_eq!(
            serde_json::to_value(&code).unwrap(),
            json!({"userId": 7, "clientAppId": 3, "redirectUri": null,
                   "scope": "api.access.odata", "codeChallenge": null,
                   "codeChallengeMethod": null})
        );
    }

    #[test]
    fn debug_hides_codes_and_tokens() {
        let issued = IssuedCode {
            code: "hdpc_secret".to_owned(),
        };
        assert!(!format!("{issued:?}").contains("secret"));
        let check = TokenCheckRequest {
            token: "hdpat_secret",
        };
        assert!(!format!("{check:?}").contains("secret"));
        let answer = TokenResponse {
            access_token: "hdpat_secret".to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in: 3600,
            refresh_token: Some("hdprt_secret".to_owned()),
            scope: SCOPE_ODATA.to_owned(),
        };
        assert!(!format!("{answer:?}").contains("secret"));
    }

    #[test]
    fn only_uuid_shaped_client_ids_go_into_a_path() {
        assert!(uuid_shaped("0f8a2b6c-1d2e-4f5a-8b9c-0d1e2f3a4b5c"));
        for bad in [
            "",
            "..",
            "0f8a2b6c-1d2e-4f5a-8b9c-0d1e2f3a4b5",
            "0f8a2b6c/1d2e-4f5a-8b9c-0d1e2f3a4b5c",
        ] {
            assert!(!uuid_shaped(bad), "{bad}");
        }
    }
}
