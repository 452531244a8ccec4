//! The authorization server through the gateway: the authorize endpoint's errors (RFC 6749
//! 4.1.2.1 and the error page), the Basic POST, the sign-in and consent forms with their CSRF
//! tokens, sessions across replicas, the password grant, and Bearer access tokens on
//! `/api/mgmt` (the authorization matrix extended to them). Real HTTP on loopback; no redirect
//! is followed, cookies are carried by hand.

use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use stack::Running;

use crate::helpers::{codes, reply, spawn_stack, Reply, TestStack, ADMIN, ADMIN_PASSWORD};

const PASSWORD: &str = "a-long-enough-password";
const REDIRECT: &str = "https://client.example/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const STATE: &str = "af0ifjsldkj";
const MGMT: &str = "api.access.mgmt";

/// The stack, two users with an application each, and a client that follows no redirect.
struct Oauth {
    app: TestStack,
    http: reqwest::Client,
    /// alice's client application: (id, clientId, clientSecret).
    client: (i64, String, String),
    /// bob's.
    bobs: (i64, String, String),
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn create_user(app: &TestStack, name: &str) -> i64 {
    let body = json!({"userName": name, "password": PASSWORD, "tenantId": 1, "permissions": [11]});
    let r = app
        .admin(Method::POST, "/api/admin/users", Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

async fn register(app: &TestStack, user: &str, name: &str, urls: &[&str]) -> (i64, String, String) {
    let body = json!({"name": name, "redirectUrls": urls});
    let r = app
        .call(
            Method::POST,
            "/api/mgmt/oauth/client/applications",
            Some((user, PASSWORD)),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let created = r.json();
    (
        created["id"].as_i64().unwrap(),
        created["clientId"].as_str().unwrap().to_owned(),
        created["clientSecret"].as_str().unwrap().to_owned(),
    )
}

async fn setup() -> Oauth {
    let app = spawn_stack().await;
    create_user(&app, "alice").await;
    create_user(&app, "bob").await;
    let client = register(&app, "alice", "Alice's <b>reader</b>", &[REDIRECT]).await;
    let bobs = register(&app, "bob", "Bob's app", &["https://bob.example/cb"]).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Oauth {
        app,
        http,
        client,
        bobs,
    }
}

/// `name=value&...`, form-encoded.
fn query(pairs: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish()
}

/// The query parameters of a reply's `Location`.
fn location(r: &Reply) -> HashMap<String, String> {
    let location = r
        .headers
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location ({}): {}", r.status, r.text))
        .to_str()
        .unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The value of the hidden input `name` of a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name}: {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// The value of cookie `name` set by a reply, with its attributes.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

fn assert_page_headers(r: &Reply) {
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.headers["referrer-policy"], "no-referrer");
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(
        !csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
}

impl Oauth {
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("response_type", "code".into()),
            ("client_id", self.client.1.clone()),
            ("redirect_uri", REDIRECT.into()),
            ("scope", MGMT.into()),
            ("state", STATE.into()),
            ("code_challenge", challenge(VERIFIER)),
            ("code_challenge_method", "S256".into()),
        ]
    }

    fn url(&self, prefix: &str, params: &[(&str, String)]) -> String {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        format!(
            "{}{prefix}/oauth2/authorize?{}",
            self.app.base,
            query(&pairs)
        )
    }

    async fn get(&self, params: &[(&str, String)], cookies: &[&str]) -> Reply {
        let mut request = self.http.get(self.url("", params));
        if !cookies.is_empty() {
            request = request.header("cookie", cookies.join("; "));
        }
        reply(request).await
    }

    /// The non-browser POST: Basic credentials and `consent`.
    async fn basic(
        &self,
        user: &str,
        password: &str,
        params: &[(&str, String)],
        consent: &str,
    ) -> Reply {
        reply(
            self.http
                .post(self.url("/api/mgmt", params))
                .basic_auth(user, Some(password))
                .form(&[("consent", consent)]),
        )
        .await
    }

    /// A form posted to the authorize endpoint.
    async fn post_form(&self, fields: &[(&str, &str)], cookies: &[&str]) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/oauth2/authorize", self.app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query(fields));
        if !cookies.is_empty() {
            request = request.header("cookie", cookies.join("; "));
        }
        reply(request).await
    }

    async fn token(&self, form: &[(&str, &str)]) -> Reply {
        reply(
            self.http
                .post(format!("{}/oauth2/token", self.app.base))
                .basic_auth(&self.client.1, Some(&self.client.2))
                .form(form),
        )
        .await
    }

    /// An access token of `user` with `scope`, through the Basic authorize and the code.
    async fn access_token(&self, user: &str, scope: &str) -> Value {
        let mut params = self.params();
        params[3].1 = scope.to_owned();
        let r = self.basic(user, PASSWORD, &params, "allow").await;
        assert_eq!(r.status, 302, "{}", r.text);
        let code = location(&r)["code"].clone();
        let r = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ])
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }

