//! The `stack` binary as the README runs it: it says where it listens, serves, and stops
//! cleanly on Ctrl-C (SIGINT) or SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(dir: &std::path::Path) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stack"))
        .env("GATEWAY_ADDR", "127.0.0.1:0")
        .env("DATA_DIR", dir)
        .env("ADMIN_PASSWORD", "binary-test-password")
        .env("STACK_WORKERS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = stdout
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.starts_with("hdp-oauth is running"))
        .expect("the stack never said it is running");
    // Keep reading, as a terminal would, so the stack's last lines have somewhere to go.
    std::thread::spawn(move || stdout.for_each(drop));
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .expect("the gateway's port");
    (child, port)
}

fn stop(mut child: Child, signal: &str) {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still running 20 s after {signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn the_stack_binary_serves_and_stops_on_a_signal() {
    for signal in ["-INT", "-TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let (child, port) = start(dir.path());
        let response = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/api/mgmt/oauthapps"))
            .basic_auth("admin", Some("binary-test-password"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        stop(child, signal);
    }
}
