//! The pieces of the connect flow that are pure computation: the `state`, its stored hash,
//! the PKCE pair (RFC 7636, S256) and the provider's authorization URL.
//!
//! The PKCE verifier is derived from the state (`base64url(SHA-256("pkce:" ‖ state))`), so
//! nothing that opens the flow is stored: the database keeps `SHA-256(state)` only, from which
//! neither the state nor the verifier follows, and the callback, which receives the state,
//! derives both the hash to look up and the verifier to send.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oauth_apps_client::ProviderApp;
use rand::RngCore;
use sha2::{Digest, Sha256};
use url::Url;

/// How long a connect flow may take, from the redirect to the callback.
pub const STATE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);

/// The path of the callback, under the public URL.
pub const CALLBACK_PATH: &str = "/api/mgmt/oauthprofiles/callback";

/// A new state: 256 random bits, base64url (43 characters).
pub fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of `state`: its SHA-256, in hex.
pub fn state_hash(state: &str) -> String {
    hex(&Sha256::digest(state.as_bytes()))
}

/// The PKCE code verifier of the flow `state` opened: 43 base64url characters.
pub fn code_verifier(state: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"pkce:");
    digest.update(state.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.finalize())
}

/// The S256 challenge of `verifier`.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `app`'s authorization URL for a flow: its `authorizeURI` with the parameters of RFC 6749
/// 4.1.1 and RFC 7636 added to whatever query it has.
pub fn authorize_url(
    app: &ProviderApp,
    redirect_uri: &str,
    state: &str,
) -> Result<Url, url::ParseError> {
    let mut url = Url::parse(&app.authorize_uri)?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &app.scope)
        .append_pair("state", state)
        .append_pair("code_challenge", &code_challenge(&code_verifier(state)))
        .append_pair("code_challenge_method", "S256");
    Ok(url)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_random_and_stored_as_hashes_that_reveal_neither_state_nor_verifier() {
        let (a, b) = (new_state(), new_state());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(state_hash(&a).len(), 64);
        assert_ne!(state_hash(&a), state_hash(&b));
        assert_ne!(code_verifier(&a), a);
        assert!(!state_hash(&a).contains(&code_verifier(&a)));
    }

    #[test]
    fn the_challenge_is_rfc_7636_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let verifier = code_verifier(&new_state());
        assert_eq!(verifier.len(), 43);
        assert!(verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn the_authorize_url_keeps_the_providers_own_query() {
        let app = ProviderApp {
            id: 1,
            tenant_id: 1,
            live: true,
            client_id: "client &1".to_owned(),
            client_secret: "s".to_owned(),
            authorize_uri: "https://idp.example/authorize?prompt=consent".to_owned(),
            token_uri: "https://idp.example/token".to_owned(),
            scope: "read offline_access".to_owned(),
            token_auth_method: oauth_apps_client::TokenAuthMethod::ClientSecretPost,
        };
        let url = authorize_url(&app, "https://hdp.example/cb", "st").unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("prompt"), Some("consent"));
        assert_eq!(get("client_id"), Some("client &1"));
        assert_eq!(get("scope"), Some("read offline_access"));
        assert_eq!(get("redirect_uri"), Some("https://hdp.example/cb"));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(
            get("code_challenge"),
            Some(code_challenge(&code_verifier("st")).as_str())
        );
    }
}
