use serde_json::json;

use super::*;

fn table() -> RouteTable {
    RouteTable::from_document(&json!({"paths": {
        "/api/mgmt/oauthapps/{id}": {"get": {}, "put": {}, "delete": {}},
        "/api/mgmt/oauthprofiles": {"get": {}, "post": {}},
        "/api/mgmt/oauth/client/applications/{id}/reset": {"put": {}},
        "/api/admin/users/{id}": {"get": {}, "put": {}},
        "/healthz": {"get": {}},
    }}))
}

#[test]
fn methods_come_from_the_document_and_parameters_match_one_segment() {
    let routes = table();
    let allow = |method: Method, path: &str| {
        routes
            .refused(&method, path)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    };
    assert_eq!(allow(Method::GET, "/api/mgmt/oauthprofiles"), None);
    assert_eq!(
        allow(Method::TRACE, "/api/mgmt/oauthprofiles").as_deref(),
        Some("GET, POST")
    );
    assert_eq!(
        allow(Method::POST, "/api/mgmt/oauthapps/7").as_deref(),
        Some("GET, PUT, DELETE")
    );
    assert_eq!(
        allow(Method::GET, "/api/mgmt/oauth/client/applications/7/reset").as_deref(),
        Some("PUT")
    );
    // Not documented: left to routing.
    for path in [
        "/api/mgmt/oauthapps/7/other",
        "/api/mgmt/oauthapps//",
        "/api/mgmt/oauthapp",
        "/api/mgmt/oauthprofiles/",
    ] {
        assert_eq!(allow(Method::TRACE, path), None, "{path}");
    }
}

#[test]
fn every_path_has_its_area_and_routes_rebuild_the_path_from_their_own_segments() {
    let routes = table();
    let decide = |path: &str| {
        let decision = routes.decide(path);
        let upstream = decision.route.as_ref().map(|r| r.upstream_path(path));
        (decision.area.prefix, decision.area.owner, upstream)
    };
    let apps = Owner::Service(Service::OauthApps);
    assert_eq!(
        decide("/api/mgmt/oauthapps/17.0"),
        (
            "/api/mgmt/oauthapps",
            apps,
            Some("/api/mgmt/oauthapps/17.0".into())
        )
    );
    assert_eq!(
        decide("/api/mgmt/oauth/client/applications/x/reset"),
        (
            "/api/mgmt/oauth/client/applications",
            Owner::Service(Service::ClientRegistration),
            Some("/api/mgmt/oauth/client/applications/x/reset".into())
        )
    );
    assert_eq!(
        decide("/api/admin/users/3"),
        (
            "/api/admin",
            Owner::Gateway,
            Some("/api/admin/users/3".into())
        )
    );
    // Undocumented paths keep the rules of their area (credentials, then 404).
    assert_eq!(
        decide("/api/mgmt/oauthapps"),
        ("/api/mgmt/oauthapps", apps, None)
    );
    assert_eq!(
        decide("/api/mgmt/oauthappsx"),
        ("/api", Owner::Gateway, None)
    );
    assert_eq!(
        decide("/internal/oauth-apps/1/usage"),
        ("/", Owner::Gateway, None)
    );
    assert_eq!(
        decide("/healthz"),
        ("/", Owner::Gateway, Some("/healthz".into()))
    );
    assert_eq!(
        routes.decide("/healthz").area.credentials,
        Credentials::None
    );
    assert_eq!(routes.decide("/api/x").area.credentials, Credentials::Basic);
}

#[test]
fn on_behalf_and_identity_writes_are_rules_of_their_areas() {
    let routes = table();
    let on_behalf = |path: &str| routes.decide(path).area.on_behalf;
    assert!(on_behalf("/api/mgmt/oauthprofiles/3"));
    assert!(on_behalf("/api/mgmt/oauth/client/applications"));
    assert!(!on_behalf("/api/mgmt/oauthapps"));
    assert!(!on_behalf("/api/admin/users"));
    assert!(!on_behalf("/api/mgmt/oauthprofilesx"));
    let writes = |method: Method, path: &str| routes.decide(path).changes_identities(&method);
    assert!(writes(Method::PUT, "/api/admin/users/3"));
    assert!(writes(Method::DELETE, "/api/admin/tenants/3"));
    assert!(!writes(Method::GET, "/api/admin/users/3"));
    assert!(!writes(Method::POST, "/api/mgmt/oauthprofiles"));
}

/// Every path of the document the gateway serves lies in an area that says who answers it:
/// none falls through to the catch-all areas, which no service owns.
#[test]
fn every_documented_path_has_a_proper_area() {
    let document: Value = serde_json::from_str(&api_doc::openapi_json().unwrap()).unwrap();
    let routes = RouteTable::from_document(&document);
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() > 10);
    for path in paths.keys() {
        let area = routes.decide(path).area;
        let open = area.credentials == Credentials::None;
        assert!(
            area.prefix != "/api" && (area.prefix != "/" || open),
            "{path} lies in the catch-all area {}",
            area.prefix
        );
    }
}

