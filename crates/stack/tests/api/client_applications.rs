use reqwest::Method;
use serde_json::json;

use crate::helpers::{codes, spawn_stack};

const PATH: &str = "/api/mgmt/oauth/client/applications";

fn body(name: &str) -> serde_json::Value {
    json!({
        "name": name,
        "description": "Application1 for Create with all Fields",
        "redirectUrls": ["https://bedford.progresstest.com/callback", "https://americas.progresstest.com/callback"]
    })
}

#[tokio::test]
async fn the_product_sample_with_bare_host_names_is_refused_with_the_form_expected() {
    let app = spawn_stack().await;
    // Seed 004's payload as published.
    let sample = json!({
        "name": "Application1",
        "description": "Application1 for Create with all Fields",
        "redirectUrls": ["bedford.progresstest.com", "americas.progresstest.com"]
    });
    let r = app.admin(Method::POST, PATH, Some(sample)).await;
    let message = r.envelope(400, codes::INVALID_FIELD);
    assert!(message.contains("'redirectUrls'"), "{message}");
    assert!(
        message.contains("https://bedford.progresstest.com/"),
        "{message}"
    );
    assert_eq!(app.count_rows("client-registration", "client_apps"), 0);
}

#[tokio::test]
async fn register_read_list_update_reset_delete() {
    let app = spawn_stack().await;

    let r = app
        .admin(Method::POST, PATH, Some(body("Application1")))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let created = r.json();
    let id = created["id"].as_i64().expect("id is a number");
    assert_eq!(created["name"], "Application1");
    assert_eq!(created["redirectUrls"], body("x")["redirectUrls"]);
    let client_id = created["clientId"].as_str().unwrap().to_owned();
    assert_eq!(client_id.len(), 36, "{client_id}");
    assert_eq!(client_id.matches('-').count(), 4, "{client_id}");
    let secret = created["clientSecret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 22, "at least 128 bits: {secret}");

    // The secret is not stored in clear.
    if let Some(file) = app.sqlite_file("client-registration") {
        for path in [file.clone(), file.with_extension("db-wal")] {
            let raw = std::fs::read(path).unwrap_or_default();
            assert!(!String::from_utf8_lossy(&raw).contains(&secret));
        }
    }

    // Read and list: never the secret.
    let r = app.admin(Method::GET, &format!("{PATH}/{id}"), None).await;
    assert_eq!(r.status, 200);
    let read = r.json();
    assert!(read.get("clientSecret").is_none(), "{read}");
    assert_eq!(read["clientId"], client_id.as_str());
    let r = app.admin(Method::GET, PATH, None).await;
    let list = r.json();
    assert_eq!(list["applications"].as_array().unwrap().len(), 1);
    assert!(list["applications"][0].get("clientSecret").is_none());

    // Update: 200, the comma-separated form is accepted and split.
    let update = json!({"name": "Renamed", "redirectUrls": "https://a.example.com/cb, http://localhost:8400/cb"});
    let r = app
        .admin(Method::PUT, &format!("{PATH}/{id}"), Some(update))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let updated = r.json();
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(
        updated["redirectUrls"],
        json!(["https://a.example.com/cb", "http://localhost:8400/cb"])
    );
    assert!(updated.get("clientSecret").is_none());
    assert_eq!(updated["clientId"], client_id.as_str());

    // Reset: a new secret, the client id kept.
    let r = app
        .admin(Method::PUT, &format!("{PATH}/{id}/reset"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reset = r.json();
    let new_secret = reset["clientSecret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    assert_eq!(reset["clientId"], client_id.as_str());

    // Delete: 204, then 404.
    let r = app
        .admin(Method::DELETE, &format!("{PATH}/{id}"), None)
        .await;
    assert_eq!(r.status, 204);
    for (method, path) in [
        (Method::GET, format!("{PATH}/{id}")),
        (Method::DELETE, format!("{PATH}/{id}")),
        (Method::PUT, format!("{PATH}/{id}/reset")),
    ] {
        let r = app.admin(method, &path, None).await;
        r.envelope(404, codes::CLIENT_APP_NOT_FOUND);
    }
}

#[tokio::test]
async fn every_validation_rule_names_its_field() {
    let app = spawn_stack().await;
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("name", json!("")),
        ("name", json!("n".repeat(129))),
        ("name", json!(5)),
        ("description", json!("d".repeat(257))),
        ("redirectUrls", json!([])),
        ("redirectUrls", json!("")),
        ("redirectUrls", json!(["http://example.com/cb"])),
        ("redirectUrls", json!(["https://example.com/cb#frag"])),
        ("redirectUrls", json!(["javascript:alert(1)"])),
        ("redirectUrls", json!([5])),
        ("redirectUrls", json!({"url": "https://example.com"})),
    ];
    for (field, value) in cases {
        let mut b = body("Valid");
        b[field] = value.clone();
        let r = app.admin(Method::POST, PATH, Some(b)).await;
        let message = r.envelope(400, codes::INVALID_FIELD);
        assert!(
            message.contains(&format!("'{field}'")),
            "{field}={value}: {message}"
        );
    }
    for field in ["name", "redirectUrls"] {
        let mut b = body("Valid");
        b.as_object_mut().unwrap().remove(field);
        let r = app.admin(Method::POST, PATH, Some(b)).await;
        r.envelope(400, codes::INVALID_FIELD);
    }
    assert_eq!(app.count_rows("client-registration", "client_apps"), 0);
    // Duplicate names for one owner: 409.
    assert_eq!(
        app.admin(Method::POST, PATH, Some(body("Dup")))
            .await
            .status,
        201
    );
    let r = app.admin(Method::POST, PATH, Some(body("Dup"))).await;
    r.envelope(409, codes::CONFLICT);
}

#[tokio::test]
async fn lists_are_paged_with_limit_and_after() {
    let app = spawn_stack().await;
    for i in 0..105 {
        let r = app
            .admin(Method::POST, PATH, Some(body(&format!("App {i}"))))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let names = |r: &crate::helpers::Reply| -> Vec<String> {
        r.json()["applications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    // Without a limit: the documented default of 100.
    let r = app.admin(Method::GET, PATH, None).await;
    assert_eq!(names(&r).len(), 100);
    // Page by page with the last id as the cursor: every item once, in order.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let r = app
            .admin(Method::GET, &format!("{PATH}?limit=40&after={after}"), None)
            .await;
        let page = r.json()["applications"].as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 40);
        after = page.last().unwrap()["id"].as_i64().unwrap();
        seen.extend(page.iter().map(|a| a["name"].as_str().unwrap().to_owned()));
    }
    let expected: Vec<String> = (0..105).map(|i| format!("App {i}")).collect();
    assert_eq!(seen, expected);
    for bad in ["limit=0", "limit=1001", "limit=-1", "after=-3", "limit=x"] {
        for path in [PATH, "/api/mgmt/oauthprofiles", "/api/mgmt/oauthapps"] {
            let r = app.admin(Method::GET, &format!("{path}?{bad}"), None).await;
            r.envelope(400, "222200003");
        }
    }
}
