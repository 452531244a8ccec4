//! Key material: parsing, generating, and reading it from settings.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

use crate::KeyRing;

pub(crate) const KEY_BYTES: usize = 32;

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

pub(crate) fn check_key_id(id: &str) -> Result<(), KeyError> {
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

pub(crate) fn decode_key(id: &str, encoded: &str) -> Result<[u8; KEY_BYTES], KeyError> {
    STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| <[u8; KEY_BYTES]>::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| KeyError::KeyBytes(id.to_owned()))
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
