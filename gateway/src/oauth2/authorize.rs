//! `GET|POST /oauth2/authorize` (and under `/api/mgmt`): the authorization endpoint of RFC
//! 6749 4.1, answered by the gateway itself.
//!
//! The client and its redirect URI are checked first: a bad one is a 400 page and nothing is
//! sent anywhere. Every other error of the request redirects to the client with `error` and
//! `state` (RFC 6749 4.1.2.1). Then the person is identified, in this order:
//! - HTTP Basic credentials on a POST (a client without a browser) with the form field
//!   `consent=allow|deny`: 302 to the redirect URI with a code, or `error=access_denied`; wrong
//!   credentials are 401 with a Basic challenge and no redirect;
//! - a sign-in form posted (`username`, `password`, with its CSRF token): a new session, then
//!   as for a session; a wrong password shows the form again (401);
//! - a consent form posted (`consent`, with the session's CSRF token);
//! - the session cookie: a remembered consent that covers the scopes issues a code at once,
//!   else the consent page;
//! - else the sign-in page.
//!
//! A form posted without a valid CSRF token is a 403 page and changes nothing. Every check
//! is made again on every request, POSTs included: the forms carry the request's parameters,
//! not a decision.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use api_common::{ApiError, ErrorCode};
use db::DbPool;
use internal_auth::Identity;

use super::csrf::{random_token, same};
use super::errors;
use super::pages;
use super::params::{
    self, Authorization, BadClient, Params, Redirect, RedirectError, OAUTH_PARAMS,
};
use super::sessions::{self, Session, COOKIE, CSRF_COOKIE, LIFETIME};
use super::AuthorizationServer;
use crate::auth::Authenticator;
use client_registration_client::oauth2::{NewCode, OauthClient, PKCE_METHOD_S256};

/// Largest form body read, in bytes (the forms hold a few short fields).
pub const FORM_MAX: usize = 16 * 1024;
/// Longest `client_id` looked up (real ones are UUIDs).
const CLIENT_ID_MAX: usize = 256;
/// The message of a failed sign-in: the same whatever was wrong.
const BAD_SIGN_IN: &str = "Invalid user name or password.";
/// The form field of the CSRF token.
const CSRF_FIELD: &str = "csrf";

/// The authorization endpoint.
pub async fn authorize(
    req: HttpRequest,
    body: web::Bytes,
    server: web::Data<AuthorizationServer>,
    authenticator: web::Data<Authenticator>,
    pool: web::Data<DbPool>,
) -> HttpResponse {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let form: &[u8] = match (req.method() == Method::POST && is_form, body.len()) {
        (true, length) if length > FORM_MAX => {
            return pages::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                "The form is larger than this server accepts.",
            )
        }
        (true, _) => &body,
        (false, _) => b"",
    };
    let params = Params::parse(req.query_string(), form);
    let system = match authenticator.system_token() {
        Ok(token) => token,
        Err(err) => return failure_page(&err),
    };
    let client = match client_of(&server, &system, &params).await {
        Ok(client) => client,
        Err(page) => return page,
    };
    let redirect = match params::redirect_for(&client, &params) {
        Ok(redirect) => redirect,
        Err(BadClient::RedirectUri(reason) | BadClient::ClientId(reason)) => {
            return pages::error(StatusCode::BAD_REQUEST, "Invalid redirect URI", &reason)
        }
    };
    let authorization = match params::check(&params) {
        Ok(authorization) => authorization,
        Err(error) => return redirect_error(&redirect, &error),
    };
    let flow = Flow {
        req: &req,
        server: &server,
        authenticator: &authenticator,
        pool: &pool,
        system,
        client,
        redirect,
        authorization,
        params: &params,
    };
    let posted = req.method() == Method::POST;
    let answer = match Authenticator::basic_credentials(req.headers()) {
        // A browser remembers Basic credentials for a site and sends them with any form posted
        // to it, from any page: a form of another site would grant its client a code. Clients
        // without a browser send neither `Origin` nor `Sec-Fetch-Site`.
        Some(_) if posted && from_a_browser_page(&req, &server.origin) => Ok(forged()),
        Some(credentials) if posted => flow.basic(credentials).await,
        _ if posted && params.has("username") => flow.sign_in().await,
        _ if posted && params.has("consent") => flow.consented().await,
        _ => flow.resume().await,
    };
    answer.unwrap_or_else(|err| failure_page(&err))
}

/// The client the request names, or the error page.
async fn client_of(
    server: &AuthorizationServer,
    system: &str,
    params: &Params,
) -> Result<OauthClient, HttpResponse> {
    let bad = |reason: &str| pages::error(StatusCode::BAD_REQUEST, "Invalid client", reason);
    let client_id = match params.one("client_id") {
        Ok(Some(client_id)) => client_id,
        Ok(None) => return Err(bad("The request does not name a client (client_id).")),
        Err(reason) => return Err(bad(&reason)),
    };
    if client_id.len() > CLIENT_ID_MAX {
        return Err(bad("There is no client application with this client_id."));
    }
    match server.peer.oauth2_client(system, client_id).await {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(bad("There is no client application with this client_id.")),
        Err(err) => Err(failure_page(&ApiError::from(err))),
    }
}

