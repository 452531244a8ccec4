//! The parameters of an authorization request (RFC 6749 4.1.1, RFC 7636 4.3), from the query
//! string and, for a POST, the form body; and their checks in the order RFC 6749 4.1.2.1
//! requires: the client and its redirect URI first (a bad one is an error page, never a
//! redirect), then everything else (errors redirect to the client with `error` and `state`).

use std::collections::HashMap;

use client_registration_client::oauth2::{OauthClient, PKCE_METHOD_S256};
pub use client_registration_client::oauth2::{SCOPES, SCOPE_MGMT as MGMT, SCOPE_ODATA as ODATA};

/// The parameters of the authorization request that are passed along in the forms.
pub const OAUTH_PARAMS: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// Longest value of a parameter kept (a `state` longer than this is refused).
const VALUE_MAX: usize = 2048;

/// Every parameter of a request, by name, in the order sent (query string first).
#[derive(Debug, Default)]
pub struct Params(HashMap<String, Vec<String>>);

impl Params {
    /// The parameters of `query` and `form` (an `application/x-www-form-urlencoded` body).
    pub fn parse(query: &str, form: &[u8]) -> Self {
        let mut params: HashMap<String, Vec<String>> = HashMap::new();
        for source in [query.as_bytes(), form] {
            for (name, value) in url::form_urlencoded::parse(source) {
                params
                    .entry(name.into_owned())
                    .or_default()
                    .push(value.into_owned());
            }
        }
        Params(params)
    }

    /// The value of `name`: `Ok(None)` when absent or empty (RFC 6749 3.1: "parameters sent
    /// without a value MUST be treated as if they were omitted"), `Err` when sent more than
    /// once.
    pub fn one(&self, name: &str) -> Result<Option<&str>, String> {
        match self.0.get(name).map(Vec::as_slice) {
            None => Ok(None),
            Some([value]) if value.is_empty() => Ok(None),
            Some([value]) => Ok(Some(value)),
            Some(_) => Err(format!("'{name}' is given more than once")),
        }
    }

    /// Whether `name` was sent at all.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// What a bad client or redirect URI is: shown on the error page, never sent anywhere.
#[derive(Debug, PartialEq, Eq)]
pub enum BadClient {
    /// No usable `client_id`; the reason.
    ClientId(String),
    /// The client is known but the `redirect_uri` is not one of its own (or missing when it
    /// has several); the reason.
    RedirectUri(String),
}

/// Where errors and codes go: the redirect URI, checked against the client's.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub uri: String,
    /// Whether the request named it (else it is the client's only one, and the code is
    /// issued for no `redirect_uri`, RFC 6749 4.1.3).
    pub given: bool,
    pub state: Option<String>,
}

/// A redirect URI, checked: exactly one of the client's registered ones, by simple string
/// comparison (RFC 6749 3.1.2.3, OAuth 2.1).
pub fn redirect_for(client: &OauthClient, params: &Params) -> Result<Redirect, BadClient> {
    let bad = |reason: &str| BadClient::RedirectUri(reason.to_owned());
    let uri = params.one("redirect_uri").map_err(|e| bad(&e))?;
    let (uri, given) = match uri {
        Some(uri) if client.redirect_urls.iter().any(|r| r == uri) => (uri.to_owned(), true),
        Some(_) => {
            return Err(bad(
                "The redirect_uri is not one registered for this application",
            ))
        }
        None => match client.redirect_urls.as_slice() {
            [only] => (only.clone(), false),
            _ => {
                return Err(bad(
                    "The application has several redirect URIs: the request must name one (redirect_uri)",
                ))
            }
        },
    };
    // A state sent twice cannot be echoed: the error redirect goes without one.
    let state = params
        .one("state")
        .ok()
        .flatten()
        .filter(|state| state.len() <= VALUE_MAX)
        .map(str::to_owned);
    Ok(Redirect { uri, given, state })
}

/// An error of RFC 6749 4.1.2.1, sent to the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    pub error: &'static str,
    pub description: String,
}

impl RedirectError {
    fn invalid_request(description: impl Into<String>) -> Self {
        RedirectError {
            error: "invalid_request",
            description: description.into(),
        }
    }
}

/// The request as checked: what a code is issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Known scopes, in [`SCOPES`] order, no repeats.
    pub scopes: Vec<&'static str>,
    pub code_challenge: String,
}

impl Authorization {
    /// The scopes as one space-separated string.
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }
}

