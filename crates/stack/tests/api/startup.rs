//! Start-up: bad settings stop a component with a message naming the variable, and a peer that
//! is too slow is answered 504 without anything written.

use std::collections::HashMap;
use std::time::Duration;

use envconfig::Envconfig;
use reqwest::Method;
use serde_json::json;

use crate::helpers::reply;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_malformed_variable_is_named() {
    let err = oauth_apps::Config::init_from_hashmap(&env(&[("OAUTH_APPS_DB_POOL_SIZE", "many")]))
        .unwrap_err();
    assert!(err.to_string().contains("OAUTH_APPS_DB_POOL_SIZE"), "{err}");
    let err = gateway::Config::init_from_hashmap(&env(&[("GATEWAY_UPSTREAM_TIMEOUT_MS", "-1")]))
        .unwrap_err();
    assert!(
        err.to_string().contains("GATEWAY_UPSTREAM_TIMEOUT_MS"),
        "{err}"
    );
}

#[test]
fn unusable_settings_stop_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
    let db = dir.path().join("apps.db").to_string_lossy().into_owned();
    let public = keys.public_key.to_string_lossy().into_owned();
    let private = keys.private_key.to_string_lossy().into_owned();
    let ring = format!("k1:{}", secrets::generate_key());
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "OAUTH_APPS_ENCRYPTION_KEYS_FILE",
            vec![
                ("OAUTH_APPS_DATABASE_URL", &db),
                ("TOKEN_PUBLIC_KEY_FILE", &public),
                ("OAUTH_APPS_ENCRYPTION_KEYS_FILE", "/nonexistent/ring"),
            ],
        ),
        (
            "OAUTH_APPS_ENCRYPTION_KEYS",
            vec![
                ("OAUTH_APPS_DATABASE_URL", &db),
                ("TOKEN_PUBLIC_KEY_FILE", &public),
                ("OAUTH_APPS_ENCRYPTION_KEYS", "k1:too-short"),
            ],
        ),
        (
            "OAUTH_APPS_ENCRYPTION_ACTIVE_KEY",
            vec![
                ("OAUTH_APPS_DATABASE_URL", &db),
                ("TOKEN_PUBLIC_KEY_FILE", &public),
                ("OAUTH_APPS_ENCRYPTION_KEYS", &ring),
                ("OAUTH_APPS_ENCRYPTION_ACTIVE_KEY", "k2"),
            ],
        ),
        (
            "OAUTH_APPS_DATABASE_URL",
            vec![
                ("OAUTH_APPS_DATABASE_URL", "mysql://localhost/apps"),
                ("TOKEN_PUBLIC_KEY_FILE", &public),
            ],
        ),
        (
            "TOKEN_PUBLIC_KEY_FILE",
            vec![
                ("OAUTH_APPS_DATABASE_URL", &db),
                ("TOKEN_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
            ],
        ),
        (
            "TOKEN_PUBLIC_KEY_FILE",
            vec![
                ("OAUTH_APPS_DATABASE_URL", &db),
                ("TOKEN_PUBLIC_KEY_FILE", &private),
            ],
        ),
    ];
    for (variable, pairs) in cases {
        let mut pairs = pairs;
        pairs.push(("OAUTH_APPS_ADDR", "127.0.0.1:0"));
        if !pairs
            .iter()
            .any(|(k, _)| k.starts_with("OAUTH_APPS_ENCRYPTION"))
        {
            pairs.push(("OAUTH_APPS_ENCRYPTION_KEYS", &ring));
        }
        let config = oauth_apps::Config::init_from_hashmap(&env(&pairs)).unwrap();
        let err = oauth_apps::build(&config)
            .err()
            .expect("start-up must fail");
        assert!(err.to_string().contains(variable), "{variable}: {err}");
        assert!(
            !err.to_string().contains(&ring[3..]),
            "key material shown: {err}"
        );
    }
    let config = oauth_profiles::Config::init_from_hashmap(&env(&[
        ("OAUTH_PROFILES_ADDR", "127.0.0.1:0"),
        ("OAUTH_PROFILES_DATABASE_URL", &db),
        ("TOKEN_PUBLIC_KEY_FILE", &public),
        ("OAUTH_APPS_URL", "localhost:8081"),
        ("OAUTH_PROFILES_ENCRYPTION_KEYS", &ring),
    ]))
    .unwrap();
    let err = oauth_profiles::build(&config)
        .err()
        .expect("start-up must fail");
    assert!(err.to_string().contains("OAUTH_APPS_URL"), "{err}");
    let config = gateway::Config::init_from_hashmap(&env(&[
        ("GATEWAY_ADDR", "127.0.0.1:0"),
        ("GATEWAY_DATABASE_URL", &db),
        ("TOKEN_SIGNING_KEY_FILE", &public),
    ]))
    .unwrap();
    let err = gateway::build(&config).err().expect("start-up must fail");
    assert!(err.to_string().contains("TOKEN_SIGNING_KEY_FILE"), "{err}");
    let config = gateway::Config::init_from_hashmap(&env(&[
        ("GATEWAY_ADDR", "127.0.0.1:0"),
        (
            "GATEWAY_DATABASE_URL",
            &dir.path().join("gw.db").to_string_lossy(),
        ),
        ("TOKEN_SIGNING_KEY_FILE", &private),
        ("ADMIN_PASSWORD", "short"),
    ]))
    .unwrap();
    let err = gateway::build(&config).err().expect("start-up must fail");
    assert!(err.to_string().contains("ADMIN_PASSWORD"), "{err}");
}

