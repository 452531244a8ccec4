use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use api_common::fields::{object_name, optional_text, required_id, DESCRIPTION_MAX, NAME_MAX};
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use oauth_apps_client::OauthAppsClient;
use oauth_profiles_client::PUBLIC_URL_HEADER;
use serde::Deserialize;
use serde_json::Value;

use crate::connect::{authorize_url, new_state, state_hash, CALLBACK_PATH, STATE_LIFETIME};
use crate::domain::{authorize, name_taken, provider_app, Action};
use crate::models::{self, ConnectState, Owner};

/// The query of connect, as sent.
#[derive(Debug, Deserialize)]
pub struct ConnectQuery {
    #[serde(rename = "oauthAppId")]
    oauth_app_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
}

/// `GET /api/mgmt/oauthprofiles/connect?oauthAppId=N&name=NAME[&description=...]` -> 302 to the
/// application's `authorizeURI` with a new single-use `state` (stored as its hash, bound to
/// the caller, the application and the name, for 10 minutes) and a PKCE S256 challenge.
pub async fn connect(
    caller: Caller,
    req: HttpRequest,
    pool: web::Data<DbPool>,
    apps: web::Data<OauthAppsClient>,
    query: web::Query<ConnectQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Create)?;
    let query = query.into_inner();
    let app_id = required_id("oauthAppId", query.oauth_app_id.map(Value::String))?;
    let name = object_name("name", query.name.map(Value::String), NAME_MAX)?;
    let description = optional_text(
        "description",
        query.description.map(Value::String),
        DESCRIPTION_MAX,
    )?;
    let public_url = req
        .headers()
        .get(PUBLIC_URL_HEADER)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::internal("the gateway did not say its public URL"))?;
    let redirect_uri = format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/'));
    let owner = Owner::of(&caller);
    let app = provider_app(&apps, caller.token(), owner.tenant_id, app_id).await?;
    let taken = {
        let name = name.clone();
        run_db(&pool, move |conn| models::name_exists(conn, owner, &name)).await?
    };
    if taken {
        return Err(name_taken(&name));
    }
    let state = new_state();
    let location = authorize_url(&app, &redirect_uri, &state)
        .map_err(|_| ApiError::internal("the application's authorizeURI is not a URL"))?;
    let stored = ConnectState {
        state_hash: state_hash(&state),
        owner_id: owner.user_id,
        owner_tenant_id: owner.tenant_id,
        oauth_app_id: app_id,
        name,
        description,
        redirect_uri,
        expires_at: chrono::Utc::now().naive_utc() + STATE_LIFETIME,
    };
    run_db(&pool, move |conn| models::insert_state(conn, &stored)).await?;
    log::info!(
        "{} started connecting a profile to OAuth application {app_id}",
        caller.describe()
    );
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
