//! Internal tokens: how the gateway tells a service who is calling.
//!
//! After it has checked a caller's Basic credentials, the gateway mints a short-lived JWT signed
//! with Ed25519 ([`TokenSigner`]) that carries the caller's [`Identity`]. Services hold only the
//! public key ([`TokenVerifier`]); [`require_token`] verifies the token once per request and
//! leaves a [`Caller`] for handlers to take as an argument. A service forwards the caller's own
//! token when it asks a peer, so the peer applies the same caller's rights.
//!
//! Tokens are credentials: they are never logged.

mod caller;
mod keys;
mod token;

pub use caller::{require_token, Caller, OpenCaller, PeerCaller};
pub use keys::{generate_key_pair, load_or_generate_key_pair, KeyError, KeyPair, KeyPaths};
pub use token::{
    unix_now, Identity, Scope, Service, Surfaces, TokenSigner, TokenVerifier, Verified,
    MAX_TOKEN_TTL,
};

/// Permission ids, as in Hybrid Data Pipeline.
pub mod permissions {
    pub const CREATE_DATA_SOURCE: u32 = 1;
    pub const VIEW_DATA_SOURCE: u32 = 2;
    pub const MODIFY_DATA_SOURCE: u32 = 3;
    pub const DELETE_DATA_SOURCE: u32 = 4;
    pub const WEB_UI: u32 = 8;
    pub const MGMT_API: u32 = 11;
    pub const ADMINISTRATOR: u32 = 12;
    pub const VIEW_USERS: u32 = 14;
    pub const ON_BEHALF_OF: u32 = 21;
    pub const OAUTH: u32 = 28;

    /// Every permission id the system knows.
    pub const ALL: [u32; 10] = [
        CREATE_DATA_SOURCE,
        VIEW_DATA_SOURCE,
        MODIFY_DATA_SOURCE,
        DELETE_DATA_SOURCE,
        WEB_UI,
        MGMT_API,
        ADMINISTRATOR,
        VIEW_USERS,
        ON_BEHALF_OF,
        OAUTH,
    ];
}

/// The id of the system tenant.
pub const SYSTEM_TENANT_ID: i64 = 1;
