//! Redirect URLs follow RFC 6749 3.1.2 and RFC 8252 rather than the product's sample, whose bare
//! host names could never be matched against an authorization request's `redirect_uri`.

#[cfg(test)]
mod tests;

use api_common::fields::{check_url_length, check_url_parts, check_url_text, kind};
use api_common::ApiError;
use client_registration_client::REDIRECT_URLS_MAX;
use serde_json::Value;
use url::{Host, Url};

/// The JSON name of the redirect URL list, used in every message about it.
pub const REDIRECT_URLS_FIELD: &str = "redirectUrls";

/// One redirect URL, from an allow-list: `https` with a host; `http` only to a loopback host
/// (RFC 8252 7.3, native apps listening locally: `localhost`, `127.0.0.0/8`, `[::1]`); or a
/// private-use scheme in reverse-domain form (RFC 8252 7.1: `com.example.app:/callback`, a
/// scheme with at least one dot). Every other scheme is refused (`javascript:`, `data:`,
/// `blob:`, `about:`, `file:`, a single-label `myapp:`, ...), and so are user information,
/// fragments, wildcards and anything [`check_url_text`] refuses. Written in ASCII only: a host
/// in punycode, the rest percent-encoded.
///
/// Kept in its normalised form (the parsed URL's serialization: scheme and host in lower case,
/// a default port dropped, an empty path written `/`), which is what authorization requests'
/// `redirect_uri` is compared with, as strings (RFC 6749 3.1.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrl(String);

impl RedirectUrl {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let invalid = |problem: String| ApiError::invalid_field(REDIRECT_URLS_FIELD, problem);
        check_url_text(REDIRECT_URLS_FIELD, text)?;
        if text.contains('*') {
            return Err(invalid(format!(
                "'{text}' must not contain a wildcard ('*'); register each URL in full"
            )));
        }
        let url = match Url::parse(text) {
            Ok(url) if looks_like_host_and_port(text, &url) => return Err(not_absolute(text)),
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => return Err(not_absolute(text)),
            Err(err) => return Err(invalid(format!("'{text}' is not a valid URL: {err}"))),
        };
        if !text.is_ascii() {
            return Err(invalid(format!(
                "'{text}' must be written in ASCII, the host in punycode: '{url}'"
            )));
        }
        check_url_parts(REDIRECT_URLS_FIELD, text, &url)?;
        match url.scheme() {
            "https" if url.host().is_some() => {}
            "http" if is_loopback(url.host()) => {}
            "http" => {
                return Err(invalid(format!(
                    "'{text}' uses http, which is allowed only for a loopback host \
                     (localhost, 127.0.0.1 or [::1]); use https"
                )))
            }
            scheme if is_private_use(scheme) && !url.is_special() => {}
            scheme => {
                return Err(invalid(format!(
                    "'{text}' uses the scheme '{scheme}', which is not allowed for a redirect \
                     URL; use https, http to a loopback host, or a private-use scheme in \
                     reverse-domain form such as 'com.example.app:/callback'"
                )))
            }
        }
        let normalised = String::from(url);
        check_url_length(REDIRECT_URLS_FIELD, &normalised, " once normalised")?;
        Ok(RedirectUrl(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A private-use scheme in reverse-domain form (RFC 8252 7.1): two or more dot-separated
/// labels of letters, digits and hyphens, such as `com.example.app`. A single label (`myapp`)
/// could be claimed by any app on the device, or be one a browser handles itself (`about`,
/// `blob`, `chrome`, `javascript`, ...).
fn is_private_use(scheme: &str) -> bool {
    let mut labels = scheme.split('.');
    scheme.contains('.')
        && labels.all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `localhost:8080/cb` parses as the scheme `localhost`; a "scheme" followed by a port number
/// is a host with a port that lacks its scheme.
fn looks_like_host_and_port(text: &str, url: &Url) -> bool {
    !url.is_special()
        && text
            .get(url.scheme().len() + 1..)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

fn is_loopback(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The answer for a URL without a scheme, showing the absolute form the caller most likely
/// meant (the product's own sample registers bare host names).
fn not_absolute(text: &str) -> ApiError {
    let suffix = if text.contains(['/', '?']) {
        ""
    } else {
        "/callback"
    };
    let expected = Url::parse(&format!("https://{text}{suffix}"))
        .ok()
        .filter(|url| text.starts_with(|c: char| c.is_ascii_alphanumeric()) && url.host().is_some())
        .map(|url| {
            let scheme = if is_loopback(url.host()) {
                "http"
            } else {
                "https"
            };
            format!("{scheme}://{text}{suffix}")
        })
        .unwrap_or_else(|| "https://example.com/callback".to_owned());
    ApiError::invalid_field(
        REDIRECT_URLS_FIELD,
        format!("'{text}' is not an absolute URL; expected a form such as '{expected}'"),
    )
}

/// An application's redirect URLs: 1 to [`REDIRECT_URLS_MAX`], each a [`RedirectUrl`], without
/// duplicates, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrls(Vec<RedirectUrl>);

impl RedirectUrls {
    /// Accepts a JSON array of strings, or, as the product's pages do, one string holding a
    /// comma-separated list, whose items may have spaces (U+0020 only) around them. Items of an
    /// array are taken as they are: not split (a URL may contain a comma), not trimmed.
    pub fn parse(value: Option<Value>) -> Result<Self, ApiError> {
        let invalid = |problem: String| ApiError::invalid_field(REDIRECT_URLS_FIELD, problem);
        let texts: Vec<String> = match value {
            None | Some(Value::Null) => return Err(ApiError::missing_field(REDIRECT_URLS_FIELD)),
            Some(Value::String(list)) => list
                .split(',')
                .map(|text| text.trim_matches(' '))
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::String(text) => Ok(text),
                    other => Err(invalid(format!(
                        "item {} is {}, expected a string",
                        index + 1,
                        kind(&other)
                    ))),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(invalid(format!(
                    "expected an array of URLs or a string of comma-separated URLs, found {}",
                    kind(&other)
                )))
            }
        };
        if texts.is_empty() {
            return Err(invalid("at least one URL is required".to_owned()));
        }
        if texts.len() > REDIRECT_URLS_MAX {
            return Err(invalid(format!(
                "at most {REDIRECT_URLS_MAX} URLs are allowed, found {}",
                texts.len()
            )));
        }
        let mut urls: Vec<RedirectUrl> = Vec::with_capacity(texts.len());
        for text in &texts {
            let url = RedirectUrl::parse(text)?;
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        Ok(RedirectUrls(urls))
    }

    pub fn as_slice(&self) -> &[RedirectUrl] {
        &self.0
    }

    /// The stored form: a JSON array of strings, which both databases hold as plain text.
    pub fn to_stored(&self) -> String {
        Value::from_iter(self.0.iter().map(|url| url.as_str())).to_string()
    }
}
