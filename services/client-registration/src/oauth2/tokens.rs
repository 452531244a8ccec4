//! Codes and tokens as text: 32 random bytes from the operating system, base64url without
//! padding, behind a readable prefix (`hdpc_`, `hdpat_`, `hdprt_`). Only their keyed hash is
//! stored (`models::oauth2`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;

/// Random bytes in a code or token: 256 bits, far beyond guessing.
const TOKEN_BYTES: usize = 32;

/// A new code or token with `prefix`.
pub fn generate(prefix: &str) -> Result<String, rand::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.try_fill_bytes(&mut bytes)?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_256_bit_base64url() {
        let token = generate("hdpat_").unwrap();
        let body = token.strip_prefix("hdpat_").unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), TOKEN_BYTES);
        assert_ne!(token, generate("hdpat_").unwrap());
    }
}
