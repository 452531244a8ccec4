use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{app_body, codes, spawn_stack};

const PATH: &str = "/api/mgmt/oauthapps";

#[tokio::test]
async fn create_read_list_update_delete() {
    let app = spawn_stack().await;

    // Create (seed 002): 201 with every field, the secret echoed once.
    let created = app.create_app("TenantA_OAuth_app").await;
    let id = created["id"].as_i64().expect("id is a number");
    let mut expected = app_body("TenantA_OAuth_app");
    expected["id"] = json!(id);
    expected["tenantId"] = json!(1);
    assert_eq!(created, expected);

    // Read: no secret.
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let read = r.json();
    assert!(read.get("clientSecret").is_none(), "{read}");
    assert_eq!(read["clientId"], "asdfjasdljfasdkjf");
    assert_eq!(
        read["authorizeURI"],
        "https://accounts.google.com/o/oauth2/v2/auth"
    );

    // List: no client credentials at all.
    app.create_app("Second_app").await;
    let r = app.admin(Method::GET, PATH, None).await;
    assert_eq!(r.status, 200);
    let list = r.json();
    let items = list["applications"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "TenantA_OAuth_app");
    for item in items {
        assert!(
            item.get("clientId").is_none() && item.get("clientSecret").is_none(),
            "{item}"
        );
    }

    // Update: full replacement, 200 with the object; a dropped description is gone.
    let mut replacement = app_body("Renamed_app");
    replacement.as_object_mut().unwrap().remove("description");
    replacement["scope"] = json!("https://www.googleapis.com/auth/analytics.readonly");
    let r = app
        .admin(Method::PUT, &format!("{PATH}/{id}"), Some(replacement))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let updated = r.json();
    assert_eq!(updated["name"], "Renamed_app");
    assert_eq!(updated["clientSecret"], "1912308409123890");
    assert!(updated.get("description").is_none());
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(
        r.json()["scope"],
        "https://www.googleapis.com/auth/analytics.readonly"
    );

    // Delete: 204 with no body, then 404.
    let r = app
        .admin(Method::DELETE, &format!("{PATH}/{id}"), None)
        .await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    for method in [Method::GET, Method::DELETE] {
        let r = app.admin(method, &format!("{PATH}/{id}"), None).await;
        let message = r.envelope(404, codes::APP_NOT_FOUND);
        assert_eq!(message, format!("Invalid OAuthAppId: {id}"));
    }
    let r = app
        .admin(
            Method::PUT,
            &format!("{PATH}/{id}"),
            Some(app_body("Again")),
        )
        .await;
    r.envelope(404, codes::APP_NOT_FOUND);
}

#[tokio::test]
async fn ids_in_bodies_may_be_digit_strings() {
    let app = spawn_stack().await;
    let mut body = app_body("Strings");
    body["dataStore"] = json!("54");
    body["tenantId"] = json!("1");
    let r = app.admin(Method::POST, PATH, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["dataStore"], 54);
    assert_eq!(r.json()["tenantId"], 1);
}

