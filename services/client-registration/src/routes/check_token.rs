use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use chrono::Utc;
use client_registration_client::oauth2::{
    ActiveToken, TokenCheck, ACCESS_TOKEN_PREFIX, TOKEN_TEXT_MAX,
};
use db::{run_db, DbPool};
use internal_auth::PeerCaller;
use secrets::HashKey;
use serde::Deserialize;

use crate::models::oauth2 as store;

/// The body of a token check, as sent. Its `Debug` hides the token.
#[derive(Deserialize)]
pub struct CheckBody {
    token: String,
}

impl std::fmt::Debug for CheckBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckBody(***)")
    }
}

/// `POST /internal/oauth2/tokens/check` `{"token": "hdpat_..."}` -> 200 `{"active": true,
/// "userId", "clientAppId", "scope", "expiresAt"}` for an active access token, else
/// `{"active": false}`: the gateway's Bearer acceptance (which caches an answer at most a
/// second, never past `expiresAt`). The gateway's system token only (403 otherwise).
pub async fn check_token(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    hash_key: web::Data<HashKey>,
    body: JsonBody<CheckBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let token = body.into_inner().token;
    if !token.starts_with(ACCESS_TOKEN_PREFIX) || token.len() > TOKEN_TEXT_MAX {
        return Ok(HttpResponse::Ok().json(TokenCheck::inactive()));
    }
    let key = hash_key.into_inner();
    let now = Utc::now().naive_utc();
    let found = run_db(&pool, move |conn| {
        store::active_access_token(conn, &key, &token, now)
    })
    .await?;
    let answer = match found {
        Some(token) => TokenCheck::active(ActiveToken {
            user_id: token.user_id,
            client_app_id: token.client_app_id,
            scope: token.scope,
            expires_at: token.expires_at.and_utc().timestamp(),
        }),
        None => TokenCheck::inactive(),
    };
    Ok(HttpResponse::Ok().json(answer))
}