#[test]
fn literal_segments_win_over_parameters_and_the_callback_takes_no_credentials() {
    // `{id}` sorts after `callback` and `connect`; listed first here all the same.
    let routes = RouteTable::from_document(&json!({"paths": {
        "/api/mgmt/oauthprofiles/{id}": {"get": {}, "put": {}, "delete": {}},
        "/api/mgmt/oauthprofiles/zzz": {"get": {}},
        "/api/mgmt/oauthprofiles/callback": {"get": {}},
        "/api/mgmt/oauthprofiles/{id}/token": {"get": {}},
    }}));
    let template = |path: &str| routes.decide(path).route.map(|r| r.template.clone());
    assert_eq!(
        template("/api/mgmt/oauthprofiles/zzz").as_deref(),
        Some("/api/mgmt/oauthprofiles/zzz")
    );
    assert_eq!(
        template("/api/mgmt/oauthprofiles/7").as_deref(),
        Some("/api/mgmt/oauthprofiles/{id}")
    );
    let callback = routes.decide("/api/mgmt/oauthprofiles/callback");
    assert_eq!(
        callback.route.as_ref().map(|r| &*r.template),
        Some("/api/mgmt/oauthprofiles/callback")
    );
    assert_eq!(callback.area.credentials, Credentials::None);
    assert_eq!(callback.area.owner, Owner::Service(Service::OauthProfiles));
    assert!(callback.calls_provider(&Method::GET));
    assert!(routes
        .decide("/api/mgmt/oauthprofiles/7/token")
        .calls_provider(&Method::GET));
    // Everything else under the profiles' prefix still needs credentials.
    for path in [
        "/api/mgmt/oauthprofiles/7",
        "/api/mgmt/oauthprofiles/callbacks",
        "/api/mgmt/oauthprofiles/7/callback",
    ] {
        assert_eq!(
            routes.decide(path).area.credentials,
            Credentials::Basic,
            "{path}"
        );
    }
}

/// The middleware sends a request in an area forwarded whole straight to its service, past
/// actix's routes: no route the gateway serves itself may lie in such an area.
#[test]
fn the_gateways_own_routes_lie_in_no_area_forwarded_whole() {
    let document: Value = serde_json::from_str(&api_doc::openapi_json().unwrap()).unwrap();
    let routes = RouteTable::from_document(&document);
    let own = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|path| path.starts_with("/api/admin"))
        .chain(AUTHORIZE)
        .chain(TOKEN)
        .chain(["/healthz", "/readyz", "/openapi.json", "/metrics"]);
    for path in own {
        assert!(
            !routes.decide(path).area.forwarded_whole(),
            "{path} is the gateway's own"
        );
    }
    for path in [
        "/api/mgmt/oauthprofiles/3",
        "/api/mgmt/oauthprofiles/callback",
        "/api/mgmt/oauthapps",
        "/api/mgmt/oauth/client/applications/x",
        "/api/mgmt/oauth/client/allowedapplications",
    ] {
        assert!(routes.decide(path).area.forwarded_whole(), "{path}");
    }
    // The authorization server's other endpoints are forwarded too, but through actix's
    // routes, where the authorize and token endpoints are the gateway's.
    assert!(!routes.decide("/oauth2/introspect").area.forwarded_whole());
}

#[test]
fn a_workers_copy_of_the_table_decides_alike_and_shares_no_route() {
    let shared = table();
    let copy = shared.for_worker();
    for (method, path) in [
        (Method::GET, "/api/mgmt/oauthapps/7"),
        (Method::TRACE, "/api/mgmt/oauthprofiles"),
        (Method::GET, "/api/mgmt/oauth/client/applications/7/reset"),
        (Method::GET, "/api/mgmt/nothing"),
        (Method::GET, "/healthz"),
    ] {
        let (theirs, ours) = (shared.decide(path), copy.decide(path));
        assert!(std::ptr::eq(theirs.area, ours.area), "{path}");
        assert_eq!(
            shared.refused(&method, path),
            copy.refused(&method, path),
            "{method} {path}"
        );
        match (theirs.route, ours.route) {
            (Some(theirs), Some(ours)) => {
                assert_eq!(theirs.template(), ours.template());
                assert_eq!(theirs.upstream_path(path), ours.upstream_path(path));
                assert!(!Arc::ptr_eq(&theirs, &ours), "{path}");
                assert!(!Arc::ptr_eq(theirs.template(), ours.template()), "{path}");
            }
            (None, None) => {}
            (theirs, ours) => panic!("{path}: {theirs:?} against {ours:?}"),
        }
    }
}
