//! The rules of this module as JSON Schema, for the OpenAPI document: lengths from the same
//! constants, and patterns that a generated client or a schema-driven fuzzer can draw values
//! from. A pattern may refuse more than its rule (it describes a subset), never less.
//!
//! Patterns are ECMA-262 regular expressions, which match UTF-16 code units: the characters of
//! [`super::is_forbidden_char`] beyond the Basic Multilingual Plane cannot be named one by one there,
//! so [`forbidden_class`] refuses every surrogate, i.e. every character beyond that plane.

use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

use super::{DESCRIPTION_MAX, FORMAT_CHARACTERS, NAME_MAX, URL_MAX};

/// The body of a regular-expression character class holding every character of
/// [`super::is_forbidden_char`] in the Basic Multilingual Plane, as `\uXXXX` escapes and ranges, and
/// the surrogates (`\uD800-\uDFFF`), which stand for every character beyond it.
pub fn forbidden_class() -> String {
    let mut ranges: Vec<(u32, u32)> = vec![(0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029)];
    ranges.extend(
        FORMAT_CHARACTERS
            .iter()
            .map(|(first, last)| (u32::from(*first), u32::from(*last)))
            .filter(|(first, _)| *first <= 0xFFFF),
    );
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (first, last) in ranges {
        match merged.last_mut() {
            Some((_, end)) if first <= *end + 1 => *end = (*end).max(last),
            _ => merged.push((first, last)),
        }
    }
    let mut class: String = merged
        .iter()
        .map(|(first, last)| match first == last {
            true => format!("\\u{first:04X}"),
            false => format!("\\u{first:04X}-\\u{last:04X}"),
        })
        .collect();
    class.push_str("\\uD800-\\uDFFF");
    class
}

/// A string of 1 to [`NAME_MAX`] ASCII letters, digits or underscores ([`super::object_name`]).
pub fn object_name() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(NAME_MAX))
        .pattern(Some(format!("^[A-Za-z0-9_]{{1,{NAME_MAX}}}$")))
}

/// Free text of at most `max` characters, none of [`super::is_forbidden_char`]
/// ([`super::optional_text`]).
pub fn text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(max))
        .pattern(Some(format!("^[^{}]*$", forbidden_class())))
}

/// 1 to `max` characters, none of [`super::is_forbidden_char`] and no white space at either end
/// ([`super::required_nonblank`]).
pub fn nonblank(max: usize) -> ObjectBuilder {
    nonblank_without("", max)
}

/// [`nonblank`] without the characters of `excluded` either (written as in a character
/// class), anywhere.
pub fn nonblank_without(excluded: &str, max: usize) -> ObjectBuilder {
    let forbidden = forbidden_class();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(format!(
            "^[^{excluded}\\s{forbidden}]([^{excluded}{forbidden}]*[^{excluded}\\s{forbidden}])?$"
        )))
}

/// `schema` (a string) that may also be `null`, which counts as absent.
pub fn or_null(schema: ObjectBuilder) -> ObjectBuilder {
    schema.schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

/// An optional description in a request body: free text of at most [`DESCRIPTION_MAX`]
/// characters, or `null`.
pub fn description() -> ObjectBuilder {
    or_null(text(DESCRIPTION_MAX))
}

/// A string of at most `max` characters, as an answer carries it.
pub fn bounded(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(max))
}

/// A description as an answer carries it, when there is one.
pub fn description_answer() -> ObjectBuilder {
    bounded(DESCRIPTION_MAX)
}

/// A host name or an IPv4 address, with an optional port below 10000 (no IPv6 literals, no
/// user information).
pub const URL_HOST_PATTERN: &str = concat!(
    r"(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    r"|(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})",
    r"(:[0-9]{1,4})?"
);

/// What may follow a URL's host: an optional path and query without white space, fragment,
/// comma, wildcard, backslash or a character of [`super::is_forbidden_char`].
pub fn url_path_pattern() -> String {
    format!(r"([/?][^\s#,*\\{}]*)?", forbidden_class())
}

/// An id in a request body: a positive JSON number or a string of digits (`17` or `"17"`), as
/// [`super::required_id`] reads it.
pub struct IdInput;

impl PartialSchema for IdInput {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(1)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    // 1 to 18 significant digits: every id we hand out, and never one past
                    // the largest 64-bit id.
                    .pattern(Some("^0*[1-9][0-9]{0,17}(\\.0+)?$")),
            )
            .description(Some(
                "A positive whole number, as a JSON number or a string of digits (`17`, `17.0` \
                 or `\"17\"`).",
            ))
            .into()
    }
}

impl ToSchema for IdInput {}

/// `authorizeURI` and `tokenURI`: an absolute `http` or `https` URL with a host
/// ([`super::http_url`]).
pub struct HttpUrl;

impl PartialSchema for HttpUrl {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(URL_MAX))
            .pattern(Some(format!(
                "^[Hh][Tt][Tt][Pp][Ss]?://{URL_HOST_PATTERN}{}$",
                url_path_pattern()
            )))
            .description(Some(
                "An absolute `http` or `https` URL with a host, e.g. \
                 `https://accounts.google.com/o/oauth2/auth`.",
            ))
            .into()
    }
}

impl ToSchema for HttpUrl {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::is_forbidden_char;

    /// Every character of the class, read back from its escapes, is one the rule refuses,
    /// and every character the rule refuses in the Basic Multilingual Plane is in it.
    #[test]
    fn the_forbidden_class_is_the_rule() {
        let class = forbidden_class();
        let hex = |part: &str| u32::from_str_radix(part.trim_end_matches('-'), 16).unwrap();
        let parts: Vec<&str> = class.split("\\u").skip(1).collect();
        let mut listed = Vec::new();
        let mut index = 0;
        while index < parts.len() {
            let first = hex(parts[index]);
            if parts[index].ends_with('-') {
                listed.push((first, hex(parts[index + 1])));
                index += 2;
            } else {
                listed.push((first, first));
                index += 1;
            }
        }
        assert_eq!(listed.last(), Some(&(0xD800, 0xDFFF)));
        for c in (0..=0xFFFF).filter_map(char::from_u32) {
            let code = u32::from(c);
            let in_class = listed
                .iter()
                .any(|(first, last)| (*first..=*last).contains(&code));
            assert_eq!(in_class, is_forbidden_char(c), "U+{code:04X}");
        }
    }
}
