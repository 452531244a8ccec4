//! Actix glue shared by the gateway and the services.
//!
//! Handlers return [`ApiError`], which renders the envelope itself. What is left are the errors
//! actix produces on its own (a body it cannot read, a route or method it does not know, a
//! panic-free framework failure): [`json_config`], [`query_config`] and [`not_found`] turn the
//! common ones into precise envelopes, and [`envelope_guard`] catches whatever remains, so that
//! no non-2xx answer ever leaves with a framework's plain-text body. [`JsonBody`] is the
//! extractor for every JSON request body: one JSON object, never an array.

use std::fmt;
use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::Enveloped;
use crate::fields::{parse_id, parse_whole_number};
use crate::{ApiError, ErrorCode};

/// Default limit on a JSON body, in bytes.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// JSON extractor settings: `limit` bytes at most, `application/json` only, every failure an
/// envelope.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("The request body is larger than the limit of {limit} bytes"),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "The request body must be JSON, sent with 'Content-Type: application/json'",
        ),
        JsonPayloadError::Deserialize(cause) if cause.to_string().contains(OBJECT_EXPECTED) => {
            ApiError::new(
                ErrorCode::MalformedRequest,
                "The request body must be a JSON object",
            )
        }
        JsonPayloadError::Deserialize(cause) => ApiError::new(
            ErrorCode::MalformedRequest,
            format!("The request body is not a valid JSON object of the expected shape: {cause}"),
        ),
        other => ApiError::new(
            ErrorCode::MalformedRequest,
            format!("The request body could not be read: {other}"),
        ),
    }
}

/// What [`JsonBody`] tells serde it expects; [`json_error`] recognises its refusal by it.
const OBJECT_EXPECTED: &str = "the request body to be one JSON object";

/// The extractor for a JSON request body, in place of `web::Json<T>`: the same limits and
/// envelopes ([`json_config`]), and the body must be one JSON object. A struct that serde
/// derives also accepts a JSON array and fills its fields by position (`["name", 54, ...]`),
/// which no client means and no rule checks; here an array, like a string, a number or `null`,
/// is 400 "The request body must be a JSON object".
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<JsonObject<T>>::from_request(req, payload);
        Box::pin(async move { Ok(JsonBody(json.await?.into_inner().0)) })
    }
}

/// `T` read from a JSON object only: the map is handed to `T`'s own deserializer (so its
/// checks, duplicate keys included, still apply), anything else is refused.
struct JsonObject<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(OBJECT_EXPECTED)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }

        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(JsonObject)
    }
}

/// Query string settings: every failure an envelope.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let message = match err {
            QueryPayloadError::Deserialize(cause) => format!("Invalid query string: {cause}"),
            other => format!("Invalid query string: {other}"),
        };
        ApiError::new(ErrorCode::InvalidQuery, message).into()
    })
}

/// The answer for a path no route matches.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::RouteNotFound,
        format!("No resource at '{}'", req.path()),
    ))
}

/// The answer for a known path asked with a method it does not support.
pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("Method {} is not allowed on '{}'", req.method(), req.path()),
    ))
}

/// The `{id}` segment of a resource path, parsed as a positive id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdPath(pub i64);

impl FromRequest for IdPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        ready(parse_id(raw).map(IdPath).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidPath,
                format!("Invalid id '{raw}': expected a positive whole number"),
            )
        }))
    }
}

/// Middleware that rewrites any non-2xx answer not already in the envelope into one.
///
/// Install it outside every middleware that can answer on its own (authentication), so it
/// also sees what they produce.
pub async fn envelope_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // An `Err` from inside can only come from middleware, and ours fail with `ApiError`, which
    // renders the envelope itself; actix turns it into the response. (Cloning the request here
    // to rebuild a response would break routing, which needs the request unshared.)
    let response = next.call(req).await?.map_into_boxed_body();
    Ok(guard_envelope(response))
}

/// What [`envelope_guard`] does to an answer, for a middleware that does more in one layer: an
/// error answer not in the envelope (actix's own 404, 405, 413, ...) is replaced by the
/// envelope's.
pub fn guard_envelope(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if status.is_success()
        || status.is_informational()
        || status.is_redirection()
        || response
            .response()
            .extensions()
            .get::<Enveloped>()
            .is_some()
    {
        return response;
    }
    let (req, res) = response.into_parts();
    let error = error_for_status(&req, res.status());
    ServiceResponse::new(req, error.error_response())
}

/// The layers every component puts outermost, as one middleware: the request's id, access log
/// and metrics ([`telemetry::observed`]), then the envelope guard ([`guard_envelope`]), then
/// paths in canonical form only ([`crate::paths::check_canonical`]). One layer rather than
/// three: each layer costs every request a boxed future and a call through `dyn`.
pub async fn front(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    telemetry::observed(req, |req| async move {
        let response = match crate::paths::check_canonical(req.uri().path()) {
            Ok(()) => next.call(req).await?.map_into_boxed_body(),
            Err(refused) => req.error_response(refused),
        };
        Ok(guard_envelope(response))
    })
    .await
}

