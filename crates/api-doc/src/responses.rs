//! The error answers, one reusable response per status, each with the envelope as its body.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

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
    Conflict => "A name already taken, or an object still in use (`222200030`).";
    PayloadTooLarge => "The body is larger than the limit, 256 KiB by default (`222200022`).";
    UnsupportedMediaType => "The body is not sent as `Content-Type: application/json` (`222200023`).";
    InternalError => "Anything unexpected (`222200099`); the cause is logged, never shown.";
    ServiceUnavailable => "A database or peer service cannot be reached; nothing was written (`222200090`).";
    GatewayTimeout => "A peer service did not answer in time (`222200091`).";
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
