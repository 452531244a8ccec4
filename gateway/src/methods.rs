//! The public routes: which methods each path takes, read from the OpenAPI document the gateway
//! serves so that the document and the answers cannot disagree, and which service owns it.
//!
//! A forwarded request goes only to a documented route of the service that owns it, and the
//! path the service is asked for is made from that route ([`Route::upstream_path`]), so no
//! spelling of a public path can reach anything else (paths reach this table in canonical form
//! only: [`api_common::paths`]).
//!
//! A documented path asked with another method is 405 with `Allow` (RFC 9110 15.5.6) and the
//! envelope, answered by the gateway itself: the request is not forwarded, and `?user=` is not
//! looked up for it (a wrong method is the first thing wrong with such a request). A path the
//! document does not have is left to routing (404).

use actix_web::http::header::{HeaderValue, ALLOW};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use api_common::{ApiError, ErrorCode};
use internal_auth::Service;
use serde_json::Value;

/// The documented paths and their methods.
pub struct RouteMethods {
    /// Indexed by number of segments: a path is compared only with routes as long as it is
    /// (every request is looked up, once to decide on `?user=` and once when forwarded).
    by_length: Vec<Vec<Route>>,
}

/// A documented path.
pub struct Route {
    /// The path's segments; `None` stands for a `{parameter}`.
    segments: Vec<Option<String>>,
    methods: Vec<Method>,
    /// `methods` as an `Allow` header value.
    allow: HeaderValue,
    /// The service the gateway forwards it to; `None` for the gateway's own routes.
    owner: Option<Service>,
}

/// The service that owns a documented path, by its prefix; `None` for the gateway's own.
fn owner_of(template: &str) -> Option<Service> {
    const PREFIXES: [(&str, Service); 3] = [
        ("/api/mgmt/oauthapps", Service::OauthApps),
        ("/api/mgmt/oauthprofiles", Service::OauthProfiles),
        (
            "/api/mgmt/oauth/client/applications",
            Service::ClientRegistration,
        ),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| crate::forward::is_under(template, prefix))
        .map(|&(_, service)| service)
}

impl Route {
    /// The service the path is forwarded to, if any.
    pub fn owner(&self) -> Option<Service> {
        self.owner
    }

    /// `Err` with the `Allow` value when `method` is not one of the route's.
    pub fn allows(&self, method: &Method) -> Result<(), HeaderValue> {
        match self.methods.contains(method) {
            true => Ok(()),
            false => Err(self.allow.clone()),
        }
    }

    /// The path to ask the owning service for, for `path`, which this route matched: the
    /// route's own segments, with the path's segments in place of its parameters.
    pub fn upstream_path(&self, path: &str) -> String {
        let mut upstream = String::with_capacity(path.len());
        for (index, (segment, given)) in self.segments.iter().zip(path.split('/')).enumerate() {
            if index > 0 {
                upstream.push('/');
            }
            upstream.push_str(segment.as_deref().unwrap_or(given));
        }
        upstream
    }
}

/// The operations of an OpenAPI path item, by the key they have in it.
const METHODS: [(&str, Method); 8] = [
    ("get", Method::GET),
    ("head", Method::HEAD),
    ("post", Method::POST),
    ("put", Method::PUT),
    ("patch", Method::PATCH),
    ("delete", Method::DELETE),
    ("options", Method::OPTIONS),
    ("trace", Method::TRACE),
];

impl RouteMethods {
    /// From a rendered OpenAPI document (its `paths` object).
    pub fn from_document(document: &Value) -> Self {
        let paths = document["paths"].as_object().into_iter().flatten();
        let routes: Vec<Route> = paths
            .filter_map(|(path, item)| {
                let methods: Vec<Method> = METHODS
                    .iter()
                    .filter(|(key, _)| item.get(*key).is_some())
                    .map(|(_, method)| method.clone())
                    .collect();
                let allow = methods
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                let allow = HeaderValue::from_str(&allow).ok()?;
                let segments = path
                    .split('/')
                    .map(|segment| {
                        let parameter = segment.starts_with('{') && segment.ends_with('}');
                        (!parameter).then(|| segment.to_owned())
                    })
                    .collect();
                Some(Route {
                    segments,
                    methods,
                    allow,
                    owner: owner_of(path),
                })
            })
            .collect();
        let longest = routes.iter().map(|r| r.segments.len()).max().unwrap_or(0);
        let mut by_length: Vec<Vec<Route>> = (0..=longest).map(|_| Vec::new()).collect();
        for route in routes {
            by_length[route.segments.len()].push(route);
        }
        RouteMethods { by_length }
    }

