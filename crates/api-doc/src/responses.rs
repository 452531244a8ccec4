//! The error answers, one reusable response per status, each with the envelope as its body, and
//! [`Errors`], which says once which of them an operation gives.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::ToResponse;

fn envelope(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
            .build(),
    )
}

macro_rules! error_responses {
    ($($name:ident => $description:expr;)*) => {$(
        #[doc = $description]
        pub struct $name;

        impl<'s> utoipa::ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<Response>) {
                (stringify!($name), envelope($description).build().into())
            }
        }
    )*};
}

error_responses! {
    BadRequest => "The body, a field, a query parameter or the id in the path is malformed or breaks a rule (`222200001` to `222200004`; the message names the field).";
    Forbidden => "Authenticated, but the caller lacks a permission the operation needs, or may not act for `?user=` (`222200011`).";
    NotFound => "Nothing with this id that the caller may see (`222207701`, `222207710`, `222206601`, `222200040` or `222200041`).";
    MethodNotAllowed => "The path exists, but not with this method (`222200021`).";
    Conflict => "A name already taken, or an object still in use (`222200030`); or an OAuth provider that refused a profile's refresh token, which must be connected again (`222207720`).";
    BadGateway => "An OAuth provider could not be reached, failed (5xx) or answered what OAuth does not allow (`222200092`); the profile's tokens are unchanged.";
    PayloadTooLarge => "The body is larger than the limit, 256 KiB by default (`222200022`).";
    UnsupportedMediaType => "The body is not sent as `Content-Type: application/json` (`222200023`).";
    InternalError => "Anything unexpected (`222200099`); the cause is logged, never shown.";
    ServiceUnavailable => "A database or peer service cannot be reached; nothing was written (`222200090`).";
    GatewayTimeout => "A peer service (`222200091`) or an OAuth provider (`222200093`) did not answer in time.";
}

/// 401, with the Basic challenge.
pub struct Unauthorized;

impl<'s> utoipa::ToResponse<'s> for Unauthorized {
    fn response() -> (&'s str, RefOr<Response>) {
        let response = envelope(
            "No credentials, wrong ones, or an inactive user (`222200010`). Unknown paths under \
             `/api` answer this too when no credentials are sent.",
        )
        .header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("`Basic realm=\"hdp-oauth\"`"))
                .build(),
        )
        .build();
        ("Unauthorized", response.into())
    }
}

/// The error answers of an operation behind credentials, for its `responses(...)`: 401, 500 and
/// 503 always, and those of each kind of failure in `F`, a tuple of [`Invalid`], [`Denied`],
/// [`Absent`], [`Conflicting`], [`Body`] and [`Peer`]. Each names the reusable response above.
pub struct Errors<F>(PhantomData<F>);

/// A kind of failure an operation may meet, and the statuses it adds to [`Errors`].
pub trait Failure {
    fn answers() -> Vec<(&'static str, RefOr<Response>)>;
}

macro_rules! failures {
    ($($(#[$doc:meta])* $name:ident => [$($status:literal $response:ident),+];)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl Failure for $name {
            fn answers() -> Vec<(&'static str, RefOr<Response>)> {
                vec![$(($status, reference::<$response>())),+]
            }
        }
    )*};
}

failures! {
    /// A malformed body, field, query parameter or id in the path.
    Invalid => ["400" BadRequest];
    /// A permission the caller lacks.
    Denied => ["403" Forbidden];
    /// Nothing with this id that the caller may see.
    Absent => ["404" NotFound];
    /// A name already taken, or an object still in use.
    Conflicting => ["409" Conflict];
    /// A request body: too large, or not JSON.
    Body => ["413" PayloadTooLarge, "415" UnsupportedMediaType];
    /// A peer service that may not answer in time.
    Peer => ["504" GatewayTimeout];
    /// An OAuth provider that may fail or be slow (502, 504).
    Provider => ["502" BadGateway, "504" GatewayTimeout];
}

/// A reference to the reusable response `R`.
fn reference<R: for<'s> ToResponse<'s>>() -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name(R::response().0))
}

macro_rules! failure_tuples {
    ($(($($kind:ident),*)),*) => {$(
        impl<$($kind: Failure),*> utoipa::IntoResponses for Errors<($($kind,)*)> {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                let always = vec![
                    ("401", reference::<Unauthorized>()),
                    ("500", reference::<InternalError>()),
                    ("503", reference::<ServiceUnavailable>()),
                ];
                [always, $($kind::answers()),*]
                    .into_iter()
                    .flatten()
                    .map(|(status, answer)| (status.to_owned(), answer))
                    .collect()
            }
        }
    )*};
}

failure_tuples!(
    (),
    (A),
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F)
);
