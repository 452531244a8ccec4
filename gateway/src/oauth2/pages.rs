//! The authorization server's HTML pages: sign-in, consent, and errors. Plain server-rendered
//! HTML that works without JavaScript, with no script and nothing loaded from elsewhere; every
//! value shown is HTML-escaped (application names and descriptions are anyone's input).
//!
//! Every page is sent with `X-Frame-Options: DENY`, `Cache-Control: no-store`,
//! `Referrer-Policy: no-referrer` and a Content-Security-Policy that allows nothing but its own
//! inline style (by hash) and forms posted to this server and to the redirect URI's origin
//! (Chromium applies `form-action` to the redirect that follows a form post).

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use api_common::http::mark_enveloped;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::params::{MGMT, ODATA};

/// The one inline style of the pages.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;\
padding:0 1rem;color:#222}h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}\
input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}\
button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem}.error{color:#a00}.muted{color:#666}";

/// `'sha256-...'` of [`STYLE`], for the CSP.
static STYLE_HASH: LazyLock<String> =
    LazyLock::new(|| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(STYLE))));

/// `text` with the characters HTML gives a meaning escaped (safe in text and in quoted
/// attribute values).
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// What `form-action` allows besides 'self' for a redirect URI: its origin, or its scheme
/// for a private-use one (RFC 8252 7.1); `None` when it cannot be said safely.
pub fn redirect_source(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    let origin = url.origin();
    let source = match origin.is_tuple() {
        true => origin.ascii_serialization(),
        false => format!("{}:", url.scheme()),
    };
    // Nothing that could end a directive or a source list.
    source
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+-.:/[]".contains(&b))
        .then_some(source)
}

/// A page answer: `status`, the headers above, `body` inside the page's frame.
pub fn page(
    status: StatusCode,
    title: &str,
    body: &str,
    redirect_uri: Option<&str>,
) -> HttpResponse {
    let form_action = match redirect_uri.and_then(redirect_source) {
        Some(source) => format!("'self' {source}"),
        None => "'self'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; style-src {}; img-src 'none'; script-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action {form_action}",
        *STYLE_HASH
    );
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\n<body>\n<h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title)
    );
    let mut response = headers(&mut HttpResponse::build(status))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .content_type("text/html; charset=utf-8")
        .body(html);
    // A page, not the envelope, whatever its status.
    mark_enveloped(&mut response);
    response
}

/// The headers every answer of the authorize endpoint carries (pages and redirects).
pub fn headers(builder: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    builder
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// Hidden inputs for the parameters a form carries on.
pub fn hidden(fields: &[(&str, String)]) -> String {
    fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect()
}

/// The sign-in form. `action` is the authorize path the request came to.
pub fn sign_in(
    status: StatusCode,
    action: &str,
    application: &str,
    fields: &[(&str, String)],
    error: Option<&str>,
    redirect_uri: &str,
) -> HttpResponse {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<p><strong>{app}</strong> asks to access your account. Sign in to continue.</p>\n\
         {error}<form method=\"post\" action=\"{action}\">\n{hidden}\
         <label for=\"username\">User name</label>\n\
         <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus>\n\
         <label for=\"password\">Password</label>\n\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\n\
         <button type=\"submit\" id=\"signin\">Sign in</button>\n</form>",
        app = escape(application),
        action = escape(action),
        hidden = hidden(fields),
    );
    page(status, "Sign in", &body, Some(redirect_uri))
}

/// What each scope lets the application do, as the consent page says it.
fn scope_meaning(scope: &str) -> &'static str {
    match scope {
        ODATA => "Query your data sources (OData access)",
        MGMT => "Use the management API as you: your OAuth profiles, applications and client applications",
        _ => "",
    }
}

/// The consent form.
pub fn consent(
    action: &str,
    application: &str,
    description: Option<&str>,
    user_name: &str,
    scopes: &[&str],
    fields: &[(&str, String)],
    redirect_uri: &str,
) -> HttpResponse {
    let description = description
        .filter(|d| !d.is_empty())
        .map(|d| format!("<p class=\"muted\">{}</p>\n", escape(d)))
        .unwrap_or_default();
    let scopes: String = scopes
        .iter()
        .map(|scope| {
            format!(
                "<li><code>{}</code>: {}</li>\n",
                escape(scope),
                escape(scope_meaning(scope))
            )
        })
        .collect();
    let body = format!(
        "<p>Signed in as <strong>{user}</strong>.</p>\n\
         <p>The application <strong>{app}</strong> asks for access to your account:</p>\n\
         {description}<ul>\n{scopes}</ul>\n\
         <p class=\"muted\">It will be sent back to {redirect}.</p>\n\
         <form method=\"post\" action=\"{action}\">\n{hidden}\
         <button type=\"submit\" name=\"consent\" value=\"allow\" id=\"allow\">Allow</button>\n\
         <button type=\"submit\" name=\"consent\" value=\"deny\" id=\"deny\">Deny</button>\n</form>",
        user = escape(user_name),
        app = escape(application),
        redirect = escape(redirect_uri),
        action = escape(action),
        hidden = hidden(fields),
    );
    page(StatusCode::OK, "Allow access?", &body, Some(redirect_uri))
}

/// An error page: nothing is sent to the client.
pub fn error(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let body = format!("<p class=\"error\">{}</p>", escape(message));
    page(status, title, &body, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_shown_is_escaped() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn form_action_allows_the_redirect_uris_origin_or_scheme() {
        assert_eq!(
            redirect_source("https://app.example:8443/cb?x=1").as_deref(),
            Some("https://app.example:8443")
        );
        assert_eq!(
            redirect_source("com.example.app:/callback").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(redirect_source("not a url"), None);
    }
}
