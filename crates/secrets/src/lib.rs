//! Credentials at rest.
//!
//! - [`KeyRing`]: values the API must return (OAuth application client secrets, profile tokens)
//!   are sealed with AES-256-GCM under the ring's active key, with a fresh random nonce each
//!   time and the row's table, column and id as associated data, so a sealed value copied to
//!   another row or column does not open. The stored form names the key that sealed it, so old
//!   keys can stay in the ring for reading while [`KeyRing::needs_reseal`] finds what to move to
//!   the new one.
//! - [`HashKey`]: values the API only checks (registered client secrets, 256 random bits) are
//!   stored as HMAC-SHA256 under a server key and compared in constant time. A slow password hash
//!   would add nothing for secrets this random; the key means a stolen database alone does not
//!   even allow testing guesses.
//!
//! Keys come from configuration as text (`id:base64key` entries for a ring, one base64 key for a
//! hash key), inline or from a file; [`generate_key_file`] makes one for a fresh install.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use api_common::ApiError;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Prefix of a sealed value; the version lets the format change without guessing.
const SEALED_PREFIX: &str = "enc:v1:";
/// Prefix of a keyed hash.
const HASH_PREFIX: &str = "hmac-sha256:v1:";
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// Why key material cannot be used. The message never contains key bytes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("no key given")]
    Empty,
    #[error("entry {0} is not of the form id:base64key")]
    Entry(usize),
    #[error("key id {0:?} may hold only letters, digits, '-' and '.' (1 to 32 of them)")]
    KeyId(String),
    #[error("key {0:?} is not {KEY_BYTES} bytes of standard base64")]
    KeyBytes(String),
    #[error("key id {0:?} appears twice")]
    Duplicate(String),
    #[error("the active key {0:?} is not in the ring")]
    NoActive(String),
}

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

fn check_key_id(id: &str) -> Result<(), KeyError> {
    let ok = (1..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(KeyError::KeyId(id.to_owned()))
    }
}

fn decode_key(id: &str, encoded: &str) -> Result<[u8; KEY_BYTES], KeyError> {
    STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| <[u8; KEY_BYTES]>::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| KeyError::KeyBytes(id.to_owned()))
}

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

/// A fresh random 32-byte key in standard base64.
pub fn generate_key() -> String {
    let mut bytes = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let encoded = STANDARD.encode(bytes);
    bytes.fill(0);
    encoded
}

/// Writes `contents` (key material) to `path` readable by its owner only, unless it exists.
/// Returns whether it wrote.
pub fn generate_key_file(path: &Path, contents: &str) -> std::io::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(true)
}

/// Key material given inline (`inline_var`) or in a file (`file_var`), inline first; the error
/// names the variable.
pub fn read_key_setting(
    inline_var: &str,
    inline: Option<&str>,
    file_var: &str,
    file: &Path,
) -> Result<String, String> {
    if let Some(text) = inline.filter(|t| !t.trim().is_empty()) {
        return Ok(text.to_owned());
    }
    std::fs::read_to_string(file).map_err(|e| {
        format!(
            "{file_var}: cannot read {} ({e}); set {inline_var} or {file_var}",
            file.display()
        )
    })
}

/// The key ring configured by `{prefix}_ENCRYPTION_KEYS` (inline), or else the file
/// `{prefix}_ENCRYPTION_KEYS_FILE`, with `{prefix}_ENCRYPTION_ACTIVE_KEY` naming the active key
/// (the last entry when unset). The error names the variable and never shows key material.
pub fn load_key_ring(
    prefix: &str,
    inline: Option<&str>,
    file: &Path,
    active: Option<&str>,
) -> Result<KeyRing, String> {
    let inline_var = format!("{prefix}_ENCRYPTION_KEYS");
    let file_var = format!("{prefix}_ENCRYPTION_KEYS_FILE");
    let text = read_key_setting(&inline_var, inline, &file_var, file)?;
    let source = if inline.is_some_and(|t| !t.trim().is_empty()) {
        inline_var
    } else {
        format!("{file_var} ({})", file.display())
    };
    KeyRing::parse(&text, active).map_err(|e| match e {
        KeyError::NoActive(_) => format!("{prefix}_ENCRYPTION_ACTIVE_KEY: {e}"),
        other => format!("{source}: {other}"),
    })
}

