//! One documentation function per public operation. They are never called: the handlers live
//! in the services and the gateway; `#[utoipa::path]` only reads their attributes.

#![expect(
    dead_code,
    reason = "documentation-only functions, read by the OpenAPI derive"
)]

use api_common::ErrorEnvelope;
use client_registration_client::{
    ClientApplication, ClientApplicationList, ClientApplicationRequest,
};
use oauth_apps_client::{OauthApp, OauthAppList, OauthAppRequest};
use oauth_profiles_client::{OauthProfile, OauthProfileList, OauthProfileRequest, ProfileToken};

use crate::responses::{
    Absent, BadGateway, BadRequest, Body, Conflict, Conflicting, Denied, Errors, GatewayTimeout,
    InternalError, Invalid, Peer, Provider, ServiceUnavailable,
};
use identity::views::{TenantList, TenantView, UserList, UserView};

use crate::schemas::{Health, TenantRequest, UserCreateRequest, UserUpdateRequest};

pub const APPS: &str = "OAuth applications";
pub const PROFILES: &str = "OAuth profiles";
pub const CLIENTS: &str = "Client applications";
pub const TENANTS: &str = "Tenants";
pub const USERS: &str = "Users";
pub const GATEWAY: &str = "Gateway";

// ---- OAuth applications (oauth-apps) ----

#[utoipa::path(post, path = "/api/mgmt/oauthapps", tag = APPS,
    summary = "Create an OAuth application",
    description = "Administrators in any tenant; MgmtAPI (11) + OAuth (28) in the caller's own tenant or, for a system-tenant user, in the tenants they administer. Names are unique per tenant.",
    request_body(content = OauthAppRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; the answer carries the `clientSecret` that was sent.", body = OauthApp),
        Errors<(Invalid, Denied, Conflicting, Body, Peer)>,
    ))]
fn create_oauth_app() {}

#[utoipa::path(get, path = "/api/mgmt/oauthapps", tag = APPS,
    summary = "List OAuth applications",
    description = "The applications the caller may read (their tenant's, the system tenant's and those of tenants they administer; administrators all), ordered by id, one page at a time. List items carry neither `clientId` nor `clientSecret`.",
    params(
        ("tenantId" = Option<i64>, Query, minimum = 1, description = "Only this tenant's applications."),
        ("tenantName" = Option<String>, Query, description = "Only this tenant's applications, by name; an unknown name matches nothing. With `tenantId` too, both filters apply."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, default 100."),
        ("after" = Option<i64>, Query, minimum = 0, description = "Only ids greater than this: the last id of the previous page."),
    ),
    responses(
        (status = 200, description = "One page of applications.", body = OauthAppList),
        Errors<(Invalid, Denied, Peer)>,
    ))]
fn list_oauth_apps() {}

#[utoipa::path(get, path = "/api/mgmt/oauthapps/{id}", tag = APPS,
    summary = "Read an OAuth application",
    description = "Never returns `clientSecret`. An application the caller may not read is 404, as one that does not exist.",
    params(("id" = i64, Path, minimum = 1, description = "The application's id.")),
    responses(
        (status = 200, description = "The application.", body = OauthApp),
        Errors<(Invalid, Denied, Absent, Peer)>,
    ))]
fn read_oauth_app() {}

#[utoipa::path(put, path = "/api/mgmt/oauthapps/{id}", tag = APPS,
    summary = "Replace an OAuth application",
    description = "Replaces the whole application under the rules of create. Moving it to another tenant is refused (409) while profiles of owners in other tenants use it; moving it to the system tenant is always allowed.",
    params(("id" = i64, Path, minimum = 1, description = "The application's id.")),
    request_body(content = OauthAppRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The application as stored, with the `clientSecret` that was sent.", body = OauthApp),
        Errors<(Invalid, Denied, Absent, Conflicting, Body, Peer)>,
    ))]
fn update_oauth_app() {}

