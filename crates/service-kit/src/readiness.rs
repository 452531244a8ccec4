//! `GET /readyz`: whether a component can serve now, for load balancers and Kubernetes'
//! readiness probe. `/healthz` stays the liveness check (the process answers, and so does its
//! database).

use std::time::Duration;

use actix_web::{web, HttpResponse};
use api_common::{ApiError, ErrorCode};
use db::{DbPool, Migrations};

/// How long a readiness check waits for a database connection, and for a dependency's
/// `/healthz`: below the probes' timeout, so that the probe gets the answer.
const READY_WAIT: Duration = Duration::from_secs(1);

/// What a component must have to be ready: its database answering with its migrations
/// current, and, for the gateway, the services it forwards to answering their `/healthz`.
pub struct Readiness {
    migrations: fn() -> Migrations,
    dependencies: Vec<(&'static str, String)>,
    http: Option<reqwest::Client>,
}

impl Readiness {
    /// Ready when the database answers and none of `migrations` is pending.
    pub fn new(migrations: fn() -> Migrations) -> Self {
        Readiness {
            migrations,
            dependencies: Vec::new(),
            http: None,
        }
    }

    /// Also ready only when each of `dependencies` (name, base URL) answers `GET /healthz`
    /// with 200, asked with `http`.
    pub fn with_dependencies(
        mut self,
        http: reqwest::Client,
        dependencies: Vec<(&'static str, String)>,
    ) -> Self {
        self.http = Some(http);
        self.dependencies = dependencies;
        self
    }

    /// `Err` names what is not ready (the cause is logged, not shown: the gateway's `/readyz`
    /// is on its public listener).
    pub async fn check(&self, pool: &DbPool) -> Result<(), ApiError> {
        let mut not_ready = Vec::new();
        if let Err(why) = db::ready(pool, (self.migrations)(), READY_WAIT).await {
            log::warn!("not ready: {why}");
            not_ready.push("database");
        }
        if let Some(http) = &self.http {
            let mut checks = tokio::task::JoinSet::new();
            for (name, base) in &self.dependencies {
                let request = http
                    .get(format!("{base}/healthz"))
                    .timeout(READY_WAIT)
                    .send();
                let name = *name;
                checks.spawn(async move { (name, request.await) });
            }
            while let Some(Ok((name, answer))) = checks.join_next().await {
                match answer {
                    Ok(response) if response.status().is_success() => {}
                    Ok(response) => {
                        log::warn!("not ready: {name} answered {}", response.status());
                        not_ready.push(name);
                    }
                    Err(err) => {
                        log::warn!("not ready: {name}: {}", err.without_url());
                        not_ready.push(name);
                    }
                }
            }
        }
        match not_ready.is_empty() {
            true => Ok(()),
            false => {
                not_ready.sort_unstable();
                Err(ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    format!("Not ready: {}", not_ready.join(", ")),
                ))
            }
        }
    }
}

/// `GET /readyz`: 200 `{"status":"ready"}`, or 503 in the envelope naming what is not ready.
pub async fn readyz(
    pool: web::Data<DbPool>,
    readiness: web::Data<Readiness>,
) -> Result<HttpResponse, ApiError> {
    readiness.check(&pool).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}
