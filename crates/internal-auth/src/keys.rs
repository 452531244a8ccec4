//! Ed25519 key pairs for internal tokens, in PEM (PKCS#8 private, SPKI public).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::SigningKey;
use rand::RngCore;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the signing key is not a PKCS#8 Ed25519 private key in PEM form")]
    InvalidPrivateKey,
    #[error("the verifying key is not an Ed25519 public key in PEM form")]
    InvalidPublicKey,
    #[error("cannot encode the key: {0}")]
    Encode(String),
    #[error("cannot use key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A key pair in PEM form.
pub struct KeyPair {
    pub private_pem: String,
    pub public_pem: String,
}

/// Where a key pair is kept.
#[derive(Debug, Clone)]
pub struct KeyPaths {
    pub private_key: PathBuf,
    pub public_key: PathBuf,
}

/// A fresh key pair from the operating system's random source.
pub fn generate_key_pair() -> Result<KeyPair, KeyError> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let signing = SigningKey::from_bytes(&seed);
    seed.fill(0);
    let private_pem = signing
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))?
        .to_string();
    let public_pem = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    Ok(KeyPair {
        private_pem,
        public_pem,
    })
}

/// The key pair kept in `dir` (`token-signing.pem`, `token-public.pem`), generated there on
/// first use with the private key readable by its owner only.
pub fn load_or_generate_key_pair(dir: &Path) -> Result<KeyPaths, KeyError> {
    let paths = KeyPaths {
        private_key: dir.join("token-signing.pem"),
        public_key: dir.join("token-public.pem"),
    };
    if paths.private_key.exists() && paths.public_key.exists() {
        return Ok(paths);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KeyError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    let pair = generate_key_pair()?;
    write_private(&paths.private_key, pair.private_pem.as_bytes())
        .map_err(io(&paths.private_key))?;
    fs::write(&paths.public_key, pair.public_pem.as_bytes()).map_err(io(&paths.public_key))?;
    log::info!(
        "generated a new internal token key pair in {}",
        dir.display()
    );
    Ok(paths)
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate_key_pair(dir.path()).unwrap();
        let before = fs::read(&first.private_key).unwrap();
        let second = load_or_generate_key_pair(dir.path()).unwrap();
        assert_eq!(before, fs::read(&second.private_key).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&first.private_key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
