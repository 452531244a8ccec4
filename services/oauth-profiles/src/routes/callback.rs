use actix_web::http::header;
use actix_web::{web, HttpResponse};
use api_common::{ApiError, ErrorCode};
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::OpenCaller;
use oauth_apps_client::OauthAppsClient;
use secrets::KeyRing;
use serde::Deserialize;

use crate::connect::{code_verifier, state_hash};
use crate::domain::{busy, name_taken, provider_app, OauthProfileInput};
use crate::models::{self, Owner};
use crate::provider::{Grant, ProviderClient, ProviderError};

/// The query the provider's redirect carries (RFC 6749 4.1.2 and 4.1.2.1).
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message)
}

/// `GET /api/mgmt/oauthprofiles/callback?code=...&state=...` -> 201 with the new profile.
///
/// Authenticated by its `state` alone (the gateway forwards it with the open route's token):
/// the state is taken (deleted) first, so it works once, whatever follows. Then the code is
/// exchanged at the application's `tokenURI` with the PKCE verifier, and the profile is
/// created by the protocol of `POST` (docs/consistency.md, I1): committed pending, the
/// application checked live and usable by the owner, then active.
pub async fn callback(
    OpenCaller(caller): OpenCaller,
    pool: web::Data<DbPool>,
    apps: web::Data<OauthAppsClient>,
    ring: web::Data<KeyRing>,
    provider: web::Data<ProviderClient>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let state = query
        .state
        .filter(|state| !state.is_empty() && state.len() <= 512)
        .ok_or_else(|| bad("Invalid value for 'state': missing"))?;
    let hash = state_hash(&state);
    let now = chrono::Utc::now().naive_utc();
    let flow = run_db(&pool, move |conn| models::take_state(conn, &hash, now))
        .await?
        .ok_or_else(|| {
            bad("Invalid value for 'state': unknown, already used or expired; connect again")
        })?;
    if let Some(error) = query.error {
        let error: String = error
            .chars()
            .filter(|c| matches!(c, '!' | '#'..='[' | ']'..='~'))
            .take(64)
            .collect();
        return Err(bad(format!(
            "The OAuth provider refused the authorization: {error}"
        )));
    }
    let code = query
        .code
        .filter(|code| !code.is_empty())
        .ok_or_else(|| bad("Invalid value for 'code': missing"))?;
    let owner = Owner {
        user_id: flow.owner_id,
        tenant_id: flow.owner_tenant_id,
    };
    let app_id = flow.oauth_app_id;
    let app = provider_app(&apps, caller.token(), owner.tenant_id, app_id).await?;
    let verifier = code_verifier(&state);
    let grant = Grant::AuthorizationCode {
        code: &code,
        redirect_uri: &flow.redirect_uri,
        code_verifier: &verifier,
    };
    let tokens = provider.token(&app, grant).await.map_err(|err| match err {
        ProviderError::InvalidGrant => {
            bad("The OAuth provider refused the authorization code (invalid_grant); connect again")
        }
        err => err.into_api_error(),
    })?;
    let refresh_token = tokens.refresh_token.ok_or_else(|| {
        ProviderError::Failed(
            "it issued no refresh token (the application's scope may need to ask for offline \
             access)"
                .to_owned(),
        )
        .into_api_error()
    })?;
    let input = OauthProfileInput {
        name: flow.name,
        oauth_app_id: app_id,
        description: flow.description,
        access_token: Some(tokens.access_token),
        refresh_token,
        expires_at: tokens.expires_at,
    };
    let name = input.name.clone();
    let ring = ring.into_inner();
    let profile = run_db(&pool, move |conn| {
        models::insert(conn, &ring, owner, &input)
    })
    .await
    .on_unique_violation(|| name_taken(&name))?;
    let id = profile.id;
    if let Err(err) = provider_app(&apps, caller.token(), owner.tenant_id, app_id).await {
        run_db(&pool, move |conn| models::discard_pending(conn, id)).await?;
        return Err(err);
    }
    if !run_db(&pool, move |conn| models::activate(conn, id)).await? {
        return Err(busy());
    }
    log::info!(
        "user {} connected OAuth profile {id} to OAuth application {app_id}",
        owner.user_id
    );
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(profile))
}