/// What a re-seal pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResealReport {
    /// Values now sealed with the active key.
    pub resealed: u64,
    /// Values changed by a request while they were being re-sealed (the new value is already
    /// sealed with the active key by whoever wrote it).
    pub changed_meanwhile: u64,
    /// Values that could not be opened (their key is not in the ring); left as they were.
    pub failed: u64,
}

impl ResealReport {
    pub fn add(&mut self, other: ResealReport) {
        self.resealed += other.resealed;
        self.changed_meanwhile += other.changed_meanwhile;
        self.failed += other.failed;
    }
}

/// Re-seals one column with the active key, `batch` rows at a time, while the service keeps
/// running: `load(after_id, limit)` returns `(id, sealed)` rows with `id > after_id` that are
/// not sealed with the active key (see [`KeyRing::active_like_pattern`]), in id order;
/// `store(id, old, new)` replaces `old` by `new` only if the row still holds `old` (so a
/// concurrent update is never overwritten) and says whether it did.
pub fn reseal_column<E>(
    ring: &KeyRing,
    table: &str,
    column: &str,
    batch: i64,
    mut load: impl FnMut(i64, i64) -> Result<Vec<(i64, String)>, E>,
    mut store: impl FnMut(i64, &str, &str) -> Result<bool, E>,
) -> Result<ResealReport, E> {
    let mut report = ResealReport::default();
    let mut after = 0;
    loop {
        let rows = load(after, batch)?;
        let Some((last, _)) = rows.last() else {
            return Ok(report);
        };
        after = *last;
        for (row_id, sealed) in rows {
            let place = Place {
                table,
                column,
                row_id,
            };
            match ring.open(&sealed, place) {
                Ok(plain) => {
                    if store(row_id, &sealed, &ring.seal(&plain, place))? {
                        report.resealed += 1;
                    } else {
                        report.changed_meanwhile += 1;
                    }
                }
                Err(err) => {
                    log::error!("{table}.{column} of row {row_id}: {err}");
                    report.failed += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(row_id: i64) -> Place<'static> {
        Place {
            table: "oauth_apps",
            column: "client_secret",
            row_id,
        }
    }

    fn ring(entries: &[&str]) -> KeyRing {
        KeyRing::parse(&entries.join(","), None).unwrap()
    }

    #[test]
    fn values_open_only_for_their_own_place() {
        let k1 = format!("k1:{}", generate_key());
        let ring = ring(&[&k1]);
        let sealed = ring.seal("1912308409123890", place(7));
        assert!(sealed.starts_with("enc:v1:k1:"));
        assert!(!sealed.contains("1912308409123890"));
        assert_eq!(ring.open(&sealed, place(7)).unwrap(), "1912308409123890");
        assert_ne!(
            ring.seal("1912308409123890", place(7)),
            sealed,
            "fresh nonce each time"
        );
        assert_eq!(
            ring.open(&sealed, place(8)),
            Err(OpenError::Rejected("k1".into()))
        );
        let other_column = Place {
            column: "client_id",
            ..place(7)
        };
        assert!(ring.open(&sealed, other_column).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open(&tampered, place(7)).is_err());
        assert_eq!(ring.open("plain", place(7)), Err(OpenError::Malformed));
    }

    #[test]
    fn rotation_keeps_old_values_readable_until_the_key_is_removed() {
        let k1 = format!("k1:{}", generate_key());
        let k2 = format!("k2:{}", generate_key());
        let old = ring(&[&k1]).seal("token", place(1));
        let rotated = ring(&[&k1, &k2]);
        assert_eq!(rotated.active_id(), "k2");
        assert!(rotated.needs_reseal(&old));
        assert_eq!(rotated.open(&old, place(1)).unwrap(), "token");
        let resealed = rotated.seal("token", place(1));
        assert!(!rotated.needs_reseal(&resealed));
        let only_new = ring(&[&k2]);
        assert_eq!(only_new.open(&resealed, place(1)).unwrap(), "token");
        assert_eq!(
            only_new.open(&old, place(1)),
            Err(OpenError::UnknownKey("k1".into()))
        );
        assert_eq!(sealed_key_id(&old), Some("k1"));
    }

    #[test]
    fn malformed_rings_are_refused_without_showing_keys() {
        let good = generate_key();
        assert_eq!(KeyRing::parse("", None).unwrap_err(), KeyError::Empty);
        assert_eq!(KeyRing::parse(&good, None).unwrap_err(), KeyError::Entry(1));
        assert!(matches!(
            KeyRing::parse("k_1:abc", None),
            Err(KeyError::KeyId(_))
        ));
        let short = KeyRing::parse("k1:c2hvcnQ=", None).unwrap_err();
        assert_eq!(short, KeyError::KeyBytes("k1".into()));
        let dup = KeyRing::parse(&format!("k1:{good},k1:{good}"), None).unwrap_err();
        assert_eq!(dup, KeyError::Duplicate("k1".into()));
        let missing = KeyRing::parse(&format!("k1:{good}"), Some("k9")).unwrap_err();
        assert_eq!(missing, KeyError::NoActive("k9".into()));
        let explicit = KeyRing::parse(&format!("k1:{good}\nk2:{}", generate_key()), Some("k1"));
        assert_eq!(explicit.unwrap().active_id(), "k1");
        assert!(!format!("{:?}", ring(&[&format!("k1:{good}")])).contains(&good));
    }

    #[test]
    fn keyed_hashes_verify_only_the_secret_under_the_same_key() {
        let key = HashKey::parse(&generate_key()).unwrap();
        let stored = key.hash("s3cret");
        assert!(!stored.contains("s3cret"));
        assert!(key.verify("s3cret", &stored));
        assert!(!key.verify("s3cres", &stored));
        assert!(!key.verify("s3cret", "garbage"));
        let other = HashKey::parse(&generate_key()).unwrap();
        assert!(!other.verify("s3cret", &stored));
        assert_eq!(format!("{key:?}"), "HashKey(***)");
    }

    #[test]
    fn reseal_moves_every_value_to_the_active_key_and_respects_concurrent_writes() {
        let k1 = format!("k1:{}", generate_key());
        let k2 = format!("k2:{}", generate_key());
        let old = ring(&[&k1]);
        let mut rows: Vec<(i64, String)> = (1..=7)
            .map(|id| (id, old.seal(&format!("secret-{id}"), place(id))))
            .collect();
        let rotated = ring(&[&k1, &k2]);
        rows[2].1 = rotated.seal("secret-3", place(3));
        let table = std::cell::RefCell::new(rows);
        let report = reseal_column::<()>(
            &rotated,
            "oauth_apps",
            "client_secret",
            2,
            |after, limit| {
                Ok(table
                    .borrow()
                    .iter()
                    .filter(|(id, v)| *id > after && rotated.needs_reseal(v))
                    .take(limit as usize)
                    .cloned()
                    .collect())
            },
            |id, old_value, new_value| {
                let mut rows = table.borrow_mut();
                let row = rows.iter_mut().find(|(row_id, _)| *row_id == id).unwrap();
                if id == 5 {
                    row.1 = rotated.seal("changed", place(5));
                }
                if row.1 != old_value {
                    return Ok(false);
                }
                row.1 = new_value.to_owned();
                Ok(true)
            },
        )
        .unwrap();
        assert_eq!(
            report,
            ResealReport {
                resealed: 5,
                changed_meanwhile: 1,
                failed: 0
            }
        );
        let only_new = ring(&[&k2]);
        for (id, value) in table.borrow().iter() {
            let expected = if *id == 5 {
                "changed".to_owned()
            } else {
                format!("secret-{id}")
            };
            assert_eq!(only_new.open(value, place(*id)).unwrap(), expected);
        }
    }

    #[test]
    fn key_files_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/ring");
        assert!(generate_key_file(&path, "k1:x").unwrap());
        assert!(!generate_key_file(&path, "k2:y").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "k1:x\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