/// The page for a failure that is not the request's (a peer down, a database error).
fn failure_page(err: &ApiError) -> HttpResponse {
    let status = actix_web::ResponseError::status_code(err);
    let message = match err.code() {
        ErrorCode::ServiceUnavailable | ErrorCode::UpstreamTimeout => {
            "The service is unavailable at this time. Please try again later."
        }
        _ => "Something went wrong. Please try again later.",
    };
    if status.is_server_error() {
        log::warn!("the authorize endpoint failed: {err}");
    }
    pages::error(status, "Unavailable", message)
}

/// A 302 to the redirect URI with `pairs` and the request's `state`.
fn redirect_to(redirect: &Redirect, pairs: &[(&str, &str)]) -> HttpResponse {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    if let Some(state) = &redirect.state {
        query.append_pair("state", state);
    }
    let separator = match redirect.uri.contains('?') {
        true => '&',
        false => '?',
    };
    let location = format!("{}{separator}{}", redirect.uri, query.finish());
    pages::headers(&mut HttpResponse::Found())
        .insert_header((header::LOCATION, location))
        .finish()
}

/// An RFC 6749 4.1.2.1 error, sent to the client.
fn redirect_error(redirect: &Redirect, error: &RedirectError) -> HttpResponse {
    redirect_to(
        redirect,
        &[
            ("error", error.error),
            ("error_description", &error.description),
        ],
    )
}

/// One authorization request, its client and redirect URI checked.
struct Flow<'r> {
    req: &'r HttpRequest,
    server: &'r AuthorizationServer,
    authenticator: &'r Authenticator,
    pool: &'r DbPool,
    system: String,
    client: OauthClient,
    redirect: Redirect,
    authorization: Authorization,
    params: &'r Params,
}