#[utoipa::path(delete, path = "/api/mgmt/oauthapps/{id}", tag = APPS,
    summary = "Delete an OAuth application",
    description = "Refused (409) while any OAuth profile, of any user, uses the application.",
    params(("id" = i64, Path, minimum = 1, description = "The application's id.")),
    responses(
        (status = 204, description = "Deleted."),
        Errors<(Invalid, Denied, Absent, Conflicting, Peer)>,
    ))]
fn delete_oauth_app() {}

// ---- OAuth profiles (oauth-profiles) ----

#[utoipa::path(post, path = "/api/mgmt/oauthprofiles", tag = PROFILES,
    summary = "Create an OAuth profile",
    description = "MgmtAPI (11) + CreateDataSource (1), or an administrator. The profile belongs to the caller, or to `?user=`. `oauthAppId` must name an application of the owner's tenant or of the system tenant (else 400 `222207702`). Names are unique per owner.",
    params(("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user (administrators; MgmtAPI + OnBehalfOf (21) for users of tenants the caller administers).")),
    request_body(content = OauthProfileRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = OauthProfile),
        Errors<(Invalid, Denied, Conflicting, Body, Peer)>,
    ))]
fn create_oauth_profile() {}

#[utoipa::path(get, path = "/api/mgmt/oauthprofiles", tag = PROFILES,
    summary = "List OAuth profiles",
    description = "The owner's profiles, without tokens, ordered by id, one page at a time. MgmtAPI (11) + ViewDataSource (2), or an administrator.",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, default 100."),
        ("after" = Option<i64>, Query, minimum = 0, description = "Only ids greater than this: the last id of the previous page."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 200, description = "One page of profiles.", body = OauthProfileList),
        Errors<(Invalid, Denied, Peer)>,
    ))]
fn list_oauth_profiles() {}

#[utoipa::path(get, path = "/api/mgmt/oauthprofiles/{id}", tag = PROFILES,
    summary = "Read an OAuth profile",
    description = "With its tokens. Another user's profile is 404. MgmtAPI (11) + ViewDataSource (2), or an administrator.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The profile's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 200, description = "The profile.", body = OauthProfile),
        Errors<(Invalid, Denied, Absent, Peer)>,
    ))]
fn read_oauth_profile() {}

#[utoipa::path(put, path = "/api/mgmt/oauthprofiles/{id}", tag = PROFILES,
    summary = "Replace an OAuth profile",
    description = "Replaces the whole profile under the rules of create. MgmtAPI (11) + ModifyDataSource (3), or an administrator.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The profile's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    request_body(content = OauthProfileRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Replaced; no body, as the product answers."),
        Errors<(Invalid, Denied, Absent, Conflicting, Body, Peer)>,
    ))]
fn update_oauth_profile() {}

#[utoipa::path(delete, path = "/api/mgmt/oauthprofiles/{id}", tag = PROFILES,
    summary = "Delete an OAuth profile",
    description = "MgmtAPI (11) + DeleteDataSource (4), or an administrator.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The profile's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        Errors<(Invalid, Denied, Absent, Peer)>,
    ))]
fn delete_oauth_profile() {}

#[utoipa::path(get, path = "/api/mgmt/oauthprofiles/connect", tag = PROFILES,
    summary = "Connect a new OAuth profile: start the authorization-code flow",
    description = "MgmtAPI (11) + CreateDataSource (1), or an administrator. Answers 302 to the application's `authorizeURI` with `response_type=code`, its `clientId` and `scope`, a single-use `state` bound to the caller (or `?user=`), the application and the name (valid 10 minutes), PKCE (`S256`) and `redirect_uri` = `<PUBLIC_URL>/api/mgmt/oauthprofiles/callback`. The application must be usable by the owner (else 400 `222207702`); a name the owner already uses is 409. See docs/connect.md.",
    params(
        ("oauthAppId" = i64, Query, minimum = 1, description = "The OAuth application to connect through."),
        ("name" = String, Query, description = "The new profile's name: letters, digits, underscore; at most 128."),
        ("description" = Option<String>, Query, description = "The new profile's description, at most 256 characters."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 302, description = "To the provider's authorization page.",
            headers(("Location" = String, description = "The application's `authorizeURI` with the flow's parameters."))),
        Errors<(Invalid, Denied, Conflicting, Peer)>,
    ))]
