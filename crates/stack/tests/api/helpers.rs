//! `spawn_stack()` and typed request helpers.

use std::collections::HashMap;

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use stack::{Stack, StackConfig};
use tempfile::TempDir;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "correct-horse-battery";

pub use test_support::{PgDatabases, POSTGRES_VAR};

pub const COMPONENTS: [&str; 4] = [
    "gateway",
    "oauth-apps",
    "oauth-profiles",
    "client-registration",
];

pub struct TestStack {
    pub stack: Stack,
    pub config: StackConfig,
    pub base: String,
    pub client: reqwest::Client,
    /// Each component's database URL.
    pub database_urls: HashMap<&'static str, String>,
    _postgres: Option<PgDatabases>,
    _data: TempDir,
}

/// Starts the stack on port 0 with a fresh data directory and a known administrator password.
pub async fn spawn_stack() -> TestStack {
    spawn_stack_with(|_| {}).await
}

pub async fn spawn_stack_with(adjust: impl FnOnce(&mut StackConfig)) -> TestStack {
    let data = tempfile::tempdir().unwrap();
    let postgres = PgDatabases::create_if_configured(&COMPONENTS);
    let database_urls: HashMap<&'static str, String> = COMPONENTS
        .into_iter()
        .map(|component| {
            let url = test_support::database_url(postgres.as_ref(), data.path(), component);
            (component, url)
        })
        .collect();
    let mut config = StackConfig::new(data.path(), "127.0.0.1:0");
    config.admin_password = Some(ADMIN_PASSWORD.to_owned());
    config.workers = Some(1);
    config.gateway_database_url = Some(database_urls["gateway"].clone());
    config.oauth_apps_database_url = Some(database_urls["oauth-apps"].clone());
    config.oauth_profiles_database_url = Some(database_urls["oauth-profiles"].clone());
    config.client_registration_database_url = Some(database_urls["client-registration"].clone());
    adjust(&mut config);
    let stack = Stack::start(&config).unwrap();
    let base = format!("http://127.0.0.1:{}", stack.gateway.port);
    TestStack {
        stack,
        config,
        base,
        client: reqwest::Client::new(),
        database_urls,
        _postgres: postgres,
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
    /// Stops the stack and starts it again on the same data and databases (after a
    /// configuration or key change, say).
    pub async fn restart(self) -> TestStack {
        let TestStack {
            stack,
            mut config,
            client,
            database_urls,
            _postgres,
            _data,
            ..
        } = self;
        stack.stop().await;
        config.gateway_addr = "127.0.0.1:0".to_owned();
        let stack = Stack::start(&config).unwrap();
        let base = format!("http://127.0.0.1:{}", stack.gateway.port);
        TestStack {
            stack,
            config,
            base,
            client,
            database_urls,
            _postgres,
            _data,
        }
    }

    /// Everything a component's database holds, as text: the raw SQLite file and its WAL, or
    /// every row of every table as JSON on PostgreSQL.
    pub fn database_text(&self, component: &str) -> String {
        let url = &self.database_urls[component];
        if !url.starts_with("postgres") {
            let mut text = String::new();
            for suffix in ["", "-wal"] {
                let raw = std::fs::read(format!("{url}{suffix}")).unwrap_or_default();
                text.push_str(&String::from_utf8_lossy(&raw));
            }
            return text;
        }
        #[derive(QueryableByName)]
        struct Text {
            #[diesel(sql_type = diesel::sql_types::Text)]
            text: String,
        }
        let mut conn = PgConnection::establish(url).unwrap();
        let tables: Vec<Text> = diesel::sql_query(
            "SELECT table_name::text AS text FROM information_schema.tables \
             WHERE table_schema = 'public'",
        )
        .load(&mut conn)
        .unwrap();
        let mut text = String::new();
        for table in tables {
            let rows: Vec<Text> = diesel::sql_query(format!(
                "SELECT row_to_json(t)::text AS text FROM \"{}\" t",
                table.text
            ))
            .load(&mut conn)
            .unwrap();
            for row in rows {
                text.push_str(&row.text);
                text.push('\n');
            }
        }
        text
    }

    /// Runs SQL on a component's database directly (to tamper with a row, say).
    pub fn execute_sql(&self, component: &str, sql: &str) {
        let url = &self.database_urls[component];
        if url.starts_with("postgres") {
            diesel::sql_query(sql)
                .execute(&mut PgConnection::establish(url).unwrap())
                .unwrap();
        } else {
            diesel::sql_query(sql)
                .execute(&mut SqliteConnection::establish(url).unwrap())
                .unwrap();
        }
    }

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

    /// A new tenant, created by the administrator: its id.
    pub async fn create_tenant(&self, name: &str) -> i64 {
        let r = self
            .admin(
                Method::POST,
                "/api/admin/tenants",
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["id"].as_i64().unwrap()
    }

    /// Row counts straight from a component's database, to see what was (not) written.
    pub fn count_rows(&self, component: &str, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let url = &self.database_urls[component];
        let query = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"));
        let count: Count = if url.starts_with("postgres") {
            query.get_result(&mut PgConnection::establish(url).unwrap())
        } else {
            query.get_result(&mut SqliteConnection::establish(url).unwrap())
        }
        .unwrap();
        count.n
    }

    /// The component's SQLite file, when the suite runs on SQLite.
    pub fn sqlite_file(&self, component: &str) -> Option<std::path::PathBuf> {
        let url = &self.database_urls[component];
        (!url.starts_with("postgres")).then(|| url.into())
    }

    /// The test's PostgreSQL databases, when the suite runs on PostgreSQL.
    pub fn postgres(&self) -> Option<&PgDatabases> {
        self._postgres.as_ref()
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
