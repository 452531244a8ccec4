use base64::Engine;
use reqwest::Method;

use crate::helpers::{codes, reply, spawn_stack, ADMIN, ADMIN_PASSWORD};

#[tokio::test]
async fn health_checks_answer_without_credentials() {
    let app = spawn_stack().await;
    let ports = [
        app.stack.gateway.port,
        app.stack.oauth_apps.port,
        app.stack.oauth_profiles.port,
        app.stack.client_registration.port,
    ];
    for port in ports {
        let r = reply(app.client.get(format!("http://127.0.0.1:{port}/healthz"))).await;
        assert_eq!(r.status, 200, "port {port}: {}", r.text);
        assert_eq!(r.json()["status"], "ok");
    }
}

#[tokio::test]
async fn missing_or_bad_credentials_get_401_with_a_basic_challenge() {
    let app = spawn_stack().await;
    let path = "/api/mgmt/oauthprofiles";
    let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        (
            "wrong password",
            Some(format!("Basic {}", encode("admin:wrong-password"))),
        ),
        (
            "unknown user",
            Some(format!("Basic {}", encode("nobody:correct-horse-battery"))),
        ),
        (
            "empty user",
            Some(format!("Basic {}", encode(":correct-horse-battery"))),
        ),
        ("no colon", Some(format!("Basic {}", encode("admin")))),
        ("not base64", Some("Basic %%%".to_owned())),
        ("other scheme", Some("Digest abc".to_owned())),
    ];
    for (case, header) in cases {
        let mut request = app.client.get(format!("{}{path}", app.base));
        if let Some(header) = header {
            request = request.header("authorization", header);
        }
        let r = reply(request).await;
        r.envelope(401, codes::UNAUTHENTICATED);
        let challenge = r.headers["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Basic realm=\"hdp-oauth\""),
            "{case}: {challenge}"
        );
    }
    // A Bearer token is an OAuth access token here (crates/stack/tests/api/authorize.rs): one
    // that is no such token is refused with the Bearer challenge.
    let r = reply(
        app.client
            .get(format!("{}{path}", app.base))
            .header("authorization", "Bearer abc"),
    )
    .await;
    r.envelope(401, codes::UNAUTHENTICATED);
    let challenge = r.headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    // Unknown routes under /api are not revealed to strangers either.
    let r = app.call(Method::GET, "/api/nothing/here", None, None).await;
    r.envelope(401, codes::UNAUTHENTICATED);
}

#[tokio::test]
async fn a_cached_credential_does_not_admit_another_password() {
    let app = spawn_stack().await;
    let path = "/api/mgmt/oauthapps";
    for _ in 0..3 {
        let r = app
            .call(Method::GET, path, Some((ADMIN, ADMIN_PASSWORD)), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app
        .call(
            Method::GET,
            path,
            Some((ADMIN, "correct-horse-batterz")),
            None,
        )
        .await;
    r.envelope(401, codes::UNAUTHENTICATED);
}

#[tokio::test]
async fn services_called_directly_require_a_valid_internal_token() {
    let app = spawn_stack().await;
    let other_key = internal_auth::generate_key_pair().unwrap();
    let forged_signer = internal_auth::TokenSigner::from_pem(
        other_key.private_pem.as_bytes(),
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    let (forged, _) = forged_signer
        .mint(
            internal_auth::Service::OauthApps,
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
    let targets = [
        (app.stack.oauth_apps.port, "/api/mgmt/oauthapps"),
        (app.stack.oauth_profiles.port, "/api/mgmt/oauthprofiles"),
        (
            app.stack.client_registration.port,
            "/api/mgmt/oauth/client/applications",
        ),
    ];
    for (port, path) in targets {
        let url = format!("http://127.0.0.1:{port}{path}");
        let r = reply(app.client.get(&url)).await;
        r.envelope(401, codes::UNAUTHENTICATED);
        let r = reply(app.client.get(&url).basic_auth(ADMIN, Some(ADMIN_PASSWORD))).await;
        r.envelope(401, codes::UNAUTHENTICATED);
        let r = reply(app.client.get(&url).bearer_auth("garbage")).await;
        r.envelope(401, codes::UNAUTHENTICATED);
        let r = reply(app.client.get(&url).bearer_auth(&forged)).await;
        r.envelope(401, codes::UNAUTHENTICATED);
        // Unknown paths on a service are behind the token too.
        let r = reply(app.client.get(format!("http://127.0.0.1:{port}/x"))).await;
        r.envelope(401, codes::UNAUTHENTICATED);
    }
}

#[tokio::test]
async fn the_signing_key_is_kept_private_in_the_data_directory() {
    let app = spawn_stack().await;
    let private = app.stack.data_dir.join("keys/token-signing.pem");
    let text = std::fs::read_to_string(&private).unwrap();
    assert!(text.contains("PRIVATE KEY"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "private key readable by others: {mode:o}");
        let mode = std::fs::metadata(&app.stack.data_dir)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "data directory open to others: {mode:o}");
    }
}
