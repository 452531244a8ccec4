//! Parsing JSON request fields into known-good values.
//!
//! Request bodies deserialize into DTOs whose fields are `Option<serde_json::Value>`, so that a
//! mistyped field is reported by name (serde's own messages only give a line and column). The
//! functions here turn one such field into a checked value or an [`ApiError`] naming it.
//! JSON `null` counts as absent.
//!
//! Every string that is stored goes through [`check_characters`]: no control character, no
//! format character, no line or paragraph separator, whatever the field. Identifiers,
//! credentials, tokens and scopes ([`required_nonblank`], [`optional_nonblank`]) also may not
//! begin or end with white space. URLs are checked as sent before any parser sees them
//! ([`check_url_text`]), then stored in their parsed, normalised form ([`http_url`]).
//!
//! [`schema`] describes the same rules for the OpenAPI document, built from the same constants.

mod ids;
pub mod schema;
mod urls;

#[cfg(test)]
mod tests;

use serde_json::Value;

pub use ids::{optional_id, parse_id, parse_whole_number, required_id};
pub use urls::{
    check_provider_host, check_url_length, check_url_parts, check_url_text, http_url, is_inward_ip,
    is_local_name, provider_url, PrivateUris,
};

use crate::ApiError;

/// Longest accepted free text (descriptions), in characters.
pub const DESCRIPTION_MAX: usize = 256;
/// Longest accepted object name, in characters.
pub const NAME_MAX: usize = 128;
/// Longest accepted URL, in bytes.
pub const URL_MAX: usize = 2048;

/// The format characters (Unicode general category Cf, Unicode 15.1), as inclusive ranges:
/// invisible, and able to reorder (U+202E) or hide (U+200B, U+2060) what a person reads.
const FORMAT_CHARACTERS: [(char, char); 21] = [
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// Whether `c` may appear in no stored string: a control character (Unicode Cc: C0 controls
/// such as NUL, TAB, LF and CR, DEL, and C1 controls such as U+0085), a format character (Cf:
/// U+200B, U+202E, U+FEFF, ...), or the line and paragraph separators U+2028 and U+2029, which
/// are line breaks by another name. Such characters split log lines and headers, or make what
/// is shown differ from what is stored.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || FORMAT_CHARACTERS
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&c))
}

/// How a character is named in messages: `U+000A`. (The character itself could be invisible,
/// or break the line the message is logged on.)
fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// 400 naming `field` when `text` holds a character of [`is_forbidden_char`].
pub fn check_characters(field: &str, text: &str) -> Result<(), ApiError> {
    match text.chars().find(|c| is_forbidden_char(*c)) {
        Some(c) => Err(ApiError::invalid_field(
            field,
            format!(
                "control characters, format characters and line separators are not allowed \
                 (found {})",
                code_point(c)
            ),
        )),
        None => Ok(()),
    }
}

/// 400 naming `field` when `text` begins or ends with white space (any Unicode white space),
/// which in an identifier, a credential or a token is a copy-and-paste slip, not part of it.
pub fn check_no_surrounding_space(field: &str, text: &str) -> Result<(), ApiError> {
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return Err(ApiError::invalid_field(
            field,
            "must not begin or end with white space",
        ));
    }
    Ok(())
}

/// A required string of at most `max` characters, under the rules of [`optional_text`].
pub fn required_text(field: &str, value: Option<Value>, max: usize) -> Result<String, ApiError> {
    optional_text(field, value, max)?.ok_or_else(|| ApiError::missing_field(field))
}

/// An optional string of at most `max` characters without a character of
/// [`is_forbidden_char`]; an empty string is kept as given. For free text (descriptions).
pub fn optional_text(
    field: &str,
    value: Option<Value>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(text) = optional_string(field, value)? else {
        return Ok(None);
    };
    let length = text.chars().count();
    if length > max {
        return Err(ApiError::invalid_field(
            field,
            format!("at most {max} characters are allowed, found {length}"),
        ));
    }
    check_characters(field, &text)?;
    Ok(Some(text))
}

/// A JSON string, or `None` for absent or `null`; anything else is 400 naming `field`.
pub fn optional_string(field: &str, value: Option<Value>) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(ApiError::invalid_field(
            field,
            format!("expected a string, found {}", kind(&other)),
        )),
    }
}

/// A required non-empty string (identifiers, credentials, tokens, scopes): at most `max`
/// characters, none of [`is_forbidden_char`], and no white space at either end.
pub fn required_nonblank(
    field: &str,
    value: Option<Value>,
    max: usize,
) -> Result<String, ApiError> {
    let text = required_text(field, value, max)?;
    if text.trim().is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    check_no_surrounding_space(field, &text)?;
    Ok(text)
}

/// An optional string under the rules of [`required_nonblank`]; an empty string counts as
/// absent.
pub fn optional_nonblank(
    field: &str,
    value: Option<Value>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(text) = optional_text(field, value, max)?.filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    check_no_surrounding_space(field, &text)?;
    Ok(Some(text))
}

/// An object name: 1 to `max` ASCII letters, digits or underscores.
pub fn object_name(field: &str, value: Option<Value>, max: usize) -> Result<String, ApiError> {
    let name = required_text(field, value, max)?;
    if name.is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ApiError::invalid_field(
            field,
            "may contain only letters, digits and the underscore character",
        ));
    }
    Ok(name)
}

/// How a JSON value is described in messages ("a number", "an array", ...).
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
