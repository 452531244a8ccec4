//! What a valid client application is: its fields, its redirect URLs, its generated credentials
//! and its wire form, and what a credential check is asked. The credential check's answer, like
//! every internal wire type, lives in `client-registration-client`.
//!
//! Redirect URLs follow RFC 6749 3.1.2 and RFC 8252 rather than the product's sample, whose bare
//! host names could never be matched against an authorization request's `redirect_uri`.

use std::fmt;

use api_common::fields::{
    check_url_parts, check_url_text, kind, optional_text, required_nonblank, DESCRIPTION_MAX,
    NAME_MAX, URL_MAX,
};
use api_common::{ApiError, ErrorCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use secrets::HashKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::{Host, Url};

/// The JSON name of the redirect URL list, used in every message about it.
pub const REDIRECT_URLS_FIELD: &str = "redirectUrls";

/// Most redirect URLs one application may register; enough for every platform of an app, few
/// enough that matching a request against them stays trivial.
pub const REDIRECT_URLS_MAX: usize = 20;

/// Random bytes in a client secret: 256 bits, far beyond guessing.
const SECRET_BYTES: usize = 32;

/// The body of create and update, as sent. Every field is parsed by [`ClientAppInput::parse`],
/// which names the field on failure.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientAppBody {
    name: Option<Value>,
    description: Option<Value>,
    redirect_urls: Option<Value>,
}

/// A known-good application, ready to store.
#[derive(Debug)]
pub struct ClientAppInput {
    pub name: String,
    pub description: Option<String>,
    pub redirect_urls: RedirectUrls,
}

impl ClientAppInput {
    pub fn parse(body: ClientAppBody) -> Result<Self, ApiError> {
        Ok(ClientAppInput {
            name: app_name(body.name)?,
            description: optional_text("description", body.description, DESCRIPTION_MAX)?,
            redirect_urls: RedirectUrls::parse(body.redirect_urls)?,
        })
    }
}

/// Unlike other objects' names, a client application's name is shown to people (on consent
/// pages), so any printable text is allowed; control and format characters, line separators
/// and white space at either end are not (they would break or disguise that display).
fn app_name(value: Option<Value>) -> Result<String, ApiError> {
    required_nonblank("name", value, NAME_MAX)
}

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
        if normalised.len() > URL_MAX {
            return Err(invalid(format!(
                "a URL may be at most {URL_MAX} bytes long, found {} once normalised",
                normalised.len()
            )));
        }
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

/// A new client id: random, so that ids say nothing about how many applications exist.
pub fn new_client_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A client secret in clear, which exists only between its generation and the answer that shows
/// it to the caller; only [`ClientSecret::hash`] is stored.
pub struct ClientSecret(String);

