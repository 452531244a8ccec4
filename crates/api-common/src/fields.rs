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

use serde_json::Value;
use url::Url;

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
fn optional_string(field: &str, value: Option<Value>) -> Result<Option<String>, ApiError> {
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

/// Checks a URL as sent, before any parser sees it: at most [`URL_MAX`] bytes, and no white
/// space (leading and trailing included), control or format character, or backslash. A
/// WHATWG parser (the `url` crate) silently drops tabs and line breaks, trims blanks and turns
/// backslashes into slashes, so what it checks would not be what was sent. Percent-encoded
/// bytes (`%0D%0A`) are left alone: encoded, they are inert.
pub fn check_url_text(field: &str, text: &str) -> Result<(), ApiError> {
    if text.is_empty() {
        return Err(ApiError::invalid_field(
            field,
            "an empty URL is not allowed",
        ));
    }
    if text.len() > URL_MAX {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "a URL may be at most {URL_MAX} bytes long, found {}",
                text.len()
            ),
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_whitespace() || is_forbidden_char(*c) || *c == '\\')
    {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "a URL must not contain white space, control or format characters or \
                 backslashes (found {}); percent-encode them",
                code_point(c)
            ),
        ));
    }
    Ok(())
}

/// Checks the parts of `url`, parsed from `text` (which passed [`check_url_text`]), that a
/// WHATWG parser would otherwise repair or keep unseen: `http` and `https` URLs must be written
/// `scheme://host...` (the parser reads `https:host` and `https:/host` as `https://host`), and
/// no URL may carry user information (`user:password@`, even empty) or a fragment (`#...`,
/// even empty).
pub fn check_url_parts(field: &str, text: &str, url: &Url) -> Result<(), ApiError> {
    let rest = text
        .split_once(':')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let authority = rest
        .strip_prefix("//")
        .map(|after| after.split(['/', '?', '#']).next().unwrap_or_default());
    if matches!(url.scheme(), "http" | "https") && (authority.is_none() || rest.starts_with("///"))
    {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "'{text}' must be written with '//' and a host after the scheme, such as \
                 '{}://example.com/path'",
                url.scheme()
            ),
        ));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || authority.is_some_and(|authority| authority.contains('@'))
    {
        return Err(ApiError::invalid_field(
            field,
            // Not echoed: the text holds a password.
            "a URL must not contain a user name or password ('...@')",
        ));
    }
    if url.fragment().is_some() {
        return Err(ApiError::invalid_field(
            field,
            format!("'{text}' must not contain a fragment ('#...')"),
        ));
    }
    Ok(())
}

