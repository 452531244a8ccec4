use actix_web::{web, HttpResponse};
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::domain::{authorize, Action};
use crate::models::{self, OauthProfile, ProfileList};

/// `GET /api/mgmt/oauthprofiles` -> 200 `{"profiles":[...]}`: the caller's own, without tokens.
pub async fn list(caller: Caller, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Read)?;
    let owner = caller.user_id;
    let profiles = run_db(&pool, move |conn| models::list(conn, owner)).await?;
    Ok(HttpResponse::Ok().json(ProfileList {
        profiles: profiles
            .into_iter()
            .map(OauthProfile::into_summary)
            .collect(),
    }))
}