    async fn bearer(&self, token: &str, method: Method, path: &str) -> Reply {
        reply(
            self.http
                .request(method, format!("{}{path}", self.app.base))
                .bearer_auth(token),
        )
        .await
    }
}

#[tokio::test]
async fn a_bad_client_or_redirect_uri_is_an_error_page_never_a_redirect() {
    let o = setup().await;
    let two = register(
        &o.app,
        "alice",
        "Two",
        &[REDIRECT, "https://client.example/other"],
    )
    .await;
    let with = |name: &'static str, value: Option<&str>| {
        let mut params: Vec<(&str, String)> =
            o.params().into_iter().filter(|(k, _)| *k != name).collect();
        if let Some(value) = value {
            params.push((name, value.to_owned()));
        }
        params
    };
    let mut duplicated = o.params();
    duplicated.push(("client_id", o.client.1.clone()));
    let mut two_without_redirect = with("redirect_uri", None);
    two_without_redirect.retain(|(k, _)| *k != "client_id");
    two_without_redirect.push(("client_id", two.1.clone()));
    for (case, params) in [
        ("no client_id", with("client_id", None)),
        (
            "unknown client_id",
            with("client_id", Some("6f1c2b1e-0000-4000-8000-000000000000")),
        ),
        ("not a uuid", with("client_id", Some("../../internal"))),
        ("client_id twice", duplicated),
        (
            "unregistered redirect_uri",
            with("redirect_uri", Some("https://evil.example/cb")),
        ),
        (
            "a prefix of the registered one",
            with("redirect_uri", Some("https://client.example/c")),
        ),
        ("left out with two registered", two_without_redirect),
    ] {
        let r = o.get(&params, &[]).await;
        assert_eq!(r.status, 400, "{case}: {}", r.text);
        assert!(r.headers.get(LOCATION).is_none(), "{case}");
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{case}"
        );
        assert!(!r.text.contains("evil.example"), "{case}");
        assert_page_headers(&r);
    }
    // Left out with one registered: fine, the sign-in page.
    let r = o.get(&with("redirect_uri", None), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn request_errors_redirect_with_error_and_state() {
    let o = setup().await;
    let change = |name: &'static str, value: Option<&str>| {
        let mut params: Vec<(&str, String)> =
            o.params().into_iter().filter(|(k, _)| *k != name).collect();
        if let Some(value) = value {
            params.push((name, value.to_owned()));
        }
        params
    };
    for (case, params, error) in [
        (
            "no response_type",
            change("response_type", None),
            "invalid_request",
        ),
        (
            "implicit",
            change("response_type", Some("token")),
            "unsupported_response_type",
        ),
        (
            "unknown scope",
            change("scope", Some("openid api.access.mgmt")),
            "invalid_scope",
        ),
        ("no PKCE", change("code_challenge", None), "invalid_request"),
        (
            "plain PKCE",
            change("code_challenge_method", Some("plain")),
            "invalid_request",
        ),
        (
            "PKCE method left out (plain)",
            change("code_challenge_method", None),
            "invalid_request",
        ),
        (
            "unknown PKCE method",
            change("code_challenge_method", Some("S512")),
            "invalid_request",
        ),
        (
            "malformed challenge",
            change("code_challenge", Some("short")),
            "invalid_request",
        ),
    ] {
        for r in [
            o.get(&params, &[]).await,
            o.basic("alice", PASSWORD, &params, "allow").await,
        ] {
            assert_eq!(r.status, 302, "{case}: {}", r.text);
            let back = location(&r);
            assert_eq!(back["error"], error, "{case}");
            assert_eq!(back["state"], STATE, "{case}");
            assert!(!back.contains_key("code"), "{case}");
        }
    }
    // A redirect URI with a query of its own keeps it.
    let with_query = "https://client.example/cb?tenant=7";
    let (_, client_id, _) = register(&o.app, "alice", "Query", &[with_query]).await;
    let params = vec![
        ("client_id", client_id),
        ("redirect_uri", with_query.to_owned()),
        ("state", STATE.to_owned()),
    ];
    let r = o.get(&params, &[]).await;
    let target = r.headers[LOCATION].to_str().unwrap();
    assert!(
        target.starts_with("https://client.example/cb?tenant=7&error=invalid_request"),
        "{target}"
    );
}

