//! `spawn_stack()` and typed request helpers.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use stack::{Stack, StackConfig};
use tempfile::TempDir;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "correct-horse-battery";

pub struct TestStack {
    pub stack: Stack,
    pub base: String,
    pub client: reqwest::Client,
    _data: TempDir,
}

/// Starts the stack on port 0 with a fresh data directory and a known administrator password.
pub async fn spawn_stack() -> TestStack {
    spawn_stack_with(|_| {}).await
}

pub async fn spawn_stack_with(adjust: impl FnOnce(&mut StackConfig)) -> TestStack {
    let data = tempfile::tempdir().unwrap();
    let mut config = StackConfig::new(data.path(), "127.0.0.1:0");
    config.admin_password = Some(ADMIN_PASSWORD.to_owned());
    config.workers = Some(1);
    adjust(&mut config);
    let stack = Stack::start(&config).unwrap();
    let base = format!("http://127.0.0.1:{}", stack.gateway.port);
    TestStack {
        stack,
        base,
        client: reqwest::Client::new(),
        _data: data,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// Asserts the envelope with `status` and `code`, and returns its message.
    pub fn envelope(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        let body = self.json();
        let object = body.as_object().expect("envelope is an object");
        assert_eq!(object.len(), 1, "nothing but `error`: {body}");
        let error = &body["error"];
        assert_eq!(error.as_object().unwrap().len(), 2, "{body}");
        assert_eq!(error["code"], code, "{body}");
        assert_eq!(error["message"]["lang"], "en-US", "{body}");
        assert_eq!(error["message"].as_object().unwrap().len(), 2, "{body}");
        error["message"]["value"]
            .as_str()
            .expect("message value is a string")
            .to_owned()
    }
}

impl TestStack {
    /// A request through the gateway as the administrator.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, Some((ADMIN, ADMIN_PASSWORD)), body)
            .await
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        credentials: Option<(&str, &str)>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some((user, password)) = credentials {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request).await
    }

    /// A request with a raw body and content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
            .header("content-type", content_type)
            .body(body);
        reply(request).await
    }

    pub async fn create_app(&self, name: &str) -> Value {
        let reply = self
            .admin(Method::POST, "/api/mgmt/oauthapps", Some(app_body(name)))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json()
    }

    /// Row counts straight from a service's SQLite file, to see what was (not) written.
    pub fn count_rows(&self, file: &str, table: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let path = self.stack.data_dir.join(file);
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(&mut conn)
            .unwrap()
            .n
    }
}

pub async fn reply(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

/// Seed 002's request, with a name the rules accept.
pub fn app_body(name: &str) -> Value {
    json!({
        "name": name,
        "dataStore": 54,
        "description": "TenantA OAuth application object",
        "clientId": "asdfjasdljfasdkjf",
        "clientSecret": "1912308409123890",
        "authorizeURI": "https://accounts.google.com/o/oauth2/v2/auth",
        "tokenURI": "https://www.googleapis.com/oauth2/v3/token",
        "scope": "full_offline_access, test_repo"
    })
}

/// Seed 000's request for application `app_id`.
pub fn profile_body(name: &str, app_id: &Value) -> Value {
    json!({
        "name": name,
        "oauthAppId": app_id,
        "description": "OAuth profile 1",
        "accessToken": "111c334445e55",
        "refreshToken": "222d88899966fa"
    })
}

/// Error codes, as documented in docs/errors.md.
pub mod codes {
    pub const MALFORMED: &str = "222200001";
    pub const INVALID_FIELD: &str = "222200002";
    pub const INVALID_PATH: &str = "222200004";
    pub const UNAUTHENTICATED: &str = "222200010";
    pub const ROUTE_NOT_FOUND: &str = "222200020";
    pub const METHOD_NOT_ALLOWED: &str = "222200021";
    pub const PAYLOAD_TOO_LARGE: &str = "222200022";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "222200023";
    pub const CONFLICT: &str = "222200030";
    pub const APP_NOT_FOUND: &str = "222207701";
    pub const INVALID_APP_ID: &str = "222207702";
    pub const PROFILE_NOT_FOUND: &str = "222207710";
    pub const CLIENT_APP_NOT_FOUND: &str = "222206601";
    pub const UNAVAILABLE: &str = "222200090";
}
