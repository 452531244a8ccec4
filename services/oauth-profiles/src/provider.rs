//! The one client that talks to OAuth providers: the token requests of the connect callback
//! (`authorization_code` with PKCE) and of refreshes (`refresh_token`).
//!
//! Everything a provider is, this service does not trust: no redirect is followed, an answer
//! larger than [`MAX_ANSWER_BYTES`] is refused, each attempt has a timeout, and the whole call
//! (retries included) a deadline. Unless `OAUTH_ALLOW_PRIVATE_URIS` allows it, the provider's
//! address must be public: an IP literal is checked before the request, and a name on the
//! addresses it resolves to, by the client's own resolver ([`PublicResolver`]), so a name
//! that resolves inward (or is re-pointed there after the application was saved) is refused
//! at connection time.
//!
//! Retries: an attempt that failed before any answer (no connection) or got a 5xx is retried
//! with a growing pause while the deadline allows. A timeout is not: the provider may have
//! used the refresh token already, and a provider that rotates refresh tokens would refuse it
//! the second time (`invalid_grant`), which would end the profile's connection for nothing.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use api_common::fields::{check_provider_host, is_inward_ip, PrivateUris};
use api_common::{ApiError, ErrorCode};
use chrono::NaiveDateTime;
use oauth_apps_client::{ProviderApp, TokenAuthMethod};
use oauth_profiles_client::TOKEN_MAX;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::Deserialize;
use url::Url;

/// Largest token answer read, in bytes; a longer one is refused.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Attempts of one token request at most.
const ATTEMPTS: u32 = 3;

/// How the provider calls of this service are made.
#[derive(Debug, Clone, Copy)]
pub struct ProviderSettings {
    /// One attempt's limit (connection and answer).
    pub attempt_timeout: Duration,
    /// The whole call's, retries and pauses included.
    pub deadline: Duration,
    pub private: PrivateUris,
}

/// The client; cheap to clone.
#[derive(Clone)]
pub struct ProviderClient {
    http: reqwest::Client,
    settings: ProviderSettings,
}

/// Why a token request obtained nothing.
#[derive(Debug)]
pub enum ProviderError {
    /// The provider refused the grant (`invalid_grant`): the code or refresh token is dead.
    InvalidGrant,
    /// It refused the request for another OAuth reason (`invalid_client`, ...): the code.
    Refused(String),
    /// No answer in time.
    Timeout,
    /// No connection, a 5xx, or an answer OAuth does not allow; what happened, for the log
    /// and the message (never a token).
    Failed(String),
}

impl ProviderError {
    /// The API's answer for a refresh that failed so.
    pub fn into_api_error(self) -> ApiError {
        match self {
            ProviderError::InvalidGrant => ApiError::new(
                ErrorCode::ReauthorizationRequired,
                "The OAuth provider refused the profile's refresh token (invalid_grant); \
                 connect the profile again with GET /api/mgmt/oauthprofiles/connect",
            ),
            ProviderError::Refused(code) => ApiError::new(
                ErrorCode::ProviderFailed,
                format!("The OAuth provider refused the token request: {code}"),
            ),
            ProviderError::Timeout => ApiError::new(
                ErrorCode::ProviderTimeout,
                "The OAuth provider did not answer in time",
            ),
            ProviderError::Failed(what) => ApiError::new(
                ErrorCode::ProviderFailed,
                format!("The OAuth provider could not be used: {what}"),
            ),
        }
    }
}

/// A grant sent to the token endpoint.
pub enum Grant<'a> {
    AuthorizationCode {
        code: &'a str,
        redirect_uri: &'a str,
        code_verifier: &'a str,
    },
    RefreshToken(&'a str),
}

/// A successful token answer, checked.
#[derive(Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The answer as sent; every field checked before use.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<serde_json::Value>,
    refresh_token: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: Option<serde_json::Value>,
}

impl ProviderClient {
    pub fn new(settings: ProviderSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.attempt_timeout)
            .timeout(settings.attempt_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .dns_resolver(Arc::new(PublicResolver {
                private: settings.private,
            }))
            .user_agent("hdp-oauth")
            .build()?;
        Ok(ProviderClient { http, settings })
    }

