//! The authorization matrix: every public endpoint against every kind of caller, through the
//! gateway, asserting the status and that nothing of an invisible object leaks into any answer.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{app_body, spawn_stack, TestStack};

const PASSWORD: &str = "matrix-password-1";

/// Values of alice's objects that no caller who may not see them should ever get back.
const SECRET_MARKERS: [&str; 5] = [
    "Alice_App",
    "alice-client-id",
    "Alice_Profile",
    "alice-refresh-token",
    "Alice client",
];

struct Matrix {
    app: TestStack,
    tenant_a: i64,
    tenant_b: i64,
    app_id: i64,
    profile_id: i64,
    client_app_id: i64,
}

async fn create_tenant(app: &TestStack, name: &str) -> i64 {
    app.create_tenant(name).await
}

async fn create_user(app: &TestStack, name: &str, tenant: i64, permissions: &[u32], extra: Value) {
    let mut body = json!({
        "userName": name, "password": PASSWORD, "tenantId": tenant, "permissions": permissions,
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    let r = app
        .admin(Method::POST, "/api/admin/users", Some(body))
        .await;
    assert_eq!(r.status, 201, "{name}: {}", r.text);
    let user = r.json();
    assert!(
        user.get("password").is_none() && !r.text.contains(PASSWORD),
        "{}",
        r.text
    );
}

async fn as_user(
    app: &TestStack,
    user: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> crate::helpers::Reply {
    let password = if user == crate::helpers::ADMIN {
        crate::helpers::ADMIN_PASSWORD
    } else {
        PASSWORD
    };
    app.call(method, path, Some((user, password)), body).await
}

async fn setup() -> Matrix {
    let app = spawn_stack().await;
    let tenant_a = create_tenant(&app, "TenantA").await;
    let tenant_b = create_tenant(&app, "TenantB").await;
    let all = [11, 1, 2, 3, 4, 28];
    create_user(&app, "alice", tenant_a, &all, json!({})).await;
    create_user(&app, "bob", tenant_a, &all, json!({})).await;
    create_user(
        &app,
        "carol",
        tenant_b,
        &[11, 1, 2, 3, 4, 28, 21],
        json!({}),
    )
    .await;
    create_user(&app, "plain", tenant_a, &[], json!({})).await;
    create_user(&app, "inactive", tenant_a, &all, json!({"active": false})).await;
    for missing in [11, 1, 2, 3, 4, 28] {
        let permissions: Vec<u32> = all.iter().copied().filter(|p| *p != missing).collect();
        create_user(
            &app,
            &format!("missing_{missing}"),
            tenant_a,
            &permissions,
            json!({}),
        )
        .await;
    }
    create_user(
        &app,
        "delegate",
        1,
        &[11, 21, 1, 2, 3, 4],
        json!({"administeredTenants": [tenant_a]}),
    )
    .await;

    let mut body = app_body("Alice_App");
    body["clientId"] = json!("alice-client-id");
    let r = as_user(
        &app,
        "alice",
        Method::POST,
        "/api/mgmt/oauthapps",
        Some(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["tenantId"], tenant_a);
    let app_id = r.json()["id"].as_i64().unwrap();
    let profile = json!({"name": "Alice_Profile", "oauthAppId": app_id, "refreshToken": "alice-refresh-token"});
    let r = as_user(
        &app,
        "alice",
        Method::POST,
        "/api/mgmt/oauthprofiles",
        Some(profile),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let profile_id = r.json()["id"].as_i64().unwrap();
    let client = json!({"name": "Alice client", "redirectUrls": ["https://alice.example.com/cb"]});
    let r = as_user(
        &app,
        "alice",
        Method::POST,
        "/api/mgmt/oauth/client/applications",
        Some(client),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let client_app_id = r.json()["id"].as_i64().unwrap();
    Matrix {
        app,
        tenant_a,
        tenant_b,
        app_id,
        profile_id,
        client_app_id,
    }
}

fn profile(app_id: i64, name: &str) -> Value {
    json!({"name": name, "oauthAppId": app_id, "refreshToken": "r"})
}

fn client(name: &str) -> Value {
    json!({"name": name, "redirectUrls": ["https://example.com/cb"]})
}

#[tokio::test]
async fn every_endpoint_against_every_kind_of_caller() {
    let m = setup().await;
    let (a, p, c) = (m.app_id, m.profile_id, m.client_app_id);
    let apps = "/api/mgmt/oauthapps";
    let profiles = "/api/mgmt/oauthprofiles";
    let clients = "/api/mgmt/oauth/client/applications";
    let mut app_in_b = app_body("In_B");
    app_in_b["tenantId"] = json!(m.tenant_b);
    let mut app_in_a = app_body("In_A");
    app_in_a["tenantId"] = json!(m.tenant_a);

    // (caller, method, path, body, expected status)
    let cases: Vec<(&str, Method, String, Option<Value>, u16)> = vec![
        // OAuth applications.
        (
            "admin",
            Method::POST,
            apps.into(),
            Some(app_in_b.clone()),
            201,
        ),
        (
            "alice",
            Method::POST,
            apps.into(),
            Some(app_body("Own_tenant")),
            201,
        ),
        (
            "alice",
            Method::POST,
            apps.into(),
            Some(app_in_b.clone()),
            403,
        ),
        (
            "carol",
            Method::POST,
            apps.into(),
            Some(app_in_a.clone()),
            403,
        ),
        (
            "missing_11",
            Method::POST,
            apps.into(),
            Some(app_body("No_11")),
            403,
        ),
        (
            "missing_28",
            Method::POST,
            apps.into(),
            Some(app_body("No_28")),
            403,
        ),
        (
            "plain",
            Method::POST,
            apps.into(),
            Some(app_body("Plain")),
            403,
        ),
        ("admin", Method::GET, format!("{apps}/{a}"), None, 200),
        ("alice", Method::GET, format!("{apps}/{a}"), None, 200),
        ("bob", Method::GET, format!("{apps}/{a}"), None, 200),
        ("plain", Method::GET, format!("{apps}/{a}"), None, 200),
        ("carol", Method::GET, format!("{apps}/{a}"), None, 404),
        (
            "carol",
            Method::PUT,
            format!("{apps}/{a}"),
            Some(app_body("Alice_App")),
            404,
        ),
        ("carol", Method::DELETE, format!("{apps}/{a}"), None, 404),
        (
            "missing_28",
            Method::PUT,
            format!("{apps}/{a}"),
            Some(app_body("Alice_App")),
            403,
        ),
        ("plain", Method::DELETE, format!("{apps}/{a}"), None, 403),
        // OAuth profiles: own only; the permission per action.
        ("alice", Method::GET, format!("{profiles}/{p}"), None, 200),
        ("bob", Method::GET, format!("{profiles}/{p}"), None, 404),
        ("carol", Method::GET, format!("{profiles}/{p}"), None, 404),
        ("admin", Method::GET, format!("{profiles}/{p}"), None, 404),
        (
            "admin",
            Method::GET,
            format!("{profiles}/{p}?user=alice"),
            None,
            200,
        ),
        (
            "delegate",
            Method::GET,
            format!("{profiles}/{p}?user=alice"),
            None,
            200,
        ),
        (
            "bob",
            Method::GET,
            format!("{profiles}/{p}?user=alice"),
            None,
            403,
        ),
        (
            "carol",
            Method::GET,
            format!("{profiles}/{p}?user=alice"),
            None,
            403,
        ),
        (
            "missing_2",
            Method::GET,
            format!("{profiles}/{p}"),
            None,
            403,
        ),
        ("missing_2", Method::GET, profiles.into(), None, 403),
        ("missing_11", Method::GET, profiles.into(), None, 403),
        (
            "missing_1",
            Method::POST,
            profiles.into(),
            Some(profile(a, "No_1")),
            403,
        ),
        (
            "missing_11",
            Method::POST,
            profiles.into(),
            Some(profile(a, "No_11")),
            403,
        ),
        (
            "carol",
            Method::POST,
            profiles.into(),
            Some(profile(a, "Other_tenant_app")),
            400,
        ),
        (
            "bob",
            Method::POST,
            profiles.into(),
            Some(profile(a, "Bobs")),
            201,
        ),
        (
            "admin",
            Method::POST,
            format!("{profiles}?user=alice"),
            Some(profile(a, "By_admin")),
            201,
        ),
        (
            "delegate",
            Method::POST,
            format!("{profiles}?user=alice"),
            Some(profile(a, "By_delegate")),
            201,
        ),
        (
            "missing_3",
            Method::PUT,
            format!("{profiles}/{p}"),
            Some(profile(a, "Alice_Profile")),
            403,
        ),
        (
            "bob",
            Method::PUT,
            format!("{profiles}/{p}"),
            Some(profile(a, "Stolen")),
            404,
        ),
        (
            "missing_4",
            Method::DELETE,
            format!("{profiles}/{p}"),
            None,
            403,
        ),
        ("bob", Method::DELETE, format!("{profiles}/{p}"), None, 404),
        (
            "carol",
            Method::DELETE,
            format!("{profiles}/{p}"),
            None,
            404,
        ),
        // Client applications: any active user, own only.
        (
            "plain",
            Method::POST,
            clients.into(),
            Some(client("Plain client")),
            201,
        ),
        ("plain", Method::GET, format!("{clients}/{c}"), None, 404),
        ("bob", Method::GET, format!("{clients}/{c}"), None, 404),
        ("admin", Method::GET, format!("{clients}/{c}"), None, 404),
        (
            "admin",
            Method::GET,
            format!("{clients}/{c}?user=alice"),
            None,
            200,
        ),
        (
            "delegate",
            Method::GET,
            format!("{clients}/{c}?user=alice"),
            None,
            200,
        ),
        (
            "bob",
            Method::PUT,
            format!("{clients}/{c}"),
            Some(client("Stolen")),
            404,
        ),
        (
            "bob",
            Method::PUT,
            format!("{clients}/{c}/reset"),
            None,
            404,
        ),
        ("bob", Method::DELETE, format!("{clients}/{c}"), None, 404),
        (
            "bob",
            Method::GET,
            format!("{clients}?user=alice"),
            None,
            403,
        ),
        ("alice", Method::GET, format!("{clients}/{c}"), None, 200),
        // Identity administration.
        ("plain", Method::GET, "/api/admin/users".into(), None, 403),
        (
            "alice",
            Method::POST,
            "/api/admin/tenants".into(),
            Some(json!({"name": "Nope"})),
            403,
        ),
    ];
    for (user, method, path, body, expected) in cases {
        let r = as_user(&m.app, user, method.clone(), &path, body).await;
        assert_eq!(
            r.status.as_u16(),
            expected,
            "{user} {method} {path}: {}",
            r.text
        );
        if expected >= 400 {
            for marker in SECRET_MARKERS {
                assert!(
                    !r.text.contains(marker),
                    "{user} {method} {path} leaks {marker}: {}",
                    r.text
                );
            }
        }
    }

    // Lists show only what the caller may see.
    for (user, path) in [
        ("carol", apps),
        ("carol", profiles),
        ("bob", profiles),
        ("bob", clients),
        ("admin", profiles),
        ("admin", clients),
    ] {
        let r = as_user(&m.app, user, Method::GET, path, None).await;
        assert_eq!(r.status, 200, "{user} {path}: {}", r.text);
        for marker in SECRET_MARKERS {
            assert!(
                !r.text.contains(marker),
                "{user} lists {marker} at {path}: {}",
                r.text
            );
        }
    }
    // What an administrator and a delegate created on alice's behalf is hers.
    let r = as_user(&m.app, "alice", Method::GET, profiles, None).await;
    let names: Vec<_> = r.json()["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![
            json!("Alice_Profile"),
            json!("By_admin"),
            json!("By_delegate")
        ]
    );
    let _ = m.tenant_a;
}

#[tokio::test]
async fn no_or_bad_credentials_and_inactive_users_get_401_everywhere() {
    let m = setup().await;
    let paths = [
        format!("/api/mgmt/oauthapps/{}", m.app_id),
        format!("/api/mgmt/oauthprofiles/{}", m.profile_id),
        format!("/api/mgmt/oauth/client/applications/{}", m.client_app_id),
        "/api/mgmt/oauthapps".to_owned(),
        "/api/admin/users".to_owned(),
        "/api/admin/tenants".to_owned(),
    ];
    for path in &paths {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            for credentials in [
                None,
                Some(("alice", "wrong-password")),
                Some(("inactive", PASSWORD)),
                Some(("nobody", PASSWORD)),
            ] {
                let r = m
                    .app
                    .call(method.clone(), path, credentials, Some(json!({})))
                    .await;
                r.envelope(401, "222200010");
                for marker in SECRET_MARKERS {
                    assert!(!r.text.contains(marker));
                }
            }
        }
    }
}

#[tokio::test]
async fn the_app_in_use_cannot_be_deleted_and_a_deleted_user_leaves_no_rows() {
    let m = setup().await;
    let r = as_user(
        &m.app,
        "alice",
        Method::DELETE,
        &format!("/api/mgmt/oauthapps/{}", m.app_id),
        None,
    )
    .await;
    r.envelope(409, "222200030");
    let r = as_user(&m.app, "admin", Method::GET, "/api/admin/users", None).await;
    let alice = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userName"] == "alice")
        .unwrap()["id"]
        .clone();
    let r = as_user(
        &m.app,
        "admin",
        Method::DELETE,
        &format!("/api/admin/users/{alice}"),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        m.app.count_rows(
            "oauth-profiles",
            &format!("oauth_profiles WHERE owner_id = {alice}")
        ),
        0
    );
    assert_eq!(
        m.app.count_rows(
            "client-registration",
            &format!("client_apps WHERE owner_id = {alice}")
        ),
        0
    );
    let r = as_user(
        &m.app,
        "alice",
        Method::GET,
        "/api/mgmt/oauthprofiles",
        None,
    )
    .await;
    r.envelope(401, "222200010");
    // With its profile gone, the application can go.
    let r = as_user(
        &m.app,
        "admin",
        Method::DELETE,
        &format!("/api/mgmt/oauthapps/{}", m.app_id),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
}
