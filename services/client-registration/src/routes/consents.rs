use actix_web::{web, HttpResponse};
use api_common::http::whole_number_param;
use api_common::{ApiError, ErrorCode};
use client_registration_client::oauth2::RememberedConsent;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;
use serde::Deserialize;

use crate::models::oauth2 as store;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentQuery {
    #[serde(default, deserialize_with = "whole_number_param")]
    user_id: Option<i64>,
    #[serde(default, deserialize_with = "whole_number_param")]
    client_app_id: Option<i64>,
}

/// `GET /internal/oauth2/consents?userId=U&clientAppId=A` -> 200 `{"scopes": [...]}`: the
/// scopes the user has consented to for the application, empty when none is remembered. The
/// gateway's system token only (403 otherwise).
pub async fn consents(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    query: web::Query<ConsentQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let required = |name: &str, value: Option<i64>| {
        value.filter(|v| *v > 0).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                format!("Invalid query parameter '{name}': expected an id"),
            )
        })
    };
    let user_id = required("userId", query.user_id)?;
    let client_app_id = required("clientAppId", query.client_app_id)?;
    let scopes = run_db(&pool, move |conn| {
        store::consented_scopes(conn, user_id, client_app_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RememberedConsent { scopes }))
}
