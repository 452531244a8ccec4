//! The authorization server's JSON errors (RFC 6749 5.2): `{"error":..,"error_description":..}`
//! with `Cache-Control: no-store`, never the envelope.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use api_common::http::mark_enveloped;
use api_common::{ApiError, ErrorCode};
use serde_json::json;

/// An RFC 6749 error answer with `status`.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(json!({"error": error, "error_description": description}));
    // Not the envelope, and meant so: the envelope guard leaves it alone.
    mark_enveloped(&mut response);
    response
}

/// What an internal failure (a peer down, a database error, a limit) looks like on an OAuth
/// endpoint: its status, with the RFC 6749 error that fits it.
pub fn from_api_error(err: &ApiError) -> HttpResponse {
    let status = err.status_code();
    let (error, description) = match err.code() {
        ErrorCode::ServiceUnavailable | ErrorCode::UpstreamTimeout => {
            ("temporarily_unavailable", err.message())
        }
        ErrorCode::Unauthenticated => ("access_denied", err.message()),
        ErrorCode::RouteNotFound
        | ErrorCode::MethodNotAllowed
        | ErrorCode::PayloadTooLarge
        | ErrorCode::UnsupportedMediaType
        | ErrorCode::MalformedRequest
        | ErrorCode::InvalidQuery
        | ErrorCode::InvalidField => ("invalid_request", err.message()),
        _ => (
            "server_error",
            "The authorization server failed; try again later",
        ),
    };
    let mut response = oauth_error(status, error, description);
    if let Some(value) = err
        .error_response()
        .headers()
        .get(header::RETRY_AFTER)
        .cloned()
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"hdp-oauth\", charset=\"UTF-8\""),
        );
    }
    response
}
