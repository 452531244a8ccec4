//! Tenant deletion as durable work, and the consistency check and repair
//! (docs/consistency.md), over real HTTP with the real services (in this process) and the real
//! `gateway` binary for `gateway check` and `gateway repair`:
//!
//! - a tenant deleted while an administrator creates OAuth applications in it through another
//!   replica leaves none of them behind;
//! - a tenant deleted while oauth-apps cannot be reached from the replica that deletes it has
//!   its applications purged by another replica's worker;
//! - the check lists every kind of orphan an earlier version could leave (written into the
//!   databases as it would have), the repair removes them while a user keeps writing, and
//!   nothing else is touched.
//!
//! On PostgreSQL when `TEST_POSTGRES_URL` is set, else on SQLite files.

#![expect(
    clippy::unwrap_used,
    reason = "a failed step in a test is a failed test"
)]

mod cluster;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::Method;
use serde_json::{json, Value};

use cluster::{backend, Gateway, Services, COMPLETE_WITHIN, PASSWORD};

impl Gateway {
    async fn create_tenant(&self, name: &str) -> i64 {
        let (status, tenant) = self
            .admin(
                Method::POST,
                "/api/admin/tenants",
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, 201, "{tenant}");
        tenant["id"].as_i64().unwrap()
    }

    async fn create_user_in(&self, name: &str, tenant: i64) -> i64 {
        let body = json!({
            "userName": name, "password": PASSWORD, "tenantId": tenant, "permissions": [11, 1, 2],
        });
        let (status, user) = self
            .admin(Method::POST, "/api/admin/users", Some(body))
            .await;
        assert_eq!(status, 201, "{user}");
        user["id"].as_i64().unwrap()
    }

    /// An OAuth application of `tenant` created by the administrator: the answer.
    async fn try_create_app(&self, name: &str, tenant: i64) -> (u16, Value) {
        let body = json!({
            "name": name,
            "dataStore": 54,
            "tenantId": tenant,
            "clientId": "client-id",
            "clientSecret": "client-secret",
            "authorizeURI": "https://accounts.google.com/o/oauth2/auth",
            "tokenURI": "https://www.googleapis.com/oauth2/v3/token",
            "scope": "analytics",
        });
        self.admin(Method::POST, "/api/mgmt/oauthapps", Some(body))
            .await
    }

    async fn create_app(&self, name: &str, tenant: i64) -> i64 {
        let (status, app) = self.try_create_app(name, tenant).await;
        assert_eq!(status, 201, "{app}");
        app["id"].as_i64().unwrap()
    }

    async fn create_profile(&self, user: &str, name: &str, app: i64) -> i64 {
        let body = json!({"name": name, "oauthAppId": app, "refreshToken": "refresh"});
        let (status, profile) = self
            .send(
                Method::POST,
                "/api/mgmt/oauthprofiles",
                (user, PASSWORD),
                Some(body),
            )
            .await
            .unwrap();
        assert_eq!(status, 201, "{profile}");
        profile["id"].as_i64().unwrap()
    }

    async fn create_client_application(&self, user: &str, name: &str) {
        let body = json!({"name": name, "redirectUrls": ["https://app.example.com/cb"]});
        let (status, app) = self
            .send(
                Method::POST,
                "/api/mgmt/oauth/client/applications",
                (user, PASSWORD),
                Some(body),
            )
            .await
            .unwrap();
        assert_eq!(status, 201, "{app}");
    }
}

