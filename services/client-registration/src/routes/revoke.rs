use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use client_registration_client::oauth2::TOKEN_TEXT_MAX;
use db::{run_db, DbPool};
use secrets::HashKey;

use crate::models::oauth2::{self as store, Revoked};
use crate::oauth2::caller::OauthCaller;
use crate::oauth2::client_auth::authenticate;
use crate::oauth2::error::OauthError;
use crate::oauth2::form::Form;
use crate::oauth2::Oauth2;

/// `POST /oauth2/revoke` (and `/api/mgmt/oauth2/revoke`), RFC 7009: `token` and an optional
/// `token_type_hint` (not needed: a token's prefix and row say what it is) -> 200 with no
/// body, also for a token that is unknown, expired or already revoked. A refresh token takes
/// its whole grant with it (every access token of the grant too); an access token goes alone.
/// A token of another client is refused (`unauthorized_client`, RFC 7009 2.1) and left alone.
pub async fn revoke(
    req: HttpRequest,
    _caller: OauthCaller,
    pool: web::Data<DbPool>,
    hash_key: web::Data<HashKey>,
    oauth: web::Data<Oauth2>,
    payload: web::Payload,
) -> Result<HttpResponse, OauthError> {
    let form = Form::read(&req, payload).await?;
    let client = authenticate(&req, &form, &pool, &hash_key, &oauth.limiter).await?;
    let token = form.require("token")?.to_owned();
    let revoked = match token.len() <= TOKEN_TEXT_MAX {
        true => {
            let key = hash_key.into_inner();
            let app_id = client.id;
            run_db(&pool, move |conn| store::revoke(conn, &key, &token, app_id)).await?
        }
        false => Revoked::Unknown,
    };
    match revoked {
        Revoked::Foreign => {
            log::info!(
                "client application {} asked to revoke a token of another client",
                client.id
            );
            return Err(OauthError::unauthorized_client(
                "The token was not issued to this client",
            ));
        }
        Revoked::Access => log::info!("client application {} revoked an access token", client.id),
        Revoked::Grant => log::info!(
            "client application {} revoked a refresh token and its grant",
            client.id
        ),
        Revoked::Unknown => {}
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .finish())
}