/// A required absolute `http` or `https` URL with a host, in its normalised form: the parsed
/// URL's serialization (scheme and host in lower case, a default port dropped, an empty path
/// written `/`, a non-ASCII host in punycode), which is what is stored and called. Checked
/// as sent first ([`check_url_text`], [`check_url_parts`]).
pub fn http_url(field: &str, value: Option<Value>) -> Result<String, ApiError> {
    let text = optional_string(field, value)?.ok_or_else(|| ApiError::missing_field(field))?;
    check_url_text(field, &text)?;
    let expected = || {
        ApiError::invalid_field(
            field,
            format!(
                "expected an absolute http or https URL such as 'https://example.com/oauth', \
                 found '{text}'"
            ),
        )
    };
    let url = Url::parse(&text).map_err(|_| expected())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(expected());
    }
    check_url_parts(field, &text, &url)?;
    let normalised = String::from(url);
    if normalised.len() > URL_MAX {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "a URL may be at most {URL_MAX} bytes long, found {} once normalised",
                normalised.len()
            ),
        ));
    }
    Ok(normalised)
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
            "",
        ] {
            assert!(http_url("tokenURI", Some(json!(bad))).is_err(), "{bad}");
        }
        assert!(http_url("tokenURI", None)
            .unwrap_err()
            .message()
            .contains("Missing required field 'tokenURI'"));
    }

    /// What a WHATWG parser would strip, repair or hide is refused as sent, naming the field.
    #[test]
    fn urls_are_checked_as_sent() {
        for bad in [
            "https://x.example/a\r\nLocation: https://evil.example/",
            "https://x.example/a\rb",
            "https://x.example/a\nb",
            "https://x.example/a\tb",
            "https://x.example/a\u{0}b",
            "https://x.example/a\u{85}b",
            "https://x.example/a\u{2028}b",
            "https://x.example/a\u{202E}b",
            "https://x.example/a\u{200B}b",
            "https://x.example/a\u{A0}b",
            "https://x.example/a b",
            " https://x.example/a",
            "https://x.example/a ",
            "\thttps://x.example/a",
            "https://x.example/a\n",
            "https://user:pw@x.example/a",
            "https://user@x.example/a",
            "https://@x.example/a",
            "https://x.example/a#frag",
            "https://x.example/a#",
            "https:x.example/a",
            "https:/x.example/a",
            "https:///x.example/a",
            "https:\\\\x.example/a",
            "https://x.example\\a",
        ] {
            let err = http_url("authorizeURI", Some(json!(bad))).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidField, "{bad:?}");
            assert!(
                err.message()
                    .starts_with("Invalid value for 'authorizeURI'"),
                "{bad:?}: {}",
                err.message()
            );
            assert!(!err.message().contains(['\r', '\n']), "{}", err.message());
        }
    }

    #[test]
    fn urls_are_kept_in_normalised_form() {
        for (sent, kept) in [
            (
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://accounts.google.com/o/oauth2/v2/auth",
            ),
            ("HTTPS://X.Example:443/a", "https://x.example/a"),
            ("http://x.example", "http://x.example/"),
            ("https://x.example/a/../b?q=1", "https://x.example/b?q=1"),
            (
                "https://bücher.example/ä",
                "https://xn--bcher-kva.example/%C3%A4",
            ),
            // Encoded, a line break is inert: it stays as sent.
            ("https://x.example/a%0d%0aB", "https://x.example/a%0d%0aB"),
        ] {
            assert_eq!(http_url("tokenURI", Some(json!(sent))).unwrap(), kept);
        }
    }

    #[test]
    fn stored_text_refuses_control_and_format_characters() {
        for bad in [
            "a\rb",
            "a\nb",
            "a\tb",
            "a\u{0}b",
            "a\u{7F}b",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{202E}b",
            "a\u{200B}b",
            "a\u{FEFF}b",
            "a\u{AD}b",
            "a\u{E0041}b",
        ] {
            for err in [
                optional_text("description", Some(json!(bad)), 256).unwrap_err(),
                required_nonblank("scope", Some(json!(bad)), 256).unwrap_err(),
                optional_nonblank("accessToken", Some(json!(bad)), 256).unwrap_err(),
            ] {
                assert_eq!(err.code(), crate::ErrorCode::InvalidField);
                assert!(err.message().contains("(found U+"), "{}", err.message());
                assert!(!err.message().contains(bad), "{}", err.message());
            }
        }
        assert_eq!(
            optional_text("description", Some(json!(" Zoë — ok ")), 256).unwrap(),
            Some(" Zoë — ok ".to_owned())
        );
        assert!(is_forbidden_char('\u{200D}'));
        for fine in ['a', ' ', 'é', '—', '\u{A0}', '\u{3000}', '😀'] {
            assert!(!is_forbidden_char(fine), "{fine:?}");
        }
    }

    #[test]
    fn identifiers_and_tokens_have_no_surrounding_white_space() {
        for bad in [" a", "a ", "\u{A0}a", "a\u{3000}"] {
            let err = required_nonblank("clientId", Some(json!(bad)), 64).unwrap_err();
            assert!(err.message().contains("white space"), "{}", err.message());
            assert!(optional_nonblank("accessToken", Some(json!(bad)), 64).is_err());
        }
        assert_eq!(
            required_nonblank("scope", Some(json!("a, b c")), 64).unwrap(),
            "a, b c"
        );
        assert_eq!(
            optional_nonblank("accessToken", Some(json!("")), 64).unwrap(),
            None
        );
        assert_eq!(optional_nonblank("accessToken", None, 64).unwrap(), None);
        assert!(required_nonblank("scope", Some(json!("  ")), 64).is_err());
        assert!(required_nonblank("scope", Some(json!("a".repeat(65))), 64).is_err());
    }
}