fn error_for_status(req: &HttpRequest, status: StatusCode) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::new(
            ErrorCode::RouteNotFound,
            format!("No resource at '{}'", req.path()),
        ),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("Method {} is not allowed on '{}'", req.method(), req.path()),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            ErrorCode::PayloadTooLarge,
            "The request body is larger than the configured limit",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "The request body must be JSON, sent with 'Content-Type: application/json'",
        ),
        StatusCode::SERVICE_UNAVAILABLE => ApiError::new(
            ErrorCode::ServiceUnavailable,
            "The service is unavailable at this time. Please try again later.",
        ),
        StatusCode::GATEWAY_TIMEOUT => ApiError::new(
            ErrorCode::UpstreamTimeout,
            "The service did not answer in time. Please try again later.",
        ),
        s if s.is_client_error() => ApiError::new(
            ErrorCode::MalformedRequest,
            format!("The request could not be processed ({})", s.as_u16()),
        ),
        s => ApiError::internal(format!(
            "{} {} answered {} without an envelope",
            req.method(),
            req.path(),
            s.as_u16()
        )),
    }
}

/// Marks a response built elsewhere (a forwarded peer answer) as already in the envelope.
pub fn mark_enveloped(response: &mut HttpResponse) {
    response.extensions_mut().insert(Enveloped);
}

/// Items a list answers with when no `limit` is given.
pub const DEFAULT_PAGE_SIZE: i64 = 100;
/// The largest `limit` accepted.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// Serde `deserialize_with` for an optional whole-number query parameter (`?limit=`,
/// `?tenantId=`): `17`, and `17.0`, which JSON Schema's `integer` (and so the OpenAPI document)
/// counts as the same number; a sign is allowed, range checks are the caller's. Use with
/// `#[serde(default, deserialize_with = "...")]`.
pub fn whole_number_param<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error as _;
    use serde::Deserialize as _;
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    parse_whole_number(&text)
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("'{text}' is not a whole number")))
}

/// The paging parameters of a list's query string, `?limit=N&after=ID`, as a list handler
/// takes them (`web::Query<ListQuery>`); other parameters are ignored here (a list with filters
/// reads them with a query type of its own).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "whole_number_param")]
    pub limit: Option<i64>,
    #[serde(default, deserialize_with = "whole_number_param")]
    pub after: Option<i64>,
}

impl ListQuery {
    /// The page asked for ([`Page::parse`]).
    pub fn page(&self) -> Result<Page, ApiError> {
        Page::parse(self.limit, self.after)
    }
}

/// One page of a list: at most `limit` items with ids greater than `after`, in id order. Keyset
/// paging, so a page costs the same however many rows come before it; the next page is asked
/// with `after` = the last id received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub after: i64,
}

impl Page {
    /// From the `limit` and `after` query parameters, 400 naming the parameter when out of range.
    pub fn parse(limit: Option<i64>, after: Option<i64>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                format!(
                    "Invalid query parameter 'limit': expected 1 to {MAX_PAGE_SIZE}, found {limit}"
                ),
            ));
        }
        let after = after.unwrap_or(0);
        if after < 0 {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                format!("Invalid query parameter 'after': expected an id, found {after}"),
            ));
        }
        Ok(Page { limit, after })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{test as actix_test, App};
    use serde_json::Value;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        name: Option<Value>,
        #[expect(dead_code, reason = "only its position in an array matters here")]
        other: Option<Value>,
    }

    async fn echo(body: JsonBody<Body>) -> HttpResponse {
        HttpResponse::Ok().json(body.into_inner().name)
    }

    /// (status, error message or echoed name) for `body` posted as JSON.
    async fn post(body: &str) -> (StatusCode, Value) {
        let app = actix_test::init_service(
            App::new()
                .app_data(json_config(DEFAULT_BODY_LIMIT))
                .route("/", web::post().to(echo)),
        )
        .await;
        let request = actix_test::TestRequest::post()
            .uri("/")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_owned())
            .to_request();
        let response = actix_test::call_service(&app, request).await;
        let status = response.status();
        let value: Value = actix_test::read_body_json(response).await;
        (status, value)
    }

    #[actix_web::test]
    async fn a_json_body_must_be_one_object() {
        assert_eq!(
            post(r#"{"name": "a", "other": 1}"#).await,
            (StatusCode::OK, Value::from("a"))
        );
        for bad in [r#"["a", 1]"#, "[]", r#""a""#, "17", "null", "true"] {
            let (status, body) = post(bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(body["error"]["code"], "222200001", "{bad}");
            assert_eq!(
                body["error"]["message"]["value"], "The request body must be a JSON object",
                "{bad}"
            );
        }
        // The wrapped type's own checks still apply.
        let (status, body) = post(r#"{"name": "a", "name": "b"}"#).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let message = body["error"]["message"]["value"].as_str().unwrap();
        assert!(message.contains("duplicate field `name`"), "{message}");
        let (status, _) = post(r#"{"name": "a"} []"#).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn pages_default_and_refuse_out_of_range_values() {
        assert_eq!(
            Page::parse(None, None).unwrap(),
            Page {
                limit: 100,
                after: 0
            }
        );
        assert_eq!(
            Page::parse(Some(1000), Some(7)).unwrap(),
            Page {
                limit: 1000,
                after: 7
            }
        );
        for (limit, after) in [
            (Some(0), None),
            (Some(1001), None),
            (Some(-5), None),
            (None, Some(-1)),
        ] {
            let err = Page::parse(limit, after).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidQuery);
        }
    }
}