impl Flow<'_> {
    /// The request's parameters, for the forms to carry on.
    fn fields(&self) -> Vec<(&'static str, String)> {
        OAUTH_PARAMS
            .into_iter()
            .filter_map(|name| Some((name, self.params.one(name).ok()??.to_owned())))
            .collect()
    }

    /// A client without a browser: Basic credentials and `consent=allow|deny`.
    async fn basic(
        &self,
        credentials: Result<(String, String), ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        let identity = match credentials {
            Ok((user_name, secret)) => self.authenticator.sign_in(&user_name, secret).await,
            Err(err) => Err(err),
        };
        let identity = match identity {
            Ok(identity) => identity,
            Err(err) => return Ok(errors::from_api_error(&err)),
        };
        match self.params.one("consent") {
            Ok(Some("allow")) => self.issue_code(identity.user_id, &identity.user_name).await,
            Ok(Some("deny")) => Ok(self.denied()),
            _ => Ok(redirect_error(
                &self.redirect,
                &RedirectError {
                    error: "invalid_request",
                    description: "Send consent=allow or consent=deny with Basic credentials"
                        .to_owned(),
                },
            )),
        }
    }

    /// The sign-in form, posted.
    async fn sign_in(&self) -> Result<HttpResponse, ApiError> {
        let browser = sessions::cookie(self.req, CSRF_COOKIE);
        let token = self.params.one(CSRF_FIELD).ok().flatten();
        let valid = match (browser, token) {
            (Some(browser), Some(token)) => same(&self.server.keys.sign_in_token(&browser), token),
            _ => false,
        };
        if !valid {
            return Ok(forged());
        }
        let (Ok(Some(user_name)), Ok(Some(password))) =
            (self.params.one("username"), self.params.one("password"))
        else {
            return Ok(self.sign_in_page(
                StatusCode::BAD_REQUEST,
                Some("Enter your user name and password."),
            ));
        };
        let identity: Identity = match self
            .authenticator
            .sign_in(user_name, password.to_owned())
            .await
        {
            Ok(identity) => identity,
            Err(err) if err.code() == ErrorCode::Unauthenticated => {
                return Ok(self.sign_in_page(StatusCode::UNAUTHORIZED, Some(BAD_SIGN_IN)))
            }
            Err(err) => return Err(err),
        };
        // The row just verified (from the user cache): its password hash stamps the session.
        let Some(user) = self.authenticator.find_user_by_id(identity.user_id).await? else {
            return Ok(self.sign_in_page(StatusCode::UNAUTHORIZED, Some(BAD_SIGN_IN)));
        };
        let (id, hash) = sessions::create(self.pool, &self.server.keys, &user).await?;
        let cookie = sessions::set_cookie(
            COOKIE,
            &id,
            "Lax",
            self.server.secure_cookies,
            Some(LIFETIME),
        );
        let mut answer = self
            .as_signed_in(identity.user_id, &identity.user_name, &hash)
            .await?;
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            answer.headers_mut().append(header::SET_COOKIE, value);
        }
        Ok(answer)
    }

    /// The consent form, posted.
    async fn consented(&self) -> Result<HttpResponse, ApiError> {
        let Some(session) = self.session().await? else {
            return Ok(forged());
        };
        let token = self.params.one(CSRF_FIELD).ok().flatten();
        let expected = self.server.keys.consent_token(&session.hash);
        if !token.is_some_and(|token| same(&expected, token)) {
            return Ok(forged());
        }
        match self.params.one("consent") {
            Ok(Some("allow")) => {
                self.issue_code(session.user.id, &session.user.user_name)
                    .await
            }
            Ok(Some("deny")) => Ok(self.denied()),
            _ => Ok(forged()),
        }
    }

    /// Anything else: a signed-in browser goes on, another is asked to sign in.
    async fn resume(&self) -> Result<HttpResponse, ApiError> {
        match self.session().await? {
            Some(session) => {
                self.as_signed_in(session.user.id, &session.user.user_name, &session.hash)
                    .await
            }
            None => Ok(self.sign_in_page(StatusCode::OK, None)),
        }
    }

    async fn session(&self) -> Result<Option<Session>, ApiError> {
        sessions::current(self.req, self.pool, &self.server.keys, self.authenticator).await
    }

    /// A signed-in user: a code at once when they consented to these scopes before, else
    /// the consent page.
    async fn as_signed_in(
        &self,
        user_id: i64,
        user_name: &str,
        session_hash: &str,
    ) -> Result<HttpResponse, ApiError> {
        let consent = self
            .server
            .peer
            .oauth2_consent(&self.system, user_id, self.client.id)
            .await?;
        let remembered = self
            .authorization
            .scopes
            .iter()
            .all(|scope| consent.scopes.iter().any(|given| given == scope));
        if remembered {
            return self.issue_code(user_id, user_name).await;
        }
        let mut fields = self.fields();
        fields.push((CSRF_FIELD, self.server.keys.consent_token(session_hash)));
        Ok(pages::consent(
            self.req.path(),
            &self.client.name,
            self.client.description.as_deref(),
            user_name,
            &self.authorization.scopes,
            &fields,
            &self.redirect.uri,
        ))
    }

    /// The sign-in page, with a CSRF cookie for its form.
    fn sign_in_page(&self, status: StatusCode, error: Option<&str>) -> HttpResponse {
        let browser = sessions::cookie(self.req, CSRF_COOKIE)
            .filter(|value| value.len() == 43)
            .unwrap_or_else(random_token);
        let mut fields = self.fields();
        fields.push((CSRF_FIELD, self.server.keys.sign_in_token(&browser)));
        let mut page = pages::sign_in(
            status,
            self.req.path(),
            &self.client.name,
            &fields,
            error,
            &self.redirect.uri,
        );
        let cookie = sessions::set_cookie(
            CSRF_COOKIE,
            &browser,
            "Strict",
            self.server.secure_cookies,
            None,
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            page.headers_mut().append(header::SET_COOKIE, value);
        }
        if status == StatusCode::UNAUTHORIZED {
            // A scheme no browser acts on: the form is how to authenticate, not a dialog.
            page.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Form realm=\"hdp-oauth\""),
            );
        }
        page
    }

    /// The user said no.
    fn denied(&self) -> HttpResponse {
        redirect_error(
            &self.redirect,
            &RedirectError {
                error: "access_denied",
                description: "The user denied access".to_owned(),
            },
        )
    }

    /// A code for `user_id`, sent to the client (and the consent remembered).
    async fn issue_code(&self, user_id: i64, user_name: &str) -> Result<HttpResponse, ApiError> {
        let request = NewCode {
            user_id,
            user_name: Some(user_name.to_owned()),
            client_app_id: self.client.id,
            redirect_uri: self.redirect.given.then(|| self.redirect.uri.clone()),
            scope: self.authorization.scope(),
            code_challenge: Some(self.authorization.code_challenge.clone()),
            code_challenge_method: Some(PKCE_METHOD_S256.to_owned()),
        };
        let issued = self
            .server
            .peer
            .oauth2_create_code(&self.system, &request)
            .await?;
        Ok(redirect_to(&self.redirect, &[("code", &issued.code)]))
    }
}

/// Whether a browser sent `req` from a page (of another site, or of this one with no referrer):
/// `Origin` other than `origin`, or `Sec-Fetch-Site` other than `none`.
fn from_a_browser_page(req: &HttpRequest, origin: &str) -> bool {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|value| value.to_str().unwrap_or("?"))
    };
    header("origin").is_some_and(|sent| sent != origin)
        || header("sec-fetch-site").is_some_and(|site| site != "none" && site != "same-origin")
}

/// A form that did not come from this server's page (or whose page expired): refused, and
/// nothing changed.
fn forged() -> HttpResponse {
    pages::error(
        StatusCode::FORBIDDEN,
        "Form refused",
        "This form has expired or did not come from this site. Go back to the application and start again.",
    )
}
