//! The error envelope and [`ApiError`], the one error type every component answers with.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

/// Every kind of error the API reports, each with a stable code.
///
/// Codes are part of the wire contract: never renumber one. The list with their meaning is in
/// `docs/errors.md`; a test keeps the two in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The body is not JSON, not an object, or has a duplicate or mistyped field.
    MalformedRequest,
    /// A field is missing or breaks a rule; the message names the field.
    InvalidField,
    /// A query string parameter is malformed.
    InvalidQuery,
    /// A path parameter (an id) is malformed.
    InvalidPath,
    /// No credentials, or credentials that do not verify.
    Unauthenticated,
    /// Authenticated but not permitted.
    Forbidden,
    /// No route has this path.
    RouteNotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The body is larger than the configured limit.
    PayloadTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// A name (or other unique value) is already taken.
    Conflict,
    /// No OAuth application with this id is visible to the caller.
    OauthAppNotFound,
    /// A profile names an OAuth application that does not exist or that its owner cannot use.
    InvalidOauthAppId,
    /// No OAuth profile with this id is visible to the caller.
    OauthProfileNotFound,
    /// No client application with this id is visible to the caller.
    ClientAppNotFound,
    /// Creating a client application failed for a reason not the caller's.
    ClientAppCreateFailed,
    /// No user with this id is visible to the caller.
    UserNotFound,
    /// No tenant with this id is visible to the caller.
    TenantNotFound,
    /// A database or peer service cannot be reached.
    ServiceUnavailable,
    /// A peer service did not answer in time.
    UpstreamTimeout,
    /// The OAuth provider refused a profile's refresh token (`invalid_grant`): the profile must
    /// be connected again.
    ReauthorizationRequired,
    /// The OAuth provider could not be reached, failed (5xx) or answered what OAuth does not
    /// allow.
    ProviderFailed,
    /// The OAuth provider did not answer in time.
    ProviderTimeout,
    /// Anything else; the cause is logged, never shown.
    Internal,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::MalformedRequest,
        ErrorCode::InvalidField,
        ErrorCode::InvalidQuery,
        ErrorCode::InvalidPath,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::RouteNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Conflict,
        ErrorCode::OauthAppNotFound,
        ErrorCode::InvalidOauthAppId,
        ErrorCode::OauthProfileNotFound,
        ErrorCode::ClientAppNotFound,
        ErrorCode::ClientAppCreateFailed,
        ErrorCode::UserNotFound,
        ErrorCode::TenantNotFound,
        ErrorCode::ServiceUnavailable,
        ErrorCode::UpstreamTimeout,
        ErrorCode::ReauthorizationRequired,
        ErrorCode::ProviderFailed,
        ErrorCode::ProviderTimeout,
        ErrorCode::Internal,
    ];

    /// The digit string sent as `error.code`. The two codes the product's pages show
    /// (222207710 and 222206628) keep their meaning; the rest are ours, in the 2222000xx band.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "222200001",
            ErrorCode::InvalidField => "222200002",
            ErrorCode::InvalidQuery => "222200003",
            ErrorCode::InvalidPath => "222200004",
            ErrorCode::Unauthenticated => "222200010",
            ErrorCode::Forbidden => "222200011",
            ErrorCode::RouteNotFound => "222200020",
            ErrorCode::MethodNotAllowed => "222200021",
            ErrorCode::PayloadTooLarge => "222200022",
            ErrorCode::UnsupportedMediaType => "222200023",
            ErrorCode::Conflict => "222200030",
            ErrorCode::OauthAppNotFound => "222207701",
            ErrorCode::InvalidOauthAppId => "222207702",
            ErrorCode::OauthProfileNotFound => "222207710",
            ErrorCode::ClientAppNotFound => "222206601",
            ErrorCode::ClientAppCreateFailed => "222206628",
            ErrorCode::UserNotFound => "222200040",
            ErrorCode::TenantNotFound => "222200041",
            ErrorCode::ServiceUnavailable => "222200090",
            ErrorCode::UpstreamTimeout => "222200091",
            ErrorCode::ReauthorizationRequired => "222207720",
            ErrorCode::ProviderFailed => "222200092",
            ErrorCode::ProviderTimeout => "222200093",
            ErrorCode::Internal => "222200099",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::MalformedRequest
            | ErrorCode::InvalidField
            | ErrorCode::InvalidQuery
            | ErrorCode::InvalidPath
            | ErrorCode::InvalidOauthAppId => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::RouteNotFound
            | ErrorCode::OauthAppNotFound
            | ErrorCode::OauthProfileNotFound
            | ErrorCode::ClientAppNotFound
            | ErrorCode::UserNotFound
            | ErrorCode::TenantNotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Conflict | ErrorCode::ReauthorizationRequired => StatusCode::CONFLICT,
            ErrorCode::ProviderFailed => StatusCode::BAD_GATEWAY,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamTimeout | ErrorCode::ProviderTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::Internal | ErrorCode::ClientAppCreateFailed => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// The body of every non-2xx answer:
