//! The route table: for every public path, who owns it, which methods it takes, which
//! credentials it needs, whether `?user=` is honoured and whether a write changes identities.
//! No other file of the gateway knows a path prefix.
//!
//! The paths and their methods come from the OpenAPI document the gateway serves, so that the
//! document and the answers cannot disagree; what each part of the API is comes from [`AREAS`].
//! [`decide`] looks a request up once, before authentication, and leaves the [`Decision`] in
//! its extensions: authentication reads how to authenticate it and whether `?user=` applies,
//! forwarding reads which service owns it and the path to ask that service for
//! ([`Route::upstream_path`], rebuilt from the route, never the path as received). Paths reach
//! the table in canonical form only ([`api_common::paths`]).
//!
//! A documented path asked with a method it does not take is 405 with `Allow` (RFC 9110
//! 15.5.6) and the envelope, answered by the gateway itself, after authentication (an
//! anonymous caller learns nothing about the API's shape); `?user=` is not looked up for it.

use std::sync::Arc;

use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HeaderValue, ALLOW};
use actix_web::http::Method;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use api_common::{ApiError, ErrorCode};
use internal_auth::Service;
use serde_json::Value;

/// Who answers a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The gateway itself (identity administration, health, the document).
    Gateway,
    /// A service the gateway forwards to.
    Service(Service),
}

/// What a request must carry to be let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic, checked against the gateway's users.
    Basic,
    /// Nothing: open to anyone.
    None,
    /// The authorization server's endpoints (RFC 6749): the gateway asks for no credentials of
    /// its own; client-registration authenticates the *client*, and the gateway the *person*
    /// where one signs in (the authorize page, the password grant: [`crate::oauth2`]). Forwarded
    /// with an Open-scope token; errors are RFC 6749's, never the envelope.
    OAuth,
}

/// A part of the public API under one path prefix, and the rules of every path in it,
/// documented or not (an undocumented path still needs the area's credentials before it is
/// answered 404).
#[derive(Debug)]
pub struct Area {
    pub prefix: &'static str,
    pub owner: Owner,
    pub credentials: Credentials,
    /// Whether an OAuth access token (`Authorization: Bearer hdpat_...` with scope
    /// `api.access.mgmt`) is taken here in place of Basic credentials ([`crate::oauth2::bearer`]).
    pub bearer: bool,
    /// Whether `?user=<name>` acts on behalf of that user here ([`crate::on_behalf`]).
    pub on_behalf: bool,
    /// Whether a write here (any method but GET and HEAD) may change users or what their
    /// identity is made of, so that the gateway forgets the user rows it keeps.
    pub changes_identities: bool,
    /// Whether a write here may revoke access tokens (a client application deleted or its
    /// secret reset, a consent withdrawn), so that the gateway forgets the token checks it
    /// keeps ([`crate::oauth2::bearer`]) and the revocation counts at once on this replica.
    pub revokes_tokens: bool,
}

impl Area {
    /// Whether every request in this area goes to its service as it is: a service owns it and
    /// the gateway serves none of its routes itself (the authorization server's areas, where
    /// the gateway has the authorize and token endpoints, are not). The gateway's middleware
    /// sends such a request straight on ([`crate::forward::serve`]), without actix's route
    /// lookup, which would end in the same place.
    pub fn forwarded_whole(&self) -> bool {
        matches!(self.owner, Owner::Service(_)) && self.credentials != Credentials::OAuth
    }
}

