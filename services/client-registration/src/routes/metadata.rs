use actix_web::{HttpRequest, HttpResponse};
use client_registration_client::oauth2::{ServerMetadata, PKCE_METHOD_S256, SCOPES};
use oauth_profiles_client::PUBLIC_URL_HEADER;

use crate::oauth2::caller::OauthCaller;

/// The client authentication methods of the token, revocation and introspection endpoints.
const AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// `GET /.well-known/oauth-authorization-server` (RFC 8414). The issuer is the gateway's
/// public URL, which it sends with every forwarded request ([`PUBLIC_URL_HEADER`]); without
/// it (a request not from the gateway), the request's own scheme and host.
pub async fn metadata(req: HttpRequest, _caller: OauthCaller) -> HttpResponse {
    let issuer = req
        .headers()
        .get(PUBLIC_URL_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| url::Url::parse(value).is_ok())
        .map(|value| value.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        });
    let endpoint = |path: &str| format!("{issuer}/oauth2/{path}");
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    HttpResponse::Ok().json(ServerMetadata {
        authorization_endpoint: endpoint("authorize"),
        token_endpoint: endpoint("token"),
        revocation_endpoint: endpoint("revoke"),
        introspection_endpoint: endpoint("introspect"),
        response_types_supported: strings(&["code"]),
        grant_types_supported: strings(&["authorization_code", "refresh_token", "password"]),
        scopes_supported: strings(&SCOPES),
        code_challenge_methods_supported: strings(&[PKCE_METHOD_S256]),
        token_endpoint_auth_methods_supported: strings(&AUTH_METHODS),
        revocation_endpoint_auth_methods_supported: strings(&AUTH_METHODS),
        introspection_endpoint_auth_methods_supported: strings(&AUTH_METHODS),
        issuer,
    })
}
