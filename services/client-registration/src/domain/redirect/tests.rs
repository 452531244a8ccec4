use serde_json::json;

use api_common::fields::URL_MAX;
use api_common::ErrorCode;

use super::*;

fn urls(value: Value) -> Result<Vec<String>, ApiError> {
    RedirectUrls::parse(Some(value)).map(|urls| {
        urls.as_slice()
            .iter()
            .map(|url| url.as_str().to_owned())
            .collect()
    })
}

fn rejection(value: Value) -> String {
    let Err(err) = urls(value.clone()) else {
        panic!("{value} should be rejected");
    };
    assert_eq!(err.code(), ErrorCode::InvalidField);
    assert!(
        err.message().contains("'redirectUrls'"),
        "{}",
        err.message()
    );
    err.message().to_owned()
}

#[test]
fn an_array_of_urls_is_kept_in_order() {
    assert_eq!(
        urls(json!([
            "https://a.example.com/cb",
            "https://b.example.com/cb?x=1,2"
        ]))
        .unwrap(),
        ["https://a.example.com/cb", "https://b.example.com/cb?x=1,2"]
    );
}

#[test]
fn one_string_is_a_comma_separated_list() {
    assert_eq!(
        urls(json!(
            " https://a.example.com/cb ,, https://b.example.com/cb,"
        ))
        .unwrap(),
        ["https://a.example.com/cb", "https://b.example.com/cb"]
    );
    assert_eq!(
        urls(json!("https://a.example.com/cb")).unwrap(),
        ["https://a.example.com/cb"]
    );
    // Only spaces are separators' padding: a line break or a tab is part of a URL.
    rejection(json!("https://a.example.com/cb,\nhttps://b.example.com/cb"));
    rejection(json!("https://a.example.com/cb,\thttps://b.example.com/cb"));
}

#[test]
fn a_bare_host_is_rejected_with_the_absolute_form() {
    let message = rejection(json!([
        "bedford.progresstest.com",
        "americas.progresstest.com"
    ]));
    assert_eq!(
        message,
        "Invalid value for 'redirectUrls': 'bedford.progresstest.com' is not an absolute \
         URL; expected a form such as 'https://bedford.progresstest.com/callback'"
    );
    let message = rejection(json!("bedford.progresstest.com/oauth"));
    assert!(
        message.contains("'https://bedford.progresstest.com/oauth'"),
        "{message}"
    );
    let message = rejection(json!("localhost:8080"));
    assert!(
        message.contains("'http://localhost:8080/callback'"),
        "{message}"
    );
    let message = rejection(json!("/callback"));
    assert!(
        message.contains("'https://example.com/callback'"),
        "{message}"
    );
}

#[test]
fn http_is_only_for_loopback_hosts() {
    let message = rejection(json!(["http://app.example.com/cb"]));
    assert!(message.contains("loopback"), "{message}");
    for good in [
        "http://localhost/cb",
        "http://LOCALHOST:8080/cb",
        "http://127.0.0.1:51000/cb",
        "http://127.1.2.3/cb",
        "http://[::1]:8080/cb",
    ] {
        assert!(urls(json!([good])).is_ok(), "{good}");
    }
    for bad in [
        "http://10.0.0.1/cb",
        "http://localhost.example.com/cb",
        "http://[::2]/cb",
    ] {
        rejection(json!([bad]));
    }
}

#[test]
fn private_use_schemes_in_reverse_domain_form_are_accepted() {
    for good in [
        "com.example.app:/callback",
        "com.example.app://oauth/cb",
        "com.example-2.app:/cb",
    ] {
        assert_eq!(urls(json!([good])).unwrap(), [good]);
    }
    assert_eq!(
        urls(json!(["COM.Example.App:/cb"])).unwrap(),
        ["com.example.app:/cb"]
    );
}

#[test]
fn only_allowed_schemes_are_accepted() {
    for bad in [
        "myapp:/cb",
        "myapp://cb",
        "about:blank",
        "blob:https://app.example.com/550e8400-e29b-41d4-a716-446655440000",
        "view-source:https://app.example.com/cb",
        "chrome://settings",
        "jar:https://app.example.com/a.jar!/cb",
        "mailto:someone@example.com",
        "tel:+15551234567",
        "com..app:/cb",
        "com.app.:/cb",
        "com+x.app:/cb",
    ] {
        let message = rejection(json!([bad]));
        assert!(message.contains("not allowed"), "{bad}: {message}");
    }
    // Not a scheme at all (a scheme starts with a letter).
    rejection(json!([".com.app:/cb"]));
}

#[test]
fn http_and_https_need_the_authority_form() {
    for bad in [
        "https:app.example.com/cb",
        "https:/app.example.com/cb",
        "https:///app.example.com/cb",
        "http:localhost/cb",
        "http:/127.0.0.1/cb",
    ] {
        let message = rejection(json!([bad]));
        assert!(message.contains("'//'"), "{bad}: {message}");
    }
}

