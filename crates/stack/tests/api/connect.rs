//! Profiles that stay connected (docs/connect.md), through the gateway on real HTTP, against a
//! real OAuth provider (oauth2-mock-server, [`crate::provider`]) on loopback: the connect
//! flow, refresh and rotation, `invalid_grant` after revocation, a provider down, failing or
//! slow, the single flight of 50 callers on two replicas, and the SSRF rule.
//!
//! Skipped, with the reason printed, only when `node` is missing.

use std::time::{Duration, Instant};

use api_common::fields::PrivateUris;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use stack::{Running, SecretKeyFiles};

use crate::helpers::{codes, spawn_stack_with, TestStack, ADMIN, ADMIN_PASSWORD};
use crate::provider::{Provider, CLIENT_ID, CLIENT_SECRET};

const REAUTHORIZE: &str = "222207720";
const PROVIDER_FAILED: &str = "222200092";
const PROVIDER_TIMEOUT: &str = "222200093";
const INVALID_QUERY: &str = "222200003";

/// A stack whose services may call loopback providers, with a short provider timeout.
async fn stack() -> TestStack {
    spawn_stack_with(|config| {
        config.providers.allow_private_uris = PrivateUris::ALLOWED;
        config.providers.timeout_ms = 1_500;
        config.providers.deadline_ms = 5_000;
        config.metrics_host = Some("127.0.0.1".to_owned());
    })
    .await
}

