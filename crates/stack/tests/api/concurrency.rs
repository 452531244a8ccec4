//! Many clients racing for the same name: the database's unique index decides, so exactly one
//! create wins and every other one is 409 in the envelope, with one row stored.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{app_body, codes, profile_body, spawn_stack, TestStack};

const RACERS: usize = 50;

/// Sends `RACERS` creates of `body` to `path` at once; asserts one 201 and the rest 409.
async fn race(app: &TestStack, path: &str, body: Value) {
    let replies =
        join_all((0..RACERS).map(|_| app.admin(Method::POST, path, Some(body.clone())))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created, 1,
        "{path}: {created} creates of one name succeeded"
    );
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.envelope(409, codes::CONFLICT);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_creates_of_one_name_give_one_201_and_the_rest_409() {
    let app = spawn_stack().await;

    race(&app, "/api/mgmt/oauthapps", app_body("Raced_App")).await;
    assert_eq!(app.count_rows("oauth-apps", "oauth_apps"), 1);

    let oauth_app = app.create_app("For_Profiles").await;
    race(
        &app,
        "/api/mgmt/oauthprofiles",
        profile_body("Raced_Profile", &oauth_app["id"]),
    )
    .await;
    assert_eq!(app.count_rows("oauth-profiles", "oauth_profiles"), 1);

    race(
        &app,
        "/api/mgmt/oauth/client/applications",
        json!({"name": "Raced_Client", "redirectUrls": ["https://example.com/callback"]}),
    )
    .await;
    assert_eq!(app.count_rows("client-registration", "client_apps"), 1);
}
