//! Values the API only checks, stored as a keyed hash.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::keys::{decode_key, KeyError};

/// Prefix of a keyed hash.
const HASH_PREFIX: &str = "hmac-sha256:v1:";

/// An HMAC-SHA256 key for storing high-entropy secrets that are only ever checked.
#[derive(Clone)]
pub struct HashKey(Hmac<Sha256>);

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashKey(***)")
    }
}

impl HashKey {
    /// One key, `id:base64key` or plain base64 (32 bytes).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        let (id, encoded) = text.split_once(':').unwrap_or(("hash", text));
        let bytes = decode_key(id, encoded)?;
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&bytes)
            .map_err(|_| KeyError::KeyBytes(id.to_owned()))?;
        Ok(HashKey(mac))
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.0.clone()
    }

    /// The stored form of `secret`.
    pub fn hash(&self, secret: &str) -> String {
        let mut mac = self.mac();
        mac.update(secret.as_bytes());
        format!(
            "{HASH_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// Whether `secret` matches `stored`, compared in constant time.
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        let Some(expected) = stored
            .strip_prefix(HASH_PREFIX)
            .and_then(|e| URL_SAFE_NO_PAD.decode(e).ok())
        else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(secret.as_bytes());
        mac.verify_slice(&expected).is_ok()
    }
}