/// The checks after the client's: response type, scope, PKCE (required, S256 only: OAuth
/// 2.1 requires it of every client, and `plain` protects nothing once the challenge leaks).
pub fn check(params: &Params) -> Result<Authorization, RedirectError> {
    for name in OAUTH_PARAMS {
        params.one(name).map_err(RedirectError::invalid_request)?;
    }
    if params
        .one("state")
        .ok()
        .flatten()
        .is_some_and(|state| state.len() > VALUE_MAX)
    {
        return Err(RedirectError::invalid_request(format!(
            "'state' is longer than {VALUE_MAX} characters"
        )));
    }
    match params.one("response_type").ok().flatten() {
        None => {
            return Err(RedirectError::invalid_request(
                "'response_type' is required (response_type=code)",
            ))
        }
        Some("code") => {}
        Some(_) => {
            return Err(RedirectError {
                error: "unsupported_response_type",
                description: "Only response_type=code is supported".to_owned(),
            })
        }
    }
    let scopes = scopes(params.one("scope").ok().flatten())?;
    let challenge = params.one("code_challenge").ok().flatten();
    let method = params.one("code_challenge_method").ok().flatten();
    let code_challenge = match (challenge, method) {
        (None, _) => {
            return Err(RedirectError::invalid_request(
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            ))
        }
        (Some(_), None | Some("plain")) => {
            return Err(RedirectError::invalid_request(
                "code_challenge_method 'plain' is not supported: use S256",
            ))
        }
        (Some(_), Some(method)) if method != PKCE_METHOD_S256 => {
            return Err(RedirectError::invalid_request(
                "code_challenge_method must be S256",
            ))
        }
        (Some(challenge), _) => challenge,
    };
    // BASE64URL(SHA-256(verifier)) without padding: 43 characters of that alphabet.
    let well_formed = code_challenge.len() == 43
        && code_challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(RedirectError::invalid_request(
            "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)",
        ));
    }
    Ok(Authorization {
        scopes,
        code_challenge: code_challenge.to_owned(),
    })
}

/// The scopes asked (space-separated, RFC 6749 3.3): known ones only, the default when none.
fn scopes(asked: Option<&str>) -> Result<Vec<&'static str>, RedirectError> {
    let asked: Vec<&str> = asked
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if asked.is_empty() {
        return Ok(vec![ODATA]);
    }
    if let Some(unknown) = asked.iter().find(|s| !SCOPES.contains(s)) {
        let shown: String = unknown.chars().take(64).collect();
        return Err(RedirectError {
            error: "invalid_scope",
            description: format!("Unknown scope '{shown}'"),
        });
    }
    Ok(SCOPES
        .into_iter()
        .filter(|scope| asked.contains(scope))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn check_query(query: &str) -> Result<Authorization, RedirectError> {
        check(&Params::parse(query, b""))
    }

    #[test]
    fn pkce_s256_is_required() {
        let ok =
            format!("response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256");
        assert_eq!(check_query(&ok).unwrap().scope(), "api.access.odata");
        for bad in [
            "response_type=code".to_owned(),
            format!("response_type=code&code_challenge={CHALLENGE}"),
            format!("response_type=code&code_challenge={CHALLENGE}&code_challenge_method=plain"),
            format!("response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S512"),
            "response_type=code&code_challenge=short&code_challenge_method=S256".to_owned(),
        ] {
            assert_eq!(
                check_query(&bad).unwrap_err().error,
                "invalid_request",
                "{bad}"
            );
        }
    }

    #[test]
    fn response_type_and_scope_errors_have_their_codes() {
        let pkce = format!("code_challenge={CHALLENGE}&code_challenge_method=S256");
        let error = |q: &str| check_query(&format!("{q}&{pkce}")).unwrap_err().error;
        assert_eq!(error("response_type=token"), "unsupported_response_type");
        assert_eq!(error("scope=api.access.odata"), "invalid_request");
        assert_eq!(error("response_type=code&scope=openid"), "invalid_scope");
        assert_eq!(
            error("response_type=code&response_type=code"),
            "invalid_request"
        );
        let both = check_query(&format!(
            "response_type=code&scope=api.access.mgmt+api.access.odata+api.access.mgmt&{pkce}"
        ))
        .unwrap();
        assert_eq!(both.scopes, vec![ODATA, MGMT]);
    }

    #[test]
    fn the_redirect_uri_must_be_one_registered_or_the_only_one() {
        let client = |urls: &[&str]| OauthClient {
            id: 1,
            client_id: "c".into(),
            name: "n".into(),
            description: None,
            owner_id: 1,
            redirect_urls: urls.iter().map(|u| u.to_string()).collect(),
        };
        let one = client(&["https://a.example/cb"]);
        let params = |q: &str| Params::parse(q, b"");
        let r = redirect_for(&one, &params("state=xyz")).unwrap();
        assert_eq!(
            (r.uri.as_str(), r.given, r.state.as_deref()),
            ("https://a.example/cb", false, Some("xyz"))
        );
        assert!(
            redirect_for(&one, &params("redirect_uri=https://a.example/cb"))
                .unwrap()
                .given
        );
        assert!(redirect_for(&one, &params("redirect_uri=https://a.example/cb/")).is_err());
        assert!(redirect_for(
            &one,
            &params("redirect_uri=https://a.example/cb&redirect_uri=https://a.example/cb")
        )
        .is_err());
        let two = client(&["https://a.example/cb", "https://b.example/cb"]);
        assert!(redirect_for(&two, &params("")).is_err());
    }
}