/// The public API, part by part. Every documented path lies in exactly one area (checked when
/// the table is built); a path in none is 404 without credentials.
pub const AREAS: [Area; 11] = [
    // The provider's redirect back to this system carries no credentials: the callback is
    // authenticated by its `state` alone, in oauth-profiles (docs/connect.md).
    Area {
        prefix: "/api/mgmt/oauthprofiles/callback",
        owner: Owner::Service(Service::OauthProfiles),
        credentials: Credentials::None,
        bearer: false,
        on_behalf: false,
        changes_identities: false,
        revokes_tokens: false,
    },
    Area {
        prefix: "/api/mgmt/oauthapps",
        owner: Owner::Service(Service::OauthApps),
        credentials: Credentials::Basic,
        bearer: true,
        on_behalf: false,
        changes_identities: false,
        revokes_tokens: false,
    },
    Area {
        prefix: "/api/mgmt/oauthprofiles",
        owner: Owner::Service(Service::OauthProfiles),
        credentials: Credentials::Basic,
        bearer: true,
        on_behalf: true,
        changes_identities: false,
        revokes_tokens: false,
    },
    Area {
        prefix: "/api/mgmt/oauth/client/applications",
        owner: Owner::Service(Service::ClientRegistration),
        credentials: Credentials::Basic,
        bearer: true,
        on_behalf: true,
        changes_identities: false,
        revokes_tokens: true,
    },
    // The applications a user granted access (client-registration keeps the grants).
    Area {
        prefix: "/api/mgmt/oauth/client/allowedapplications",
        owner: Owner::Service(Service::ClientRegistration),
        credentials: Credentials::Basic,
        bearer: true,
        on_behalf: true,
        changes_identities: false,
        revokes_tokens: true,
    },
    // The authorization server, under both prefixes the product documents, and its metadata
    // (RFC 8414). The authorize endpoint and the password grant's user check are the
    // gateway's own ([`AUTHORIZE`], [`TOKEN`]); the rest is forwarded.
    Area {
        prefix: "/api/mgmt/oauth2",
        owner: Owner::Service(Service::ClientRegistration),
        credentials: Credentials::OAuth,
        bearer: false,
        on_behalf: false,
        changes_identities: false,
        revokes_tokens: false,
    },
    Area {
        prefix: "/oauth2",
        owner: Owner::Service(Service::ClientRegistration),
        credentials: Credentials::OAuth,
        bearer: false,
        on_behalf: false,
        changes_identities: false,
        revokes_tokens: false,
    },
    Area {
        prefix: "/.well-known/oauth-authorization-server",
        owner: Owner::Service(Service::ClientRegistration),
        credentials: Credentials::OAuth,
        bearer: false,
        on_behalf: false,
        changes_identities: false,
        revokes_tokens: false,
    },
    // Users, and tenants, whose deletion changes who administers what.
    Area {
        prefix: "/api/admin",
        owner: Owner::Gateway,
        credentials: Credentials::Basic,
        bearer: false,
        on_behalf: false,
        changes_identities: true,
        revokes_tokens: false,
    },
    // Anything else under /api: credentials first, then 404.
    Area {
        prefix: "/api",
        owner: Owner::Gateway,
        credentials: Credentials::Basic,
        bearer: false,
        on_behalf: false,
        changes_identities: false,
        revokes_tokens: false,
    },
    Area {
        prefix: "/",
        owner: Owner::Gateway,
        credentials: Credentials::None,
        bearer: false,
        on_behalf: false,
        changes_identities: false,
        revokes_tokens: false,
    },
];

/// The area `path` lies in: the one with the longest prefix that owns it by whole segments.
pub fn area_of(path: &str) -> &'static Area {
    AREAS
        .iter()
        .filter(|area| is_under(path, area.prefix))
        .max_by_key(|area| area.prefix.len())
        .unwrap_or(&AREAS[AREAS.len() - 1])
}