impl ClientSecret {
    /// 256 bits from the operating system, base64url without padding (safe in forms and
    /// headers as is).
    pub fn generate() -> Result<Self, rand::Error> {
        let mut bytes = [0u8; SECRET_BYTES];
        OsRng.try_fill_bytes(&mut bytes)?;
        Ok(ClientSecret(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// What is stored in place of the secret: its keyed hash under the server's `key`.
    pub fn hash(&self, key: &HashKey) -> String {
        key.hash(&self.0)
    }

    /// The secret itself, for the one answer that shows it.
    pub fn reveal(self) -> String {
        self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

/// A client application as the API shows it; `client_secret` only in the answers to create and
/// reset.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientAppView {
    pub id: i64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub redirect_urls: Vec<String>,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl fmt::Debug for ClientAppView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAppView")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("description", &self.description)
            .field("redirect_urls", &self.redirect_urls)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// `GET /api/mgmt/oauth/client/applications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAppList {
    pub applications: Vec<ClientAppView>,
}

/// Longest client id or client secret a credential check accepts, in characters: far above
/// the real ones (36 and 43), low enough that nobody has large inputs hashed.
pub const CREDENTIAL_MAX: usize = 256;

/// The body of a credential check, as sent; parsed by [`Credentials::parse`]. Peers send it as
/// [`client_registration_client::VerifyRequest`]; every field is read as a JSON value here so
/// that a mistyped one is reported by name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsBody {
    client_id: Option<Value>,
    client_secret: Option<Value>,
}

/// A client id and a claimed secret, to be checked. Its `Debug` hides the secret.
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl Credentials {
    pub fn parse(body: CredentialsBody) -> Result<Self, ApiError> {
        Ok(Credentials {
            client_id: required_nonblank("clientId", body.client_id, CREDENTIAL_MAX)?,
            client_secret: required_nonblank("clientSecret", body.client_secret, CREDENTIAL_MAX)?,
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// The answer for an id that does not exist or belongs to someone else: the same, so as not to
/// reveal which.
pub fn not_found(id: i64) -> ApiError {
    ApiError::new(
        ErrorCode::ClientAppNotFound,
        format!("Invalid client application id: {id}"),
    )
}

/// The answer when the caller already has an application of this name.
pub fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!(
        "A client application named '{name}' already exists"
    ))
}

/// The product's answer when registration fails for a reason not the caller's; the cause has
/// been logged by whoever saw it.
pub fn create_failed() -> ApiError {
    ApiError::new(
        ErrorCode::ClientAppCreateFailed,
        "Problem creating OAuth Client Application at this time. Please try again at another time.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn urls(value: Value) -> Result<Vec<String>, ApiError> {
        RedirectUrls::parse(Some(value)).map(|urls| {
            urls.as_slice()
                .iter()
                .map(|url| url.as_str().to_owned())
                .collect()
        })
    }

    fn rejection(value: Value) -> String {
        let Err(err) = urls(value.clone()) else {
            panic!("{value} should be rejected");
        };
        assert_eq!(err.code(), ErrorCode::InvalidField);
        assert!(
            err.message().contains("'redirectUrls'"),
            "{}",
            err.message()
        );
        err.message().to_owned()
    }

    #[test]
    fn an_array_of_urls_is_kept_in_order() {
        assert_eq!(
            urls(json!([
                "https://a.example.com/cb",
                "https://b.example.com/cb?x=1,2"
            ]))
            .unwrap(),
            ["https://a.example.com/cb", "https://b.example.com/cb?x=1,2"]
        );
    }

    #[test]
    fn one_string_is_a_comma_separated_list() {
        assert_eq!(
            urls(json!(
                " https://a.example.com/cb ,, https://b.example.com/cb,"
            ))
            .unwrap(),
            ["https://a.example.com/cb", "https://b.example.com/cb"]
        );
        assert_eq!(
            urls(json!("https://a.example.com/cb")).unwrap(),
            ["https://a.example.com/cb"]
        );
        // Only spaces are separators' padding: a line break or a tab is part of a URL.
        rejection(json!("https://a.example.com/cb,\nhttps://b.example.com/cb"));
        rejection(json!("https://a.example.com/cb,\thttps://b.example.com/cb"));
    }

    #[test]
    fn a_bare_host_is_rejected_with_the_absolute_form() {
        let message = rejection(json!([
            "bedford.progresstest.com",
            "americas.progresstest.com"
        ]));
        assert_eq!(
            message,
            "Invalid value for 'redirectUrls': 'bedford.progresstest.com' is not an absolute \
             URL; expected a form such as 'https://bedford.progresstest.com/callback'"
        );
        let message = rejection(json!("bedford.progresstest.com/oauth"));
        assert!(
            message.contains("'https://bedford.progresstest.com/oauth'"),
            "{message}"
        );
        let message = rejection(json!("localhost:8080"));
        assert!(
            message.contains("'http://localhost:8080/callback'"),
            "{message}"
        );
        let message = rejection(json!("/callback"));
        assert!(
            message.contains("'https://example.com/callback'"),
            "{message}"
        );
    }

    #[test]
    fn http_is_only_for_loopback_hosts() {
        let message = rejection(json!(["http://app.example.com/cb"]));
        assert!(message.contains("loopback"), "{message}");
        for good in [
            "http://localhost/cb",
            "http://LOCALHOST:8080/cb",
            "http://127.0.0.1:51000/cb",
            "http://127.1.2.3/cb",
            "http://[::1]:8080/cb",
        ] {
            assert!(urls(json!([good])).is_ok(), "{good}");
        }
        for bad in [
            "http://10.0.0.1/cb",
            "http://localhost.example.com/cb",
            "http://[::2]/cb",
        ] {
            rejection(json!([bad]));
        }
    }

    #[test]
    fn private_use_schemes_in_reverse_domain_form_are_accepted() {
        for good in [
            "com.example.app:/callback",
            "com.example.app://oauth/cb",
            "com.example-2.app:/cb",
        ] {
            assert_eq!(urls(json!([good])).unwrap(), [good]);
        }
        assert_eq!(
            urls(json!(["COM.Example.App:/cb"])).unwrap(),
            ["com.example.app:/cb"]
        );
    }

    #[test]
    fn only_allowed_schemes_are_accepted() {
        for bad in [
            "myapp:/cb",
            "myapp://cb",
            "about:blank",
            "blob:https://app.example.com/550e8400-e29b-41d4-a716-446655440000",
            "view-source:https://app.example.com/cb",
            "chrome://settings",
            "jar:https://app.example.com/a.jar!/cb",
            "mailto:someone@example.com",
            "tel:+15551234567",
            "com..app:/cb",
            "com.app.:/cb",
            "com+x.app:/cb",
        ] {
            let message = rejection(json!([bad]));
            assert!(message.contains("not allowed"), "{bad}: {message}");
        }
        // Not a scheme at all (a scheme starts with a letter).
        rejection(json!([".com.app:/cb"]));
    }

    #[test]
    fn http_and_https_need_the_authority_form() {
        for bad in [
            "https:app.example.com/cb",
            "https:/app.example.com/cb",
            "https:///app.example.com/cb",
            "http:localhost/cb",
            "http:/127.0.0.1/cb",
        ] {
            let message = rejection(json!([bad]));
            assert!(message.contains("'//'"), "{bad}: {message}");
        }
    }

    #[test]
    fn wildcards_backslashes_blanks_and_invisible_characters_are_rejected() {
        for bad in [
            "https://*.example.com/cb",
            "https://app.example.com/*",
            "https://app.example.com\\cb",
            "https:\\\\app.example.com/cb",
            "https://app.example.com/cb\r\nLocation: https://evil.example/",
            "https://app.example.com/c\tb",
            "https://app.example.com/c\u{0}b",
            "https://app.example.com/c\u{85}b",
            "https://app.example.com/c\u{2028}b",
            "https://app.example.com/c\u{202E}b",
            "https://app.example.com/c\u{200B}b",
            " https://app.example.com/cb",
            "https://app.example.com/cb ",
            "com.example.app:/c b",
        ] {
            let message = rejection(json!([bad]));
            assert!(!message.contains(['\r', '\n', '\t']), "{message}");
        }
        // Encoded, they are inert and kept as sent.
        assert_eq!(
            urls(json!(["https://app.example.com/cb?x=%0d%0a%2A"])).unwrap(),
            ["https://app.example.com/cb?x=%0d%0a%2A"]
        );
    }

    #[test]
    fn hosts_must_be_written_in_ascii() {
        let message = rejection(json!(["https://bücher.example/cb"]));
        assert!(
            message.contains("'https://xn--bcher-kva.example/cb'"),
            "{message}"
        );
        rejection(json!(["https://app.example.com/ä"]));
        assert_eq!(
            urls(json!(["https://xn--bcher-kva.example/cb"])).unwrap(),
            ["https://xn--bcher-kva.example/cb"]
        );
    }

    #[test]
    fn urls_are_kept_in_normalised_form() {
        assert_eq!(
            urls(json!([
                "HTTPS://App.Example.COM:443/cb",
                "https://app.example.com",
                "http://LOCALHOST:8080/cb",
                "https://app.example.com/a/../cb?q=1",
            ]))
            .unwrap(),
            [
                "https://app.example.com/cb",
                "https://app.example.com/",
                "http://localhost:8080/cb",
                "https://app.example.com/cb?q=1",
            ]
        );
    }

    #[test]
    fn fragments_are_rejected() {
        let message = rejection(json!(["https://app.example.com/cb#state"]));
        assert!(message.contains("fragment"), "{message}");
        rejection(json!(["https://app.example.com/cb#"]));
        rejection(json!(["com.example.app:/cb#x"]));
    }

    #[test]
    fn user_information_is_rejected() {
        for bad in [
            "https://user:pw@app.example.com/cb",
            "https://user@app.example.com/cb",
            "https://@app.example.com/cb",
            "http://user@localhost/cb",
            "com.example.app://user@host/cb",
        ] {
            let message = rejection(json!([bad]));
            assert!(
                message.contains("user name or password"),
                "{bad}: {message}"
            );
        }
    }

    #[test]
    fn dangerous_schemes_are_rejected() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "vbscript:msgbox(1)",
            "ftp://files.example.com/cb",
            "ws://localhost/cb",
            "wss://app.example.com/cb",
        ] {
            let message = rejection(json!([bad]));
            assert!(message.contains("not allowed"), "{bad}: {message}");
        }
    }

    #[test]
    fn other_malformed_urls_are_rejected() {
        for bad in [
            "https://",
            "https://user:pw@app.example.com/cb",
            "https://app.example.com/c b",
            "https://app.example.com/\ncb",
            "",
        ] {
            rejection(json!([bad]));
        }
        rejection(json!([format!(
            "https://app.example.com/{}",
            "a".repeat(URL_MAX)
        )]));
    }

    #[test]
    fn the_list_needs_one_to_twenty_urls() {
        assert!(rejection(json!([])).contains("at least one"));
        assert!(rejection(json!(" , ,")).contains("at least one"));
        let many: Vec<String> = (0..21)
            .map(|i| format!("https://app.example.com/cb{i}"))
            .collect();
        assert_eq!(urls(json!(many[..20])).unwrap().len(), 20);
        assert!(rejection(json!(many)).contains("at most 20"));
        assert!(rejection(json!(42)).contains("found a number"));
        assert!(rejection(json!(["https://a.example.com/cb", 7])).contains("item 2"));
        let missing = RedirectUrls::parse(None).unwrap_err();
        assert_eq!(missing.message(), "Missing required field 'redirectUrls'");
        assert!(RedirectUrls::parse(Some(Value::Null)).is_err());
    }

    #[test]
    fn duplicates_are_dropped_keeping_order() {
        assert_eq!(
            urls(json!([
                "https://b.example.com/cb",
                "https://a.example.com/cb",
                "HTTPS://B.example.com:443/cb",
            ]))
            .unwrap(),
            ["https://b.example.com/cb", "https://a.example.com/cb"]
        );
    }

    #[test]
    fn the_stored_form_is_a_json_array() {
        let parsed =
            RedirectUrls::parse(Some(json!("https://a.example.com/cb, com.example.app:/cb")))
                .unwrap();
        let stored: Vec<String> = serde_json::from_str(&parsed.to_stored()).unwrap();
        assert_eq!(stored, ["https://a.example.com/cb", "com.example.app:/cb"]);
    }

    #[test]
    fn names_are_free_text_without_control_characters() {
        let parse = |name: Value| {
            ClientAppInput::parse(ClientAppBody {
                name: Some(name),
                description: None,
                redirect_urls: Some(json!("https://a.example.com/cb")),
            })
        };
        assert_eq!(
            parse(json!("My App (v2) — ünïcode")).unwrap().name,
            "My App (v2) — ünïcode"
        );
        assert!(parse(json!("a".repeat(128))).is_ok());
        for bad in [
            json!(""),
            json!("   "),
            json!("a\tb"),
            json!("a\u{202E}b"),
            json!(" a"),
            json!("a ".repeat(2)),
            json!("a".repeat(129)),
            json!(3),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.message().contains("'name'"), "{}", err.message());
        }
    }

    #[test]
    fn secrets_are_256_random_bits_and_stored_only_as_a_keyed_hash() {
        let key = HashKey::parse(&secrets::generate_key()).unwrap();
        let a = ClientSecret::generate().unwrap();
        let b = ClientSecret::generate().unwrap();
        let hash = a.hash(&key);
        assert_ne!(hash, b.hash(&key));
        assert!(!format!("{a:?}").contains(&a.0));
        let clear = a.reveal();
        assert!(!hash.contains(&clear));
        assert_eq!(URL_SAFE_NO_PAD.decode(&clear).unwrap().len(), SECRET_BYTES);
        assert!(key.verify(&clear, &hash));
        let other_key = HashKey::parse(&secrets::generate_key()).unwrap();
        assert!(!other_key.verify(&clear, &hash));
        assert!(uuid::Uuid::parse_str(&new_client_id()).is_ok());
    }

    #[test]
    fn credentials_name_the_missing_field_and_never_show_the_secret() {
        let parse = |body: Value| Credentials::parse(serde_json::from_value(body).unwrap());
        let ok = parse(json!({"clientId": "id-1", "clientSecret": "s3cret"})).unwrap();
        assert_eq!(
            (ok.client_id.as_str(), ok.client_secret.as_str()),
            ("id-1", "s3cret")
        );
        assert!(!format!("{ok:?}").contains("s3cret"));
        for (body, field) in [
            (json!({"clientSecret": "s"}), "'clientId'"),
            (
                json!({"clientId": "id", "clientSecret": null}),
                "'clientSecret'",
            ),
            (json!({"clientId": 7, "clientSecret": "s"}), "'clientId'"),
            (
                json!({"clientId": "id", "clientSecret": " "}),
                "'clientSecret'",
            ),
            (
                json!({"clientId": "id", "clientSecret": "s".repeat(257)}),
                "'clientSecret'",
            ),
        ] {
            let err = parse(body).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidField);
            assert!(err.message().contains(field), "{}", err.message());
        }
    }
}
