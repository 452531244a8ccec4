use actix_web::{web, HttpResponse};
use api_common::http::ListQuery;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use oauth_profiles_client::OauthProfileList;

use crate::domain::{authorize, Action};
use crate::models::{self, Owner};

/// `GET /api/mgmt/oauthprofiles[?limit=N&after=ID]` -> 200 `{"profiles":[...]}`: a page of the
/// caller's own, without tokens.
pub async fn list(
    caller: Caller,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Read)?;
    let page = query.page()?;
    let owner = Owner::of(&caller);
    let profiles = run_db(&pool, move |conn| models::list(conn, owner, page)).await?;
    Ok(HttpResponse::Ok().json(OauthProfileList { profiles }))
}
