//! URLs, checked as sent and kept in their parsed, normalised form.

use serde_json::Value;
use url::Url;

use super::{code_point, is_forbidden_char, optional_string, URL_MAX};
use crate::ApiError;

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
    check_url_length(field, text, "")?;
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
    check_url_length(field, &normalised, " once normalised")?;
    Ok(normalised)
}

/// 400 naming `field` when `url` is longer than [`URL_MAX`] bytes; `when` tells which form
/// was measured (`" once normalised"`, or `""` for the text as sent).
pub fn check_url_length(field: &str, url: &str, when: &str) -> Result<(), ApiError> {
    if url.len() > URL_MAX {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "a URL may be at most {URL_MAX} bytes long, found {}{when}",
                url.len()
            ),
        ));
    }
    Ok(())
}