impl Services {
    fn apps_of_tenant(&self, tenant: i64) -> i64 {
        self.count(
            "oauth-apps",
            &format!("SELECT COUNT(*) FROM oauth_apps WHERE tenant_id = {tenant}"),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_tenant_keeps_no_application_whatever_races_it() {
    let services = Services::start();
    let deletes = Gateway::new(services.gateway_in_process());
    let creates = Gateway::new(services.gateway_in_process());
    let rounds = 10;
    let (mut created_total, mut refused_total, mut left_total) = (0, 0, 0);
    for round in 1..=rounds {
        let tenant = deletes.create_tenant(&format!("Doomed{round}")).await;
        let stop = Arc::new(AtomicBool::new(false));
        let created = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let mut lanes = Vec::new();
        for lane in 0..6 {
            let (creates, stop, created, refused) = (
                creates.clone(),
                stop.clone(),
                created.clone(),
                refused.clone(),
            );
            lanes.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let (status, body) = creates
                        .try_create_app(&format!("App{lane}x{n}"), tenant)
                        .await;
                    match status {
                        201 => created.fetch_add(1, Ordering::Relaxed),
                        // The tenant is gone: the gateway's check, or oauth-apps' tombstone.
                        400 => refused.fetch_add(1, Ordering::Relaxed),
                        _ => panic!("{status} {body}"),
                    };
                }
            }));
        }
        let delay = rand::thread_rng().gen_range(20..=200);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let (status, body) = deletes
            .admin(
                Method::DELETE,
                &format!("/api/admin/tenants/{tenant}"),
                None,
            )
            .await;
        assert_eq!(status, 204, "{body}");
        // Creates admitted before the deletion have had their chance to land.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, Ordering::Relaxed);
        for lane in lanes {
            lane.await.unwrap();
        }
        let left = services.apps_of_tenant(tenant);
        let (created, refused) = (
            created.load(Ordering::Relaxed),
            refused.load(Ordering::Relaxed),
        );
        println!(
            "{} round {round}: tenant deleted after {delay} ms; {created} application(s) \
             created, {refused} refused, {left} left",
            backend()
        );
        created_total += created;
        refused_total += refused;
        left_total += left;
    }
    println!(
        "{} after {rounds} rounds: {created_total} created, {refused_total} refused, \
         {left_total} application(s) of deleted tenants left",
        backend()
    );
    assert!(created_total > 0 && refused_total > 0);
    assert_eq!(left_total, 0);
    assert_eq!(
        services.count("gateway", "SELECT COUNT(*) FROM tenant_purges"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenant_purge_oauth_apps_missed_is_finished_by_another_replica() {
    let services = Services::start();
    // This replica cannot reach oauth-apps (nothing listens there).
    let mut cut_off = services.gateway_config("127.0.0.1:0");
    cut_off.oauth_apps_url = format!("http://127.0.0.1:{}", test_support::free_port());
    let cut_off = Gateway::new(services.gateway_in_process_with(cut_off));
    let tenant = cut_off.create_tenant("Orphaned").await;
    let healthy = Gateway::new(services.gateway_in_process());
    for n in 0..3 {
        healthy.create_app(&format!("App{n}"), tenant).await;
    }
    let (status, body) = cut_off
        .admin(
            Method::DELETE,
            &format!("/api/admin/tenants/{tenant}"),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        services.count("gateway", "SELECT COUNT(*) FROM tenant_purges"),
        1,
        "the purge stays recorded"
    );
    // The healthy replica's worker takes it once the cut-off one gives it back (or its lease
    // ends) and purges.
    let start = Instant::now();
    while services.apps_of_tenant(tenant) > 0
        || services.count("gateway", "SELECT COUNT(*) FROM tenant_purges") > 0
    {
        assert!(
            start.elapsed() < COMPLETE_WITHIN,
            "the purge never completed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "{}: the purge oauth-apps missed completed {:?} later",
        backend(),
        start.elapsed()
    );
    // And the tenant cannot get applications again.
    let (status, body) = healthy.try_create_app("Late", tenant).await;
    assert_eq!(status, 400, "{body}");
}

/// The orphans an earlier version could leave, made through the API and then by writing to
/// the databases what that version would have left.
struct Orphans {
    deleted_user: i64,
    moved_user: i64,
    moved_from: i64,
    profile_of_deleted_app: i64,
    deleted_app: i64,
    profile_of_foreign_app: i64,
    foreign_app: i64,
    deleted_tenant: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_check_lists_every_orphan_and_the_repair_removes_them_while_serving() {
    let services = Services::start();
    let gateway = Gateway::new(services.gateway_in_process());
    let home = gateway.create_tenant("Home").await;
    let other = gateway.create_tenant("Other").await;
    let home_app = gateway.create_app("HomeApp", home).await;
    let shared_app = gateway.create_app("SharedApp", 1).await;

    // What stays: a user of Home with profiles on both applications, and client applications.
    gateway.create_user_in("keeper", home).await;
    for n in 0..5 {
        gateway
            .create_profile("keeper", &format!("k{n}"), home_app)
            .await;
        gateway
            .create_profile("keeper", &format!("s{n}"), shared_app)
            .await;
    }
    gateway
        .create_client_application("keeper", "KeeperApp")
        .await;
    let (clean, lines) = services.gateway_command("check");
    assert_eq!(clean, 0, "{lines:?}");

    // What an earlier version left.
    let deleted_user = gateway.create_user_in("gone", home).await;
    for n in 0..3 {
        gateway
            .create_profile("gone", &format!("g{n}"), home_app)
            .await;
        gateway
            .create_client_application("gone", &format!("G{n}"))
            .await;
    }
    let moved_user = gateway.create_user_in("mover", home).await;
    for n in 0..2 {
        gateway
            .create_profile("mover", &format!("m{n}"), home_app)
            .await;
    }
    let deleted_app = gateway.create_app("DeletedApp", home).await;
    let profile_of_deleted_app = gateway
        .create_profile("keeper", "orphan1", deleted_app)
        .await;
    let foreign_app = gateway.create_app("MovedAway", home).await;
    let profile_of_foreign_app = gateway
        .create_profile("keeper", "orphan2", foreign_app)
        .await;
    let deleted_tenant = gateway.create_tenant("Vanished").await;
    for n in 0..2 {
        gateway
            .create_app(&format!("Vanished{n}"), deleted_tenant)
            .await;
    }
    // A user deleted without the purges, a user moved whose purge failed, an application
    // deleted and another moved while in use, a tenant deleted with its applications left.
    services.execute(
        "gateway",
        &format!("DELETE FROM users WHERE id = {deleted_user}"),
    );
    services.execute(
        "gateway",
        &format!("UPDATE users SET tenant_id = {other} WHERE id = {moved_user}"),
    );
    services.execute(
        "oauth-apps",
        &format!("DELETE FROM oauth_apps WHERE id = {deleted_app}"),
    );
    services.execute(
        "oauth-apps",
        &format!("UPDATE oauth_apps SET tenant_id = {other} WHERE id = {foreign_app}"),
    );
    services.execute(
        "gateway",
        &format!("DELETE FROM tenants WHERE id = {deleted_tenant}"),
    );
    let orphans = Orphans {
        deleted_user,
        moved_user,
        moved_from: home,
        profile_of_deleted_app,
        deleted_app,
        profile_of_foreign_app,
        foreign_app,
        deleted_tenant,
    };

    let (found, lines) = services.gateway_command("check");
    assert_eq!(found, 1, "{lines:?}");
    let findings: Vec<&Value> = lines.iter().filter_map(|line| line.get("found")).collect();
    for line in &lines {
        println!("{} check: {line}", backend());
    }
    assert_eq!(
        findings,
        expected_findings(&orphans, other)
            .iter()
            .collect::<Vec<_>>()
    );

    // The repair, while the keeper creates profiles through the gateway.
    let stop = Arc::new(AtomicBool::new(false));
    let writes = tokio::spawn({
        let (gateway, stop) = (gateway.clone(), stop.clone());
        async move {
            let mut created: i64 = 0;
            while !stop.load(Ordering::Relaxed) {
                gateway
                    .create_profile("keeper", &format!("w{created}"), home_app)
                    .await;
                created += 1;
            }
            created
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (repaired, lines) = tokio::task::block_in_place(|| services.gateway_command("repair"));
    stop.store(true, Ordering::Relaxed);
    let written = writes.await.unwrap();
    for line in &lines {
        println!("{} repair: {line}", backend());
    }
    assert_eq!(repaired, 0, "{lines:?}");
    let left = lines.last().unwrap();
    assert_eq!(left["step"], "left");
    assert_eq!(left["summary"]["findings"], 0);

    // The orphans are gone, everything else is there.
    let count = |component: &str, sql: &str| services.count(component, sql);
    assert_eq!(
        count("oauth-profiles", &format!("SELECT COUNT(*) FROM oauth_profiles WHERE owner_id IN ({deleted_user}, {moved_user})")),
        0
    );
    assert_eq!(
        count(
            "client-registration",
            &format!("SELECT COUNT(*) FROM client_apps WHERE owner_id = {deleted_user}")
        ),
        0
    );
    assert_eq!(
        count("oauth-profiles", &format!("SELECT COUNT(*) FROM oauth_profiles WHERE id IN ({profile_of_deleted_app}, {profile_of_foreign_app})")),
        0
    );
    assert_eq!(services.apps_of_tenant(deleted_tenant), 0);
    assert_eq!(
        count("oauth-profiles", &format!("SELECT COUNT(*) FROM oauth_profiles WHERE oauth_app_id IN ({home_app}, {shared_app})")),
        10 + written,
        "every profile of the keeper stays, those written during the repair too"
    );
    assert_eq!(
        count("client-registration", "SELECT COUNT(*) FROM client_apps"),
        1
    );
    // The moved user lives on and may make profiles in their new tenant.
    let other_app = gateway.create_app("OtherApp", other).await;
    gateway.create_profile("mover", "fresh", other_app).await;
    let (clean, lines) = services.gateway_command("check");
    assert_eq!(clean, 0, "{lines:?}");
    println!(
        "{}: {} orphan finding(s) repaired while {written} profile(s) were written; a second \
         check finds nothing",
        backend(),
        findings.len()
    );
}

fn expected_findings(orphans: &Orphans, other: i64) -> Vec<Value> {
    vec![
        json!({"kind": "profile-of-deleted-application",
               "profileId": orphans.profile_of_deleted_app, "oauthAppId": orphans.deleted_app}),
        json!({"kind": "profile-of-foreign-application",
               "profileId": orphans.profile_of_foreign_app, "oauthAppId": orphans.foreign_app,
               "ownerTenantId": orphans.moved_from, "appTenantId": other}),
        json!({"kind": "profiles-of-deleted-user", "ownerId": orphans.deleted_user, "profiles": 3}),
        json!({"kind": "profiles-of-former-tenant", "ownerId": orphans.moved_user,
               "tenantId": orphans.moved_from, "profiles": 2}),
        json!({"kind": "client-applications-of-deleted-user", "ownerId": orphans.deleted_user,
               "applications": 3}),
        json!({"kind": "applications-of-deleted-tenant", "tenantId": orphans.deleted_tenant,
               "applications": 2}),
    ]
}