/// `hdp_token_refreshes_total{outcome="<outcome>"}` on oauth-profiles' metrics listener.
async fn refreshes_counted(t: &TestStack, outcome: &str) -> f64 {
    let port = t.stack.oauth_profiles.metrics_port.unwrap();
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!("hdp_token_refreshes_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0.0, |value| value.parse().unwrap())
}

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn provider_app(name: &str, provider: &Provider, method: Option<&str>) -> Value {
    let mut body = json!({
        "name": name,
        "dataStore": 54,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "authorizeURI": provider.url("/authorize"),
        "tokenURI": provider.url("/token"),
        "scope": "openid offline_access",
    });
    if let Some(method) = method {
        body["tokenAuthMethod"] = json!(method);
    }
    body
}

async fn create_app(t: &TestStack, body: Value) -> i64 {
    let r = t
        .admin(Method::POST, "/api/mgmt/oauthapps", Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

/// Runs the flow as a browser would: connect (as the administrator), the provider's
/// authorization endpoint, then its redirect to the callback, which carries no credentials.
/// The callback's answer.
async fn connect(t: &TestStack, app_id: i64, name: &str) -> (StatusCode, Value) {
    let browser = browser();
    let started = browser
        .get(format!(
            "{}/api/mgmt/oauthprofiles/connect?oauthAppId={app_id}&name={name}&description=via%20connect",
            t.base
        ))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 302, "{}", started.text().await.unwrap());
    let authorize = location(&started);
    let back = browser.get(&authorize).send().await.unwrap();
    assert_eq!(back.status(), 302, "the provider redirects back");
    let callback = location(&back);
    assert!(
        callback.starts_with(&format!("{}/api/mgmt/oauthprofiles/callback?", t.base)),
        "{callback}"
    );
    let done = browser.get(&callback).send().await.unwrap();
    let status = done.status();
    let text = done.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn profile(t: &TestStack, id: i64) -> Value {
    let r = t
        .admin(Method::GET, &format!("/api/mgmt/oauthprofiles/{id}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

async fn token(t: &TestStack, id: i64) -> crate::helpers::Reply {
    t.admin(
        Method::GET,
        &format!("/api/mgmt/oauthprofiles/{id}/token"),
        None,
    )
    .await
}

async fn refresh(t: &TestStack, id: i64) -> crate::helpers::Reply {
    t.admin(
        Method::POST,
        &format!("/api/mgmt/oauthprofiles/{id}/refresh"),
        None,
    )
    .await
}

/// Makes profile `id`'s access token expire (as an hour passing would).
fn expire(t: &TestStack, id: i64) {
    t.execute_sql(
        "oauth-profiles",
        &format!("UPDATE oauth_profiles SET expires_at = '2000-01-01 00:00:00' WHERE id = {id}"),
    );
}

#[tokio::test]
async fn connect_refresh_rotate_and_reauthorize_against_a_real_provider() {
    let Some(provider) = Provider::start("connect_refresh_rotate_and_reauthorize") else {
        return;
    };
    let t = stack().await;
    let app = create_app(&t, provider_app("idp", &provider, None)).await;

    // The redirect carries what RFC 6749 and RFC 7636 ask for.
    let started = browser()
        .get(format!(
            "{}/api/mgmt/oauthprofiles/connect?oauthAppId={app}&name=first",
            t.base
        ))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 302);
    let url = reqwest::Url::parse(&location(&started)).unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert!(url.as_str().starts_with(&provider.url("/authorize?")));
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["scope"], "openid offline_access");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["code_challenge"].len(), 43);
    assert_eq!(
        query["redirect_uri"],
        format!("{}/api/mgmt/oauthprofiles/callback", t.base)
    );
    let state = query["state"].clone();
    assert!(state.len() >= 43);
    // Only its hash is stored.
    assert!(!t.database_text("oauth-profiles").contains(&state));

    // The whole flow: 201 with the provider's tokens.
    let (status, created) = connect(&t, app, "conn").await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "conn");
    assert_eq!(created["description"], "via connect");
    assert_eq!(created["oauthAppId"], app);
    assert_eq!(created["status"], "active");
    let access = created["accessToken"].as_str().unwrap().to_owned();
    let first_refresh = created["refreshToken"].as_str().unwrap().to_owned();
    assert!(created["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(provider.count("authorization_code").await, 1);
    assert_eq!(provider.methods().await, ["client_secret_post"]);
    let id = created["id"].as_i64().unwrap();
    let read = profile(&t, id).await;
    assert_eq!(read["accessToken"], access.as_str());
    assert_eq!(read["status"], "active");
    // Sealed at rest.
    let stored = t.database_text("oauth-profiles");
    assert!(!stored.contains(&access) && !stored.contains(&first_refresh));

    // A valid token is handed out as stored, without asking the provider.
    let r = token(&t, id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["accessToken"], access.as_str());
    assert_eq!(r.json()["expiresAt"], read["expiresAt"]);
    assert_eq!(provider.count("refresh_token").await, 0);

    // Refresh: new tokens, the rotated refresh token kept.
    let r = refresh(&t, id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let refreshed = r.json();
    assert_ne!(refreshed["accessToken"], access.as_str());
    let second_refresh = refreshed["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(provider.count("refresh_token").await, 1);
    // The provider accepts the rotated one: a second refresh works.
    let r = refresh(&t, id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_ne!(r.json()["refreshToken"], second_refresh.as_str());

    // An expired token is refreshed by /token.
    expire(&t, id);
    let r = token(&t, id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(provider.count("refresh_token").await, 3);
    assert_eq!(
        r.json()["accessToken"],
        profile(&t, id).await["accessToken"]
    );

    // The provider revokes: 409 naming re-connection, status changed, tokens untouched.
    let before = profile(&t, id).await;
    provider.revoke_all().await;
    let message = refresh(&t, id).await.envelope(409, REAUTHORIZE);
    assert!(message.contains("connect"), "{message}");
    let after = profile(&t, id).await;
    assert_eq!(after["status"], "reauthorization_required");
    assert_eq!(after["accessToken"], before["accessToken"]);
    assert_eq!(after["refreshToken"], before["refreshToken"]);
    // The metrics count each refresh at the provider by its outcome.
    assert_eq!(refreshes_counted(&t, "success").await, 3.0);
    assert_eq!(refreshes_counted(&t, "invalid_grant").await, 1.0);
    // /token says so too, without asking the provider again.
    let asked = provider.count("refresh_token").await;
    expire(&t, id);
    token(&t, id).await.envelope(409, REAUTHORIZE);
    assert_eq!(provider.count("refresh_token").await, asked);

    // A name already taken is refused before the provider is visited.
    let r = t
        .admin(
            Method::GET,
            &format!("/api/mgmt/oauthprofiles/connect?oauthAppId={app}&name=conn"),
            None,
        )
        .await;
    r.envelope(409, codes::CONFLICT);
}

#[tokio::test]
async fn the_callback_takes_its_state_once_and_nothing_else() {
    let Some(provider) = Provider::start("the_callback_takes_its_state_once") else {
        return;
    };
    let t = stack().await;
    let app = create_app(
        &t,
        provider_app("idp", &provider, Some("client_secret_basic")),
    )
    .await;
    let read = t
        .admin(Method::GET, &format!("/api/mgmt/oauthapps/{app}"), None)
        .await;
    assert_eq!(read.json()["tokenAuthMethod"], "client_secret_basic");
    assert!(read.json().get("clientSecret").is_none());
    let browser = browser();
    let started = browser
        .get(format!(
            "{}/api/mgmt/oauthprofiles/connect?oauthAppId={app}&name=once",
            t.base
        ))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    let back = browser.get(location(&started)).send().await.unwrap();
    let callback = location(&back);
    let first = browser.get(&callback).send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(provider.methods().await, ["client_secret_basic"]);
    // Replayed: the state is gone.
    let again = crate::helpers::reply(browser.get(&callback)).await;
    again.envelope(400, INVALID_QUERY);
    assert_eq!(provider.count("authorization_code").await, 1);

    // Unknown, missing, odd states; the provider's refusal; no code.
    for query in [
        "code=x&state=nope",
        "code=x",
        "code=x&state=",
        "code=x&state=%00%0d%0a",
        "error=access_denied&state=zzz",
    ] {
        let r = crate::helpers::reply(browser.get(format!(
            "{}/api/mgmt/oauthprofiles/callback?{query}",
            t.base
        )))
        .await;
        r.envelope(400, INVALID_QUERY);
    }
    // The provider's refusal consumes the flow's state.
    let started = browser
        .get(format!(
            "{}/api/mgmt/oauthprofiles/connect?oauthAppId={app}&name=denied",
            t.base
        ))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    let url = reqwest::Url::parse(&location(&started)).unwrap();
    let state: String = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let denied = format!(
        "{}/api/mgmt/oauthprofiles/callback?error=access_denied%0d%0aX-Evil:%201&state={state}",
        t.base
    );
    let message = crate::helpers::reply(browser.get(&denied))
        .await
        .envelope(400, INVALID_QUERY);
    assert!(
        message.contains("access_denied") && !message.contains('\n'),
        "{message}"
    );
    crate::helpers::reply(browser.get(&denied))
        .await
        .envelope(400, INVALID_QUERY);
    assert_eq!(t.count_rows("oauth-profiles", "oauth_profiles"), 1);

    // Connect needs credentials and permissions like any profile route; the callback route
    // opens nothing else of the profiles' routes without credentials.
    let r = crate::helpers::reply(browser.get(format!(
        "{}/api/mgmt/oauthprofiles/connect?oauthAppId={app}&name=x",
        t.base
    )))
    .await;
    r.envelope(401, codes::UNAUTHENTICATED);
    for path in [
        "/api/mgmt/oauthprofiles/1",
        "/api/mgmt/oauthprofiles/1/token",
    ] {
        let r = crate::helpers::reply(browser.get(format!("{}{path}", t.base))).await;
        r.envelope(401, codes::UNAUTHENTICATED);
    }
    // Bad connect input: the envelope, naming the field.
    for (query, field) in [
        ("oauthAppId=abc&name=x", "oauthAppId"),
        ("name=x", "oauthAppId"),
        (&format!("oauthAppId={app}") as &str, "name"),
        (&format!("oauthAppId={app}&name=a%0db") as &str, "name"),
        (
            &format!("oauthAppId={app}&name=ok&description=%e2%80%ae") as &str,
            "description",
        ),
    ] {
        let r = t
            .admin(
                Method::GET,
                &format!("/api/mgmt/oauthprofiles/connect?{query}"),
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert!(r.text.contains(field), "{query}: {}", r.text);
    }
    let r = t
        .admin(
            Method::GET,
            "/api/mgmt/oauthprofiles/connect?oauthAppId=999&name=x",
            None,
        )
        .await;
    r.envelope(400, codes::INVALID_APP_ID);
}

#[tokio::test]
async fn a_provider_down_failing_or_slow_changes_nothing_stored() {
    let Some(mut provider) = Provider::start("a_provider_down_failing_or_slow") else {
        return;
    };
    let t = stack().await;
    let app = create_app(&t, provider_app("idp", &provider, None)).await;
    let (status, created) = connect(&t, app, "kept").await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let stored = profile(&t, id).await;

    // 5xx: retried, then 502.
    provider.fail(503).await;
    let started = Instant::now();
    let message = refresh(&t, id).await.envelope(502, PROVIDER_FAILED);
    assert!(message.contains("503"), "{message}");
    assert_eq!(provider.count("refresh_token").await, 3, "three attempts");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(profile(&t, id).await, stored);
    provider.reset().await;

    // Slow: 504 within the deadline, not retried (the refresh token may have been used).
    provider.delay(4_000).await;
    let before = provider.count("arrivals").await;
    let started = Instant::now();
    refresh(&t, id).await.envelope(504, PROVIDER_TIMEOUT);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(provider.count("arrivals").await, before + 1);
    assert_eq!(profile(&t, id).await, stored);
    provider.reset().await;

    // A fresh profile, then the provider stopped: 502, the profile intact.
    let (status, second) = connect(&t, app, "second").await;
    assert_eq!(status, 201, "{second}");
    let second_id = second["id"].as_i64().unwrap();
    expire(&t, second_id);
    let stored = profile(&t, second_id).await;
    provider.stop();
    refresh(&t, second_id).await.envelope(502, PROVIDER_FAILED);
    assert_eq!(profile(&t, second_id).await, stored);
    // After a failure, /token backs off: 503 with Retry-After at once.
    let started = Instant::now();
    let r = token(&t, second_id).await;
    r.envelope(503, codes::UNAVAILABLE);
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert!(started.elapsed() < Duration::from_secs(1));
    // A token still valid is handed out during the back-off.
    t.execute_sql(
        "oauth-profiles",
        &format!(
            "UPDATE oauth_profiles SET expires_at = '2999-01-01 00:00:00' WHERE id = {second_id}"
        ),
    );
    let r = token(&t, second_id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["accessToken"], stored["accessToken"]);
}

/// 50 concurrent `GET .../token` on an expired profile, half through each of two gateways, each
/// with its own oauth-profiles replica on the one database: one refresh at the provider, one
/// new token for all.
#[tokio::test]
async fn fifty_callers_on_two_replicas_make_one_refresh() {
    let Some(provider) = Provider::start("fifty_callers_on_two_replicas") else {
        return;
    };
    let t = stack().await;
    let app = create_app(&t, provider_app("idp", &provider, None)).await;
    let (status, created) = connect(&t, app, "shared").await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (mut profiles, mut gateway, second_base) = second_replica(&t);
    expire(&t, id);
    // Slow enough that every caller arrives while the refresh is under way.
    provider.delay(300).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let calls = (0..50).map(|n| {
        let base = if n % 2 == 0 { &t.base } else { &second_base };
        let request = client
            .get(format!("{base}/api/mgmt/oauthprofiles/{id}/token"))
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD));
        crate::helpers::reply(request)
    });
    let replies = futures_util::future::join_all(calls).await;
    let tokens: std::collections::HashSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text);
            r.json()["accessToken"].as_str().unwrap().to_owned()
        })
        .collect();
    let refreshes = provider.count("refresh_token").await;
    println!(
        "single flight: 50 callers on 2 replicas, {refreshes} refresh request(s) at the provider"
    );
    assert_eq!(refreshes, 1);
    assert_eq!(tokens.len(), 1, "everyone gets the one new token");
    assert_ne!(
        tokens.iter().next().unwrap(),
        created["accessToken"].as_str().unwrap()
    );
    gateway.stop(true).await;
    profiles.stop(true).await;
}

/// A second oauth-profiles replica on the stack's database and keys, and a second gateway
/// in front of it; the gateway's base URL.
fn second_replica(t: &TestStack) -> (Running, Running, String) {
    let keys_dir = t.stack.data_dir.join("keys");
    let keys = internal_auth::load_or_generate_key_pair(&keys_dir).unwrap();
    let secrets = SecretKeyFiles::load_or_generate(&keys_dir).unwrap();
    let local = |port: u16| format!("http://127.0.0.1:{port}");
    let profiles = oauth_profiles::build(&oauth_profiles::Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url: t.database_urls["oauth-profiles"].clone(),
        token_public_key_file: keys.public_key.clone(),
        oauth_apps_url: local(t.stack.oauth_apps.port),
        peer_timeout_ms: 10_000,
        pool_size: 8,
        workers: Some(1),
        max_body_bytes: 256 * 1024,
        encryption_keys: None,
        encryption_keys_file: secrets.oauth_profiles,
        encryption_active_key: None,
        metrics_addr: None,
        providers: t.config.providers.clone(),
    })
    .unwrap();
    let profiles = Running::spawn("oauth-profiles", profiles);
    let gateway = gateway::build(&gateway::Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url: t.database_urls["gateway"].clone(),
        token_signing_key_file: keys.private_key,
        oauth_apps_url: local(t.stack.oauth_apps.port),
        oauth_profiles_url: local(profiles.port),
        client_registration_url: local(t.stack.client_registration.port),
        admin_user: ADMIN.to_owned(),
        admin_password: Some(ADMIN_PASSWORD.to_owned()),
        upstream_timeout_ms: 10_000,
        auth_cache_secs: 30,
        user_cache_ms: 1_000,
        token_ttl_secs: 60,
        pool_size: 8,
        workers: Some(1),
        max_body_bytes: 256 * 1024,
        password_checks: 4,
        password_queue: 64,
        metrics_addr: None,
        public_url: None,
    })
    .unwrap();
    let gateway = Running::spawn("gateway", gateway);
    let base = local(gateway.port);
    (profiles, gateway, base)
}

#[tokio::test]
async fn inward_provider_addresses_are_refused_in_every_notation() {
    let t = crate::helpers::spawn_stack().await;
    for url in [
        "http://127.0.0.1/token",
        "http://127.0.0.1:9000/token",
        "http://[::1]/token",
        "http://[::ffff:127.0.0.1]/token",
        "http://10.0.0.1/token",
        "http://10.255.1.2/token",
        "http://172.16.0.1/token",
        "http://192.168.0.10/token",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/token",
        "http://[fd00::1]/token",
        "http://0.0.0.0/token",
        "http://localhost/token",
        "http://LocalHost:8080/token",
        "http://oauth.localhost/token",
        "http://2130706433/token",
        "http://0177.0.0.1/token",
        "http://0x7f.0.0.1/token",
        "http://127.1/token",
    ] {
        for field in ["authorizeURI", "tokenURI"] {
            let mut body = crate::helpers::app_body("inward");
            body[field] = json!(url);
            let r = t
                .admin(Method::POST, "/api/mgmt/oauthapps", Some(body))
                .await;
            let message = r.envelope(400, codes::INVALID_FIELD);
            assert!(message.contains(field), "{url}: {message}");
        }
    }
    // An update is held to the same rule.
    let app = t.create_app("public").await;
    let mut body = crate::helpers::app_body("public");
    body["tokenURI"] = json!("http://[::ffff:a9fe:a9fe]/latest");
    let r = t
        .admin(
            Method::PUT,
            &format!("/api/mgmt/oauthapps/{}", app["id"]),
            Some(body),
        )
        .await;
    r.envelope(400, codes::INVALID_FIELD);
    // tokenAuthMethod: optional, one of two names.
    let mut body = crate::helpers::app_body("method");
    body["tokenAuthMethod"] = json!("client_secret_jwt");
    t.admin(Method::POST, "/api/mgmt/oauthapps", Some(body))
        .await
        .envelope(400, codes::INVALID_FIELD);
    assert_eq!(t.count_rows("oauth-apps", "oauth_apps"), 1);
    assert!(app.get("tokenAuthMethod").is_none(), "{app}");
}

/// A name that resolves to loopback passes the check of the URL (no DNS look-up there) and is
/// refused when called, on the addresses it resolves to.
#[tokio::test]
async fn a_name_that_resolves_inward_is_refused_when_called() {
    let Some(provider) = Provider::start("a_name_that_resolves_inward") else {
        return;
    };
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let inward = tokio::net::lookup_host((host.as_str(), 0))
        .await
        .map(|mut addrs| addrs.all(|a| api_common::fields::is_inward_ip(a.ip())))
        .unwrap_or(false);
    assert!(
        inward && !host.is_empty(),
        "this machine's name ({host:?}) should resolve to loopback or a private address"
    );
    let t = stack().await;
    let mut body = provider_app("named", &provider, None);
    let app = create_app(&t, body.clone()).await;
    let (status, created) = connect(&t, app, "named").await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    body["tokenURI"] = json!(format!("http://{host}:{}/token", provider.port));
    let r = t
        .admin(
            Method::PUT,
            &format!("/api/mgmt/oauthapps/{app}"),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The same services, now refusing inward addresses.
    let mut t = t;
    t.config.providers.allow_private_uris = PrivateUris::REFUSED;
    let t = t.restart().await;
    let message = refresh(&t, id).await.envelope(502, PROVIDER_FAILED);
    assert!(message.contains("non-public"), "{message}");
    assert_eq!(provider.count("refresh_token").await, 0);
}

/// Connect needs MgmtAPI (11) and CreateDataSource (1), refresh ModifyDataSource (3), `/token`
/// ViewDataSource (2); another user's profile is 404; `?user=` connects for that user.
#[tokio::test]
async fn each_operation_needs_its_permission_and_profiles_stay_their_owners() {
    let Some(provider) = Provider::start("each_operation_needs_its_permission") else {
        return;
    };
    let t = stack().await;
    let app = create_app(&t, provider_app("idp", &provider, None)).await;
    const PASSWORD: &str = "user-password-1";
    for (name, permissions) in [
        ("viewer", json!([11, 2])),
        ("creator", json!([11, 1])),
        ("modifier", json!([11, 3])),
        ("all", json!([11, 1, 2, 3, 4])),
    ] {
        let body = json!({"userName": name, "password": PASSWORD, "tenantId": 1, "permissions": permissions});
        let r = t.admin(Method::POST, "/api/admin/users", Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // The administrator connects a profile on behalf of `all`.
    let browser = browser();
    let started = browser
        .get(format!(
            "{}/api/mgmt/oauthprofiles/connect?oauthAppId={app}&name=theirs&user=all",
            t.base
        ))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 302);
    let back = browser.get(location(&started)).send().await.unwrap();
    let done = crate::helpers::reply(browser.get(location(&back))).await;
    assert_eq!(done.status, 201, "{}", done.text);
    let id = done.json()["id"].as_i64().unwrap();
    let as_user = |user: &'static str, method: Method, path: String| {
        let t = &t;
        async move { t.call(method, &path, Some((user, PASSWORD)), None).await }
    };
    let connect = format!("/api/mgmt/oauthprofiles/connect?oauthAppId={app}&name=mine");
    let refresh = format!("/api/mgmt/oauthprofiles/{id}/refresh");
    let token = format!("/api/mgmt/oauthprofiles/{id}/token");
    for user in ["viewer", "modifier"] {
        as_user(user, Method::GET, connect.clone())
            .await
            .envelope(403, "222200011");
    }
    let creator = browser
        .get(format!("{}{connect}", t.base))
        .basic_auth("creator", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(creator.status(), 302);
    for user in ["viewer", "creator"] {
        as_user(user, Method::POST, refresh.clone())
            .await
            .envelope(403, "222200011");
    }
    for user in ["creator", "modifier"] {
        as_user(user, Method::GET, token.clone())
            .await
            .envelope(403, "222200011");
    }
    // Permitted, but not their profile: 404, and the provider is not asked.
    as_user("modifier", Method::POST, refresh.clone())
        .await
        .envelope(404, codes::PROFILE_NOT_FOUND);
    as_user("viewer", Method::GET, token.clone())
        .await
        .envelope(404, codes::PROFILE_NOT_FOUND);
    assert_eq!(provider.count("refresh_token").await, 0);
    // The owner reaches it.
    let r = as_user("all", Method::POST, refresh.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = as_user("all", Method::GET, token.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(provider.count("refresh_token").await, 1);
}

/// New tokens sent with `PUT` while a refresh is under way stay: the refresh's compare-and-set
/// finds its lease gone and stores nothing.
#[tokio::test]
async fn tokens_sent_during_a_refresh_are_not_overwritten_by_it() {
    let Some(provider) = Provider::start("tokens_sent_during_a_refresh") else {
        return;
    };
    let t = stack().await;
    let app = create_app(&t, provider_app("idp", &provider, None)).await;
    let (status, created) = connect(&t, app, "raced").await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    provider.delay(1_000).await;
    let refreshing = refresh(&t, id);
    let replacing = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let body = json!({"name": "raced", "oauthAppId": app, "accessToken": "mine", "refreshToken": "mine-too"});
        t.admin(
            Method::PUT,
            &format!("/api/mgmt/oauthprofiles/{id}"),
            Some(body),
        )
        .await
    };
    let (refreshed, replaced) = tokio::join!(refreshing, replacing);
    assert_eq!(replaced.status, 204, "{}", replaced.text);
    refreshed.envelope(503, codes::UNAVAILABLE);
    let stored = profile(&t, id).await;
    assert_eq!(stored["accessToken"], "mine");
    assert_eq!(stored["refreshToken"], "mine-too");
    assert_eq!(stored["expiresAt"], Value::Null);
    assert_eq!(provider.count("refresh_token").await, 1);
}
