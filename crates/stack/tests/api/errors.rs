//! Whatever goes wrong, the answer is the envelope.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{codes, spawn_stack, Reply};

#[tokio::test]
async fn malformed_bodies_get_the_envelope_and_write_nothing() {
    let app = spawn_stack().await;
    let path = "/api/mgmt/oauthapps";
    let cases: Vec<(&str, &[u8], u16, &str)> = vec![
        ("application/json", b"{not json", 400, codes::MALFORMED),
        ("application/json", b"[1,2,3]", 400, codes::MALFORMED),
        ("application/json", b"", 400, codes::MALFORMED),
        ("application/json", b"\xff\xfe{}", 400, codes::MALFORMED),
        (
            "application/json",
            br#"{"name":"a","name":"b"}"#,
            400,
            codes::MALFORMED,
        ),
        ("text/plain", b"{}", 415, codes::UNSUPPORTED_MEDIA_TYPE),
    ];
    for (content_type, body, status, code) in cases {
        let r = app
            .raw(Method::POST, path, content_type, body.to_vec())
            .await;
        r.envelope(status, code);
    }
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = app
        .raw(Method::POST, path, "application/json", nested.into_bytes())
        .await;
    r.envelope(400, codes::MALFORMED);
    assert_eq!(app.count_rows("oauth-apps", "oauth_apps"), 0);
}

#[tokio::test]
async fn too_large_a_body_is_413_in_the_envelope() {
    let app = spawn_stack().await;
    let huge = json!({"name": "x", "description": "d".repeat(400 * 1024)});
    for path in ["/api/mgmt/oauthapps", "/api/mgmt/oauthprofiles"] {
        let r = app.admin(Method::POST, path, Some(huge.clone())).await;
        r.envelope(413, codes::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_envelope() {
    let app = spawn_stack().await;
    for path in [
        "/api/mgmt/unknown",
        "/api/mgmt/oauthappsX",
        "/api/mgmt/oauthapps/1/extra",
    ] {
        let r = app.admin(Method::GET, path, None).await;
        r.envelope(404, codes::ROUTE_NOT_FOUND);
    }
    let r = app.call(Method::GET, "/", None, None).await;
    r.envelope(404, codes::ROUTE_NOT_FOUND);
    let r = app.admin(Method::PATCH, "/api/mgmt/oauthapps", None).await;
    r.envelope(405, codes::METHOD_NOT_ALLOWED);
    let r = app
        .admin(Method::POST, "/api/mgmt/oauthprofiles/1", Some(json!({})))
        .await;
    r.envelope(405, codes::METHOD_NOT_ALLOWED);
    let r = app
        .admin(Method::DELETE, "/api/mgmt/oauth/client/applications", None)
        .await;
    r.envelope(405, codes::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn malformed_ids_in_paths_are_400() {
    let app = spawn_stack().await;
    for path in [
        "/api/mgmt/oauthapps/abc",
        "/api/mgmt/oauthprofiles/-1",
        "/api/mgmt/oauth/client/applications/0",
        "/api/mgmt/oauthapps/99999999999999999999",
    ] {
        let r = app.admin(Method::GET, path, None).await;
        let message = r.envelope(400, codes::INVALID_PATH);
        assert!(message.contains("Invalid id"), "{message}");
    }
}

#[tokio::test]
async fn a_bad_query_string_is_400_in_the_envelope() {
    let app = spawn_stack().await;
    let r = app
        .admin(Method::GET, "/api/mgmt/oauthapps?tenantId=abc", None)
        .await;
    r.envelope(400, "222200003");
}

#[tokio::test]
async fn numbers_out_of_range_are_400_and_write_nothing() {
    let app = spawn_stack().await;
    let oauth_app = app.create_app("Ranged").await;
    let app_id = oauth_app["id"].as_i64().unwrap();
    for number in [
        "1e400",
        "-1e400",
        "99999999999999999999",
        "9223372036854775808",
        "-1",
        "0",
        "1.5",
        "NaN",
    ] {
        let profile = format!(r#"{{"name":"P","oauthAppId":{number},"refreshToken":"r"}}"#);
        let r = app
            .raw(
                Method::POST,
                "/api/mgmt/oauthprofiles",
                "application/json",
                profile.into_bytes(),
            )
            .await;
        assert_bad_number(&r);
        let store = format!(
            r#"{{"name":"A","dataStore":{number},"clientId":"c","clientSecret":"s","authorizeURI":"https://a.example.com/a","tokenURI":"https://a.example.com/t","scope":"s"}}"#
        );
        let r = app
            .raw(
                Method::POST,
                "/api/mgmt/oauthapps",
                "application/json",
                store.into_bytes(),
            )
            .await;
        assert_bad_number(&r);
    }
    let r = app
        .raw(
            Method::PUT,
            &format!("/api/mgmt/oauthapps/{app_id}"),
            "application/json",
            br#"{"name":"Ranged","dataStore":1e400}"#.to_vec(),
        )
        .await;
    assert_bad_number(&r);
    assert_eq!(app.count_rows("oauth-profiles", "oauth_profiles"), 0);
    assert_eq!(app.count_rows("oauth-apps", "oauth_apps"), 1);
}

/// 400 in the envelope: not JSON at all (`1e400` does not fit a JSON number we read, `NaN` is
/// not JSON) or a field that is not a positive id.
fn assert_bad_number(r: &Reply) {
    let code = r.json()["error"]["code"].clone();
    let expected = if code == codes::MALFORMED {
        codes::MALFORMED
    } else {
        codes::INVALID_FIELD
    };
    r.envelope(400, expected);
}