    /// The documented route `path` matches.
    pub fn find(&self, path: &str) -> Option<&Route> {
        let length = path.bytes().filter(|&b| b == b'/').count() + 1;
        // Last segment first: that is where documented paths differ.
        self.by_length.get(length)?.iter().find(|route| {
            route.segments.iter().rev().zip(path.rsplit('/')).all(
                |(segment, given)| match segment {
                    Some(literal) => literal == given,
                    None => !given.is_empty(),
                },
            )
        })
    }

    /// The `Allow` value when `path` is documented and `method` is not one of its methods;
    /// `None` when the method is right or the path is not documented.
    pub fn refused(&self, method: &Method, path: &str) -> Option<HeaderValue> {
        self.find(path)?.allows(method).err()
    }
}

/// 405 in the envelope, with `Allow`.
pub fn method_not_allowed(req: &HttpRequest, allow: HeaderValue) -> HttpResponse {
    let mut response = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("Method {} is not allowed on '{}'", req.method(), req.path()),
    )
    .error_response();
    response.headers_mut().insert(ALLOW, allow);
    response
}

/// The fallback of a resource the gateway serves itself: 405, with `Allow` from the document
/// (an app built without the table, as in unit tests of the routes, answers 405 without it).
pub async fn reject_method(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allow = req
        .app_data::<web::Data<RouteMethods>>()
        .and_then(|routes| routes.refused(req.method(), req.path()));
    match allow {
        Some(allow) => Ok(method_not_allowed(&req, allow)),
        None => api_common::http::method_not_allowed(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn methods_come_from_the_document_and_parameters_match_one_segment() {
        let routes = RouteMethods::from_document(&json!({"paths": {
            "/api/things": {"get": {}, "post": {}, "parameters": []},
            "/api/things/{id}": {"get": {}, "put": {}, "delete": {}},
            "/api/things/{id}/reset": {"put": {}},
        }}));
        let allow = |method: Method, path: &str| {
            routes
                .refused(&method, path)
                .map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        assert_eq!(allow(Method::GET, "/api/things"), None);
        assert_eq!(
            allow(Method::TRACE, "/api/things").as_deref(),
            Some("GET, POST")
        );
        assert_eq!(
            allow(Method::POST, "/api/things/7").as_deref(),
            Some("GET, PUT, DELETE")
        );
        assert_eq!(
            allow(Method::GET, "/api/things/7/reset").as_deref(),
            Some("PUT")
        );
        // Not documented: left to routing.
        assert_eq!(allow(Method::TRACE, "/api/things/7/other"), None);
        assert_eq!(allow(Method::TRACE, "/api/things//reset"), None);
        assert_eq!(allow(Method::TRACE, "/api/thing"), None);
        assert_eq!(allow(Method::TRACE, "/api/things/"), None);
    }

    #[test]
    fn routes_know_their_service_and_rebuild_the_path_from_their_own_segments() {
        let routes = RouteMethods::from_document(&json!({"paths": {
            "/api/mgmt/oauthapps/{id}": {"get": {}},
            "/api/mgmt/oauthprofiles": {"get": {}},
            "/api/mgmt/oauth/client/applications/{id}/reset": {"put": {}},
            "/api/admin/users/{id}": {"get": {}},
        }}));
        let decide = |path: &str| {
            routes
                .find(path)
                .map(|route| (route.owner(), route.upstream_path(path)))
        };
        assert_eq!(
            decide("/api/mgmt/oauthapps/17.0"),
            Some((Some(Service::OauthApps), "/api/mgmt/oauthapps/17.0".into()))
        );
        assert_eq!(
            decide("/api/mgmt/oauthprofiles"),
            Some((
                Some(Service::OauthProfiles),
                "/api/mgmt/oauthprofiles".into()
            ))
        );
        assert_eq!(
            decide("/api/mgmt/oauth/client/applications/x/reset"),
            Some((
                Some(Service::ClientRegistration),
                "/api/mgmt/oauth/client/applications/x/reset".into()
            ))
        );
        assert_eq!(
            decide("/api/admin/users/3"),
            Some((None, "/api/admin/users/3".into()))
        );
        // Anything undocumented is decided nowhere.
        for path in [
            "/api/mgmt/oauthprofiles/1",
            "/api/mgmt/oauthapps",
            "/internal/oauth-apps/1/usage",
            "/api/mgmt/oauthapps/1/usage",
            "/api/mgmt/oauthprofiles/",
        ] {
            assert!(decide(path).is_none(), "{path}");
        }
    }
}
