use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{codes, profile_body, spawn_stack, spawn_stack_with};

const PATH: &str = "/api/mgmt/oauthprofiles";

#[tokio::test]
async fn create_read_list_update_delete() {
    let app = spawn_stack().await;
    let oauth_app = app.create_app("Google_Analytics").await;
    let app_id = oauth_app["id"].clone();

    // Create (seeds 000 and 003): 201 with all fields.
    let r = app
        .admin(Method::POST, PATH, Some(profile_body("User_1", &app_id)))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let created = r.json();
    let id = created["id"].as_i64().expect("id is a number");
    let mut expected = profile_body("User_1", &app_id);
    expected["id"] = json!(id);
    // Tokens sent by a caller: expiry unknown (issue 16).
    expected["expiresAt"] = Value::Null;
    expected["status"] = json!("active");
    assert_eq!(created, expected);

    // Read (seed 001): the same, tokens included.
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), expected);

    // List: id, name, description, oauthAppId only.
    let r = app.admin(Method::GET, PATH, None).await;
    assert_eq!(
        r.json(),
        json!({"profiles": [{"id": id, "name": "User_1", "description": "OAuth profile 1", "oauthAppId": app_id}]})
    );

    // Update: 204, then the read shows the replacement (no access token now).
    let replacement = json!({"name": "Google_User_1", "oauthAppId": app_id.to_string(), "refreshToken": "new-refresh"});
    let r = app
        .admin(Method::PUT, &format!("{PATH}/{id}"), Some(replacement))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(
        r.json(),
        json!({"id": id, "name": "Google_User_1", "oauthAppId": app_id, "refreshToken": "new-refresh",
               "expiresAt": null, "status": "active"})
    );

    // Delete: 204, then 404 in the product's words.
    let r = app
        .admin(Method::DELETE, &format!("{PATH}/{id}"), None)
        .await;
    assert_eq!(r.status, 204);
    for method in [Method::GET, Method::DELETE] {
        let r = app.admin(method, &format!("{PATH}/{id}"), None).await;
        let message = r.envelope(404, codes::PROFILE_NOT_FOUND);
        assert_eq!(message, format!("Invalid OAuthProfileId: {id}"));
    }
}

#[tokio::test]
async fn an_unknown_application_is_refused_and_nothing_is_written() {
    let app = spawn_stack().await;
    let r = app
        .admin(Method::POST, PATH, Some(profile_body("User_1", &json!(17))))
        .await;
    let message = r.envelope(400, codes::INVALID_APP_ID);
    assert_eq!(message, "Invalid OAuthAppId: 17");
    assert_eq!(app.count_rows("oauth-profiles", "oauth_profiles"), 0);

    // Nor may an update point a profile at one.
    let oauth_app = app.create_app("Real").await;
    let r = app
        .admin(
            Method::POST,
            PATH,
            Some(profile_body("User_1", &oauth_app["id"])),
        )
        .await;
    let id = r.json()["id"].clone();
    let r = app
        .admin(
            Method::PUT,
            &format!("{PATH}/{id}"),
            Some(profile_body("User_1", &json!("99"))),
        )
        .await;
    assert_eq!(
        r.envelope(400, codes::INVALID_APP_ID),
        "Invalid OAuthAppId: 99"
    );
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(r.json()["oauthAppId"], oauth_app["id"]);
}