#[tokio::test]
async fn a_peer_slower_than_the_timeout_is_504_and_nothing_is_written() {
    // A "peer" that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });

    let dir = tempfile::tempdir().unwrap();
    let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
    let db = dir.path().join("profiles.db");
    let config = oauth_profiles::Config::init_from_hashmap(&env(&[
        ("OAUTH_PROFILES_ADDR", "127.0.0.1:0"),
        ("OAUTH_PROFILES_DATABASE_URL", &db.to_string_lossy()),
        ("TOKEN_PUBLIC_KEY_FILE", &keys.public_key.to_string_lossy()),
        ("OAUTH_APPS_URL", &format!("http://127.0.0.1:{silent_port}")),
        ("OAUTH_PROFILES_PEER_TIMEOUT_MS", "300"),
        ("OAUTH_PROFILES_WORKERS", "1"),
        (
            "OAUTH_PROFILES_ENCRYPTION_KEYS",
            &format!("k1:{}", secrets::generate_key()),
        ),
    ]))
    .unwrap();
    let profiles = oauth_profiles::build(&config).unwrap();
    let port = profiles.port();
    let handle = profiles.handle();
    tokio::spawn(profiles.run_until_stopped());

    let signer = internal_auth::TokenSigner::from_pem(
        &std::fs::read(&keys.private_key).unwrap(),
        Duration::from_secs(60),
    )
    .unwrap();
    let (token, _) = signer
        .mint(
            internal_auth::Service::OauthProfiles,
            &internal_auth::Identity {
                user_id: 1,
                user_name: "admin".into(),
                tenant_id: 1,
                permissions: vec![12],
                administered_tenants: vec![],
            },
            None,
        )
        .unwrap();
    let client = reqwest::Client::new();
    let body = json!({"name": "Slow", "oauthAppId": 1, "refreshToken": "r"});
    let r = reply(
        client
            .request(
                Method::POST,
                format!("http://127.0.0.1:{port}/api/mgmt/oauthprofiles"),
            )
            .bearer_auth(&token)
            .json(&body),
    )
    .await;
    r.envelope(504, "222200091");
    let r = reply(
        client
            .get(format!("http://127.0.0.1:{port}/api/mgmt/oauthprofiles"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(r.json(), json!({"profiles": []}));

    handle.stop(false).await;
    hold.abort();
}
