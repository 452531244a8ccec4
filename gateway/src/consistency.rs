//! The consistency check and repair (docs/consistency.md, I3): `gateway check` lists the rows
//! that break a cross-service invariant, `gateway repair` removes them, both safe to run while
//! the stack serves.
//!
//! Rows written by this version keep the invariants by protocol (I1, I2, tenant deletion); what
//! the check finds was left by earlier versions, or by a purge that failed and was not retried
//! (a moved user's second purge). It reads, in this order, every profile's owner and link
//! (oauth-profiles), the owners of client applications (client-registration), every
//! application's tenant (oauth-apps), then the users and tenants (the gateway's own database).
//! The order is what makes a finding certain while others write: a user, tenant or application
//! that a row names existed before that row was written, and was therefore written before the
//! row was read; so if the later read does not find it, it was deleted, and ids are never
//! reused. A row written after its read is simply not examined.
//!
//! The repair acts on each finding through the idempotent purges the protocols already use,
//! after checking its ground again where that can have changed (a user moved again, an
//! application moved back); then it checks again.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use api_common::http::MAX_PAGE_SIZE;
use api_common::ApiError;
use client_registration_client::ClientRegistrationClient;
use db::{run_db, DbPool, PoolOptions};
use identity::{tenant_purges, tenants, users};
use internal_auth::{TokenSigner, SYSTEM_TENANT_ID};
use oauth_apps_client::{AppPlacement, OauthAppsClient};
use oauth_profiles_client::{OauthProfilesClient, ProfileLink};
use serde::Serialize;
use service_kit::{peer_client, StartError};

use crate::Config;

/// A row that breaks an invariant, and what the repair does about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Finding {
    /// Profiles of a user who no longer exists (I2). Repair: the owner's purge, with its
    /// tombstone.
    #[serde(rename_all = "camelCase")]
    ProfilesOfDeletedUser { owner_id: i64, profiles: u64 },
    /// Client applications of a user who no longer exists (I2). Repair: the owner's purge.
    #[serde(rename_all = "camelCase")]
    ClientApplicationsOfDeletedUser { owner_id: i64, applications: u64 },
    /// Profiles a user made in a tenant they have left (I2 for moved users). Repair: the moved
    /// owner's purge, keeping the tenant they belong to then.
    #[serde(rename_all = "camelCase")]
    ProfilesOfFormerTenant {
        owner_id: i64,
        tenant_id: i64,
        profiles: u64,
    },
    /// An active profile whose application no longer exists (I1). Repair: the profile goes,
    /// if it still links to that application.
    #[serde(rename_all = "camelCase")]
    ProfileOfDeletedApplication { profile_id: i64, oauth_app_id: i64 },
    /// An active profile whose application is in a tenant its owner cannot use (I1). Repair:
    /// the profile goes if the application, read again, is still out of reach.
    #[serde(rename_all = "camelCase")]
    ProfileOfForeignApplication {
        profile_id: i64,
        oauth_app_id: i64,
        owner_tenant_id: i64,
        app_tenant_id: i64,
    },
    /// Applications of a tenant that no longer exists. Repair: the tenant's purge, with its
    /// tombstone.
    #[serde(rename_all = "camelCase")]
    ApplicationsOfDeletedTenant { tenant_id: i64, applications: u64 },
}

/// What the check read and found.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub profiles: u64,
    pub client_application_owners: u64,
    pub applications: u64,
    pub users: u64,
    pub tenants: u64,
    /// Durable work recorded and not finished yet (the deletion worker's): not findings.
    pub user_deletions_in_progress: u64,
    pub tenant_purges_in_progress: u64,
    pub findings: Vec<Finding>,
}

/// The gateway's database and the three services, as the check reaches them.
pub struct Audit {
    pool: DbPool,
    signer: TokenSigner,
    profiles: OauthProfilesClient,
    registrations: ClientRegistrationClient,
    apps: OauthAppsClient,
}

impl Audit {
    /// From the gateway's own settings (its database, key and services' URLs).
    pub fn from_config(config: &Config) -> Result<Self, StartError> {
        let url = db::DatabaseUrl::parse("GATEWAY_DATABASE_URL", &config.database_url)?;
        let pool = db::connect(
            "GATEWAY_DATABASE_URL",
            &url,
            crate::MIGRATIONS,
            PoolOptions {
                max_size: 2,
                ..PoolOptions::default()
            },
        )?;
        let http = peer_client(Duration::from_millis(config.upstream_timeout_ms))?;
        Ok(Audit {
            pool,
            signer: crate::load_signer(config)?,
            profiles: OauthProfilesClient::new(http.clone(), &config.oauth_profiles_url),
            registrations: ClientRegistrationClient::new(
                http.clone(),
                &config.client_registration_url,
            ),
            apps: OauthAppsClient::new(http, &config.oauth_apps_url),
        })
    }

    fn token(&self) -> Result<String, ApiError> {
        self.signer
            .mint_system()
            .map(|(token, _)| token)
            .map_err(ApiError::internal)
    }