#[tokio::test]
async fn every_validation_rule_names_its_field() {
    let app = spawn_stack().await;
    let oauth_app = app.create_app("App").await;
    let app_id = oauth_app["id"].clone();
    let cases: Vec<(&str, Value)> = vec![
        ("name", json!("User 1")),
        ("name", json!("")),
        ("name", json!("a".repeat(129))),
        ("oauthAppId", json!("seventeen")),
        ("oauthAppId", json!(0)),
        ("oauthAppId", json!(1.5)),
        ("oauthAppId", json!([17])),
        ("description", json!("d".repeat(257))),
        ("accessToken", json!(12345)),
        ("refreshToken", json!("")),
        ("refreshToken", json!(false)),
        ("refreshToken", json!("r".repeat(8193))),
    ];
    for (field, value) in cases {
        let mut body = profile_body("Valid", &app_id);
        body[field] = value.clone();
        let r = app.admin(Method::POST, PATH, Some(body)).await;
        let message = r.envelope(400, codes::INVALID_FIELD);
        assert!(
            message.contains(&format!("'{field}'")),
            "{field}={value}: {message}"
        );
    }
    for field in ["name", "oauthAppId", "refreshToken"] {
        let mut body = profile_body("Valid", &app_id);
        body.as_object_mut().unwrap().remove(field);
        let r = app.admin(Method::POST, PATH, Some(body)).await;
        assert_eq!(
            r.envelope(400, codes::INVALID_FIELD),
            format!("Missing required field '{field}'")
        );
    }
    assert_eq!(app.count_rows("oauth-profiles", "oauth_profiles"), 0);

    // Optional fields may be left out.
    let body = json!({"name": "Minimal", "oauthAppId": app_id, "refreshToken": "r"});
    let r = app.admin(Method::POST, PATH, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let created = r.json();
    assert!(created.get("accessToken").is_none() && created.get("description").is_none());
}

#[tokio::test]
async fn names_are_unique_per_owner() {
    let app = spawn_stack().await;
    let oauth_app = app.create_app("App").await;
    let body = profile_body("Same", &oauth_app["id"]);
    assert_eq!(
        app.admin(Method::POST, PATH, Some(body.clone()))
            .await
            .status,
        201
    );
    let r = app.admin(Method::POST, PATH, Some(body)).await;
    r.envelope(409, codes::CONFLICT);
    assert_eq!(app.count_rows("oauth-profiles", "oauth_profiles"), 1);
}

#[tokio::test]
async fn with_oauth_apps_down_profile_writes_get_503_and_change_nothing() {
    let mut app = spawn_stack_with(|c| c.peer_timeout_ms = 2_000).await;
    let oauth_app = app.create_app("App").await;
    let r = app
        .admin(
            Method::POST,
            PATH,
            Some(profile_body("Before", &oauth_app["id"])),
        )
        .await;
    assert_eq!(r.status, 201);
    let id = r.json()["id"].clone();

    app.stack.oauth_apps.stop(false).await;

    let r = app
        .admin(
            Method::POST,
            PATH,
            Some(profile_body("During", &oauth_app["id"])),
        )
        .await;
    r.envelope(503, codes::UNAVAILABLE);
    let r = app
        .admin(
            Method::PUT,
            &format!("{PATH}/{id}"),
            Some(profile_body("Renamed", &oauth_app["id"])),
        )
        .await;
    r.envelope(503, codes::UNAVAILABLE);
    assert_eq!(app.count_rows("oauth-profiles", "oauth_profiles"), 1);
    // Reading profiles does not need oauth-apps.
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(r.json()["name"], "Before");
    // The gateway's own route to oauth-apps answers 503 as well.
    let r = app.admin(Method::GET, "/api/mgmt/oauthapps", None).await;
    r.envelope(503, codes::UNAVAILABLE);
}

/// A user moved to another tenant no longer reaches the profiles made in the old one (their
/// tokens were granted for the old tenant's applications), on the very next request, and the
/// rows are purged, but not the profiles made in the new tenant meanwhile; a profile on a
/// system-tenant application can then be made again.
#[tokio::test]
async fn a_user_moved_to_another_tenant_loses_the_old_tenants_profiles() {
    let app = spawn_stack().await;
    let tenant_a = app.create_tenant("Tenant_A").await;
    let tenant_b = app.create_tenant("Tenant_B").await;
    let user = json!({
        "userName": "mover", "password": "mover-password", "tenantId": tenant_a,
        "permissions": [11, 1, 2, 3, 4, 28],
    });
    let r = app
        .admin(Method::POST, "/api/admin/users", Some(user.clone()))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let user_id = r.json()["id"].as_i64().unwrap();
    let mut body = crate::helpers::app_body("A_App");
    body["tenantId"] = json!(tenant_a);
    let r = app
        .admin(Method::POST, "/api/mgmt/oauthapps", Some(body))
        .await;
    let app_a = r.json()["id"].clone();
    let system_app = app.create_app("System_App").await["id"].clone();
    let mover = Some(("mover", "mover-password"));
    let mut profiles = Vec::new();
    for (name, app_id) in [("In_A", &app_a), ("On_System", &system_app)] {
        let r = app
            .call(Method::POST, PATH, mover, Some(profile_body(name, app_id)))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        profiles.push(r.json()["id"].as_i64().unwrap());
    }

    let mut moved = user.clone();
    moved["tenantId"] = json!(tenant_b);
    moved.as_object_mut().unwrap().remove("password");
    // The PUT answers once both purges ran, the second after the user cache's bound; a profile
    // the user makes in their new tenant in between stays.
    let user_path = format!("/api/admin/users/{user_id}");
    let put = app.admin(Method::PUT, &user_path, Some(moved));
    let meanwhile = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        app.call(
            Method::POST,
            PATH,
            mover,
            Some(profile_body("Made_In_B", &system_app)),
        )
        .await
    };
    let (r, made) = tokio::join!(put, meanwhile);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(made.status, 201, "{}", made.text);
    let made_in_b = made.json()["id"].as_i64().unwrap();
    let r = app
        .call(Method::GET, &format!("{PATH}/{made_in_b}"), mover, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    for id in &profiles {
        let r = app
            .call(Method::GET, &format!("{PATH}/{id}"), mover, None)
            .await;
        r.envelope(404, codes::PROFILE_NOT_FOUND);
    }
    let r = app.call(Method::GET, PATH, mover, None).await;
    assert_eq!(
        r.json()["profiles"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
    assert_eq!(app.count_rows("oauth-profiles", "oauth_profiles"), 1);
    let r = app
        .call(
            Method::POST,
            PATH,
            mover,
            Some(profile_body("On_System", &system_app)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}
