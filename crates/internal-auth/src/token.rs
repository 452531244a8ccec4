//! Minting and verifying internal tokens.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::keys::KeyError;
use crate::permissions;

/// The longest lifetime a minted token may have.
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(60);

const ISSUER: &str = "hdp-oauth-gateway";
const AUDIENCE: &str = "hdp-oauth-services";

/// Who is calling, as the gateway established it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: i64,
    pub user_name: String,
    pub tenant_id: i64,
    pub permissions: Vec<u32>,
}

impl Identity {
    pub fn has(&self, permission: u32) -> bool {
        self.permissions.contains(&permission)
    }

    /// Holds every one of `required`.
    pub fn has_all(&self, required: &[u32]) -> bool {
        required.iter().all(|p| self.has(*p))
    }

    pub fn is_admin(&self) -> bool {
        self.has(permissions::ADMINISTRATOR)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    iat: u64,
    exp: u64,
    #[serde(rename = "hdp")]
    identity: Identity,
}

/// Mints internal tokens; held by the gateway only.
pub struct TokenSigner {
    key: EncodingKey,
    ttl: Duration,
}

impl TokenSigner {
    /// `pem` is a PKCS#8 Ed25519 private key; `ttl` is capped at [`MAX_TOKEN_TTL`].
    pub fn from_pem(pem: &[u8], ttl: Duration) -> Result<Self, KeyError> {
        let key = EncodingKey::from_ed_pem(pem).map_err(|_| KeyError::InvalidPrivateKey)?;
        Ok(TokenSigner {
            key,
            ttl: ttl.min(MAX_TOKEN_TTL),
        })
    }

    /// A signed token for `identity` and the Unix time (seconds) at which it expires.
    pub fn mint(&self, identity: &Identity) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let now = unix_now();
        let exp = now + self.ttl.as_secs();
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: identity.user_id.to_string(),
            iat: now,
            exp,
            identity: identity.clone(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key)?;
        Ok((token, exp))
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

/// Verifies internal tokens; held by every service.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    /// `pem` is an Ed25519 public key (SubjectPublicKeyInfo).
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let key = DecodingKey::from_ed_pem(pem).map_err(|_| KeyError::InvalidPublicKey)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(TokenVerifier { key, validation })
    }

    /// The identity a valid token carries.
    pub fn verify(&self, token: &str) -> Result<Identity, jsonwebtoken::errors::Error> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)?;
        let claims = data.claims;
        // A token that lives longer than we ever mint was not minted by us as configured.
        if claims.exp.saturating_sub(claims.iat) > MAX_TOKEN_TTL.as_secs() {
            return Err(jsonwebtoken::errors::ErrorKind::ExpiredSignature.into());
        }
        Ok(claims.identity)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_key_pair;

    fn identity() -> Identity {
        Identity {
            user_id: 7,
            user_name: "alice".into(),
            tenant_id: 1,
            permissions: vec![11, 1],
        }
    }

    #[test]
    fn a_minted_token_verifies_with_the_matching_public_key_only() {
        let pair = generate_key_pair().unwrap();
        let signer =
            TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(30)).unwrap();
        let verifier = TokenVerifier::from_pem(pair.public_pem.as_bytes()).unwrap();
        let (token, _) = signer.mint(&identity()).unwrap();
        assert_eq!(verifier.verify(&token).unwrap(), identity());

        let other = generate_key_pair().unwrap();
        let stranger = TokenVerifier::from_pem(other.public_pem.as_bytes()).unwrap();
        assert!(stranger.verify(&token).is_err());
        assert!(verifier.verify(&format!("{token}x")).is_err());
        assert!(verifier.verify("not-a-token").is_err());
    }

    #[test]
    fn ttl_is_capped() {
        let pair = generate_key_pair().unwrap();
        let signer =
            TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(3600)).unwrap();
        assert_eq!(signer.ttl(), MAX_TOKEN_TTL);
    }
}
