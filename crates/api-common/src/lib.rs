//! What every hdp-oauth component shares at its HTTP boundary.
//!
//! - [`error`]: the management API's error envelope and the one error type every component
//!   renders it from, with the stable digit-string codes listed in `docs/errors.md`.
//! - [`fields`]: parsing of JSON request fields into known-good values, each failure naming
//!   the offending field.
//! - [`http`]: extractor configuration, fallback handlers and the middleware that guarantees
//!   no non-2xx answer ever leaves a component outside the envelope.
//! - [`paths`]: the one spelling of a path a component accepts (no dot segments, no
//!   percent-encoding).
//! - [`peer`]: why a call to a peer service failed, and the one mapping from that to the
//!   calling component's own answer (503, 504 or 500).

pub mod error;
pub mod fields;
pub mod http;
pub mod paths;
pub mod peer;

pub use error::{ApiError, ErrorCode, ErrorEnvelope};