fn connect_oauth_profile() {}

#[utoipa::path(get, path = "/api/mgmt/oauthprofiles/callback", tag = PROFILES,
    summary = "Finish connecting an OAuth profile (the provider's redirect)",
    description = "No credentials: authenticated by `state` alone, which works once. Exchanges `code` at the application's `tokenURI` (with the PKCE verifier and the client authentication of its `tokenAuthMethod`) and creates the profile for the user who started the flow. An `error` from the provider, or a missing, unknown, used or expired `state`, is 400; a provider that issues no refresh token is 502.",
    params(
        ("code" = Option<String>, Query, description = "The authorization code."),
        ("state" = String, Query, description = "The state connect sent."),
        ("error" = Option<String>, Query, description = "The provider's refusal (RFC 6749 4.1.2.1)."),
    ),
    security(()),
    responses(
        (status = 201, description = "Created, with the tokens.", body = OauthProfile),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 500, response = InternalError),
        (status = 502, response = BadGateway),
        (status = 503, response = ServiceUnavailable),
        (status = 504, response = GatewayTimeout),
    ))]
fn oauth_profile_callback() {}

#[utoipa::path(post, path = "/api/mgmt/oauthprofiles/{id}/refresh", tag = PROFILES,
    summary = "Refresh an OAuth profile's tokens",
    description = "MgmtAPI (11) + ModifyDataSource (3), or an administrator. A `refresh_token` grant at the application's `tokenURI`; a rotated refresh token is kept in the same write. Single flight: concurrent refreshes of one profile, on any replica, make one request to the provider and share its result. `invalid_grant` is 409 `222207720` (the profile's `status` becomes `reauthorization_required`); a provider down or failing is 502, too slow 504; the stored tokens are untouched by any failure. Answers within 30 s.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The profile's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 200, description = "The profile with its new tokens.", body = OauthProfile),
        Errors<(Invalid, Denied, Absent, Conflicting, Provider)>,
    ))]
fn refresh_oauth_profile() {}

#[utoipa::path(get, path = "/api/mgmt/oauthprofiles/{id}/token", tag = PROFILES,
    summary = "A valid access token of an OAuth profile",
    description = "MgmtAPI (11) + ViewDataSource (2), or an administrator. The stored access token when it is valid for at least 60 more seconds (or its expiry is unknown); otherwise it is refreshed first, single flight as `refresh`. Within 30 s (configurable) of a failed refresh, a token that needs refreshing is 503 with `Retry-After` at once, without asking the provider. `reauthorization_required` profiles are 409 `222207720`.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The profile's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 200, description = "The access token and its expiry.", body = ProfileToken),
        Errors<(Invalid, Denied, Absent, Conflicting, Provider)>,
    ))]
fn oauth_profile_token() {}

// ---- Client applications (client-registration) ----

#[utoipa::path(post, path = "/api/mgmt/oauth/client/applications", tag = CLIENTS,
    summary = "Register a client application",
    description = "Any active user, for themself (or `?user=`). The answer is the only one that shows the new `clientSecret`. Names are unique per owner.",
    params(("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user.")),
    request_body(content = ClientApplicationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered, with `clientId` and `clientSecret`.", body = ClientApplication),
        Errors<(Invalid, Denied, Conflicting, Body, Peer)>,
        (status = 500, description = "`222206628`: the application could not be created at this time; or `222200099`.", body = ErrorEnvelope),
    ))]
fn create_client_application() {}

