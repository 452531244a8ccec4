use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use client_registration_client::oauth2::{
    TokenResponse, CODE_PREFIX, REFRESH_TOKEN_PREFIX, TOKEN_TEXT_MAX,
};
use db::{run_db, DbPool};
use secrets::HashKey;

use crate::models::oauth2::{self as store, Issued, Redemption, Refusal};
use crate::oauth2::caller::OauthCaller;
use crate::oauth2::client_auth::authenticate;
use crate::oauth2::error::{no_store, OauthError};
use crate::oauth2::form::Form;
use crate::oauth2::{scope, Oauth2};

/// `POST /oauth2/token` (and `/api/mgmt/oauth2/token`), form-encoded (RFC 6749 4.1.3, 4.3.2,
/// 6): the `authorization_code` (PKCE S256), `refresh_token` (rotated on every use) and
/// `password` grants -> 200 RFC 6749 5.1, or a 5.2 error; both with `Cache-Control: no-store`.
///
/// For `password` the gateway has checked `username` and `password` already: it forwards the
/// form without the password and with the internal token of that user, and only then is the
/// grant given. The client authenticates first, whatever the grant.
pub async fn token(
    req: HttpRequest,
    caller: OauthCaller,
    pool: web::Data<DbPool>,
    hash_key: web::Data<HashKey>,
    oauth: web::Data<Oauth2>,
    payload: web::Payload,
) -> Result<HttpResponse, OauthError> {
    let form = Form::read(&req, payload).await?;
    let grant_type = form.require("grant_type")?.to_owned();
    let client = authenticate(&req, &form, &pool, &hash_key, &oauth.limiter).await?;
    let pair = store::new_pair().map_err(|e| {
        log::error!("cannot generate tokens: {e}");
        OauthError::server_error()
    })?;
    let lifetimes = oauth.lifetimes;
    let key = hash_key.into_inner();
    let now = Utc::now().naive_utc();
    let issued = match grant_type.as_str() {
        "authorization_code" => {
            let code = form.require("code")?.to_owned();
            if !code.starts_with(CODE_PREFIX) || code.len() > TOKEN_TEXT_MAX {
                return Err(refused(Refusal::Invalid, "authorization code"));
            }
            let redirect_uri = form.get("redirect_uri").map(str::to_owned);
            let code_verifier = form.get("code_verifier").map(str::to_owned);
            let app = client.clone();
            run_db(&pool, move |conn| {
                let redemption = Redemption {
                    redirect_uri: redirect_uri.as_deref(),
                    code_verifier: code_verifier.as_deref(),
                };
                store::redeem_code(conn, &key, &code, &app, &redemption, pair, lifetimes, now)
            })
            .await?
            .map_err(|refusal| refused(refusal, "authorization code"))?
        }
        "refresh_token" => {
            let token = form.require("refresh_token")?.to_owned();
            let asked = match form.get("scope") {
                None => None,
                Some(text) => Some(scope::parse(Some(text)).ok_or_else(unknown_scope)?),
            };
            if !token.starts_with(REFRESH_TOKEN_PREFIX) || token.len() > TOKEN_TEXT_MAX {
                return Err(refused(Refusal::Invalid, "refresh token"));
            }
            let app_id = client.id;
            run_db(&pool, move |conn| {
                store::refresh(
                    conn,
                    &key,
                    &token,
                    app_id,
                    asked.as_deref(),
                    pair,
                    lifetimes,
                    now,
                )
            })
            .await?
            .map_err(|refusal| refused(refusal, "refresh token"))?
        }
        "password" => {
            let username = form.require("username")?;
            let user = match &caller {
                OauthCaller::User(user) if !user.on_behalf() => user,
                _ => {
                    return Err(OauthError::invalid_grant(
                        "The resource owner's credentials are invalid",
                    ))
                }
            };
            if !username.eq_ignore_ascii_case(&user.user_name) {
                return Err(OauthError::invalid_grant(
                    "The resource owner's credentials are invalid",
                ));
            }
            let scope = scope::parse(form.get("scope")).ok_or_else(unknown_scope)?;
            let (app_id, user_id, user_name) = (client.id, user.user_id, user.user_name.clone());
            run_db(&pool, move |conn| {
                store::grant_password(
                    conn, &key, app_id, user_id, &user_name, &scope, pair, lifetimes, now,
                )
            })
            .await?
            .map_err(|refusal| refused(refusal, "grant"))?
        }
        other => {
            return Err(OauthError::unsupported_grant_type(format!(
                "The grant type '{}' is not supported; use authorization_code, refresh_token \
                 or password",
                other.chars().take(64).collect::<String>()
            )))
        }
    };
    log::info!(
        "client application {}: {grant_type} grant -> tokens of grant {}",
        client.id,
        issued.grant_id
    );
    Ok(answer(issued, oauth.lifetimes.access.num_seconds()))
}

/// RFC 6749 5.1.
fn answer(issued: Issued, expires_in: i64) -> HttpResponse {
    let body = TokenResponse {
        access_token: issued.pair.access,
        token_type: "Bearer".to_owned(),
        expires_in: u64::try_from(expires_in).unwrap_or_default(),
        refresh_token: Some(issued.pair.refresh),
        scope: issued.scope,
    };
    no_store(HttpResponse::Ok(), &body)
}

fn unknown_scope() -> OauthError {
    OauthError::invalid_scope(
        "The requested scope is unknown; the scopes are api.access.odata and api.access.mgmt",
    )
}

/// A refusal of the store as the client sees it; `what` names the credential.
fn refused(refusal: Refusal, what: &str) -> OauthError {
    match refusal {
        Refusal::Invalid => OauthError::invalid_grant(format!(
            "The {what} is invalid, expired, revoked, or was issued to another client"
        )),
        Refusal::CodeReplayed => OauthError::invalid_grant(
            "The authorization code has already been used; the tokens it issued are revoked",
        ),
        Refusal::RefreshReused => OauthError::invalid_grant(
            "The refresh token has already been used; its grant is revoked",
        ),
        Refusal::RedirectMismatch => OauthError::invalid_grant(
            "The redirect_uri does not match the one of the authorization request",
        ),
        Refusal::PkceFailed => OauthError::invalid_grant(
            "The code_verifier is missing, malformed, or does not match the code_challenge",
        ),
        Refusal::ScopeExceeded => OauthError::invalid_scope(
            "The requested scope exceeds the scope granted by the resource owner",
        ),
        Refusal::OwnerDeleted => OauthError::invalid_grant("The resource owner no longer exists"),
    }
}