    /// Sends `grant` to `app`'s token endpoint, authenticated as `app`'s client, with retries
    /// as the module says, within the deadline.
    pub async fn token(
        &self,
        app: &ProviderApp,
        grant: Grant<'_>,
    ) -> Result<Tokens, ProviderError> {
        let url = Url::parse(&app.token_uri)
            .map_err(|_| ProviderError::Failed("its tokenURI is not a URL".to_owned()))?;
        if check_provider_host("tokenURI", &url, self.settings.private).is_err() {
            return Err(ProviderError::Failed(
                "its tokenURI points at a non-public address".to_owned(),
            ));
        }
        let form = form(app, &grant);
        let attempts = async {
            let mut pause = Duration::from_millis(250);
            let mut attempt = 1;
            loop {
                match self.attempt(app, &url, &form).await {
                    Err(Retry::Again(what)) if attempt < ATTEMPTS => {
                        log::warn!(
                            "token request to the provider of OAuth application {} failed \
                             ({what}); trying again in {pause:?}",
                            app.id
                        );
                        tokio::time::sleep(pause).await;
                        pause *= 3;
                        attempt += 1;
                    }
                    Err(Retry::Again(what)) => return Err(ProviderError::Failed(what)),
                    Err(Retry::Never(err)) => return Err(err),
                    Ok(tokens) => return Ok(tokens),
                }
            }
        };
        tokio::time::timeout(self.settings.deadline, attempts)
            .await
            .unwrap_or(Err(ProviderError::Timeout))
    }

    async fn attempt(
        &self,
        app: &ProviderApp,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<Tokens, Retry> {
        let mut request = self
            .http
            .post(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form);
        if app.token_auth_method == TokenAuthMethod::ClientSecretBasic {
            // RFC 6749 2.3.1: both form-encoded before they are joined.
            let encode = |text: &str| {
                url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
            };
            request = request.basic_auth(encode(&app.client_id), Some(encode(&app.client_secret)));
        }
        let response = request.send().await.map_err(|err| transport(&err))?;
        let status = response.status();
        let body = read_capped(response).await?;
        if status.is_success() {
            return tokens(&body).map_err(Retry::Never);
        }
        if status.is_server_error() {
            return Err(Retry::Again(format!("it answered {}", status.as_u16())));
        }
        let code = serde_json::from_slice::<ErrorAnswer>(&body)
            .ok()
            .and_then(|answer| answer.error)
            .and_then(|error| error.as_str().map(oauth_error_code));
        Err(Retry::Never(match code.as_deref() {
            Some("invalid_grant") => ProviderError::InvalidGrant,
            Some(code) => ProviderError::Refused(code.to_owned()),
            None => ProviderError::Failed(format!(
                "it answered {} without an OAuth error",
                status.as_u16()
            )),
        }))
    }
}

/// What one attempt's failure allows.
enum Retry {
    /// Nothing reached the provider, or it failed (5xx): another attempt may do.
    Again(String),
    Never(ProviderError),
}

fn form<'a>(app: &'a ProviderApp, grant: &Grant<'a>) -> Vec<(&'a str, &'a str)> {
    let mut form = match *grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
        ],
        Grant::RefreshToken(token) => {
            vec![("grant_type", "refresh_token"), ("refresh_token", token)]
        }
    };
    match app.token_auth_method {
        TokenAuthMethod::ClientSecretPost => {
            form.push(("client_id", &app.client_id));
            form.push(("client_secret", &app.client_secret));
        }
        // RFC 6749 4.1.3: a public form of the id is harmless and some providers want it.
        TokenAuthMethod::ClientSecretBasic => form.push(("client_id", &app.client_id)),
    }
    form
}

fn transport(err: &reqwest::Error) -> Retry {
    if err.is_timeout() {
        return Retry::Never(ProviderError::Timeout);
    }
    if refused_address(err) {
        return Retry::Never(ProviderError::Failed(
            "its tokenURI resolves to a non-public address".to_owned(),
        ));
    }
    Retry::Again("it could not be reached".to_owned())
}

/// Whether `err` comes from [`PublicResolver`] refusing every address of the name.
fn refused_address(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<NotPublic>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Reads the body, refusing more than [`MAX_ANSWER_BYTES`].
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, Retry> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(Retry::Never(ProviderError::Failed(format!(
                        "its answer is larger than {MAX_ANSWER_BYTES} bytes"
                    ))));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(err) if err.is_timeout() => return Err(Retry::Never(ProviderError::Timeout)),
            Err(_) => return Err(Retry::Again("its answer broke off".to_owned())),
        }
    }
}

/// An OAuth error code as it may be shown: RFC 6749's characters only, at most 64.
fn oauth_error_code(code: &str) -> String {
    code.chars()
        .filter(|c| matches!(c, '!' | '#'..='[' | ']'..='~'))
        .take(64)
        .collect()
}

