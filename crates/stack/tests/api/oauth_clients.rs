//! The authorization server against real clients from the registries: Python's `authlib`
//! (`OAuth2Session`: authorization code with PKCE, refresh, revocation, introspection, the
//! password grant) and a real headless browser (Debian's chromium through chromedriver, driven
//! by Selenium) on the sign-in and consent pages. The scripts are in `crates/stack/tests/clients`;
//! their Python packages are pinned in its `requirements.txt`, and `.ci/run` installs them in
//! `target/clients-venv` (`HDP_OAUTH_CLIENTS_PYTHON`) with chromium and chromium-driver.
//!
//! On a machine with only Rust (the README's first commands) these tests say they are skipped
//! and pass; in CI (`CI=true`) a missing client fails them instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_stack, TestStack};

const USER: &str = "carol";
const PASSWORD: &str = "carol-has-a-long-password";

/// The interpreter with the clients' packages (`HDP_OAUTH_CLIENTS_PYTHON`, or `python3`).
fn clients_python() -> String {
    std::env::var("HDP_OAUTH_CLIENTS_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Whether `python` can import `modules` and the `programs` exist; skipped outside CI when not.
fn available(modules: &str, programs: &[&str]) -> bool {
    let python = clients_python();
    let imports = Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|output| output.status.success());
    let programs_found = programs.iter().all(|program| Path::new(program).exists());
    let found = imports && programs_found;
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{python} lacks {modules}, or one of {programs:?} is missing, in CI"
        );
        println!(
            "skipped: needs {modules} in {python} (pip install -r crates/stack/tests/clients/\
             requirements.txt, or set HDP_OAUTH_CLIENTS_PYTHON) and {programs:?}"
        );
    }
    found
}

/// A stack with the user the scripts act as: any active user may register client
/// applications; MgmtAPI lets their Bearer token on the management API.
async fn stack_with_user() -> TestStack {
    let app = spawn_stack().await;
    let body = json!({
        "userName": USER, "password": PASSWORD, "tenantId": 1, "permissions": [11, 28],
    });
    let r = app
        .admin(Method::POST, "/api/admin/users", Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    app
}

/// Runs `script` against the stack; its last line of output is `RESULT <json>`.
fn run(app: &TestStack, script: &str) -> Value {
    let python = clients_python();
    let output = Command::new(&python)
        .arg(script)
        .current_dir(scripts())
        .env("HDP_BASE", &app.base)
        .env("HDP_USER", USER)
        .env("HDP_PASSWORD", PASSWORD)
        .output()
        .unwrap_or_else(|e| panic!("{python} {script}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let result = stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("{script} printed no result:\n{stdout}\n{stderr}"));
    let result: Value = serde_json::from_str(result).unwrap();
    assert_eq!(result["ok"], true, "{result}");
    result
}

#[tokio::test]
async fn authlib_runs_the_code_flow_with_pkce_refresh_revocation_and_introspection() {
    if !available("authlib, requests", &[]) {
        return;
    }
    let app = stack_with_user().await;
    let result = run(&app, "authlib_flow.py");
    assert_eq!(result["issuer"], json!(app.base), "{result}");
    assert_eq!(result["reuse_revoked_grant"], true);
    // Tokens are kept as keyed hashes only.
    let token = result["first_access_token"].as_str().unwrap();
    assert!(token.len() >= 40, "{token}");
    let text = app.database_text("client-registration");
    let secret_part = token.rsplit('_').next().unwrap();
    assert!(
        !text.contains(secret_part),
        "an access token is stored in clear"
    );
}

#[tokio::test]
async fn a_headless_browser_signs_in_allows_denies_and_cannot_forge_a_cross_site_post() {
    if !available(
        "authlib, requests, selenium",
        &[
            &std::env::var("HDP_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
            &std::env::var("HDP_CHROMEDRIVER")
                .unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned()),
        ],
    ) {
        return;
    }
    let app = stack_with_user().await;
    let result = run(&app, "browser_flow.py");
    for step in [
        "wrong_password_refused",
        "allowed",
        "remembered",
        "denied",
        "cross_site_refused",
    ] {
        assert_eq!(result[step], true, "{step}: {result}");
    }
}
