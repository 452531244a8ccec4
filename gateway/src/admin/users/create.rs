use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::DbPool;
use identity::users::{self, NewUser};

use super::hash_password;
use crate::admin::domain::{authorize_grant, UserBody, UserInput};
use crate::admin::views::UserView;
use crate::auth::{Authenticated, Authenticator};

/// `POST /api/admin/users` -> 201 with the user (never the password or its hash).
pub async fn create(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    authenticator: web::Data<Authenticator>,
    body: JsonBody<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let input = UserInput::parse_create(body.into_inner())?;
    authorize_grant(&auth.actor, &input.grant())?;
    let Some(secret) = &input.password else {
        return Err(ApiError::missing_field("password"));
    };
    let name = input.user_name.clone();
    identity::run(&pool, move |conn| users::check_name(conn, &name, None)).await?;
    let hash = hash_password(&authenticator, secret).await?;
    let user = identity::run(&pool, move |conn| {
        let new = NewUser {
            user_name: &input.user_name,
            password_hash: &hash,
            access: input.access(),
        };
        users::create(conn, &new)
    })
    .await?;
    log::info!(
        "{} created user {} ({:?}) in tenant {}",
        auth.describe(),
        user.id,
        user.user_name,
        user.tenant_id
    );
    Ok(HttpResponse::Created().json(UserView::from(user)))
}
