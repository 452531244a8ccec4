//! Client authentication at the token, revocation and introspection endpoints (RFC 6749
//! 2.3.1): `client_secret_basic` (the client's `Authorization: Basic`, which the gateway passes
//! on in [`CLIENT_AUTHORIZATION_HEADER`]) or `client_secret_post` (`client_id` and
//! `client_secret` in the form, also spelled `clientId` and `clientSecret`). Both at once is
//! `invalid_request`; anything that does not authenticate is `invalid_client`. Repeated
//! failures for one client are slowed ([`ClientLimiter`]).

use actix_web::{web, HttpRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use client_registration_client::oauth2::CLIENT_AUTHORIZATION_HEADER;
use client_registration_client::VERIFY_CREDENTIAL_MAX;
use db::{run_db, DbPool};
use secrets::HashKey;

use crate::domain::decoy_hash;
use crate::models::{self, ClientApp};
use crate::oauth2::error::OauthError;
use crate::oauth2::form::Form;
use crate::oauth2::limiter::ClientLimiter;

/// Credentials a client presented, and how.
struct Presented {
    client_id: String,
    secret: String,
    basic: bool,
}

/// The client application that authenticated the request.
pub async fn authenticate(
    req: &HttpRequest,
    form: &Form,
    pool: &DbPool,
    hash_key: &web::Data<HashKey>,
    limiter: &ClientLimiter,
) -> Result<ClientApp, OauthError> {
    let presented = presented(req, form)?;
    let basic = presented.basic;
    let app = match uuid::Uuid::try_parse(&presented.client_id) {
        Ok(_) => {
            let client_id = presented.client_id.clone();
            run_db(pool, move |conn| {
                models::find_by_client_id(conn, &client_id)
            })
            .await?
        }
        Err(_) => None,
    };
    if let Some(app) = &app {
        let wait = limiter.wait(app.id);
        if !wait.is_zero() {
            actix_web::rt::time::sleep(wait).await;
        }
    }
    let stored = match &app {
        Some(app) => app.client_secret_hash.as_str(),
        None => decoy_hash(),
    };
    let matches = hash_key.verify(&presented.secret, stored);
    match app {
        Some(app) if matches => {
            limiter.succeeded(app.id);
            Ok(app)
        }
        Some(app) => {
            limiter.failed(app.id);
            log::info!("bad client credentials for client application {}", app.id);
            Err(OauthError::invalid_client(basic))
        }
        None => {
            log::info!("client credentials with an unknown client id");
            Err(OauthError::invalid_client(basic))
        }
    }
}

/// The credentials of the request, by one method only.
fn presented(req: &HttpRequest, form: &Form) -> Result<Presented, OauthError> {
    let header = req.headers().get(CLIENT_AUTHORIZATION_HEADER);
    let form_id = form.get("client_id");
    let form_secret = form.get("client_secret");
    let presented = match header {
        Some(value) => {
            if form_secret.is_some() {
                return Err(OauthError::invalid_request(
                    "The client authenticated with both HTTP Basic and form parameters; use \
                     one method only",
                ));
            }
            let (client_id, secret) = value
                .to_str()
                .ok()
                .and_then(decode_basic)
                .ok_or_else(|| OauthError::invalid_client(true))?;
            if form_id.is_some_and(|id| id != client_id) {
                return Err(OauthError::invalid_request(
                    "The client_id parameter differs from the client of the HTTP Basic \
                     credentials",
                ));
            }
            Presented {
                client_id,
                secret,
                basic: true,
            }
        }
        None => match (form_id, form_secret) {
            (Some(client_id), Some(secret)) => Presented {
                client_id: client_id.to_owned(),
                secret: secret.to_owned(),
                basic: false,
            },
            // No credentials, or a client id alone (a public client: there are none here).
            _ => return Err(OauthError::invalid_client(true)),
        },
    };
    if presented.client_id.len() > VERIFY_CREDENTIAL_MAX
        || presented.secret.len() > VERIFY_CREDENTIAL_MAX
    {
        return Err(OauthError::invalid_client(presented.basic));
    }
    Ok(presented)
}

/// `Basic base64(urlencode(client_id) ":" urlencode(secret))` (RFC 6749 2.3.1).
fn decode_basic(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |part: &str| -> String {
        url::form_urlencoded::parse(format!("v={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (unescape(id), unescape(secret));
    match id.is_empty() || secret.is_empty() {
        true => None,
        false => Some((id, secret)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let encoded = STANDARD.encode("my%20id:s%3Ac+r");
        assert_eq!(
            decode_basic(&format!("Basic {encoded}")),
            Some(("my id".to_owned(), "s:c r".to_owned()))
        );
        assert_eq!(
            decode_basic(&format!("basic {}", STANDARD.encode("a:b"))),
            Some(("a".to_owned(), "b".to_owned()))
        );
        for bad in [
            format!("Bearer {}", STANDARD.encode("a:b")),
            "Basic !!!".to_owned(),
            format!("Basic {}", STANDARD.encode("no-colon")),
            format!("Basic {}", STANDARD.encode(":secret")),
        ] {
            assert_eq!(decode_basic(&bad), None, "{bad}");
        }
    }
}
