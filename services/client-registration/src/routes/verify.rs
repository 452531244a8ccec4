use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;
use secrets::HashKey;

use client_registration_client::{Verification, VerifiedClient};

use crate::domain::{decoy_hash, Credentials, CredentialsBody};
use crate::models;

/// `POST /internal/client-applications/verify` with `{"clientId", "clientSecret"}` -> 200
/// `{"valid": true, "id", "ownerId", "redirectUrls"}` if the secret is the application's
/// current one, else 200 `{"valid": false}`.
///
/// For the authorization server, which authenticates clients; the gateway does not forward it.
/// Only a token addressed to client-registration's internal routes may ask ([`PeerCaller`]):
/// the caller is a service, not the application's owner, and the token of a request the
/// gateway forwards to client-registration never opens it.
pub async fn verify(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    hash_key: web::Data<HashKey>,
    body: JsonBody<CredentialsBody>,
) -> Result<HttpResponse, ApiError> {
    let Credentials {
        client_id,
        client_secret,
    } = Credentials::parse(body.into_inner())?;
    let lookup_id = client_id.clone();
    let app = run_db(&pool, move |conn| {
        models::find_by_client_id(conn, &lookup_id)
    })
    .await?;
    // An unknown client id costs one hash like a known one, so the time of the answer does not
    // tell whether the id exists.
    let stored = match &app {
        Some(app) => app.client_secret_hash.as_str(),
        None => decoy_hash(),
    };
    let matches = hash_key.verify(&client_secret, stored);
    let verified = match app {
        Some(app) if matches => app,
        _ => {
            log::info!(
                "{}: credentials of client id {client_id:?} did not verify",
                caller.describe()
            );
            return Ok(HttpResponse::Ok().json(Verification::invalid()));
        }
    };
    log::info!(
        "{}: credentials of client application {} verified",
        caller.describe(),
        verified.id
    );
    let id = verified.id;
    let owner_id = verified.owner_id;
    let redirect_urls = verified.into_view(None)?.redirect_urls;
    Ok(HttpResponse::Ok().json(Verification::valid(VerifiedClient {
        id,
        owner_id,
        redirect_urls,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_is_shaped_like_a_real_hash_and_matches_nothing() {
        let key = HashKey::parse(&secrets::generate_key()).unwrap();
        let real = key.hash("secret");
        assert_eq!(decoy_hash().len(), real.len());
        assert_eq!(
            decoy_hash().rsplit_once(':').map(|(p, _)| p),
            real.rsplit_once(':').map(|(p, _)| p)
        );
        assert!(!key.verify("no client has this secret", decoy_hash()));
    }
}
