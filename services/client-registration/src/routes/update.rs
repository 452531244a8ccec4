use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::Caller;

use crate::domain::{name_taken, not_found, ClientAppBody, ClientAppInput};
use crate::models;

/// `PUT /api/mgmt/oauth/client/applications/{id}`: a full replacement of name, description and
/// redirect URLs under the rules of create -> 200 with the application, without its secret.
pub async fn update(
    caller: Caller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
    body: JsonBody<ClientAppBody>,
) -> Result<HttpResponse, ApiError> {
    let input = ClientAppInput::parse(body.into_inner())?;
    let name = input.name.clone();
    let owner_id = caller.user_id;
    let app = run_db(&pool, move |conn| {
        models::update_owned(conn, id, owner_id, &input)
    })
    .await
    .on_unique_violation(|| name_taken(&name))?
    .ok_or_else(|| not_found(id))?;
    log::info!("{} updated client application {id}", caller.describe());
    Ok(HttpResponse::Ok().json(app.into_view(None)?))
}