    /// Reads everything, in the order the module's documentation argues, and lists what
    /// breaks an invariant.
    pub async fn check(&self) -> Result<Report, ApiError> {
        let profiles = all_pages(|after| async move {
            let links = self
                .profiles
                .links(&self.token()?, after, MAX_PAGE_SIZE)
                .await?;
            Ok(page_of(links, |link| link.id))
        })
        .await?;
        let owners = all_pages(|after| async move {
            let owners = self
                .registrations
                .owners(&self.token()?, after, MAX_PAGE_SIZE)
                .await?;
            Ok(page_of(owners, |owner| owner.owner_id))
        })
        .await?;
        let apps = self.placements().await?;
        let (users, tenants, deletions, purges) = identity::run(&self.pool, |conn| {
            let users: HashMap<i64, i64> = users::tenants_of_all(conn)?.into_iter().collect();
            let tenants: HashSet<i64> = tenants::list(conn, None)?
                .into_iter()
                .map(|tenant| tenant.id)
                .collect();
            let deletions = identity::deletions::count(conn)?;
            let purges = tenant_purges::pending(conn)?;
            Ok::<_, identity::IdentityError>((users, tenants, deletions, purges))
        })
        .await?;

        let mut findings = Vec::new();
        let mut deleted_owners: HashMap<i64, u64> = HashMap::new();
        let mut former_tenants: HashMap<(i64, i64), u64> = HashMap::new();
        for link in &profiles {
            match users.get(&link.owner_id) {
                None => *deleted_owners.entry(link.owner_id).or_default() += 1,
                Some(&tenant) if tenant != link.owner_tenant_id => {
                    *former_tenants
                        .entry((link.owner_id, link.owner_tenant_id))
                        .or_default() += 1;
                }
                Some(_) => {
                    if let Some(finding) = broken_link(link, &apps) {
                        findings.push(finding);
                    }
                }
            }
        }
        findings.extend(
            sorted(deleted_owners)
                .into_iter()
                .map(|(owner_id, profiles)| Finding::ProfilesOfDeletedUser { owner_id, profiles }),
        );
        findings.extend(sorted(former_tenants).into_iter().map(
            |((owner_id, tenant_id), profiles)| Finding::ProfilesOfFormerTenant {
                owner_id,
                tenant_id,
                profiles,
            },
        ));
        findings.extend(
            owners
                .iter()
                .filter(|owner| !users.contains_key(&owner.owner_id))
                .map(|owner| Finding::ClientApplicationsOfDeletedUser {
                    owner_id: owner.owner_id,
                    applications: owner.applications,
                }),
        );
        let mut deleted_tenants: HashMap<i64, u64> = HashMap::new();
        for app in apps.values() {
            if !tenants.contains(&app.tenant_id) && !purges.contains(&app.tenant_id) {
                *deleted_tenants.entry(app.tenant_id).or_default() += 1;
            }
        }
        findings.extend(
            sorted(deleted_tenants)
                .into_iter()
                .map(
                    |(tenant_id, applications)| Finding::ApplicationsOfDeletedTenant {
                        tenant_id,
                        applications,
                    },
                ),
        );
        Ok(Report {
            profiles: profiles.len() as u64,
            client_application_owners: owners.len() as u64,
            applications: apps.len() as u64,
            users: users.len() as u64,
            tenants: tenants.len() as u64,
            user_deletions_in_progress: deletions,
            tenant_purges_in_progress: purges.len() as u64,
            findings,
        })
    }

    /// Every application's placement, by id.
    async fn placements(&self) -> Result<HashMap<i64, AppPlacement>, ApiError> {
        let apps = all_pages(|after| async move {
            let apps = self
                .apps
                .placements(&self.token()?, after, MAX_PAGE_SIZE)
                .await?;
            Ok(page_of(apps, |app| app.id))
        })
        .await?;
        Ok(apps.into_iter().map(|app| (app.id, app)).collect())
    }

    /// Removes what `report` found, each after checking its ground again where it can have
    /// changed; how many rows went, per finding in the report's order.
    pub async fn repair(&self, report: &Report) -> Result<Vec<u64>, ApiError> {
        // Read after the report's profiles were: an application seen here was there then too
        // (ids are never reused), so "still out of reach" is judged on fresher rows.
        let apps = self.placements().await?;
        let mut removed = Vec::with_capacity(report.findings.len());
        for finding in &report.findings {
            let rows = match *finding {
                Finding::ProfilesOfDeletedUser { owner_id, .. } => {
                    match self.user_tenant(owner_id).await? {
                        Some(_) => 0,
                        None => self.profiles.purge_owner(&self.token()?, owner_id).await?,
                    }
                }
                Finding::ClientApplicationsOfDeletedUser { owner_id, .. } => {
                    match self.user_tenant(owner_id).await? {
                        Some(_) => 0,
                        None => {
                            self.registrations
                                .purge_owner(&self.token()?, owner_id)
                                .await?
                        }
                    }
                }
                Finding::ProfilesOfFormerTenant { owner_id, .. } => {
                    match self.user_tenant(owner_id).await? {
                        // Deleted meanwhile: the deletion's purge takes everything.
                        None => 0,
                        Some(now) => {
                            self.profiles
                                .purge_moved_owner(&self.token()?, owner_id, now)
                                .await?
                        }
                    }
                }
                Finding::ProfileOfDeletedApplication {
                    profile_id,
                    oauth_app_id,
                } => {
                    self.profiles
                        .delete_unlinked(&self.token()?, profile_id, oauth_app_id)
                        .await?
                }
                Finding::ProfileOfForeignApplication {
                    profile_id,
                    oauth_app_id,
                    owner_tenant_id,
                    ..
                } => {
                    let reachable = apps
                        .get(&oauth_app_id)
                        .is_some_and(|app| usable_from(app.tenant_id, owner_tenant_id));
                    match reachable {
                        true => 0,
                        false => {
                            self.profiles
                                .delete_unlinked(&self.token()?, profile_id, oauth_app_id)
                                .await?
                        }
                    }
                }
                Finding::ApplicationsOfDeletedTenant { tenant_id, .. } => {
                    let exists = identity::run(&self.pool, move |conn| {
                        tenants::find(conn, tenant_id).map_err(identity::IdentityError::from)
                    })
                    .await?
                    .is_some();
                    match exists {
                        true => 0,
                        false => self.apps.purge_tenant(&self.token()?, tenant_id).await?,
                    }
                }
            };
            removed.push(rows);
        }
        Ok(removed)
    }