#[tokio::test]
async fn the_basic_post_allows_denies_and_refuses_wrong_passwords() {
    let o = setup().await;
    let r = o
        .basic("alice", "wrong-password", &o.params(), "allow")
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r.headers.get(LOCATION).is_none());
    assert!(r.headers[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    assert!(
        r.json()["error"].is_string(),
        "RFC 6749 JSON, not the envelope: {}",
        r.text
    );

    let r = o.basic("alice", PASSWORD, &o.params(), "deny").await;
    assert_eq!(r.status, 302);
    let back = location(&r);
    assert_eq!(
        (back["error"].as_str(), back["state"].as_str()),
        ("access_denied", STATE)
    );

    // The same POST from a page of another site, with credentials the browser remembered: no
    // code for that site's client.
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = reply(
            o.http
                .post(o.url("", &o.params()))
                .basic_auth("alice", Some(PASSWORD))
                .header(header, value)
                .form(&[("consent", "allow")]),
        )
        .await;
        assert_eq!(r.status, 403, "{header}: {}", r.text);
        assert!(r.headers.get(LOCATION).is_none());
    }

    let r = o.basic("alice", PASSWORD, &o.params(), "maybe").await;
    assert_eq!(location(&r)["error"], "invalid_request");

    let r = o.basic("alice", PASSWORD, &o.params(), "allow").await;
    assert_eq!(r.status, 302, "{}", r.text);
    assert_eq!(r.headers["cache-control"], "no-store");
    let back = location(&r);
    assert_eq!(back["state"], STATE);
    assert!(back["code"].starts_with("hdpc_"), "{back:?}");
    let r = o
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &back["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let tokens = r.json();
    assert!(tokens["access_token"]
        .as_str()
        .unwrap()
        .starts_with("hdpat_"));
    assert_eq!(tokens["scope"], MGMT);
}

#[tokio::test]
async fn the_sign_in_and_consent_forms_need_their_csrf_tokens() {
    let o = setup().await;
    let r = o.get(&o.params(), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_page_headers(&r);
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("form-action 'self' https://client.example"),
        "{csp}"
    );
    assert!(r.text.contains("name=\"username\"") && r.text.contains("id=\"signin\""));
    // The application's name is the user's input: shown, escaped.
    assert!(
        r.text.contains("Alice&#39;s &lt;b&gt;reader&lt;/b&gt;"),
        "{}",
        r.text
    );
    let csrf_cookie = set_cookie(&r.headers, "hdp_csrf").expect("a CSRF cookie");
    assert!(
        csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"),
        "{csrf_cookie}"
    );
    let csrf_cookie = cookie_value(&csrf_cookie);
    let token = hidden(&r.text, "csrf");
    let params = o.params();
    let mut form: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    form.push(("username", "alice"));
    form.push(("password", PASSWORD));

    // Without the token, or with the token but not the cookie (another site's form): refused,
    // and nothing changes.
    let r = o.post_form(&form, &[&csrf_cookie]).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let mut with_token = form.clone();
    with_token.push(("csrf", &token));
    let r = o.post_form(&with_token, &[]).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(set_cookie(&r.headers, "hdp_session").is_none());
    assert_eq!(o.app.count_rows("gateway", "sign_in_sessions"), 0);

    // A wrong password: the form again, 401, no session.
    let mut wrong = with_token.clone();
    wrong.retain(|(k, _)| *k != "password");
    wrong.push(("password", "not-it"));
    let r = o.post_form(&wrong, &[&csrf_cookie]).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r.text.contains("Invalid user name or password"));
    assert!(set_cookie(&r.headers, "hdp_session").is_none());

    // Signed in: the consent page, and a session.
    let r = o.post_form(&with_token, &[&csrf_cookie]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let session = set_cookie(&r.headers, "hdp_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "plain http: {session}");
    let session = cookie_value(&session);
    assert_eq!(o.app.count_rows("gateway", "sign_in_sessions"), 1);
    assert!(!o
        .app
        .database_text("gateway")
        .contains(session.trim_start_matches("hdp_session=")));
    assert!(
        r.text.contains("id=\"allow\"") && r.text.contains(MGMT),
        "{}",
        r.text
    );
    let consent_token = hidden(&r.text, "csrf");

    let consent = |answer: &'static str, token: Option<&str>| {
        let mut fields: Vec<(&str, String)> = o.params();
        fields.push(("consent", answer.to_owned()));
        if let Some(token) = token {
            fields.push(("csrf", token.to_owned()));
        }
        fields
    };
    let as_pairs = |fields: &[(&str, String)]| -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let oauth = &o;
    let post = |fields: Vec<(String, String)>, cookies: Vec<String>| async move {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let cookies: Vec<&str> = cookies.iter().map(String::as_str).collect();
        oauth.post_form(&pairs, &cookies).await
    };
    // The sign-in token is no consent token; no token at all, or no session, is refused.
    for (fields, cookies) in [
        (as_pairs(&consent("allow", None)), vec![session.clone()]),
        (
            as_pairs(&consent("allow", Some(&token))),
            vec![session.clone()],
        ),
        (as_pairs(&consent("allow", Some(&consent_token))), vec![]),
    ] {
        let r = post(fields, cookies).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert!(r.headers.get(LOCATION).is_none());
    }
    let r = post(
        as_pairs(&consent("deny", Some(&consent_token))),
        vec![session.clone()],
    )
    .await;
    assert_eq!(location(&r)["error"], "access_denied");
    let r = post(
        as_pairs(&consent("allow", Some(&consent_token))),
        vec![session.clone()],
    )
    .await;
    assert_eq!(r.status, 302, "{}", r.text);
    assert!(location(&r)["code"].starts_with("hdpc_"));

    // The consent is remembered: the next request gets a code at once.
    let r = o.get(&o.params(), &[&session]).await;
    assert_eq!(r.status, 302, "{}", r.text);
    assert!(location(&r)["code"].starts_with("hdpc_"));
    assert_eq!(location(&r)["state"], STATE);

    // A password change ends the session (on this replica at once).
    let alice = user_id(&o.app, "alice").await;
    let r = o
        .app
        .admin(
            Method::PUT,
            &format!("/api/admin/users/{alice}"),
            Some(json!({"userName": "alice", "permissions": [11], "password": "another-long-password"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = o.get(&o.params(), &[&session]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text.contains("id=\"signin\""),
        "the sign-in page again: {}",
        r.text
    );
}

async fn user_id(app: &TestStack, name: &str) -> i64 {
    let users = app
        .admin(Method::GET, "/api/admin/users?limit=1000", None)
        .await
        .json();
    users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userName"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// A second gateway on the stack's database and keys.
fn second_gateway(t: &TestStack) -> (Running, String) {
    let keys = internal_auth::load_or_generate_key_pair(&t.stack.data_dir.join("keys")).unwrap();
    let local = |port: u16| format!("http://127.0.0.1:{port}");
    let gateway = gateway::build(&gateway::Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url: t.database_urls["gateway"].clone(),
        token_signing_key_file: keys.private_key,
        oauth_apps_url: local(t.stack.oauth_apps.port),
        oauth_profiles_url: local(t.stack.oauth_profiles.port),
        client_registration_url: local(t.stack.client_registration.port),
        admin_user: ADMIN.to_owned(),
        admin_password: Some(ADMIN_PASSWORD.to_owned()),
        upstream_timeout_ms: 10_000,
        auth_cache_secs: 30,
        user_cache_ms: 1_000,
        token_ttl_secs: 60,
        pool_size: 4,
        workers: Some(1),
        max_body_bytes: 256 * 1024,
        password_checks: 2,
        password_queue: 16,
        metrics_addr: None,
        public_url: None,
    })
    .unwrap();
    let gateway = Running::spawn("gateway", gateway);
    let base = local(gateway.port);
    (gateway, base)
}

#[tokio::test]
async fn sessions_and_csrf_tokens_work_on_every_replica_until_the_user_is_deactivated() {
    let o = setup().await;
    let (mut second, second_base) = second_gateway(&o.app);
    // The sign-in page from one replica, the form posted to the other.
    let r = o.get(&o.params(), &[]).await;
    let csrf_cookie = cookie_value(&set_cookie(&r.headers, "hdp_csrf").unwrap());
    let token = hidden(&r.text, "csrf");
    let params = o.params();
    let mut form: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    form.extend([
        ("username", "alice"),
        ("password", PASSWORD),
        ("csrf", &token),
    ]);
    let r = reply(
        o.http
            .post(format!("{second_base}/oauth2/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &csrf_cookie)
            .body(query(&form)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let session = cookie_value(&set_cookie(&r.headers, "hdp_session").unwrap());
    // The session from the second replica on the first: the consent page, signed in.
    let r = o.get(&o.params(), &[&session]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text.contains("Signed in as <strong>alice</strong>"),
        "{}",
        r.text
    );

    // Deactivated: the session no longer counts (within the user cache's bound).
    let alice = o
        .app
        .admin(Method::GET, "/api/admin/users?limit=1000", None)
        .await
        .json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userName"] == "alice")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = o
        .app
        .admin(
            Method::PUT,
            &format!("/api/admin/users/{alice}"),
            Some(json!({"userName": "alice", "permissions": [11], "active": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let r = o.get(&o.params(), &[&session]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains("id=\"signin\""),
        "the sign-in page again: {}",
        r.text
    );
    second.stop(true).await;
}

#[tokio::test]
async fn bearer_tokens_act_as_their_user_on_mgmt_and_nowhere_else() {
    let o = setup().await;
    let mgmt = o.access_token("alice", MGMT).await;
    let mgmt = mgmt["access_token"].as_str().unwrap();
    let odata = o.access_token("alice", "api.access.odata").await;
    let odata = odata["access_token"].as_str().unwrap();
    let bobs = o.access_token("bob", MGMT).await;
    let bobs = bobs["access_token"].as_str().unwrap();

    // As alice, with alice's permissions and objects.
    let r = o
        .bearer(mgmt, Method::GET, "/api/mgmt/oauth/client/applications")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = r.json();
    let names: Vec<&str> = list["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Alice's <b>reader</b>"]);
    // Never bob's.
    let r = o
        .bearer(
            mgmt,
            Method::GET,
            &format!("/api/mgmt/oauth/client/applications/{}", o.bobs.0),
        )
        .await;
    r.envelope(404, codes::CLIENT_APP_NOT_FOUND);
    let r = o
        .bearer(
            bobs,
            Method::GET,
            &format!("/api/mgmt/oauth/client/applications/{}", o.client.0),
        )
        .await;
    r.envelope(404, codes::CLIENT_APP_NOT_FOUND);
    // Nor as bob through `?user=`: alice may not act on behalf of anyone.
    let r = o
        .bearer(
            mgmt,
            Method::GET,
            "/api/mgmt/oauth/client/applications?user=bob",
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // The applications alice granted.
    let r = o
        .bearer(
            mgmt,
            Method::GET,
            "/api/mgmt/oauth/client/allowedapplications",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["applications"][0]["id"], o.client.0);

    // api.access.odata alone does not open /api/mgmt.
    let r = o
        .bearer(odata, Method::GET, "/api/mgmt/oauth/client/applications")
        .await;
    r.envelope(403, "222200011");
    assert!(r.headers[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    // Never /api/admin: 401 asking for Basic.
    let r = o.bearer(mgmt, Method::GET, "/api/admin/users").await;
    r.envelope(401, codes::UNAUTHENTICATED);
    assert!(r.headers[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    // Unknown or malformed tokens.
    for token in ["hdpat_unknown", "hdprt_x", "x"] {
        let r = o
            .bearer(token, Method::GET, "/api/mgmt/oauthprofiles")
            .await;
        r.envelope(401, codes::UNAUTHENTICATED);
        let challenge = r.headers[WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    }

    // Revoked: refused within the user cache's bound.
    let r = reply(
        o.http
            .post(format!("{}/oauth2/revoke", o.app.base))
            .basic_auth(&o.client.1, Some(&o.client.2))
            .form(&[("token", mgmt)]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let r = o.bearer(mgmt, Method::GET, "/api/mgmt/oauthprofiles").await;
    r.envelope(401, codes::UNAUTHENTICATED);
    assert!(r.headers[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .contains("invalid_token"));

    // bob deactivated: his token stops working.
    let r = o
        .bearer(bobs, Method::GET, "/api/mgmt/oauth/client/applications")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let users = o
        .app
        .admin(Method::GET, "/api/admin/users?limit=1000", None)
        .await
        .json();
    let bob = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userName"] == "bob")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = o
        .app
        .admin(
            Method::PUT,
            &format!("/api/admin/users/{bob}"),
            Some(json!({"userName": "bob", "permissions": [11], "active": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let r = o
        .bearer(bobs, Method::GET, "/api/mgmt/oauth/client/applications")
        .await;
    r.envelope(401, codes::UNAUTHENTICATED);
}

#[tokio::test]
async fn the_password_grant_checks_the_user_at_the_gateway() {
    let o = setup().await;
    let r = o
        .token(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "wrong"),
        ])
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["error"], "invalid_grant");
    assert_eq!(r.headers["cache-control"], "no-store");
    let r = o
        .token(&[("grant_type", "password"), ("username", "alice")])
        .await;
    assert_eq!(r.json()["error"], "invalid_request", "{}", r.text);

    let r = o
        .token(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("scope", MGMT),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let tokens = r.json();
    assert!(tokens["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("hdprt_"));
    let access = tokens["access_token"].as_str().unwrap();
    let r = o
        .bearer(access, Method::GET, "/api/mgmt/oauth/client/applications")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn oauth_endpoints_answer_oauth_errors_and_the_metadata() {
    let o = setup().await;
    for prefix in ["", "/api/mgmt"] {
        let r = reply(o.http.get(format!("{}{prefix}/oauth2/token", o.app.base))).await;
        assert_eq!(r.status, 405, "{}", r.text);
        assert_eq!(r.json()["error"], "invalid_request");
        assert!(r.headers.get("allow").is_some());
        let r = reply(
            o.http
                .delete(format!("{}{prefix}/oauth2/authorize", o.app.base)),
        )
        .await;
        assert_eq!(r.status, 405, "{}", r.text);
        assert!(r.json()["error"].is_string());
    }
    let r = reply(o.http.get(format!(
        "{}/.well-known/oauth-authorization-server",
        o.app.base
    )))
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let metadata = r.json();
    assert_eq!(metadata["issuer"], o.app.base.as_str());
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
}

#[tokio::test]
async fn bad_passwords_are_slowed_per_user_name_and_a_success_resets() {
    let o = setup().await;
    let attempt = |user: &'static str, password: &'static str| {
        let o = &o;
        async move {
            let started = std::time::Instant::now();
            let r = o
                .token(&[
                    ("grant_type", "password"),
                    ("username", user),
                    ("password", password),
                ])
                .await;
            (r.status.as_u16(), started.elapsed())
        }
    };
    // A few failures cost nothing extra.
    for _ in 0..4 {
        let (status, _) = attempt("alice", "wrong").await;
        assert_eq!(status, 400);
    }
    // The next attempt for alice waits; bob's does not.
    let (status, took) = attempt("bob", PASSWORD).await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(400), "{took:?}");
    let (status, took) = attempt("alice", PASSWORD).await;
    assert_eq!(status, 200, "slowed, never locked out");
    assert!(took >= Duration::from_millis(400), "{took:?}");
    // The success cleared alice's failures.
    let (status, took) = attempt("alice", PASSWORD).await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(400), "{took:?}");
}

/// A secret reset, an application's deletion and a withdrawn consent count at once on the
/// replica that did them: the token checks it keeps are forgotten after such a write (other
/// replicas forget theirs within `GATEWAY_USER_CACHE_MS`).
#[tokio::test]
async fn revocations_through_this_gateway_count_from_the_next_request() {
    let path = "/api/mgmt/oauth/client/applications";
    for (method, revoking) in [
        (Method::PUT, "applications/{id}/reset"),
        (Method::DELETE, "allowedapplications/{id}"),
        (Method::DELETE, "applications/{id}"),
    ] {
        let o = setup().await;
        let revoking = format!(
            "/api/mgmt/oauth/client/{}",
            revoking.replace("{id}", &o.client.0.to_string())
        );
        let token = o.access_token("alice", MGMT).await;
        let token = token["access_token"].as_str().unwrap();
        // Checked, and so kept by the gateway for up to a second.
        let r = o.bearer(token, Method::GET, path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = o
            .app
            .call(method.clone(), &revoking, Some(("alice", PASSWORD)), None)
            .await;
        assert!(r.status.is_success(), "{method} {revoking}: {}", r.text);
        let r = o.bearer(token, Method::GET, path).await;
        assert_eq!(r.status, 401, "after {method} {revoking}: {}", r.text);
        let challenge = r.headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.contains("invalid_token"), "{challenge}");
    }
}
