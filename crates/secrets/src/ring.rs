//! Values the API must read back, sealed with AES-256-GCM for their own place.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use api_common::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::keys::{check_key_id, decode_key, KeyError};

/// Prefix of a sealed value; the version lets the format change without guessing.
const SEALED_PREFIX: &str = "enc:v1:";
const NONCE_BYTES: usize = 12;

/// Where a sealed value comes from: it can only be opened for the same place.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: i64,
}

impl Place<'_> {
    fn associated_data(&self) -> Vec<u8> {
        format!("hdp-oauth/{}/{}/{}", self.table, self.column, self.row_id).into_bytes()
    }
}

/// Why a sealed value does not open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("the value was sealed with key {0:?}, which is not in the key ring")]
    UnknownKey(String),
    #[error("the value is not in the sealed format")]
    Malformed,
    #[error("the value does not open with key {0:?} for this place (altered, or copied from another row or column)")]
    Rejected(String),
}

/// What the caller sees when a stored value cannot be opened; the cause goes to the log. A
/// missing key is an operator's fix away (503); anything else is a fault (500).
impl From<OpenError> for ApiError {
    fn from(err: OpenError) -> Self {
        match err {
            OpenError::UnknownKey(_) => ApiError::unavailable("key ring", err),
            other => ApiError::internal(other),
        }
    }
}

/// AES-256-GCM keys by id, one of them active for sealing.
#[derive(Clone)]
pub struct KeyRing {
    keys: BTreeMap<String, Aes256Gcm>,
    active: String,
    active_cipher: Aes256Gcm,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .finish()
    }
}

impl KeyRing {
    /// Parses `id:base64key` entries separated by commas or white space. The active key is
    /// `active` when given, otherwise the last entry, so that rotating is appending a key.
    pub fn parse(text: &str, active: Option<&str>) -> Result<Self, KeyError> {
        let mut keys = BTreeMap::new();
        let mut last = None;
        let entries = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let (id, encoded) = entry.split_once(':').ok_or(KeyError::Entry(index + 1))?;
            check_key_id(id)?;
            let bytes = decode_key(id, encoded)?;
            let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes));
            if keys.insert(id.to_owned(), cipher).is_some() {
                return Err(KeyError::Duplicate(id.to_owned()));
            }
            last = Some(id.to_owned());
        }
        let active = match active.map(str::trim).filter(|a| !a.is_empty()) {
            Some(id) => id.to_owned(),
            None => last.ok_or(KeyError::Empty)?,
        };
        let active_cipher = keys
            .get(&active)
            .cloned()
            .ok_or_else(|| KeyError::NoActive(active.clone()))?;
        Ok(KeyRing {
            keys,
            active,
            active_cipher,
        })
    }

    pub fn active_id(&self) -> &str {
        &self.active
    }

    /// `plaintext` sealed with the active key for `place`.
    pub fn seal(&self, plaintext: &str, place: Place<'_>) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = place.associated_data();
        // Encryption with a valid key and nonce only fails for inputs of gigabytes.
        let sealed = self
            .active_cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!(
            "{SEALED_PREFIX}{}:{}",
            self.active,
            URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Opens a value sealed for `place` by any key in the ring.
    pub fn open(&self, sealed: &str, place: Place<'_>) -> Result<String, OpenError> {
        let (id, encoded) = split_sealed(sealed).ok_or(OpenError::Malformed)?;
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| OpenError::Malformed)?;
        if bytes.len() < NONCE_BYTES {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let aad = place.associated_data();
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| OpenError::Rejected(id.to_owned()))?;
        String::from_utf8(plain).map_err(|_| OpenError::Rejected(id.to_owned()))
    }

    /// Opens an optional value (a nullable column).
    pub fn open_optional(
        &self,
        sealed: Option<&str>,
        place: Place<'_>,
    ) -> Result<Option<String>, OpenError> {
        sealed.map(|s| self.open(s, place)).transpose()
    }

    /// Whether `sealed` was sealed with another key than the active one.
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        split_sealed(sealed).is_none_or(|(id, _)| id != self.active)
    }

    /// The SQL `LIKE` pattern of values sealed with the active key (key ids hold no wildcard).
    pub fn active_like_pattern(&self) -> String {
        format!("{SEALED_PREFIX}{}:%", self.active)
    }
}

/// The key id a sealed value names.
pub fn sealed_key_id(sealed: &str) -> Option<&str> {
    split_sealed(sealed).map(|(id, _)| id)
}

fn split_sealed(sealed: &str) -> Option<(&str, &str)> {
    sealed.strip_prefix(SEALED_PREFIX)?.split_once(':')
}
