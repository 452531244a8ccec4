//! client-registration's half of the OAuth 2.0 authorization server: it authenticates
//! *clients* and keeps every grant, code, token and remembered consent; the gateway
//! authenticates *people* and renders the authorize pages (docs: the contract of issue 15).
//!
//! - [`settings`]: token lifetimes and the refresh grace, from the environment.
//! - [`form`] and [`error`]: the form-encoded requests of the token, revocation and
//!   introspection endpoints, and their RFC 6749 5.2 errors (never the envelope).
//! - [`client_auth`]: `client_secret_basic` and `client_secret_post`, slowed per client by
//!   [`limiter`] after repeated failures.
//! - [`scope`], [`pkce`], [`tokens`]: the rules of scopes, PKCE S256, and token texts.
//! - [`sweeper`]: expired codes and tokens and dead grants go, every minute.
//! - [`caller`]: who may reach the public OAuth routes (the gateway's open-route token, or a
//!   user's token for the password grant).
//!
//! The wire types shared with the gateway are in `client_registration_client::oauth2`.

pub mod caller;
pub mod client_auth;
pub mod error;
pub mod form;
pub mod limiter;
pub mod pkce;
pub mod scope;
pub mod settings;
pub mod sweeper;
pub mod tokens;

pub use settings::Oauth2Settings;

/// What the OAuth routes share, in the app data: the lifetimes, checked at start-up, and
/// the process's failure counts of client credentials.
#[derive(Debug)]
pub struct Oauth2 {
    pub lifetimes: crate::models::oauth2::Lifetimes,
    pub limiter: limiter::ClientLimiter,
}

impl Oauth2 {
    pub fn new(lifetimes: crate::models::oauth2::Lifetimes) -> Self {
        Oauth2 {
            lifetimes,
            limiter: limiter::ClientLimiter::new(),
        }
    }
}
