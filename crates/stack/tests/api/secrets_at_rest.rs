//! Credentials at rest: sealed or hashed in every database, opened only for their own row,
//! and rotated to a new key without downtime.

use std::collections::HashMap;

use envconfig::Envconfig;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{app_body, codes, spawn_stack, TestStack, COMPONENTS};

const APP_SECRET: &str = "app-secret-5b1f0c9e7d";
const ACCESS: &str = "access-token-8e2a4d6c1f";
const REFRESH: &str = "refresh-token-3c7e9a1b5d";

async fn write_credentials(app: &TestStack, suffix: &str) -> (i64, String) {
    let mut body = app_body(&format!("App_{suffix}"));
    body["clientSecret"] = json!(format!("{APP_SECRET}{suffix}"));
    let r = app
        .admin(Method::POST, "/api/mgmt/oauthapps", Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["clientSecret"], format!("{APP_SECRET}{suffix}"));
    let app_id = r.json()["id"].clone();
    let profile = json!({
        "name": format!("Profile_{suffix}"), "oauthAppId": app_id,
        "accessToken": format!("{ACCESS}{suffix}"), "refreshToken": format!("{REFRESH}{suffix}"),
    });
    let r = app
        .admin(Method::POST, "/api/mgmt/oauthprofiles", Some(profile))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let profile_id = r.json()["id"].as_i64().unwrap();
    let client =
        json!({"name": format!("Client {suffix}"), "redirectUrls": ["https://example.com/cb"]});
    let r = app
        .admin(
            Method::POST,
            "/api/mgmt/oauth/client/applications",
            Some(client),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let client_secret = r.json()["clientSecret"].as_str().unwrap().to_owned();
    (profile_id, client_secret)
}

async fn assert_profile_reads(app: &TestStack, id: i64, suffix: &str) {
    let r = app
        .admin(Method::GET, &format!("/api/mgmt/oauthprofiles/{id}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["accessToken"], format!("{ACCESS}{suffix}"));
    assert_eq!(r.json()["refreshToken"], format!("{REFRESH}{suffix}"));
}

#[tokio::test]
async fn no_sent_credential_is_stored_in_clear_anywhere() {
    let app = spawn_stack().await;
    let (profile_id, client_secret) = write_credentials(&app, "1").await;
    // Updates seal too.
    let r = app
        .admin(
            Method::PUT,
            &format!("/api/mgmt/oauthprofiles/{profile_id}"),
            Some(json!({"name": "Profile_1", "oauthAppId": 1, "accessToken": format!("{ACCESS}1"), "refreshToken": format!("{REFRESH}1")})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let mut update = app_body("App_1");
    update["clientSecret"] = json!(format!("{APP_SECRET}1"));
    let r = app
        .admin(Method::PUT, "/api/mgmt/oauthapps/1", Some(update))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_profile_reads(&app, profile_id, "1").await;

    let sent = [
        format!("{APP_SECRET}1"),
        format!("{ACCESS}1"),
        format!("{REFRESH}1"),
        client_secret,
        crate::helpers::ADMIN_PASSWORD.to_owned(),
    ];
    for component in COMPONENTS {
        let text = app.database_text(component);
        assert!(!text.is_empty(), "{component}: nothing read");
        for secret in &sent {
            assert!(
                !text.contains(secret.as_str()),
                "{component} holds {secret} in clear"
            );
        }
    }
    assert!(app.database_text("oauth-profiles").contains("enc:v1:k1:"));
}

#[tokio::test]
async fn a_sealed_value_moved_to_another_row_does_not_open() {
    let app = spawn_stack().await;
    let (first, _) = write_credentials(&app, "1").await;
    let (second, _) = write_credentials(&app, "2").await;
    app.execute_sql(
        "oauth-profiles",
        &format!(
            "UPDATE oauth_profiles SET refresh_token = \
             (SELECT refresh_token FROM oauth_profiles WHERE id = {first}) WHERE id = {second}"
        ),
    );
    let r = app
        .admin(
            Method::GET,
            &format!("/api/mgmt/oauthprofiles/{second}"),
            None,
        )
        .await;
    let message = r.envelope(500, "222200099");
    assert!(!message.contains(REFRESH), "{message}");
    assert_profile_reads(&app, first, "1").await;
}

fn ring_file(app: &TestStack, service: &str) -> std::path::PathBuf {
    app.stack
        .data_dir
        .join(format!("keys/{service}-encryption.keys"))
}

fn reseal(app: &TestStack) {
    let env = |pairs: &[(&str, String)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let apps = oauth_apps::Config::init_from_hashmap(&env(&[
        (
            "OAUTH_APPS_DATABASE_URL",
            app.database_urls["oauth-apps"].clone(),
        ),
        (
            "OAUTH_APPS_ENCRYPTION_KEYS_FILE",
            ring_file(app, "oauth-apps").to_string_lossy().into_owned(),
        ),
    ]))
    .unwrap();
    let report = oauth_apps::reseal(&apps, 1).unwrap();
    assert_eq!((report.resealed, report.failed), (1, 0), "{report:?}");
    let profiles = oauth_profiles::Config::init_from_hashmap(&env(&[
        (
            "OAUTH_PROFILES_DATABASE_URL",
            app.database_urls["oauth-profiles"].clone(),
        ),
        (
            "OAUTH_PROFILES_ENCRYPTION_KEYS_FILE",
            ring_file(app, "oauth-profiles")
                .to_string_lossy()
                .into_owned(),
        ),
    ]))
    .unwrap();
    let report = oauth_profiles::reseal(&profiles, 1).unwrap();
    // One profile sealed with k1 (two tokens); the one written after the rotation is current.
    assert_eq!((report.resealed, report.failed), (2, 0), "{report:?}");
}

#[tokio::test]
async fn rotation_add_a_key_reseal_remove_the_old_key_everything_still_reads() {
    let app = spawn_stack().await;
    let (old_profile, _) = write_credentials(&app, "1").await;
    let old_rings: Vec<String> = ["oauth-apps", "oauth-profiles"]
        .iter()
        .map(|s| std::fs::read_to_string(ring_file(&app, s)).unwrap())
        .collect();

    // 1. Add a new key (last line: active) and restart: old values still read, new ones use it.
    for service in ["oauth-apps", "oauth-profiles"] {
        let path = ring_file(&app, service);
        let ring = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{ring}k2:{}\n", secrets::generate_key())).unwrap();
    }
    let app = app.restart().await;
    assert_profile_reads(&app, old_profile, "1").await;
    let (new_profile, _) = write_credentials(&app, "2").await;
    assert!(app.database_text("oauth-profiles").contains("enc:v1:k2:"));

    // Removing the old key before re-sealing: its values are 503 (the operator's fix), the
    // rest still reads.
    for (service, old) in ["oauth-apps", "oauth-profiles"].iter().zip(&old_rings) {
        let path = ring_file(&app, service);
        let ring = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, ring.replace(old.as_str(), "")).unwrap();
    }
    let app = app.restart().await;
    let r = app
        .admin(
            Method::GET,
            &format!("/api/mgmt/oauthprofiles/{old_profile}"),
            None,
        )
        .await;
    let message = r.envelope(503, codes::UNAVAILABLE);
    assert!(!message.contains("k1:"), "{message}");
    assert_profile_reads(&app, new_profile, "2").await;

    // 2. Put it back, re-seal while the stack runs, 3. remove it: everything reads.
    for (service, old) in ["oauth-apps", "oauth-profiles"].iter().zip(&old_rings) {
        let path = ring_file(&app, service);
        let ring = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{old}{ring}")).unwrap();
    }
    let app = app.restart().await;
    reseal(&app);
    // (Checked on the rows: SQLite's WAL may still hold the pages they replaced.)
    let k1 = "LIKE 'enc:v1:k1:%'";
    let where_profiles = format!("oauth_profiles WHERE refresh_token {k1} OR access_token {k1}");
    assert_eq!(app.count_rows("oauth-profiles", &where_profiles), 0);
    let where_apps = format!("oauth_apps WHERE client_secret {k1}");
    assert_eq!(app.count_rows("oauth-apps", &where_apps), 0);
    for (service, old) in ["oauth-apps", "oauth-profiles"].iter().zip(&old_rings) {
        let path = ring_file(&app, service);
        let ring = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, ring.replace(old.as_str(), "")).unwrap();
    }
    let app = app.restart().await;
    assert_profile_reads(&app, old_profile, "1").await;
    assert_profile_reads(&app, new_profile, "2").await;
}