#[utoipa::path(get, path = "/api/mgmt/oauth/client/applications", tag = CLIENTS,
    summary = "List client applications",
    description = "The owner's client applications, without secrets, ordered by id, one page at a time.",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, default 100."),
        ("after" = Option<i64>, Query, minimum = 0, description = "Only ids greater than this: the last id of the previous page."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 200, description = "One page of client applications.", body = ClientApplicationList),
        Errors<(Invalid, Denied, Peer)>,
    ))]
fn list_client_applications() {}

#[utoipa::path(get, path = "/api/mgmt/oauth/client/applications/{id}", tag = CLIENTS,
    summary = "Read a client application",
    description = "Without its secret. Another user's application is 404.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The client application's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 200, description = "The client application.", body = ClientApplication),
        Errors<(Invalid, Denied, Absent, Peer)>,
    ))]
fn read_client_application() {}

#[utoipa::path(put, path = "/api/mgmt/oauth/client/applications/{id}", tag = CLIENTS,
    summary = "Replace a client application",
    description = "Replaces name, description and redirect URLs; the credentials stay.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The client application's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    request_body(content = ClientApplicationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The client application as stored, without its secret.", body = ClientApplication),
        Errors<(Invalid, Denied, Absent, Conflicting, Body, Peer)>,
    ))]
fn update_client_application() {}

#[utoipa::path(delete, path = "/api/mgmt/oauth/client/applications/{id}", tag = CLIENTS,
    summary = "Delete a client application",
    params(
        ("id" = i64, Path, minimum = 1, description = "The client application's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        Errors<(Invalid, Denied, Absent, Peer)>,
    ))]
fn delete_client_application() {}

#[utoipa::path(put, path = "/api/mgmt/oauth/client/applications/{id}/reset", tag = CLIENTS,
    summary = "Reset a client application's secret",
    description = "Replaces the secret at once; the answer is the only one that shows the new one. No body is read.",
    params(
        ("id" = i64, Path, minimum = 1, description = "The client application's id."),
        ("user" = Option<String>, Query, min_length = 1, description = "Act on behalf of this user."),
    ),
    responses(
        (status = 200, description = "The client application with its new `clientSecret`.", body = ClientApplication),
        Errors<(Invalid, Denied, Absent, Peer)>,
    ))]
fn reset_client_application() {}

// ---- Tenants (the gateway) ----

#[utoipa::path(post, path = "/api/admin/tenants", tag = TENANTS,
    summary = "Create a tenant",
    description = "Administrators only. Names are unique.",
    request_body(content = TenantRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = TenantView),
        Errors<(Invalid, Denied, Conflicting, Body)>,
    ))]
fn create_tenant() {}

#[utoipa::path(get, path = "/api/admin/tenants", tag = TENANTS,
    summary = "List tenants",
    description = "Administrators see all; others their own and those they administer. Not paged.",
    responses(
        (status = 200, description = "The tenants.", body = TenantList),
        Errors<()>,
    ))]
fn list_tenants() {}

#[utoipa::path(get, path = "/api/admin/tenants/{id}", tag = TENANTS,
    summary = "Read a tenant",
    params(("id" = i64, Path, minimum = 1, description = "The tenant's id.")),
    responses(
        (status = 200, description = "The tenant.", body = TenantView),
        Errors<(Invalid, Absent)>,
    ))]
fn read_tenant() {}

#[utoipa::path(put, path = "/api/admin/tenants/{id}", tag = TENANTS,
    summary = "Replace a tenant",
    description = "Administrators only.",
    params(("id" = i64, Path, minimum = 1, description = "The tenant's id.")),
    request_body(content = TenantRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The tenant as stored.", body = TenantView),
        Errors<(Invalid, Denied, Absent, Conflicting, Body)>,
    ))]
fn update_tenant() {}

