//! What a valid client application is: its fields, its redirect URLs ([`redirect`]), its
//! generated credentials, and what a credential check is asked. Its wire form, like every wire
//! type of this service, lives in `client-registration-client`.

mod redirect;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::OnceLock;

use api_common::fields::{optional_text, required_nonblank, DESCRIPTION_MAX, NAME_MAX};
use api_common::{ApiError, ErrorCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use client_registration_client::{CLIENT_SECRET_LENGTH, VERIFY_CREDENTIAL_MAX};
use rand::rngs::OsRng;
use rand::RngCore;
use secrets::HashKey;
use serde::Deserialize;
use serde_json::Value;

pub use redirect::{RedirectUrl, RedirectUrls, REDIRECT_URLS_FIELD};

/// Random bytes in a client secret: 256 bits, far beyond guessing.
const SECRET_BYTES: usize = 32;

/// The body of create and update, as sent. Every field is parsed by [`ClientAppInput::parse`],
/// which names the field on failure.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientAppBody {
    name: Option<Value>,
    description: Option<Value>,
    redirect_urls: Option<Value>,
}

/// A known-good application, ready to store.
#[derive(Debug)]
pub struct ClientAppInput {
    pub name: String,
    pub description: Option<String>,
    pub redirect_urls: RedirectUrls,
}

impl ClientAppInput {
    pub fn parse(body: ClientAppBody) -> Result<Self, ApiError> {
        Ok(ClientAppInput {
            name: app_name(body.name)?,
            description: optional_text("description", body.description, DESCRIPTION_MAX)?,
            redirect_urls: RedirectUrls::parse(body.redirect_urls)?,
        })
    }
}

/// Unlike other objects' names, a client application's name is shown to people (on consent
/// pages), so any printable text is allowed; control and format characters, line separators
/// and white space at either end are not (they would break or disguise that display).
fn app_name(value: Option<Value>) -> Result<String, ApiError> {
    required_nonblank("name", value, NAME_MAX)
}

/// A client secret's length in base64url without padding is the wire form's.
const _: () = assert!((SECRET_BYTES * 4).div_ceil(3) == CLIENT_SECRET_LENGTH);

/// A new client id: random, so that ids say nothing about how many applications exist.
pub fn new_client_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A client secret in clear, which exists only between its generation and the answer that shows
/// it to the caller; only [`ClientSecret::hash`] is stored.
pub struct ClientSecret(String);

impl ClientSecret {
    /// 256 bits from the operating system, base64url without padding (safe in forms and
    /// headers as is).
    pub fn generate() -> Result<Self, rand::Error> {
        let mut bytes = [0u8; SECRET_BYTES];
        OsRng.try_fill_bytes(&mut bytes)?;
        Ok(ClientSecret(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// What is stored in place of the secret: its keyed hash under the server's `key`.
    pub fn hash(&self, key: &HashKey) -> String {
        key.hash(&self.0)
    }

    /// The secret itself, for the one answer that shows it.
    pub fn reveal(self) -> String {
        self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

/// The body of a credential check, as sent; parsed by [`Credentials::parse`]. Peers send it as
/// [`client_registration_client::VerifyRequest`]; every field is read as a JSON value here so
/// that a mistyped one is reported by name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsBody {
    client_id: Option<Value>,
    client_secret: Option<Value>,
}

/// A client id and a claimed secret, to be checked. Its `Debug` hides the secret.
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl Credentials {
    pub fn parse(body: CredentialsBody) -> Result<Self, ApiError> {
        Ok(Credentials {
            client_id: required_nonblank("clientId", body.client_id, VERIFY_CREDENTIAL_MAX)?,
            client_secret: required_nonblank(
                "clientSecret",
                body.client_secret,
                VERIFY_CREDENTIAL_MAX,
            )?,
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// A well-formed hash that no secret matches, made once under a throwaway key: checking a
/// secret for an unknown client id costs one hash like a known one, so the time of the answer
/// does not tell whether the id exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        HashKey::parse(&secrets::generate_key())
            .map(|key| key.hash("no client has this secret"))
            .unwrap_or_default()
    })
}

/// The answer for an id that does not exist or belongs to someone else: the same, so as not to
/// reveal which.
pub fn not_found(id: i64) -> ApiError {
    ApiError::new(
        ErrorCode::ClientAppNotFound,
        format!("Invalid client application id: {id}"),
    )
}

/// The answer when the caller already has an application of this name.
pub fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!(
        "A client application named '{name}' already exists"
    ))
}

/// The product's answer when registration fails for a reason not the caller's; the cause has
/// been logged by whoever saw it.
pub fn create_failed() -> ApiError {
    ApiError::new(
        ErrorCode::ClientAppCreateFailed,
        "Problem creating OAuth Client Application at this time. Please try again at another time.",
    )
}
