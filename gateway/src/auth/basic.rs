//! HTTP Basic credentials as a request carries them.

use actix_web::http::header::{self, HeaderMap};
use api_common::error::Challenge;
use api_common::ApiError;
use base64::Engine;

/// A user name as sent, for a log line: at most 64 characters, quoted, with control and other
/// invisible characters escaped, so that a caller cannot forge or flood log lines with it.
pub(super) fn loggable(user_name: &str) -> String {
    const SHOWN: usize = 64;
    let mut shown: String = user_name
        .chars()
        .take(SHOWN)
        .flat_map(char::escape_debug)
        .collect();
    if user_name.chars().nth(SHOWN).is_some() {
        shown.push_str("...");
    }
    format!("\"{shown}\"")
}

pub(super) fn bad_credentials() -> ApiError {
    ApiError::unauthenticated(Challenge::Basic, "Invalid user name or password")
}

/// The user name and password of an `Authorization: Basic` header.
pub(super) fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthenticated(
                Challenge::Basic,
                "Authentication required: send HTTP Basic credentials",
            )
        })?
        .to_str()
        .map_err(|_| bad_credentials())?;
    let encoded = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => rest.trim(),
        _ => {
            return Err(ApiError::unauthenticated(
                Challenge::Basic,
                "Authentication required: send HTTP Basic credentials",
            ))
        }
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| bad_credentials())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad_credentials())?;
    let (user, secret) = decoded.split_once(':').ok_or_else(bad_credentials)?;
    if user.is_empty() {
        return Err(bad_credentials());
    }
    Ok((user.to_owned(), secret.to_owned()))
}

/// Request headers with `Authorization: <value>`, for tests.
#[cfg(test)]
pub(super) fn headers(value: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(
        header::AUTHORIZATION,
        header::HeaderValue::from_str(value).unwrap(),
    );
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_parsed_strictly() {
        let ok = base64::engine::general_purpose::STANDARD.encode("admin:pa:ss");
        assert_eq!(
            basic_credentials(&headers(&format!("Basic {ok}"))).unwrap(),
            ("admin".into(), "pa:ss".into())
        );
        for bad in ["Bearer x", "Basic !!!", "Basic", "Basic YWRtaW4="] {
            assert!(basic_credentials(&headers(bad)).is_err(), "{bad}");
        }
        assert!(basic_credentials(&HeaderMap::new()).is_err());
    }

    #[test]
    fn user_names_are_logged_bounded_and_escaped() {
        assert_eq!(loggable("alice"), "\"alice\"");
        assert_eq!(
            loggable("a\r\nINFO forged\u{202e}"),
            "\"a\\r\\nINFO forged\\u{202e}\""
        );
        let long = loggable(&"x".repeat(10_000));
        assert_eq!(long.len(), 64 + 3 + 2);
    }
}
