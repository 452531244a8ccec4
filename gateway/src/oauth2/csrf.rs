//! The keys of sign-in sessions and CSRF tokens, and the tokens themselves.
//!
//! Both keys live in the identity database ([`identity::sessions::shared_key`]): made by the
//! first replica that starts, read by every other, kept across restarts, and independent of
//! the token signing key (which may rotate without signing anyone out).
//!
//! A form carries a token bound to the browser that loaded it: for the sign-in form, an HMAC
//! of the random `hdp_csrf` cookie (`SameSite=Strict`, so a form posted from another site
//! does not carry it); for the consent form, an HMAC of the session (whose cookie is
//! `SameSite=Lax`, and which another site cannot read). A page of another site can neither
//! read the cookie nor compute the HMAC, so it cannot forge a form the gateway accepts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use db::DbPool;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use service_kit::StartError;
use sha2::Sha256;

/// The name of the sessions' hash key in `gateway_keys`.
const SESSION_KEY: &str = "sign-in-sessions";
/// The name of the CSRF key.
const CSRF_KEY: &str = "csrf";

/// 32 random bytes, base64url without padding: session ids, the CSRF cookie, keys.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The keys every replica shares.
pub struct Keys {
    session: Vec<u8>,
    csrf: Vec<u8>,
}

impl Keys {
    /// Reads the keys, making them on the very first start.
    pub fn load(pool: &DbPool) -> Result<Keys, StartError> {
        let failed = |e: &dyn std::fmt::Display| {
            StartError::Other(format!("cannot read the sign-in keys: {e}"))
        };
        let mut conn = pool.get().map_err(|e| failed(&e))?;
        let now = chrono::Utc::now().naive_utc();
        let mut key = |name: &str| -> Result<Vec<u8>, StartError> {
            let stored = identity::sessions::shared_key(&mut conn, name, &random_token(), now)
                .map_err(|e| failed(&e))?;
            URL_SAFE_NO_PAD
                .decode(stored)
                .map_err(|e| failed(&e))
                .and_then(|key| match key.len() >= 32 {
                    true => Ok(key),
                    false => Err(failed(&"a stored key is too short")),
                })
        };
        Ok(Keys {
            session: key(SESSION_KEY)?,
            csrf: key(CSRF_KEY)?,
        })
    }

    /// Keys for unit tests.
    #[cfg(test)]
    pub fn random() -> Keys {
        Keys {
            session: random_token().into_bytes(),
            csrf: random_token().into_bytes(),
        }
    }

    /// What the database keeps of session id `id`.
    pub fn session_hash(&self, id: &str) -> String {
        URL_SAFE_NO_PAD.encode(mac(&self.session, &[b"session", id.as_bytes()]))
    }

    /// What a session keeps of its user's password hash: a change of password (a new hash,
    /// even for the same password) ends every session made before it.
    pub fn password_stamp(&self, password_hash: &str) -> String {
        URL_SAFE_NO_PAD.encode(mac(&self.session, &[b"password", password_hash.as_bytes()]))
    }

    /// The sign-in form's token for the browser whose `hdp_csrf` cookie is `cookie`.
    pub fn sign_in_token(&self, cookie: &str) -> String {
        URL_SAFE_NO_PAD.encode(mac(&self.csrf, &[b"sign-in", cookie.as_bytes()]))
    }

    /// The consent form's token for the session whose hash is `session_hash`.
    pub fn consent_token(&self, session_hash: &str) -> String {
        URL_SAFE_NO_PAD.encode(mac(&self.csrf, &[b"consent", session_hash.as_bytes()]))
    }
}

/// HMAC-SHA256 of length-prefixed `parts` under `key`.
fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Whether `given` is `expected`, in time that does not depend on where they differ.
pub fn same(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.as_bytes());
    expected.len() == given.len()
        && expected
            .iter()
            .zip(given)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_their_purpose_and_browser() {
        let keys = Keys::random();
        let browser = random_token();
        let token = keys.sign_in_token(&browser);
        assert!(same(&token, &keys.sign_in_token(&browser)));
        assert!(!same(&token, &keys.sign_in_token(&random_token())));
        assert!(!same(&token, &keys.consent_token(&browser)));
        assert!(!same(&token, &Keys::random().sign_in_token(&browser)));
        assert!(!same(&token, ""));
        assert_ne!(keys.session_hash(&browser), browser);
    }
}
