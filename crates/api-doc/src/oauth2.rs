//! The authorization server's endpoints (RFC 6749, 7009, 7662, 8414, 7636), under both
//! prefixes the product documents, and the `allowedapplications` routes. Its answers are
//! OAuth's own (JSON `{"error":..}`, or an HTML page for a browser), never the envelope,
//! except `allowedapplications`, which is part of `/api/mgmt`.

#![expect(
    dead_code,
    reason = "documentation-only functions and shapes, read by the OpenAPI derive"
)]

pub use client_registration_client::oauth2::{
    AllowedApplication, AllowedApplicationList, Introspection, OauthErrorBody as OAuthError,
    ServerMetadata as Metadata, TokenResponse,
};
use utoipa::ToSchema;

use crate::responses::{Absent, Errors, Invalid};

pub const AUTHORIZATION: &str = "Authorization server";

/// A token request (RFC 6749 4.1.3, 4.3.2, 6), form-encoded. Client authentication by HTTP
/// Basic (`client_secret_basic`) or by `client_id` and `client_secret` (also `clientId` and
/// `clientSecret`) here, not both.
#[derive(ToSchema)]
pub struct TokenRequest {
    /// `authorization_code`, `refresh_token` or `password`.
    grant_type: String,
    /// `authorization_code`: the code.
    code: Option<String>,
    /// `authorization_code`: the redirect URI of the authorization request, if it named one.
    redirect_uri: Option<String>,
    /// `authorization_code`: the PKCE verifier (RFC 7636).
    code_verifier: Option<String>,
    /// `refresh_token`: the refresh token.
    refresh_token: Option<String>,
    /// `password`: the user's login id.
    username: Option<String>,
    /// `password`: the user's password (checked by the gateway, never forwarded).
    password: Option<String>,
    /// Space-separated: `api.access.odata`, `api.access.mgmt`.
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 7009 2.1 and RFC 7662 2.1, form-encoded.
#[derive(ToSchema)]
pub struct TokenOfClient {
    token: String,
    /// `access_token` or `refresh_token`.
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The parameters of an authorization request (RFC 6749 4.1.1, RFC 7636 4.3), in the query
/// string or, for a POST, the form body; and what the gateway's forms add.
#[derive(ToSchema)]
pub struct AuthorizeForm {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// The non-browser POST (with Basic credentials) and the consent form: `allow` or `deny`.
    consent: Option<String>,
    /// The sign-in form.
    username: Option<String>,
    /// The sign-in form.
    password: Option<String>,
    /// The forms' CSRF token.
    csrf: Option<String>,
}

/// The documentation of one endpoint under both prefixes.
macro_rules! both_prefixes {
    ($short:ident, $short_path:literal, $long:ident, $long_path:literal, $method:ident, $($rest:tt)*) => {
        #[utoipa::path($method, path = $short_path, $($rest)*)]
        fn $short() {}
        #[utoipa::path($method, path = $long_path, $($rest)*)]
        fn $long() {}
    };
}

const AUTHORIZE_DESCRIPTION: &str = "The authorization endpoint (RFC 6749 4.1), answered by the gateway. A missing or unknown `client_id`, or a `redirect_uri` that is not one registered for the client (exact match; it may be left out when exactly one is registered), is a 400 HTML page and nothing is sent to the client. Every other error redirects (302) to the redirect URI with `error` (`invalid_request`, `unsupported_response_type`, `invalid_scope`, `access_denied`) and `state`. PKCE is required: `code_challenge` with `code_challenge_method=S256` (`plain` is refused). A browser gets the sign-in page, then the consent page (a consent is remembered); a client without a browser POSTs with HTTP Basic credentials and `consent=allow` or `deny`. Forms posted without their CSRF token are a 403 page.";

both_prefixes!(authorize_get, "/oauth2/authorize", authorize_get_mgmt, "/api/mgmt/oauth2/authorize", get,
tag = AUTHORIZATION,
summary = "Authorization request (browser)",
description = AUTHORIZE_DESCRIPTION,
params(
    ("response_type" = Option<String>, Query, description = "`code`."),
    ("client_id" = Option<String>, Query, description = "The client application's `clientId`."),
    ("redirect_uri" = Option<String>, Query, description = "One of the client's registered redirect URIs."),
    ("scope" = Option<String>, Query, description = "Space-separated: `api.access.odata` (default), `api.access.mgmt`."),
    ("state" = Option<String>, Query, description = "Echoed on every redirect."),
    ("code_challenge" = Option<String>, Query, description = "BASE64URL(SHA-256(code_verifier)), 43 characters."),
    ("code_challenge_method" = Option<String>, Query, description = "`S256`."),
),
security(()),
responses(
    (status = 200, description = "The sign-in page, or the consent page for a signed-in browser.", content_type = "text/html"),
    (status = 302, description = "To the redirect URI, with `code` and `state`, or `error` and `state`."),
    (status = 400, description = "Bad client or redirect URI: an error page.", content_type = "text/html"),
    (status = 500, description = "An error page.", content_type = "text/html"),
    (status = 503, description = "An error page.", content_type = "text/html"),
    (status = 504, description = "An error page.", content_type = "text/html"),
));

both_prefixes!(authorize_post, "/oauth2/authorize", authorize_post_mgmt, "/api/mgmt/oauth2/authorize", post,
    tag = AUTHORIZATION,
    summary = "Authorization request (forms, or Basic credentials with consent)",
    description = AUTHORIZE_DESCRIPTION,
    request_body(content = AuthorizeForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, description = "The sign-in or consent page.", content_type = "text/html"),
        (status = 302, description = "To the redirect URI, with `code` and `state`, or `error` and `state`."),
        (status = 400, description = "Bad client or redirect URI, or an incomplete sign-in form: a page.", content_type = "text/html"),
        (status = 401, description = "Wrong credentials: with Basic, an RFC 6749 error (`access_denied`) and a Basic challenge, no redirect; from the sign-in form, the form again.", content(
            (OAuthError = "application/json"),
            ("text/html"),
        )),
        (status = 403, description = "A form posted without a valid CSRF token (or without its session), or a Basic-credential POST sent by a browser from a page (`Origin`, `Sec-Fetch-Site`): nothing changed.", content_type = "text/html"),
        (status = 413, description = "The form is too large.", content_type = "text/html"),
        (status = 500, description = "An error page, or an RFC 6749 error.", content(("text/html"), (OAuthError = "application/json"))),
        (status = 503, description = "An error page, or an RFC 6749 error (`temporarily_unavailable`).", content(("text/html"), (OAuthError = "application/json"))),
        (status = 504, description = "An error page, or an RFC 6749 error.", content(("text/html"), (OAuthError = "application/json"))),
    ));

both_prefixes!(token, "/oauth2/token", token_mgmt, "/api/mgmt/oauth2/token", post,
    tag = AUTHORIZATION,
    summary = "Token request",
    description = "Grants `authorization_code` (with `code_verifier`), `refresh_token` (rotated on every use; a rotated one presented again revokes the grant) and `password` (the gateway checks the user, slowed per user name after a few failures). Answers per RFC 6749 5.1 and 5.2 with `Cache-Control: no-store`.",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, description = "Tokens.", body = TokenResponse),
        (status = 400, description = "An RFC 6749 5.2 error.", body = OAuthError),
        (status = 401, description = "`invalid_client` (with a Basic challenge when Basic was used).", body = OAuthError),
        (status = 405, description = "Only POST.", body = OAuthError),
        (status = 413, description = "The body is too large.", body = OAuthError),
        (status = 500, description = "`server_error`.", body = OAuthError),
        (status = 503, description = "`temporarily_unavailable`.", body = OAuthError),
        (status = 504, description = "`temporarily_unavailable`.", body = OAuthError),
    ));

