//! Minting and verifying internal tokens.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keys::KeyError;
use crate::permissions;

/// The longest lifetime a minted token may have.
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(60);

const ISSUER: &str = "hdp-oauth-gateway";

/// A service that verifies internal tokens. Each has two surfaces, each with its own audience:
/// its public routes (`/api/...`, which the gateway forwards) and its internal routes
/// (`/internal/...`, which only peers and the gateway's own maintenance calls reach).
///
/// A token the gateway mints for a forwarded request is addressed to the service it forwards
/// to and to the peer surfaces that service calls on the caller's behalf
/// ([`Service::forwarded_audiences`]); never to that service's own internal surface. So even if
/// a forwarded request reached an internal route of its service (a routing mistake in the
/// gateway), its token would not open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    OauthApps,
    OauthProfiles,
    ClientRegistration,
}

impl Service {
    pub const ALL: [Service; 3] = [
        Service::OauthApps,
        Service::OauthProfiles,
        Service::ClientRegistration,
    ];

    /// The service's name, which is also the audience of its public routes.
    pub fn name(self) -> &'static str {
        match self {
            Service::OauthApps => "oauth-apps",
            Service::OauthProfiles => "oauth-profiles",
            Service::ClientRegistration => "client-registration",
        }
    }

    /// The audience of the service's internal routes.
    pub fn internal_audience(self) -> &'static str {
        match self {
            Service::OauthApps => "oauth-apps/internal",
            Service::OauthProfiles => "oauth-profiles/internal",
            Service::ClientRegistration => "client-registration/internal",
        }
    }

    /// What a user request forwarded to this service may open: its own public routes, and the
    /// peer routes it calls with the caller's token (oauth-profiles reads the application a
    /// profile links to, and its client credentials to call the provider; oauth-apps asks
    /// oauth-profiles whether an application is in use).
    pub fn forwarded_audiences(self) -> &'static [&'static str] {
        match self {
            Service::OauthApps => &["oauth-apps", "oauth-profiles/internal"],
            Service::OauthProfiles => &["oauth-profiles", "oauth-apps", "oauth-apps/internal"],
            Service::ClientRegistration => &["client-registration"],
        }
    }

    /// What a request on an open route of this service (one without user credentials: the
    /// OAuth connect callback of oauth-profiles, authenticated by its `state`) may open: the
    /// service's public routes, as a caller without a user ([`crate::OpenCaller`]), and the
    /// peer routes it then calls (oauth-apps' client credentials, internal).
    pub fn open_route_audiences(self) -> &'static [&'static str] {
        match self {
            Service::OauthApps => &["oauth-apps"],
            Service::OauthProfiles => &["oauth-profiles", "oauth-apps/internal"],
            Service::ClientRegistration => &["client-registration"],
        }
    }
}

/// A user as the gateway established them: who they are, their tenant, their permissions and
/// the tenants they administer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: i64,
    pub user_name: String,
    pub tenant_id: i64,
    pub permissions: Vec<u32>,
    /// Tenants this user has administrative access to (besides their own membership).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub administered_tenants: Vec<i64>,
}

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// A request of a user (possibly on behalf of another): the public API's rules apply.
    #[default]
    User,
    /// The gateway's own maintenance calls (purging a deleted user's rows); no user behind it.
    System,
    /// A request on an open route (the OAuth connect callback, authenticated by its `state`):
    /// no user behind it, and none of the gateway's maintenance rights; opens only what
    /// [`Service::open_route_audiences`] lists, and only the routes that take an
    /// [`crate::OpenCaller`] or ask for this scope by name.
    Open,
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The user the request acts as: whose resources it reads and writes.
    pub subject: Identity,
    /// The user who actually called, when acting on behalf of `subject` (`?user=`).
    pub actor: Option<Identity>,
    pub scope: Scope,
    /// Which of the verifying service's surfaces the token is addressed to.
    pub opens: Surfaces,
}

/// The surfaces of a service a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Surfaces {
    /// The public routes, forwarded by the gateway.
    pub public: bool,
    /// The internal routes, for peers and the gateway's maintenance calls.
    pub internal: bool,
}

impl Identity {
    /// Whether this user has administrative access to `tenant_id`.
    pub fn administers(&self, tenant_id: i64) -> bool {
        self.administered_tenants.contains(&tenant_id)
    }

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
    aud: Vec<String>,
    sub: String,
    iat: u64,
    exp: u64,
    #[serde(rename = "hdp")]
    identity: Identity,
    /// The real caller when acting on behalf of `identity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    act: Option<Identity>,
    #[serde(default)]
    scope: Scope,
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

