//! The errors of the token, revocation and introspection endpoints: RFC 6749 5.2 JSON
//! (`{"error", "error_description"}`), never the envelope, always with `Cache-Control:
//! no-store` and `Pragma: no-cache`; `invalid_client` through Basic is 401 with a Basic
//! challenge. A database or internal failure keeps its status (503, 500) in the same form.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use api_common::error::REALM;
use api_common::http::mark_enveloped;
use api_common::ApiError;
use client_registration_client::oauth2::OauthErrorBody;
use db::DbError;
use serde::Serialize;

/// An RFC 6749 5.2 error on its way to the client. Its description is shown as is: it never
/// holds a code, token or secret.
#[derive(Debug, Clone)]
pub struct OauthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Whether to challenge for Basic credentials (`WWW-Authenticate`).
    challenge: bool,
}

impl OauthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OauthError {
            status,
            error,
            description: description.into(),
            challenge: false,
        }
    }

    /// A parameter missing, repeated or malformed, or a request otherwise not understood.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// Client authentication failed: 401 with a Basic challenge when the client used Basic
    /// (RFC 6749 5.2 requires it then) or sent no credentials, else 400.
    pub fn invalid_client(challenge: bool) -> Self {
        let status = match challenge {
            true => StatusCode::UNAUTHORIZED,
            false => StatusCode::BAD_REQUEST,
        };
        OauthError {
            challenge,
            ..Self::new(status, "invalid_client", "Client authentication failed")
        }
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            description,
        )
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// The request did not come the way the gateway sends it (a token not for this route).
    pub fn access_denied(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "access_denied", description)
    }

    /// A failure that is not the client's; the cause has been logged where it was seen.
    pub fn server_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "An internal error occurred. Please try again later.",
        )
    }

    pub fn error(&self) -> &'static str {
        self.error
    }
}

impl fmt::Display for OauthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.error,
            self.description
        )
    }
}

/// The central mapping of the service's other errors: an unreachable database is 503
/// `temporarily_unavailable`, anything else 500 `server_error` (already logged).
impl From<ApiError> for OauthError {
    fn from(err: ApiError) -> Self {
        match err.status_code() {
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                err.message().to_owned(),
            ),
            status if status.is_client_error() => Self::invalid_request(err.message().to_owned()),
            _ => Self::server_error(),
        }
    }
}

impl From<DbError> for OauthError {
    fn from(err: DbError) -> Self {
        ApiError::from(err).into()
    }
}

impl ResponseError for OauthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if self.challenge {
            builder.insert_header((
                header::WWW_AUTHENTICATE,
                format!("Basic realm=\"{REALM}\", charset=\"UTF-8\""),
            ));
        }
        let body = OauthErrorBody {
            error: self.error.to_owned(),
            error_description: Some(self.description.clone()),
        };
        no_store(builder, &body)
    }
}

/// A JSON answer that no cache may keep (RFC 6749 5.1); not rewritten into the envelope.
pub fn no_store(mut builder: HttpResponseBuilder, body: &impl Serialize) -> HttpResponse {
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    let mut response = builder.json(body);
    mark_enveloped(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;

    use super::*;

    #[test]
    fn errors_are_rfc_6749_json_that_no_cache_keeps() {
        let response = OauthError::invalid_client(true).error_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let headers = response.headers();
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
        assert_eq!(headers.get(header::PRAGMA).unwrap(), "no-cache");
        assert!(headers
            .get(header::WWW_AUTHENTICATE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Basic realm=\"hdp-oauth\""));
        let body = response.into_body().try_into_bytes().unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "invalid_client");

        let response = OauthError::invalid_client(false).error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());

        let unavailable = ApiError::new(api_common::ErrorCode::ServiceUnavailable, "down");
        let mapped = OauthError::from(unavailable);
        assert_eq!(mapped.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(mapped.error(), "temporarily_unavailable");
        let mapped = OauthError::from(ApiError::internal("boom"));
        assert_eq!(mapped.error(), "server_error");
    }
}
