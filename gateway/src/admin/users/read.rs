use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};

use crate::admin::domain::{can_see_user, user_not_found};
use crate::auth::Authenticated;
use crate::models::users;

/// `GET /api/admin/users/{id}` -> 200; 404 for a user the caller does not see.
pub async fn read(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let user = run_db(&pool, move |conn| users::find(conn, id))
        .await?
        .filter(|user| can_see_user(&auth.caller, &user.identity()))
        .ok_or_else(|| user_not_found(id))?;
    Ok(HttpResponse::Ok().json(user.into_view()))
}