    /// A signed user token for a request forwarded to `service`, acting as `subject` (called by
    /// `actor` when on behalf of them), and the Unix time (seconds) at which it expires.
    pub fn mint(
        &self,
        service: Service,
        subject: &Identity,
        actor: Option<&Identity>,
    ) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        self.sign(service.forwarded_audiences(), subject, actor, Scope::User)
    }

    /// A system token for the gateway's own maintenance calls: it opens the internal routes of
    /// every service, and no public route.
    pub fn mint_system(&self) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let gateway = Identity {
            user_id: 0,
            user_name: ISSUER.to_owned(),
            tenant_id: 0,
            permissions: Vec::new(),
            administered_tenants: Vec::new(),
        };
        let internal = Service::ALL.map(Service::internal_audience);
        self.sign(&internal, &gateway, None, Scope::System)
    }

    /// The token of a request on an open route of `service` ([`Scope::Open`]: no user, no
    /// maintenance rights), addressed to [`Service::open_route_audiences`] only.
    pub fn mint_open(
        &self,
        service: Service,
    ) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let gateway = Identity {
            user_id: 0,
            user_name: ISSUER.to_owned(),
            tenant_id: 0,
            permissions: Vec::new(),
            administered_tenants: Vec::new(),
        };
        self.sign(service.open_route_audiences(), &gateway, None, Scope::Open)
    }

    fn sign(
        &self,
        audiences: &[&str],
        subject: &Identity,
        actor: Option<&Identity>,
        scope: Scope,
    ) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let now = unix_now();
        let exp = now + self.ttl.as_secs();
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: audiences.iter().map(|&a| a.to_owned()).collect(),
            sub: subject.user_id.to_string(),
            iat: now,
            exp,
            identity: subject.clone(),
            act: actor.cloned(),
            scope,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key)?;
        Ok((token, exp))
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

/// Verifies internal tokens addressed to one service; held by every service.
///
/// The gateway reuses the token it minted for a caller for most of the token's life, so a
/// service sees the same few tokens over and over; an Ed25519 verification costs about as much
/// as the rest of a `GET` by id. Tokens that verified are therefore remembered, by the SHA-256
/// of their text, until they expire: a repeat costs a hash and a lookup, and a token that failed
/// is never remembered, so it fails again the full way.
pub struct TokenVerifier {
    service: Service,
    key: DecodingKey,
    validation: Validation,
    recent: Mutex<HashMap<[u8; 32], (Verified, u64)>>,
}

/// How many verified tokens a service remembers at most; about 1 KB each.
const RECENT_TOKENS: usize = 4096;

impl TokenVerifier {
    /// `pem` is an Ed25519 public key (SubjectPublicKeyInfo); `service` the service that
    /// verifies: a token addressed to neither of its surfaces is refused.
    pub fn from_pem(pem: &[u8], service: Service) -> Result<Self, KeyError> {
        let key = DecodingKey::from_ed_pem(pem).map_err(|_| KeyError::InvalidPublicKey)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[service.name(), service.internal_audience()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // The signer and the verifiers run in one process or one cluster, on synchronised
        // clocks: one second covers a token checked across the turn of a second.
        validation.leeway = 1;
        Ok(TokenVerifier {
            service,
            key,
            validation,
            recent: Mutex::new(HashMap::new()),
        })
    }

    /// What a valid token carries.
    pub fn verify(&self, token: &str) -> Result<Verified, jsonwebtoken::errors::Error> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = unix_now();
        if let Some(verified) = self.remembered(&digest, now) {
            return Ok(verified);
        }
        let (verified, expires) = self.verify_signature(token)?;
        self.remember(digest, &verified, expires, now);
        Ok(verified)
    }

    fn verify_signature(
        &self,
        token: &str,
    ) -> Result<(Verified, u64), jsonwebtoken::errors::Error> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)?;
        let claims = data.claims;
        // A token that lives longer than we ever mint was not minted by us as configured.
        if claims.exp.saturating_sub(claims.iat) > MAX_TOKEN_TTL.as_secs() {
            return Err(jsonwebtoken::errors::ErrorKind::ExpiredSignature.into());
        }
        let addressed = |audience: &str| claims.aud.iter().any(|a| a == audience);
        let opens = Surfaces {
            public: addressed(self.service.name()),
            internal: addressed(self.service.internal_audience()),
        };
        let verified = Verified {
            subject: claims.identity,
            actor: claims.act,
            scope: claims.scope,
            opens,
        };
        Ok((verified, claims.exp))
    }

    /// A token verified before and not yet expired (without the leeway: the full check
    /// decides near the end).
    fn remembered(&self, digest: &[u8; 32], now: u64) -> Option<Verified> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        match recent.get(digest) {
            Some((verified, expires)) if now < *expires => Some(verified.clone()),
            _ => None,
        }
    }

    fn remember(&self, digest: [u8; 32], verified: &Verified, expires: u64, now: u64) {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        if recent.len() >= RECENT_TOKENS {
            recent.retain(|_, (_, expires)| now < *expires);
            if recent.len() >= RECENT_TOKENS {
                // Over a minute's worth of distinct callers: start over rather than grow.
                recent.clear();
            }
        }
        recent.insert(digest, (verified.clone(), expires));
    }
}

/// Now, in whole seconds since the Unix epoch: the clock tokens' `iat` and `exp` are read on.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