#[utoipa::path(delete, path = "/api/admin/tenants/{id}", tag = TENANTS,
    summary = "Delete a tenant",
    description = "Administrators only. Not the system tenant (1), nor one that still has users (409). The tenant leaves every user's `administeredTenants`.",
    params(("id" = i64, Path, minimum = 1, description = "The tenant's id.")),
    responses(
        (status = 204, description = "Deleted."),
        Errors<(Invalid, Denied, Absent, Conflicting)>,
    ))]
fn delete_tenant() {}

// ---- Users (the gateway) ----

#[utoipa::path(post, path = "/api/admin/users", tag = USERS,
    summary = "Create a user",
    description = "Administrators; or MgmtAPI (11) for the tenants the caller administers, granting only permissions they hold and tenants they administer. User names are unique.",
    request_body(content = UserCreateRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; never the password.", body = UserView),
        Errors<(Invalid, Denied, Conflicting, Body)>,
    ))]
fn create_user() {}

#[utoipa::path(get, path = "/api/admin/users", tag = USERS,
    summary = "List users",
    description = "The users the caller may manage or see. Not paged.",
    params(("tenantId" = Option<i64>, Query, minimum = 1, description = "Only this tenant's users.")),
    responses(
        (status = 200, description = "The users.", body = UserList),
        Errors<(Invalid, Denied)>,
    ))]
fn list_users() {}

#[utoipa::path(get, path = "/api/admin/users/{id}", tag = USERS,
    summary = "Read a user",
    params(("id" = i64, Path, minimum = 1, description = "The user's id.")),
    responses(
        (status = 200, description = "The user; never the password.", body = UserView),
        Errors<(Invalid, Denied, Absent)>,
    ))]
fn read_user() {}

#[utoipa::path(put, path = "/api/admin/users/{id}", tag = USERS,
    summary = "Replace a user",
    description = "Replaces everything but the password, which changes only when sent. Takes effect on the next request.",
    params(("id" = i64, Path, minimum = 1, description = "The user's id.")),
    request_body(content = UserUpdateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The user as stored.", body = UserView),
        Errors<(Invalid, Denied, Absent, Conflicting, Body)>,
    ))]
fn update_user() {}

#[utoipa::path(delete, path = "/api/admin/users/{id}", tag = USERS,
    summary = "Delete a user and their data",
    description = "Deletes the user's OAuth profiles and client applications too. The user is deactivated and the deletion recorded at once; if a service cannot be reached the answer is 202 and the gateway finishes the deletion by itself, retrying until it is complete. A DELETE of a user being deleted is 202 (or 204), never 404. Nobody deletes themself, and the last active administrator stays (409).",
    params(("id" = i64, Path, minimum = 1, description = "The user's id.")),
    responses(
        (status = 204, description = "Deleted, with all their data."),
        (status = 202, description = "The user is deactivated and the deletion recorded; it completes without further requests."),
        Errors<(Invalid, Denied, Absent, Conflicting, Peer)>,
    ))]
fn delete_user() {}

// ---- The gateway's own, without credentials ----

#[utoipa::path(get, path = "/healthz", tag = GATEWAY,
    summary = "Health check",
    description = "Whether the gateway process is up and serving HTTP (the liveness check); \
        whether it can serve requests is `/readyz`. No credentials.",
    security(()),
    responses(
        (status = 200, description = "Up.", body = Health),
    ))]
fn healthz() {}

#[utoipa::path(get, path = "/readyz", tag = GATEWAY,
    summary = "Readiness check",
    description = "Whether the gateway can serve: its database answers with its migrations \
        current, and each service answers its own health check. The 503 names what is not \
        ready. No credentials.",
    security(()),
    responses(
        (status = 200, description = "Ready (`status` is `ready`).", body = Health),
        (status = 503, response = ServiceUnavailable),
    ))]
fn readyz() {}

#[utoipa::path(get, path = "/openapi.json", tag = GATEWAY,
    summary = "This document",
    description = "The OpenAPI 3.1 description of the public API. No credentials.",
    security(()),
    responses((status = 200, description = "The document.", content_type = "application/json")))]
fn openapi_json() {}
