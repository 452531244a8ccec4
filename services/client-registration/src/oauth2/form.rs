//! The form-encoded body of the token, revocation and introspection endpoints, read here
//! rather than by actix's extractors, so that every failure is an RFC 6749 error and never a
//! framework's answer: not `application/x-www-form-urlencoded`, larger than [`FORM_MAX`], or
//! with a parameter twice (RFC 6749 3.2: "MUST NOT be included more than once") is
//! `invalid_request`. A parameter sent without a value is taken as left out (RFC 6749 3.1).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::oauth2::error::OauthError;

/// Largest body accepted, in bytes: an OAuth request is a few hundred.
pub const FORM_MAX: usize = 16 * 1024;

/// The parameters of a form, each once.
#[derive(Default)]
pub struct Form(HashMap<String, String>);

// By hand: parameters hold codes, tokens and secrets.
impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Spellings of one parameter: the product also takes `clientId` and `clientSecret`.
const ALIASES: [(&str, &str); 2] = [("clientId", "client_id"), ("clientSecret", "client_secret")];

impl Form {
    /// Reads and parses the body of `req`.
    pub async fn read(req: &HttpRequest, mut payload: web::Payload) -> Result<Form, OauthError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OauthError::invalid_request(
                "The request body must be sent as application/x-www-form-urlencoded",
            ));
        }
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|_| OauthError::invalid_request("The request body could not be read"))?;
            if body.len() + chunk.len() > FORM_MAX {
                return Err(OauthError::invalid_request(format!(
                    "The request body is larger than {FORM_MAX} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Form::parse(&body)
    }

    /// The parameters of `body`; `invalid_request` naming a repeated one.
    pub fn parse(body: &[u8]) -> Result<Form, OauthError> {
        let mut params = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            let name = ALIASES
                .iter()
                .find(|(alias, _)| *alias == name)
                .map(|(_, canonical)| (*canonical).to_owned())
                .unwrap_or_else(|| name.into_owned());
            if params.contains_key(&name) {
                return Err(OauthError::invalid_request(format!(
                    "The parameter '{name}' is included more than once"
                )));
            }
            params.insert(name, value.into_owned());
        }
        Ok(Form(params))
    }

    /// The value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value of `name`; `invalid_request` naming it when absent.
    pub fn require(&self, name: &str) -> Result<&str, OauthError> {
        self.get(name).ok_or_else(|| {
            OauthError::invalid_request(format!("The parameter '{name}' is required"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_taken_once_and_empty_ones_are_left_out() {
        let form = Form::parse(b"grant_type=password&scope=&clientId=abc&x=a%20b+c").unwrap();
        assert_eq!(form.get("grant_type"), Some("password"));
        assert_eq!(form.get("scope"), None);
        assert_eq!(form.get("client_id"), Some("abc"));
        assert_eq!(form.get("x"), Some("a b c"));
        assert!(form.require("code").is_err());
        for repeated in [
            &b"code=a&code=b"[..],
            b"client_id=a&clientId=a",
            b"client_secret=a&clientSecret=b",
        ] {
            let err = Form::parse(repeated).unwrap_err();
            assert_eq!(err.error(), "invalid_request");
        }
        assert!(!format!("{form:?}").contains("abc"));
    }
}
