use actix_web::{web, HttpResponse};
use api_common::ApiError;
use chrono::SecondsFormat;
use client_registration_client::oauth2::{AllowedApplication, AllowedApplicationList};
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::models::oauth2 as store;

/// `GET /api/mgmt/oauth/client/allowedapplications` -> 200 `{"applications":[...]}`: the
/// client applications the caller (the subject, with `?user=`) has a remembered consent or a
/// grant for, by id, with the scopes of both and when access was first granted.
pub async fn allowed_list(
    caller: Caller,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.user_id;
    let allowed = run_db(&pool, move |conn| {
        store::allowed_applications(conn, user_id)
    })
    .await?;
    let applications = allowed
        .into_iter()
        .map(|allowed| AllowedApplication {
            id: allowed.app.id,
            name: allowed.app.name,
            description: allowed.app.description,
            client_id: allowed.app.client_id,
            scopes: allowed.scopes,
            granted_at: allowed
                .granted_at
                .and_utc()
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AllowedApplicationList { applications }))
}