/// `{"error":{"code":"222207710","message":{"lang":"en-US","value":"..."}}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// What went wrong: a stable code to switch on and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable per kind of error (see `docs/errors.md`).
    #[schema(pattern = "^[0-9]{9}$", example = "222207710")]
    pub code: String,
    pub message: ErrorMessage,
}

/// A message for people; its wording may improve between releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorMessage {
    /// Always `en-US`.
    #[schema(example = "en-US")]
    pub lang: String,
    #[schema(example = "Invalid OAuthProfileId: 1")]
    pub value: String,
}

impl ErrorEnvelope {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ErrorEnvelope {
            error: ErrorBody {
                code: code.to_owned(),
                message: ErrorMessage {
                    lang: "en-US".to_owned(),
                    value: message.into(),
                },
            },
        }
    }
}

/// Which challenge a 401 carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// The public API: HTTP Basic.
    Basic,
    /// The services' internal API: a bearer token minted by the gateway.
    Bearer,
}

/// Marks a response whose body is already the envelope, so that
/// [`crate::http::envelope_guard`] leaves it alone.
#[derive(Debug, Clone, Copy)]
pub struct Enveloped;

/// An error on its way to the caller. Its message is shown as is, so it never holds a secret,
/// and internal causes go to the log, not into the message.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    status: StatusCode,
    message: String,
    challenge: Option<Challenge>,
    /// Seconds to send as `Retry-After`.
    retry_after: Option<u64>,
}

/// The realm sent with Basic challenges.
pub const REALM: &str = "hdp-oauth";

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            status: code.status(),
            message: message.into(),
            challenge: None,
            retry_after: None,
        }
    }

    /// A field that is missing or breaks a rule; `field` is the JSON name.
    pub fn invalid_field(field: &str, problem: impl fmt::Display) -> Self {
        ApiError::new(
            ErrorCode::InvalidField,
            format!("Invalid value for '{field}': {problem}"),
        )
    }

    pub fn missing_field(field: &str) -> Self {
        ApiError::new(
            ErrorCode::InvalidField,
            format!("Missing required field '{field}'"),
        )
    }

    pub fn unauthenticated(challenge: Challenge, message: impl Into<String>) -> Self {
        ApiError {
            challenge: Some(challenge),
            ..ApiError::new(ErrorCode::Unauthenticated, message)
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Forbidden, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Conflict, message)
    }

    /// A database or peer that cannot be reached; `cause` is logged, not shown.
    pub fn unavailable(what: &str, cause: impl fmt::Display) -> Self {
        log::error!("{what} unavailable: {cause}");
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("The {what} is unavailable at this time. Please try again later."),
        )
    }

    /// 503 with `Retry-After`: the component is at a bound it keeps on purpose (not a fault),
    /// and the same request is expected to succeed a little later.
    pub fn overloaded(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        ApiError {
            retry_after: Some(retry_after.as_secs().max(1)),
            ..ApiError::new(ErrorCode::ServiceUnavailable, message)
        }
    }

    /// A peer that did not answer in time; `cause` is logged, not shown.
    pub fn timeout(what: &str, cause: impl fmt::Display) -> Self {
        log::error!("{what} timed out: {cause}");
        ApiError::new(
            ErrorCode::UpstreamTimeout,
            format!("The {what} did not answer in time. Please try again later."),
        )
    }

    /// Anything unexpected: the cause is logged with the code the caller sees.
    pub fn internal(cause: impl fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        ApiError::new(
            ErrorCode::Internal,
            "An internal error occurred. Please try again later.",
        )
    }

    /// Rebuilds an error from an envelope a peer sent, keeping its status.
    pub fn from_envelope(status: StatusCode, envelope: ErrorEnvelope) -> Self {
        let code = ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == envelope.error.code)
            .unwrap_or(ErrorCode::Internal);
        ApiError {
            code,
            status,
            message: envelope.error.message.value,
            challenge: None,
            retry_after: None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The seconds a 503 asks the caller to wait (`Retry-After`), if it asks.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope::new(self.code.as_str(), self.message.clone())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code.as_str(),
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        match self.challenge {
            Some(Challenge::Basic) => {
                builder.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Basic realm=\"{REALM}\", charset=\"UTF-8\""),
                ));
            }
            Some(Challenge::Bearer) => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            None => {}
        }
        if let Some(seconds) = self.retry_after {
            builder.insert_header((header::RETRY_AFTER, seconds));
        }
        let mut response = builder.json(self.envelope());
        response.extensions_mut().insert(Enveloped);
        response
    }
}

/// An actix status from a number (peers use another `http` crate version).
pub fn status_from_u16(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented_with_its_status_and_codes_are_unique() {
        let doc = include_str!("../../../docs/errors.md");
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
            let row = format!("| {} | {} |", code.as_str(), code.status().as_u16());
            assert!(doc.contains(&row), "docs/errors.md lacks the row {row}");
        }
    }

    #[test]
    fn errors_render_the_envelope_and_nothing_else() {
        let response = ApiError::missing_field("name").error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let json = serde_json::to_value(ApiError::missing_field("name").envelope()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "222200002", "message": {"lang": "en-US", "value": "Missing required field 'name'"}}})
        );
    }
}