#[tokio::test]
async fn every_validation_rule_names_its_field() {
    let app = spawn_stack().await;
    let long = |n: usize| Value::String("a".repeat(n));
    let cases: Vec<(&str, Value)> = vec![
        // The product sample's own name has spaces, which its rules forbid.
        ("name", json!("TenantA OAuth app")),
        ("name", json!("")),
        ("name", json!("dash-ed")),
        ("name", long(129)),
        ("name", json!(17)),
        ("dataStore", json!(0)),
        ("dataStore", json!(-54)),
        ("dataStore", json!("54a")),
        ("dataStore", json!(5.4)),
        ("tenantId", json!("x")),
        ("tenantId", json!(0)),
        ("description", long(257)),
        ("description", json!(["a"])),
        ("clientId", json!("")),
        ("clientId", json!("   ")),
        ("clientSecret", json!(1912308409123890_i64)),
        ("clientSecret", long(1025)),
        (
            "authorizeURI",
            json!("accounts.google.com/o/oauth2/v2/auth"),
        ),
        ("authorizeURI", json!("ftp://accounts.google.com/")),
        ("tokenURI", json!("not a url")),
        ("tokenURI", json!("javascript:alert(1)")),
        ("scope", json!("")),
        ("scope", json!({"a": 1})),
    ];
    for (field, value) in cases {
        let mut body = app_body("Valid_name");
        body[field] = value.clone();
        let r = app.admin(Method::POST, PATH, Some(body)).await;
        let message = r.envelope(400, codes::INVALID_FIELD);
        assert!(
            message.contains(&format!("'{field}'")),
            "{field}={value}: {message}"
        );
    }
    for field in [
        "name",
        "dataStore",
        "clientId",
        "clientSecret",
        "authorizeURI",
        "tokenURI",
        "scope",
    ] {
        for absent in [None, Some(Value::Null)] {
            let mut body = app_body("Valid_name");
            match &absent {
                None => drop(body.as_object_mut().unwrap().remove(field)),
                Some(null) => body[field] = null.clone(),
            }
            let r = app.admin(Method::POST, PATH, Some(body)).await;
            let message = r.envelope(400, codes::INVALID_FIELD);
            assert_eq!(message, format!("Missing required field '{field}'"));
        }
    }
    // The same rules hold on update, and a failed update changes nothing.
    let created = app.create_app("Kept").await;
    let id = created["id"].as_i64().unwrap();
    let mut body = app_body("Kept");
    body["tokenURI"] = json!("nope");
    let r = app
        .admin(Method::PUT, &format!("{PATH}/{id}"), Some(body))
        .await;
    r.envelope(400, codes::INVALID_FIELD);
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(
        r.json()["tokenURI"],
        "https://www.googleapis.com/oauth2/v3/token"
    );
    assert_eq!(app.count_rows("oauth-apps", "oauth_apps"), 1);
}

#[tokio::test]
async fn names_are_unique_per_tenant() {
    let app = spawn_stack().await;
    app.create_app("Taken").await;
    let r = app.admin(Method::POST, PATH, Some(app_body("Taken"))).await;
    let message = r.envelope(409, codes::CONFLICT);
    assert!(message.contains("Taken"), "{message}");
    // Another tenant may use the name.
    let mut body = app_body("Taken");
    body["tenantId"] = json!(app.create_tenant("Tenant_303").await);
    let r = app.admin(Method::POST, PATH, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Renaming onto a taken name is refused too.
    let other = app.create_app("Other").await;
    let r = app
        .admin(
            Method::PUT,
            &format!("{PATH}/{}", other["id"]),
            Some(app_body("Taken")),
        )
        .await;
    r.envelope(409, codes::CONFLICT);
}

#[tokio::test]
async fn the_tenant_filter_narrows_the_list() {
    let app = spawn_stack().await;
    app.create_app("In_system").await;
    let tenant = app.create_tenant("Tenant_303").await;
    let mut body = app_body("In_303");
    body["tenantId"] = json!(tenant);
    assert_eq!(app.admin(Method::POST, PATH, Some(body)).await.status, 201);
    let r = app
        .admin(Method::GET, &format!("{PATH}?tenantId={tenant}"), None)
        .await;
    let names: Vec<_> = r.json()["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("In_303")]);
}

/// An administrator may put an application in any tenant, but only one that exists: the
/// gateway, which keeps the tenants, refuses the others before oauth-apps stores anything.
#[tokio::test]
async fn applications_go_only_to_tenants_that_exist() {
    let app = spawn_stack().await;
    let mut body = app_body("Nowhere_App");
    for tenant in [json!(9_223_372_036_854_775_807_i64), json!(2), json!("77")] {
        body["tenantId"] = tenant.clone();
        let r = app.admin(Method::POST, PATH, Some(body.clone())).await;
        let message = r.envelope(400, codes::INVALID_FIELD);
        assert!(message.contains("'tenantId'"), "{tenant}: {message}");
    }
    assert_eq!(app.count_rows("oauth-apps", "oauth_apps"), 0);

    let id = app.create_app("Somewhere_App").await["id"].clone();
    body["tenantId"] = json!(4242);
    let r = app
        .admin(Method::PUT, &format!("{PATH}/{id}"), Some(body.clone()))
        .await;
    r.envelope(400, codes::INVALID_FIELD);
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(r.json()["tenantId"], 1);
    assert_eq!(r.json()["name"], "Somewhere_App");

    // A tenant that exists is accepted, by id as a number or as a string of digits.
    let tenant = app.create_tenant("Tenant_B").await;
    for (n, given) in [json!(tenant), json!(tenant.to_string())]
        .into_iter()
        .enumerate()
    {
        let mut body = app_body(&format!("There_{n}"));
        body["tenantId"] = given;
        let r = app.admin(Method::POST, PATH, Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json()["tenantId"], tenant);
    }
}