/// Whether `path` is `prefix` or below it (`/a/b` is under `/a`, `/ab` is not; every path is
/// under `/`).
fn is_under(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The authorization endpoint (RFC 6749 3.1), under both prefixes: answered by the gateway
/// itself, which signs people in and asks for their consent ([`crate::oauth2::authorize`]).
pub const AUTHORIZE: [&str; 2] = ["/oauth2/authorize", "/api/mgmt/oauth2/authorize"];

/// The token endpoint (RFC 6749 3.2), under both prefixes: the gateway checks the password
/// grant's user before it forwards ([`crate::oauth2::token`]).
pub const TOKEN: [&str; 2] = ["/oauth2/token", "/api/mgmt/oauth2/token"];

/// The list whose `?tenantName=` the gateway translates into oauth-apps' `?tenantId=` (it alone
/// knows tenants by name: [`crate::forward`]).
const TENANT_NAME_FILTERED: (Method, &str) = (Method::GET, "/api/mgmt/oauthapps");

/// The routes whose service calls an OAuth provider, which may take up to 30 s (retries
/// included: docs/connect.md): forwarded with [`crate::forward::PROVIDER_CALL_TIMEOUT`].
const PROVIDER_CALLS: [(Method, &str); 3] = [
    (Method::GET, "/api/mgmt/oauthprofiles/callback"),
    (Method::POST, "/api/mgmt/oauthprofiles/{id}/refresh"),
    (Method::GET, "/api/mgmt/oauthprofiles/{id}/token"),
];

/// A documented path.
#[derive(Debug)]
pub struct Route {
    /// As documented, with `{parameters}`.
    template: Arc<str>,
    /// The path's segments; `None` stands for a `{parameter}`.
    segments: Vec<Option<String>>,
    methods: Vec<Method>,
    /// `methods` as an `Allow` header value.
    allow: HeaderValue,
    area: &'static Area,
}

impl Route {
    /// A copy that shares nothing with this one (see [`RouteTable::for_worker`]).
    fn own_copy(&self) -> Route {
        Route {
            template: Arc::from(&*self.template),
            segments: self.segments.clone(),
            methods: self.methods.clone(),
            allow: HeaderValue::from_bytes(self.allow.as_bytes())
                .unwrap_or_else(|_| self.allow.clone()),
            area: self.area,
        }
    }

    pub fn area(&self) -> &'static Area {
        self.area
    }

    /// The path as documented, with `{parameters}` (a metric's label).
    pub fn template(&self) -> &Arc<str> {
        &self.template
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

    /// Whether the path split into `given` (as many segments as the route has) matches.
    fn matches(&self, given: &[&str]) -> bool {
        // Last segment first: that is where documented paths differ.
        self.segments
            .iter()
            .zip(given)
            .rev()
            .all(|(segment, given)| match segment {
                Some(literal) => literal == given,
                None => !given.is_empty(),
            })
    }
}

/// More segments than any documented path has (checked when the table is built; the longest,
/// `/api/mgmt/oauth/client/applications/{id}/reset`, has 8, counting the empty one before the
/// first `/`).
const MAX_SEGMENTS: usize = 16;

/// The documented paths, indexed by number of segments: a path is compared only with routes
/// as long as it is.
#[derive(Debug)]
pub struct RouteTable {
    by_length: Vec<Vec<Arc<Route>>>,
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

impl RouteTable {
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
                    template: path.as_str().into(),
                    segments,
                    methods,
                    allow,
                    area: area_of(path),
                })
            })
            .collect();
        let longest = routes.iter().map(|r| r.segments.len()).max().unwrap_or(0);
        assert!(
            longest <= MAX_SEGMENTS,
            "a documented path has more than {MAX_SEGMENTS} segments"
        );
        let mut by_length: Vec<Vec<Arc<Route>>> = (0..=longest).map(|_| Vec::new()).collect();
        for route in routes {
            by_length[route.segments.len()].push(Arc::new(route));
        }
        // A literal segment wins over a parameter: `/oauthprofiles/connect` is not profile
        // "connect" of `/oauthprofiles/{id}`, whatever order the document lists them in.
        for routes in &mut by_length {
            routes.sort_by_key(|route| route.segments.iter().filter(|s| s.is_none()).count());
        }
        RouteTable { by_length }
    }

    /// A copy for one worker, whose routes share nothing with this table's. A request's
    /// decision counts references to its route (and its metric label to the route's template);
    /// with one table for all workers, every request would write to memory that the workers'
    /// cores pass back and forth.
    pub fn for_worker(&self) -> RouteTable {
        RouteTable {
            by_length: self
                .by_length
                .iter()
                .map(|routes| {
                    routes
                        .iter()
                        .map(|route| Arc::new(route.own_copy()))
                        .collect()
                })
                .collect(),
        }
    }

    /// What the table says about `path`.
    pub fn decide(&self, path: &str) -> Decision {
        // The path is split once, into a buffer on the stack: no documented path has more
        // segments than it holds, so a longer path matches no route.
        let mut given = [""; MAX_SEGMENTS];
        let mut length = 0;
        for segment in path.split('/') {
            if length == MAX_SEGMENTS {
                length = usize::MAX;
                break;
            }
            given[length] = segment;
            length += 1;
        }
        let route = self
            .by_length
            .get(length)
            .and_then(|routes| routes.iter().find(|route| route.matches(&given[..length])))
            .cloned();
        Decision {
            area: route.as_ref().map_or_else(|| area_of(path), |r| r.area),
            route,
        }
    }

    /// The `Allow` value when `path` is documented and `method` is not one of its methods.
    pub fn refused(&self, method: &Method, path: &str) -> Option<HeaderValue> {
        self.decide(path).route?.allows(method).err()
    }
}

