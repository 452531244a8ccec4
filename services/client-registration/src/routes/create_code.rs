use actix_web::{web, HttpResponse};
use api_common::fields::URL_MAX;
use api_common::http::JsonBody;
use api_common::ApiError;
use chrono::{TimeDelta, Utc};
use client_registration_client::oauth2::{IssuedCode, NewCode, CODE_PREFIX, PKCE_METHOD_S256};
use db::{run_db, DbPool};
use internal_auth::PeerCaller;
use secrets::HashKey;

use crate::domain::not_found;
use crate::models;
use crate::models::oauth2::{self as store, CodeRequest};
use crate::oauth2::{pkce, scope, tokens};

/// How long an authorization code lives (RFC 6749 4.1.2: at most 10 minutes; one is plenty
/// for a redirect and a token request).
pub const CODE_LIFETIME: TimeDelta = TimeDelta::seconds(60);

/// Longest user name accepted in a code request.
const USER_NAME_MAX: usize = 256;

/// `POST /internal/oauth2/codes` with a consented authorization request (see
/// [`NewCode`]) -> 201 `{"code": "hdpc_..."}`, single use within [`CODE_LIFETIME`]; the
/// consent to its scopes is remembered in the same transaction. The gateway checked the
/// request; this checks it again (the redirect URI is one the application registered, or left
/// out when it registered one only; PKCE is S256 or nothing). 400 for a deleted user, 404 for
/// an unknown application. The gateway's system token only (403 otherwise).
pub async fn create_code(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    hash_key: web::Data<HashKey>,
    body: JsonBody<NewCode>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let body = body.into_inner();
    if body.user_id <= 0 {
        return Err(ApiError::invalid_field("userId", "expected a user id"));
    }
    if body.client_app_id <= 0 {
        return Err(not_found(body.client_app_id));
    }
    let scope = scope::parse(Some(&body.scope)).ok_or_else(|| {
        ApiError::invalid_field("scope", "expected api.access.odata and/or api.access.mgmt")
    })?;
    match (&body.code_challenge, body.code_challenge_method.as_deref()) {
        (None, None) => {}
        (Some(challenge), Some(PKCE_METHOD_S256)) if pkce::well_formed(challenge) => {}
        (Some(_), Some(PKCE_METHOD_S256)) => {
            return Err(ApiError::invalid_field(
                "codeChallenge",
                "expected 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'",
            ))
        }
        _ => {
            return Err(ApiError::invalid_field(
                "codeChallengeMethod",
                "expected S256 with a codeChallenge, or neither",
            ))
        }
    }
    if body
        .redirect_uri
        .as_ref()
        .is_some_and(|u| u.len() > URL_MAX)
    {
        return Err(ApiError::invalid_field("redirectUri", "too long"));
    }
    if body
        .user_name
        .as_ref()
        .is_some_and(|n| n.len() > USER_NAME_MAX)
    {
        return Err(ApiError::invalid_field("userName", "too long"));
    }
    let app_id = body.client_app_id;
    let app = run_db(&pool, move |conn| models::find(conn, app_id))
        .await?
        .ok_or_else(|| not_found(app_id))?;
    let registered = app.registered_redirect_urls();
    let redirect_ok = match &body.redirect_uri {
        Some(uri) => registered.iter().any(|r| r == uri),
        None => registered.len() == 1,
    };
    if !redirect_ok {
        return Err(ApiError::invalid_field(
            "redirectUri",
            "not a redirect URL the application registered",
        ));
    }
    let code = tokens::generate(CODE_PREFIX)
        .map_err(|e| ApiError::internal(format!("cannot generate a code: {e}")))?;
    let key = hash_key.into_inner();
    let now = Utc::now().naive_utc();
    let user_id = body.user_id;
    let stored = {
        let code = code.clone();
        run_db(&pool, move |conn| {
            let request = CodeRequest {
                client_app_id: body.client_app_id,
                user_id: body.user_id,
                user_name: body.user_name.as_deref(),
                redirect_uri: body.redirect_uri.as_deref(),
                scope: &scope,
                code_challenge: body.code_challenge.as_deref(),
            };
            store::insert_code(conn, &key, &code, &request, now, CODE_LIFETIME)
        })
        .await
    };
    match stored {
        Ok(true) => {}
        Ok(false) => return Err(not_found(app_id)),
        Err(db::DbError::Query(err)) if db::owners::OwnerDeleted::find(&err).is_some() => {
            return Err(ApiError::invalid_field(
                "userId",
                format!("user {user_id} has been deleted"),
            ))
        }
        Err(err) => return Err(err.into()),
    }
    log::info!("authorization code issued to client application {app_id} for user {user_id}");
    Ok(HttpResponse::Created().json(IssuedCode { code }))
}
