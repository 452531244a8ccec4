use actix_web::{web, HttpResponse};
use api_common::http::Page;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use serde::Deserialize;

use crate::domain::{authorize, Action};
use crate::models::{self, OauthProfile, ProfileList};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "api_common::http::whole_number_param")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "api_common::http::whole_number_param")]
    after: Option<i64>,
}

/// `GET /api/mgmt/oauthprofiles[?limit=N&after=ID]` -> 200 `{"profiles":[...]}`: a page of the
/// caller's own, without tokens.
pub async fn list(
    caller: Caller,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Read)?;
    let page = Page::parse(query.limit, query.after)?;
    let owner = models::Owner::of(&caller);
    let profiles = run_db(&pool, move |conn| models::list(conn, owner, page)).await?;
    Ok(HttpResponse::Ok().json(ProfileList {
        profiles: profiles
            .into_iter()
            .map(OauthProfile::into_summary)
            .collect(),
    }))
}