#[test]
fn wildcards_backslashes_blanks_and_invisible_characters_are_rejected() {
    for bad in [
        "https://*.example.com/cb",
        "https://app.example.com/*",
        "https://app.example.com\\cb",
        "https:\\\\app.example.com/cb",
        "https://app.example.com/cb\r\nLocation: https://evil.example/",
        "https://app.example.com/c\tb",
        "https://app.example.com/c\u{0}b",
        "https://app.example.com/c\u{85}b",
        "https://app.example.com/c\u{2028}b",
        "https://app.example.com/c\u{202E}b",
        "https://app.example.com/c\u{200B}b",
        " https://app.example.com/cb",
        "https://app.example.com/cb ",
        "com.example.app:/c b",
    ] {
        let message = rejection(json!([bad]));
        assert!(!message.contains(['\r', '\n', '\t']), "{message}");
    }
    // Encoded, they are inert and kept as sent.
    assert_eq!(
        urls(json!(["https://app.example.com/cb?x=%0d%0a%2A"])).unwrap(),
        ["https://app.example.com/cb?x=%0d%0a%2A"]
    );
}

#[test]
fn hosts_must_be_written_in_ascii() {
    let message = rejection(json!(["https://bücher.example/cb"]));
    assert!(
        message.contains("'https://xn--bcher-kva.example/cb'"),
        "{message}"
    );
    rejection(json!(["https://app.example.com/ä"]));
    assert_eq!(
        urls(json!(["https://xn--bcher-kva.example/cb"])).unwrap(),
        ["https://xn--bcher-kva.example/cb"]
    );
}

#[test]
fn urls_are_kept_in_normalised_form() {
    assert_eq!(
        urls(json!([
            "HTTPS://App.Example.COM:443/cb",
            "https://app.example.com",
            "http://LOCALHOST:8080/cb",
            "https://app.example.com/a/../cb?q=1",
        ]))
        .unwrap(),
        [
            "https://app.example.com/cb",
            "https://app.example.com/",
            "http://localhost:8080/cb",
            "https://app.example.com/cb?q=1",
        ]
    );
}

#[test]
fn fragments_are_rejected() {
    let message = rejection(json!(["https://app.example.com/cb#state"]));
    assert!(message.contains("fragment"), "{message}");
    rejection(json!(["https://app.example.com/cb#"]));
    rejection(json!(["com.example.app:/cb#x"]));
}

#[test]
fn user_information_is_rejected() {
    for bad in [
        "https://user:pw@app.example.com/cb",
        "https://user@app.example.com/cb",
        "https://@app.example.com/cb",
        "http://user@localhost/cb",
        "com.example.app://user@host/cb",
    ] {
        let message = rejection(json!([bad]));
        assert!(
            message.contains("user name or password"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn dangerous_schemes_are_rejected() {
    for bad in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "ftp://files.example.com/cb",
        "ws://localhost/cb",
        "wss://app.example.com/cb",
    ] {
        let message = rejection(json!([bad]));
        assert!(message.contains("not allowed"), "{bad}: {message}");
    }
}

#[test]
fn other_malformed_urls_are_rejected() {
    for bad in [
        "https://",
        "https://user:pw@app.example.com/cb",
        "https://app.example.com/c b",
        "https://app.example.com/\ncb",
        "",
    ] {
        rejection(json!([bad]));
    }
    rejection(json!([format!(
        "https://app.example.com/{}",
        "a".repeat(URL_MAX)
    )]));
}

#[test]
fn the_list_needs_one_to_twenty_urls() {
    assert!(rejection(json!([])).contains("at least one"));
    assert!(rejection(json!(" , ,")).contains("at least one"));
    let many: Vec<String> = (0..21)
        .map(|i| format!("https://app.example.com/cb{i}"))
        .collect();
    assert_eq!(urls(json!(many[..20])).unwrap().len(), 20);
    assert!(rejection(json!(many)).contains("at most 20"));
    assert!(rejection(json!(42)).contains("found a number"));
    assert!(rejection(json!(["https://a.example.com/cb", 7])).contains("item 2"));
    let missing = RedirectUrls::parse(None).unwrap_err();
    assert_eq!(missing.message(), "Missing required field 'redirectUrls'");
    assert!(RedirectUrls::parse(Some(Value::Null)).is_err());
}

#[test]
fn duplicates_are_dropped_keeping_order() {
    assert_eq!(
        urls(json!([
            "https://b.example.com/cb",
            "https://a.example.com/cb",
            "HTTPS://B.example.com:443/cb",
        ]))
        .unwrap(),
        ["https://b.example.com/cb", "https://a.example.com/cb"]
    );
}

#[test]
fn the_stored_form_is_a_json_array() {
    let parsed =
        RedirectUrls::parse(Some(json!("https://a.example.com/cb, com.example.app:/cb"))).unwrap();
    let stored: Vec<String> = serde_json::from_str(&parsed.to_stored()).unwrap();
    assert_eq!(stored, ["https://a.example.com/cb", "com.example.app:/cb"]);
}