both_prefixes!(revoke, "/oauth2/revoke", revoke_mgmt, "/api/mgmt/oauth2/revoke", post,
    tag = AUTHORIZATION,
    summary = "Token revocation (RFC 7009)",
    description = "Client-authenticated. 200 for any token, known or not; a refresh token revokes its whole grant, an access token itself.",
    request_body(content = TokenOfClient, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, description = "Revoked (or nothing to revoke)."),
        (status = 400, description = "An RFC 6749 5.2 error.", body = OAuthError),
        (status = 401, description = "`invalid_client`.", body = OAuthError),
        (status = 405, description = "Only POST.", body = OAuthError),
        (status = 500, description = "`server_error`.", body = OAuthError),
        (status = 503, description = "`temporarily_unavailable`.", body = OAuthError),
        (status = 504, description = "`temporarily_unavailable`.", body = OAuthError),
    ));

both_prefixes!(
    introspect,
    "/oauth2/introspect",
    introspect_mgmt,
    "/api/mgmt/oauth2/introspect",
    post,
    tag = AUTHORIZATION,
    summary = "Token introspection (RFC 7662)",
    description = "Client-authenticated; a token of another client is `{\"active\":false}`.",
    request_body(
        content = TokenOfClient,
        content_type = "application/x-www-form-urlencoded"
    ),
    security((), ("basic" = [])),
    responses(
        (
            status = 200,
            description = "What the token is.",
            body = Introspection
        ),
        (
            status = 400,
            description = "An RFC 6749 5.2 error.",
            body = OAuthError
        ),
        (
            status = 401,
            description = "`invalid_client`.",
            body = OAuthError
        ),
        (status = 405, description = "Only POST.", body = OAuthError),
        (
            status = 500,
            description = "`server_error`.",
            body = OAuthError
        ),
        (
            status = 503,
            description = "`temporarily_unavailable`.",
            body = OAuthError
        ),
        (
            status = 504,
            description = "`temporarily_unavailable`.",
            body = OAuthError
        ),
    )
);

#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = AUTHORIZATION,
    summary = "Authorization server metadata (RFC 8414)",
    security(()),
    responses(
        (status = 200, description = "The metadata.", body = Metadata),
        (status = 405, description = "Only GET.", body = OAuthError),
        (status = 500, description = "`server_error`.", body = OAuthError),
        (status = 503, description = "`temporarily_unavailable`.", body = OAuthError),
        (status = 504, description = "`temporarily_unavailable`.", body = OAuthError),
    ))]
fn metadata() {}

#[utoipa::path(get, path = "/api/mgmt/oauth/client/allowedapplications", tag = AUTHORIZATION,
    summary = "The applications the user granted access",
    description = "Those with a remembered consent or a live grant of the subject's. Basic credentials or a Bearer token with `api.access.mgmt`.",
    params(("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user.")),
    responses(
        (status = 200, description = "The applications.", body = AllowedApplicationList),
        Errors<(Invalid, crate::responses::Denied)>,
    ))]
fn list_allowed_applications() {}

#[utoipa::path(delete, path = "/api/mgmt/oauth/client/allowedapplications/{id}", tag = AUTHORIZATION,
    summary = "Withdraw an application's access",
    description = "Revokes the subject's consent to the client application and every grant and token it holds for them. 404 when there is none.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The client application's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 204, description = "Revoked."),
        Errors<(Invalid, crate::responses::Denied, Absent)>,
    ))]
fn revoke_allowed_application() {}
