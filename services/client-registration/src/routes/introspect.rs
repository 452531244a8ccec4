use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use client_registration_client::oauth2::{Introspection, TOKEN_TEXT_MAX};
use db::{run_db, DbPool};
use secrets::HashKey;

use crate::models::oauth2 as store;
use crate::oauth2::caller::OauthCaller;
use crate::oauth2::client_auth::authenticate;
use crate::oauth2::error::{no_store, OauthError};
use crate::oauth2::form::Form;
use crate::oauth2::Oauth2;

/// `POST /oauth2/introspect` (and `/api/mgmt/oauth2/introspect`), RFC 7662, client-
/// authenticated: `token` (any `token_type_hint` is not needed) -> 200 with `active`, and for
/// an active token of the calling client `scope`, `client_id`, `username`, `token_type`,
/// `exp`, `iat` and `sub` (the user id). Another client's token, like an unknown, expired,
/// revoked or rotated one, is only `{"active": false}`: a client learns nothing of tokens not
/// its own.
pub async fn introspect(
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
    let found = match token.len() <= TOKEN_TEXT_MAX {
        true => {
            let key = hash_key.into_inner();
            run_db(&pool, move |conn| store::find_token(conn, &key, &token)).await?
        }
        false => None,
    };
    let now = Utc::now().naive_utc();
    let answer = match found {
        Some((token, user_name, client_id))
            if token.client_app_id == client.id && token.is_active(now) =>
        {
            Introspection {
                active: true,
                scope: Some(token.scope.clone()),
                client_id: Some(client_id),
                username: user_name,
                token_type: Some(
                    match token.is_refresh() {
                        true => "refresh_token",
                        false => "Bearer",
                    }
                    .to_owned(),
                ),
                exp: Some(token.expires_at.and_utc().timestamp()),
                iat: Some(token.created_at.and_utc().timestamp()),
                sub: Some(token.user_id.to_string()),
            }
        }
        _ => Introspection::default(),
    };
    Ok(no_store(HttpResponse::Ok(), &answer))
}
