//! Parsing JSON request fields into known-good values.
//!
//! Request bodies deserialize into DTOs whose fields are `Option<serde_json::Value>`, so that a
//! mistyped field is reported by name (serde's own messages only give a line and column). The
//! functions here turn one such field into a checked value or an [`ApiError`] naming it.
//! JSON `null` counts as absent.

use serde_json::Value;

use crate::ApiError;

/// Longest accepted free text (descriptions), in characters.
pub const DESCRIPTION_MAX: usize = 256;
/// Longest accepted object name, in characters.
pub const NAME_MAX: usize = 128;
/// Longest accepted URL, in bytes.
pub const URL_MAX: usize = 2048;

/// A required string; must not be empty or only white space, at most `max` characters.
pub fn required_text(field: &str, value: Option<Value>, max: usize) -> Result<String, ApiError> {
    optional_text(field, value, max)?.ok_or_else(|| ApiError::missing_field(field))
}

/// An optional string of at most `max` characters; an empty string is kept as given.
pub fn optional_text(
    field: &str,
    value: Option<Value>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => text,
        Some(other) => {
            return Err(ApiError::invalid_field(
                field,
                format!("expected a string, found {}", kind(&other)),
            ))
        }
    };
    let length = text.chars().count();
    if length > max {
        return Err(ApiError::invalid_field(
            field,
            format!("at most {max} characters are allowed, found {length}"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ApiError::invalid_field(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(Some(text))
}

/// A required non-blank string (credentials, tokens, scopes).
pub fn required_nonblank(
    field: &str,
    value: Option<Value>,
    max: usize,
) -> Result<String, ApiError> {
    let text = required_text(field, value, max)?;
    if text.trim().is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    Ok(text)
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

/// A required positive id, given as a JSON number or as a string of digits.
pub fn required_id(field: &str, value: Option<Value>) -> Result<i64, ApiError> {
    optional_id(field, value)?.ok_or_else(|| ApiError::missing_field(field))
}

/// An optional positive id, given as a JSON number or as a string of digits.
pub fn optional_id(field: &str, value: Option<Value>) -> Result<Option<i64>, ApiError> {
    let problem = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) => match whole_number(&number) {
            Some(id) if id > 0 => return Ok(Some(id)),
            _ => format!("expected a positive whole number, found {number}"),
        },
        Some(Value::String(text)) => match parse_id(&text) {
            Some(id) => return Ok(Some(id)),
            None => "expected a positive whole number or a string of digits".to_owned(),
        },
        Some(other) => format!("expected a positive whole number, found {}", kind(&other)),
    };
    Err(ApiError::invalid_field(field, problem))
}

/// A JSON number that is a whole number: `17`, and also `17.0` or `1.7e1`, which JSON (and
/// JSON Schema's `integer`) count as the same number. Fractions and values beyond 2^53 as
/// floating point (where whole-ness cannot be told) are not.
fn whole_number(number: &serde_json::Number) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    number.as_i64().or_else(|| {
        let value = number.as_f64()?;
        (value.fract() == 0.0 && value.abs() <= EXACT).then_some(value as i64)
    })
}

/// Parses a positive id from text made only of ASCII digits (no sign, no spaces), possibly
/// followed by a decimal point and zeros: `17.0` is the whole number 17, as JSON Schema's
/// `integer` counts it (and as generated clients may write it in a path or a query).
pub fn parse_id(text: &str) -> Option<i64> {
    parse_whole_number(text).filter(|id| *id > 0)
}

/// Parses a whole number written as ASCII digits with an optional leading `-` and an optional
/// fraction of zeros (`-3`, `17`, `17.0`); anything else, or out of `i64`'s range, is `None`.
pub fn parse_whole_number(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(unsigned) => (true, unsigned),
        None => (false, text),
    };
    let digits = match unsigned.split_once('.') {
        Some((digits, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => digits,
        Some(_) => return None,
        None => unsigned,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<i64>().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// A required absolute `http` or `https` URL with a host.
pub fn http_url(field: &str, value: Option<Value>) -> Result<String, ApiError> {
    let text = required_text(field, value, URL_MAX)?;
    let parsed = url::Url::parse(&text).map_err(|_| {
        ApiError::invalid_field(
            field,
            format!("expected an absolute http or https URL such as 'https://example.com/oauth', found '{text}'"),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ApiError::invalid_field(
            field,
            format!("expected an absolute http or https URL, found '{text}'"),
        ));
    }
    Ok(text)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_accept_numbers_and_digit_strings_only() {
        assert_eq!(required_id("id", Some(json!(17))).unwrap(), 17);
        assert_eq!(required_id("id", Some(json!("17"))).unwrap(), 17);
        assert_eq!(required_id("id", Some(json!("0017"))).unwrap(), 17);
        assert_eq!(required_id("id", Some(json!("17.00"))).unwrap(), 17);
        assert_eq!(required_id("id", Some(json!(17.0))).unwrap(), 17);
        assert_eq!(required_id("id", Some(json!(1.7e1))).unwrap(), 17);
        for bad in [
            json!(0),
            json!(-3),
            json!(1.5),
            json!(0.0),
            json!(-2.0),
            json!(1e300),
            json!("0"),
            json!("000"),
            json!("17."),
            json!(".0"),
            json!("17.5"),
            json!("1.0.0"),
            json!("1a"),
            json!(" 1"),
            json!("+1"),
            json!(true),
            json!("99999999999999999999"),
        ] {
            let err = required_id("oauthAppId", Some(bad)).unwrap_err();
            assert!(err.message().contains("'oauthAppId'"), "{}", err.message());
        }
        assert!(required_id("id", None)
            .unwrap_err()
            .message()
            .contains("Missing"));
    }

    #[test]
    fn names_are_letters_digits_underscore() {
        assert_eq!(
            object_name("name", Some(json!("User_1")), 128).unwrap(),
            "User_1"
        );
        for bad in ["", "a b", "a-b", "é", "a;drop"] {
            assert!(object_name("name", Some(json!(bad)), 128).is_err(), "{bad}");
        }
        assert!(object_name("name", Some(json!("a".repeat(129))), 128).is_err());
        assert!(object_name("name", Some(json!("a".repeat(128))), 128).is_ok());
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(http_url(
            "tokenURI",
            Some(json!("https://www.googleapis.com/oauth2/v3/token"))
        )
        .is_ok());
        for bad in [
            "www.googleapis.com",
            "ftp://x.y/z",
            "https://",
            "mailto:a@b.c",
        ] {
            assert!(http_url("tokenURI", Some(json!(bad))).is_err(), "{bad}");
        }
    }
}
