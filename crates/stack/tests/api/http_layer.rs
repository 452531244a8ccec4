//! Requests the HTTP/1.1 parser refuses before any of our code runs, sent as raw bytes over
//! TCP: what the gateway answers, that the connection is then closed cleanly (the whole answer,
//! then end of stream; no hang, no reset before the answer), and that the gateway goes on
//! serving. Requests that
//! the parser accepts, however odd, reach our code and are answered in the envelope.
//! docs/errors.md, "Answers from the HTTP layer", lists the cases.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{codes, spawn_stack, TestStack, ADMIN, ADMIN_PASSWORD};

/// How long an exchange may take before it counts as a hang: far more than any answer needs
/// (the slowest, 408, comes after actix's 5 s `client_request_timeout`).
const DEADLINE: Duration = Duration::from_secs(30);

/// How the server ended the connection after its answer.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Orderly end of stream (FIN).
    Eof,
    /// A read failed (a reset, say).
    Error(ErrorKind),
    /// Still open at the deadline.
    Hang,
}

/// Everything the server sent on one connection, and how it ended.
struct Exchange {
    bytes: Vec<u8>,
    end: End,
}

/// One parsed HTTP/1.1 answer.
#[derive(Debug)]
struct Answer {
    status_line: String,
    status: u16,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Opens a connection to the gateway, writes `request` (from another thread, so that a server
/// that stops reading cannot block us) and reads until the server ends the connection or
/// [`DEADLINE`] passes.
async fn exchange(app: &TestStack, request: Vec<u8>) -> Exchange {
    let port = app.stack.gateway.port;
    tokio::task::spawn_blocking(move || exchange_blocking(port, &request))
        .await
        .unwrap()
}

fn exchange_blocking(port: u16, request: &[u8]) -> Exchange {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let request = request.to_vec();
    // A write error is the server closing while we still send (it refused the request
    // before reading all of it); what it answered is judged from what we read.
    let writing = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let started = Instant::now();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        let Some(left) = DEADLINE.checked_sub(started.elapsed()) else {
            break End::Hang;
        };
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match stream.read(&mut chunk) {
            Ok(0) => break End::Eof,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break End::Error(e.kind()),
        }
    };
    // Unblocks the writer if the server neither reads nor closes.
    let _ = stream.shutdown(Shutdown::Both);
    writing.join().unwrap();
    Exchange { bytes, end }
}

impl Exchange {
    /// The one answer on the connection: status line, headers and a body of exactly
    /// `Content-Length` bytes, with nothing after it.
    fn answer(&self) -> Answer {
        let text = String::from_utf8_lossy(&self.bytes);
        let head_end = self
            .bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no complete answer head ({:?}): {text:?}", self.end));
        let head = std::str::from_utf8(&self.bytes[..head_end]).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap().to_owned();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP/1.1 status line: {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let body = self.bytes[head_end + 4..].to_vec();
        let answer = Answer {
            status_line,
            status,
            headers,
            body,
        };
        let length: usize = answer
            .header("content-length")
            .unwrap_or_else(|| panic!("no Content-Length: {answer:?}"))
            .parse()
            .unwrap();
        assert_eq!(
            answer.body.len(),
            length,
            "a body of exactly Content-Length bytes and nothing after it: {text:?}"
        );
        answer
    }

    /// An answer from actix's HTTP/1.1 layer: `status` with an empty body and
    /// `Connection: close`, then the connection closed cleanly.
    fn assert_framework_answer(&self, status: u16, reason: &str) {
        self.assert_framework_head(status, reason);
        assert_eq!(self.end, End::Eof, "closed cleanly after the answer");
    }

    /// The answer of [`Exchange::assert_framework_answer`], in full, whatever the end of the
    /// connection after it.
    fn assert_framework_head(&self, status: u16, reason: &str) {
        let answer = self.answer();
        assert_eq!(
            answer.status_line,
            format!("HTTP/1.1 {status} {reason}"),
            "{answer:?}"
        );
        assert!(answer.body.is_empty(), "{answer:?}");
        assert_eq!(answer.header("connection"), Some("close"), "{answer:?}");
    }

    /// An answer from our code: `status` in the envelope with `code`, then (the request asked
    /// `Connection: close`) the connection closed cleanly.
    fn assert_envelope(&self, status: u16, code: &str) {
        let answer = self.answer();
        assert_eq!(answer.status, status, "{answer:?}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{answer:?}"
        );
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        assert_eq!(body["error"].as_object().unwrap().len(), 2, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert_eq!(body["error"]["message"]["lang"], "en-US", "{body}");
        assert!(body["error"]["message"]["value"].is_string(), "{body}");
        assert_eq!(self.end, End::Eof, "closed cleanly after {answer:?}");
    }
}

fn admin_authorization() -> String {
    let credentials = format!("{ADMIN}:{ADMIN_PASSWORD}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

/// A GET of `target` with `Host`, `Connection: close` and `extra` header lines (each ending
/// in CRLF).
fn get(target: &str, extra: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n")
        .into_bytes()
}

/// The gateway still answers an ordinary authenticated request.
async fn assert_still_serving(app: &TestStack) {
    let r = app.admin(Method::GET, "/api/mgmt/oauthapps", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // And over a raw connection like the malformed requests'.
    let authorization = admin_authorization();
    let e = exchange(
        app,
        get(
            "/api/mgmt/oauthapps",
            &format!("Authorization: {authorization}\r\n"),
        ),
    )
    .await;
    let answer = e.answer();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(e.end, End::Eof);
}

#[tokio::test]
async fn a_well_formed_raw_request_is_answered_and_the_connection_closed() {
    // The baseline the other cases differ from: the helpers read a normal answer right.
    let app = spawn_stack().await;
    let e = exchange(&app, get("/api/mgmt/oauthapps", "")).await;
    e.assert_envelope(401, codes::UNAUTHENTICATED);
    let e = exchange(&app, get("/no/such/path", "")).await;
    e.assert_envelope(404, codes::ROUTE_NOT_FOUND);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_100_kb_authorization_header_reaches_the_gateway_and_is_refused_in_the_envelope() {
    // 100 KiB of head is under actix's 128 KiB head buffer: parsed, then refused by us.
    let app = spawn_stack().await;
    let huge = format!("Authorization: Basic {}\r\n", "A".repeat(100 * 1024));
    let e = exchange(&app, get("/api/mgmt/oauthapps", &huge)).await;
    e.assert_envelope(401, codes::UNAUTHENTICATED);
    // Well-formed credentials: the administrator's name and a 75 KiB password, checked and
    // refused like any wrong password.
    let credentials = format!("{ADMIN}:{}", "p".repeat(75 * 1024));
    let huge = format!(
        "Authorization: Basic {}\r\n",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    );
    assert!(huge.len() > 100 * 1024);
    let e = exchange(&app, get("/api/mgmt/oauthapps", &huge)).await;
    e.assert_envelope(401, codes::UNAUTHENTICATED);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_head_over_128_kib_is_431_and_the_connection_closed() {
    // actix reads at most 128 KiB of head, answers 431 and closes. What the client sent
    // beyond that is never read, and a socket closed with unread data ends in a TCP reset
    // rather than an orderly end of stream; it comes after the answer, which arrives whole.
    let app = spawn_stack().await;
    let huge = format!("Authorization: Basic {}\r\n", "A".repeat(256 * 1024));
    let e = exchange(&app, get("/api/mgmt/oauthapps", &huge)).await;
    e.assert_framework_head(431, "Request Header Fields Too Large");
    assert!(
        matches!(e.end, End::Eof | End::Error(ErrorKind::ConnectionReset)),
        "closed after the answer, not left open: {:?}",
        e.end
    );
    // Just over the limit: the same.
    let over = format!("X-Filler: {}\r\n", "a".repeat(128 * 1024));
    let e = exchange(&app, get("/healthz", &over)).await;
    e.assert_framework_head(431, "Request Header Fields Too Large");
    assert!(
        matches!(e.end, End::Eof | End::Error(ErrorKind::ConnectionReset)),
        "closed after the answer, not left open: {:?}",
        e.end
    );
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn more_than_96_headers_is_431_and_the_connection_closed() {
    let app = spawn_stack().await;
    // `get` sends Host and Connection: 94 more make 96, which is accepted...
    let headers =
        |n: usize| -> String { (0..n).map(|i| format!("X-Filler-{i}: {i}\r\n")).collect() };
    let authorization = format!("Authorization: {}\r\n", admin_authorization());
    let e = exchange(
        &app,
        get(
            "/api/mgmt/oauthapps",
            &format!("{authorization}{}", headers(93)),
        ),
    )
    .await;
    let answer = e.answer();
    assert_eq!(answer.status, 200, "96 headers are accepted: {answer:?}");
    // ...and 97 are not.
    let e = exchange(
        &app,
        get(
            "/api/mgmt/oauthapps",
            &format!("{authorization}{}", headers(94)),
        ),
    )
    .await;
    e.assert_framework_answer(431, "Request Header Fields Too Large");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_url_over_64_kib_is_400_and_the_connection_closed() {
    let app = spawn_stack().await;
    // `http::Uri` takes at most 65534 bytes.
    let target = format!("/{}", "a".repeat(65_534));
    let e = exchange(&app, get(&target, "")).await;
    e.assert_framework_answer(400, "Bad Request");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_long_url_the_parser_accepts_is_answered_in_the_envelope() {
    let app = spawn_stack().await;
    let long = "a".repeat(65_000);
    // Unknown to the gateway...
    let e = exchange(&app, get(&format!("/{long}"), "")).await;
    e.assert_envelope(404, codes::ROUTE_NOT_FOUND);
    // ...unauthenticated under /api...
    let e = exchange(&app, get(&format!("/api/mgmt/oauthapps/{long}"), "")).await;
    e.assert_envelope(401, codes::UNAUTHENTICATED);
    // ...and forwarded to a service, which refuses the id.
    let authorization = format!("Authorization: {}\r\n", admin_authorization());
    let e = exchange(
        &app,
        get(&format!("/api/mgmt/oauthapps/{long}"), &authorization),
    )
    .await;
    e.assert_envelope(400, codes::INVALID_PATH);
    let e = exchange(
        &app,
        get(&format!("/api/mgmt/oauthapps?x={long}"), &authorization),
    )
    .await;
    let answer = e.answer();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_bare_cr_is_400_and_the_connection_closed() {
    let app = spawn_stack().await;
    let cases: [&[u8]; 3] = [
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\rX-Smuggled: 1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Value: a\rb\r\n\r\n",
        b"GET /healthz HTTP/1.1\rHost: 127.0.0.1\r\n\r\n",
    ];
    for request in cases {
        let e = exchange(&app, request.to_vec()).await;
        e.assert_framework_answer(400, "Bad Request");
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_nul_or_other_control_byte_is_400_and_the_connection_closed() {
    let app = spawn_stack().await;
    let cases: [&[u8]; 6] = [
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Value: a\0b\r\n\r\n",
        b"GET /health\0z HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Na\0me: a\r\n\r\n",
        b"G\0T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Value: a\x01b\r\n\r\n",
        b"GET /health\x7fz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ];
    for request in cases {
        let e = exchange(&app, request.to_vec()).await;
        e.assert_framework_answer(400, "Bad Request");
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_folded_header_is_400_and_the_connection_closed() {
    let app = spawn_stack().await;
    let authorization = admin_authorization();
    let (scheme, credentials) = authorization.split_once(' ').unwrap();
    // obs-fold (RFC 9112 5.2): a line starting with a space continues the previous one.
    for fold in [" ", "\t"] {
        let request = format!(
            "GET /api/mgmt/oauthapps HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: {scheme}\r\n{fold}{credentials}\r\n\r\n"
        );
        let e = exchange(&app, request.into_bytes()).await;
        e.assert_framework_answer(400, "Bad Request");
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn content_length_with_transfer_encoding_is_400_and_the_connection_closed() {
    let app = spawn_stack().await;
    let authorization = admin_authorization();
    let body = r#"{"name":"x"}"#;
    let request = format!(
        "POST /api/mgmt/oauthapps HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: {authorization}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{body}\r\n0\r\n\r\n",
        body.len(),
        body.len()
    );
    let e = exchange(&app, request.into_bytes()).await;
    e.assert_framework_answer(400, "Bad Request");
    assert_eq!(app.count_rows("oauth-apps", "oauth_apps"), 0);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn other_ambiguous_framing_is_400_and_the_connection_closed() {
    let app = spawn_stack().await;
    let authorization = admin_authorization();
    let body = r#"{"name":"x"}"#;
    let framings = [
        "Content-Length: 12\r\nContent-Length: 13\r\n".to_owned(),
        "Content-Length: 12\r\nContent-Length: 12\r\n".to_owned(),
        "Content-Length: +12\r\n".to_owned(),
        "Content-Length: 12\r\nTransfer-Encoding: gzip\r\n".to_owned(),
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n".to_owned(),
    ];
    for framing in framings {
        let request = format!(
            "POST /api/mgmt/oauthapps HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: {authorization}\r\nContent-Type: application/json\r\n\
             {framing}\r\n{body}"
        );
        let e = exchange(&app, request.into_bytes()).await;
        e.assert_framework_answer(400, "Bad Request");
    }
    assert_eq!(app.count_rows("oauth-apps", "oauth_apps"), 0);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_request_without_host_is_400_and_the_connection_closed() {
    // RFC 9112 3.2: an HTTP/1.1 request without Host, or with two, is refused.
    let app = spawn_stack().await;
    let cases: [&[u8]; 2] = [
        b"GET /healthz HTTP/1.1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.com\r\n\r\n",
    ];
    for request in cases {
        let e = exchange(&app, request.to_vec()).await;
        e.assert_framework_answer(400, "Bad Request");
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_method_that_is_not_a_token_is_400_and_the_connection_closed() {
    let app = spawn_stack().await;
    let cases: [&[u8]; 3] = [
        b"GE(T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"G\xc3\xa9T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ];
    for request in cases {
        let e = exchange(&app, request.to_vec()).await;
        e.assert_framework_answer(400, "Bad Request");
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_unknown_method_that_is_a_token_is_405_in_the_envelope() {
    let app = spawn_stack().await;
    let authorization = format!("Authorization: {}\r\n", admin_authorization());
    let brew = |target: &str, extra: &str| {
        format!("BREW {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n")
            .into_bytes()
    };
    let e = exchange(&app, brew("/healthz", "")).await;
    e.assert_envelope(405, codes::METHOD_NOT_ALLOWED);
    let e = exchange(&app, brew("/api/mgmt/oauthapps", &authorization)).await;
    e.assert_envelope(405, codes::METHOD_NOT_ALLOWED);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn the_http2_preface_is_400_and_the_connection_closed() {
    // The gateway speaks HTTP/1.x only (no h2c): the preface is an HTTP/1.1 request with an
    // unknown version.
    let app = spawn_stack().await;
    let e = exchange(&app, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()).await;
    e.assert_framework_answer(400, "Bad Request");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn slow_headers_are_408_and_the_connection_closed() {
    // actix's `client_request_timeout` (5 s by default) bounds the first request's head: a
    // partial request line and then silence is answered 408 when it runs out.
    let app = spawn_stack().await;
    let e = exchange(&app, b"GET /api/mgmt/oauth".to_vec()).await;
    e.assert_framework_answer(408, "Request Timeout");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_without_a_second_answer() {
    // After an answer, actix keeps the connection open for the next request for 5 s
    // (`keep_alive`, default), then closes it without answering anything.
    let app = spawn_stack().await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec();
    let e = exchange(&app, request).await;
    let answer = e.answer();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("connection"), None, "kept alive: {answer:?}");
    assert_eq!(e.end, End::Eof);
    assert_still_serving(&app).await;
}
