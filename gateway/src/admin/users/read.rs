use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use identity::users;
use identity::IdentityError;

use crate::admin::domain::can_see_user;
use crate::admin::views::UserView;
use crate::auth::Authenticated;

/// `GET /api/admin/users/{id}` -> 200; 404 for a user the caller does not see.
pub async fn read(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let user = run_db(&pool, move |conn| users::find(conn, id))
        .await?
        .filter(|user| can_see_user(&auth.actor, &user.identity()))
        .ok_or(IdentityError::UserNotFound(id))?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}