/// The table's answer for one request, in its extensions from [`decide`] on.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The part of the API the path lies in.
    pub area: &'static Area,
    /// The documented route it matches, if any.
    pub route: Option<Arc<Route>>,
}

impl Decision {
    /// The decision [`decide`] left on `req`; for a request that did not pass it (a unit test
    /// of a handler), the area of its path.
    pub fn of(req: &HttpRequest) -> Decision {
        req.extensions()
            .get::<Decision>()
            .cloned()
            .unwrap_or_else(|| Decision {
                area: area_of(req.path()),
                route: None,
            })
    }

    /// Whether the route exists but does not take `method`.
    pub fn wrong_method(&self, method: &Method) -> bool {
        self.route
            .as_ref()
            .is_some_and(|route| route.allows(method).is_err())
    }

    /// Whether `?tenantName=` is translated for a request with `method`.
    pub fn translates_tenant_name(&self, method: &Method) -> bool {
        let (list_method, list) = &TENANT_NAME_FILTERED;
        method == list_method && self.route.as_ref().is_some_and(|r| &*r.template == *list)
    }

    /// Whether a request with `method` makes its service call an OAuth provider.
    pub fn calls_provider(&self, method: &Method) -> bool {
        self.route.as_ref().is_some_and(|route| {
            PROVIDER_CALLS
                .iter()
                .any(|(m, template)| m == method && &*route.template == *template)
        })
    }

    /// Whether a request with `method` may change identities.
    pub fn changes_identities(&self, method: &Method) -> bool {
        self.area.changes_identities && !matches!(*method, Method::GET | Method::HEAD)
    }

    /// Whether a request with `method` may revoke access tokens.
    pub fn revokes_tokens(&self, method: &Method) -> bool {
        self.area.revokes_tokens && !matches!(*method, Method::GET | Method::HEAD)
    }
}

/// Decides `req`'s route once, after the canonical-path check ([`crate::front`]), and leaves
/// the [`Decision`] in its extensions; its area is returned.
pub fn decide(req: &ServiceRequest) -> &'static Area {
    let decision = match req.app_data::<web::Data<RouteTable>>() {
        Some(table) => table.decide(req.path()),
        None => Decision::of(req.request()),
    };
    let area = decision.area;
    req.extensions_mut().insert(decision);
    area
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
    let allow = Decision::of(&req)
        .route
        .and_then(|route| route.allows(req.method()).err());
    match allow {
        Some(allow) => Ok(method_not_allowed(&req, allow)),
        None => api_common::http::method_not_allowed(req).await,
    }
}

#[cfg(test)]
mod tests;
