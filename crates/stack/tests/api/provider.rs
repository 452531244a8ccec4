//! A real OAuth 2.0 provider for the tests: oauth2-mock-server from npm (pinned in
//! `tests/provider/package-lock.json`), started by `tests/provider/provider.mjs` on loopback.
//! The script adds client authentication, refresh-token rotation and revocation, and a
//! control API to delay or fail the token endpoint and to count its requests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

use serde_json::Value;

pub const CLIENT_ID: &str = "hdp client";
pub const CLIENT_SECRET: &str = "s3cret:+&=/value";

/// The running provider; stopped (its process killed) when dropped.
pub struct Provider {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    http: reqwest::Client,
}

fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/provider")
}

/// `npm ci` once per test process, if the packages are not installed yet.
static INSTALL: Mutex<bool> = Mutex::new(false);

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn install() {
    let mut installed = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if *installed {
        return;
    }
    let dir = directory();
    if !dir
        .join("node_modules/oauth2-mock-server/package.json")
        .exists()
    {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed beside node to install the test provider");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    *installed = true;
}

impl Provider {
    /// The provider on a free loopback port, or `None` (with the reason printed) when Node.js
    /// is not installed.
    pub fn start(test: &str) -> Option<Provider> {
        if !node_available() {
            println!("skipped {test}: `node` is not installed (the OAuth provider is Node.js)");
            return None;
        }
        install();
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .args([CLIENT_ID, CLIENT_SECRET])
            .current_dir(directory())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the provider did not start ({e}): {line:?}"));
        Some(Provider {
            child,
            _stdin: stdin,
            port: ready["port"].as_u64().unwrap() as u16,
            http: reqwest::Client::new(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn control(&self, path: &str) -> Value {
        let response = self
            .http
            .post(self.url(&format!("/control/{path}")))
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    }

    /// Token requests seen, by grant type.
    pub async fn count(&self, grant: &str) -> u64 {
        self.control("stats").await[grant].as_u64().unwrap()
    }

    /// The client authentication of each token request, in order.
    pub async fn methods(&self) -> Vec<String> {
        let stats = self.control("stats").await;
        stats["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect()
    }

    /// Revokes every refresh token issued so far.
    pub async fn revoke_all(&self) {
        self.control("revoke").await;
    }

    /// Delays every token answer by `ms`.
    pub async fn delay(&self, ms: u64) {
        self.control(&format!("delay?ms={ms}")).await;
    }

    /// Makes the token endpoint answer `status`.
    pub async fn fail(&self, status: u16) {
        self.control(&format!("fail?status={status}")).await;
    }

    pub async fn reset(&self) {
        self.control("reset").await;
    }

    /// Stops the provider now (its port then refuses connections).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.stop();
    }
}