    /// The tenant user `id` belongs to now, or `None` when there is no such user.
    async fn user_tenant(&self, id: i64) -> Result<Option<i64>, ApiError> {
        let user = run_db(&self.pool, move |conn| users::find(conn, id)).await?;
        Ok(user.map(|user| user.tenant_id))
    }
}

/// What is wrong with an active profile's link to an application, if anything: the
/// application is gone, or in a tenant that is neither the owner's nor the system tenant.
/// Pending profiles and pending links are the sweepers' (I1), not findings.
fn broken_link(link: &ProfileLink, apps: &HashMap<i64, AppPlacement>) -> Option<Finding> {
    if !link.active {
        return None;
    }
    match apps.get(&link.oauth_app_id) {
        None => Some(Finding::ProfileOfDeletedApplication {
            profile_id: link.id,
            oauth_app_id: link.oauth_app_id,
        }),
        Some(app) if !usable_from(app.tenant_id, link.owner_tenant_id) => {
            Some(Finding::ProfileOfForeignApplication {
                profile_id: link.id,
                oauth_app_id: link.oauth_app_id,
                owner_tenant_id: link.owner_tenant_id,
                app_tenant_id: app.tenant_id,
            })
        }
        Some(_) => None,
    }
}

/// Whether an application of `app_tenant` may be used by a member of `owner_tenant`.
fn usable_from(app_tenant: i64, owner_tenant: i64) -> bool {
    app_tenant == owner_tenant || app_tenant == SYSTEM_TENANT_ID
}

fn sorted<K: Ord, V>(map: HashMap<K, V>) -> Vec<(K, V)> {
    let mut entries: Vec<_> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

/// A page, and the key to ask the next one after (`None`: it was the last).
type Paged<T> = (Vec<T>, Option<i64>);

fn page_of<T>(items: Vec<T>, key: impl Fn(&T) -> i64) -> Paged<T> {
    let next = match items.len() as i64 {
        n if n < MAX_PAGE_SIZE => None,
        _ => items.last().map(key),
    };
    (items, next)
}

/// Every page of a keyset-paged internal list.
async fn all_pages<T, F, Fut>(page: F) -> Result<Vec<T>, ApiError>
where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Result<Paged<T>, ApiError>>,
{
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let (items, next) = page(after).await?;
        all.extend(items);
        match next {
            Some(key) => after = key,
            None => return Ok(all),
        }
    }
}

/// `gateway check` (`repair: false`) and `gateway repair`: prints one JSON object per finding,
/// then the report's counts, on standard output. The exit code is 0 when nothing is (left)
/// to repair, 1 otherwise.
pub async fn run(config: &Config, repair: bool) -> anyhow::Result<bool> {
    let audit = Audit::from_config(config)?;
    let failed = |err: ApiError| anyhow::anyhow!("{}", err.message());
    let report = audit.check().await.map_err(failed)?;
    print_report("found", &report)?;
    if !repair || report.findings.is_empty() {
        return Ok(report.findings.is_empty());
    }
    let removed = audit.repair(&report).await.map_err(failed)?;
    for (finding, rows) in report.findings.iter().zip(&removed) {
        print_json(&serde_json::json!({"repaired": finding, "rowsRemoved": rows}))?;
    }
    let after = audit.check().await.map_err(failed)?;
    print_report("left", &after)?;
    Ok(after.findings.is_empty())
}

fn print_report(what: &str, report: &Report) -> anyhow::Result<()> {
    for finding in &report.findings {
        print_json(&serde_json::json!({ what: finding }))?;
    }
    let mut summary = serde_json::to_value(report)?;
    if let Some(fields) = summary.as_object_mut() {
        let count = report.findings.len();
        fields.insert("findings".to_owned(), count.into());
    }
    print_json(&serde_json::json!({ "summary": summary, "step": what }))
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}")?;
    Ok(out.flush()?)
}