/// A 200 answer's tokens, checked: a non-empty access token, an optional refresh token, both
/// under [`TOKEN_MAX`] without control characters, and an optional lifetime in seconds.
fn tokens(body: &[u8]) -> Result<Tokens, ProviderError> {
    let bad = |what: &str| ProviderError::Failed(format!("its token answer {what}"));
    let answer: TokenAnswer =
        serde_json::from_slice(body).map_err(|_| bad("is not a JSON object"))?;
    let token = |value: Option<serde_json::Value>, name: &str| match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text))
            if !text.is_empty()
                && text.chars().count() <= TOKEN_MAX
                && !text.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            Ok(Some(text))
        }
        Some(_) => Err(bad(&format!("has an unusable {name}"))),
    };
    let access_token =
        token(answer.access_token, "access_token")?.ok_or_else(|| bad("has no access_token"))?;
    let refresh_token = token(answer.refresh_token, "refresh_token")?;
    let lifetime = match answer.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        // Some providers send it as a string.
        Some(serde_json::Value::String(text)) => text.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    let expires_at = match lifetime {
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            let seconds = seconds.min(10.0 * 365.0 * 86_400.0) as i64;
            Some(chrono::Utc::now().naive_utc() + chrono::Duration::seconds(seconds))
        }
        Some(_) => return Err(bad("has an unusable expires_in")),
        None => None,
    };
    Ok(Tokens {
        access_token,
        refresh_token,
        expires_at,
    })
}

/// The resolver of [`ProviderClient`]: the system's, keeping only the addresses the policy
/// permits; a name left with none fails with [`NotPublic`].
#[derive(Debug, Clone, Copy)]
pub struct PublicResolver {
    pub private: PrivateUris,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every address of a provider's name is loopback, private or link-local.
#[derive(Debug)]
pub struct NotPublic;

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the name resolves to non-public addresses only")
    }
}

impl std::error::Error for NotPublic {}

impl PublicResolver {
    /// `name`'s addresses that may be called; [`NotPublic`] when none is left.
    pub async fn lookup(&self, name: &str) -> Result<Vec<SocketAddr>, BoxError> {
        let found = tokio::net::lookup_host((name, 0)).await?;
        let permitted: Vec<SocketAddr> = found.filter(|addr| self.permits(addr.ip())).collect();
        if permitted.is_empty() {
            // Boxed as itself (not inside an io::Error, whose `source` skips it), so that
            // the transport error's chain shows it.
            return Err(Box::new(NotPublic));
        }
        Ok(permitted)
    }

    fn permits(&self, ip: IpAddr) -> bool {
        self.private.allowed || !is_inward_ip(ip)
    }
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = *self;
        Box::pin(async move {
            let addrs = resolver.lookup(name.as_str()).await?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_unless_allowed() {
        let refused = PublicResolver {
            private: PrivateUris::REFUSED,
        };
        let err = refused.lookup("localhost").await.unwrap_err();
        assert!(err.is::<NotPublic>(), "{err}");
        let allowed = PublicResolver {
            private: PrivateUris::ALLOWED,
        };
        let addrs = allowed.lookup("localhost").await.unwrap();
        assert!(
            addrs.iter().all(|addr| addr.ip().is_loopback()),
            "{addrs:?}"
        );
    }

    #[test]
    fn token_answers_are_checked() {
        let ok = tokens(br#"{"access_token":"a","refresh_token":"r","expires_in":3600}"#).unwrap();
        assert_eq!(ok.access_token, "a");
        assert_eq!(ok.refresh_token.as_deref(), Some("r"));
        let lifetime = ok.expires_at.unwrap() - chrono::Utc::now().naive_utc();
        assert!((3590..=3600).contains(&lifetime.num_seconds()));
        let no_expiry = tokens(br#"{"access_token":"a","expires_in":"60"}"#).unwrap();
        assert!(no_expiry.expires_at.is_some() && no_expiry.refresh_token.is_none());
        for bad in [
            &br#"{"refresh_token":"r"}"#[..],
            br#"{"access_token":""}"#,
            br#"{"access_token":"a\u0000b"}"#,
            br#"{"access_token":"a b"}"#,
            br#"{"access_token":7}"#,
            br#"{"access_token":"a","refresh_token":["r"]}"#,
            br#"{"access_token":"a","expires_in":-5}"#,
            br#"[1]"#,
            b"<html>",
        ] {
            assert!(tokens(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn error_codes_are_cut_to_what_oauth_allows() {
        assert_eq!(oauth_error_code("invalid_grant"), "invalid_grant");
        assert_eq!(oauth_error_code("bad\r\nX-Injected: 1"), "badX-Injected:1");
        assert_eq!(oauth_error_code(&"x".repeat(500)).len(), 64);
    }
}
