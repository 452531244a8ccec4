use serde_json::json;

use super::*;

#[test]
fn ids_accept_numbers_and_digit_strings_only() {
    assert_eq!(required_id("id", Some(json!(17))).unwrap(), 17);
    assert_eq!(required_id("id", Some(json!("17"))).unwrap(), 17);
    assert_eq!(required_id("id", Some(json!("0017"))).unwrap(), 17);
    assert_eq!(required_id("id", Some(json!("17.00"))).unwrap(), 17);
    assert_eq!(required_id("id", Some(json!(17.0))).unwrap(), 17);
    assert_eq!(required_id("id", Some(json!(1.7e1))).unwrap(), 17);
    for bad in [
        json!(0),
        json!(-3),
        json!(1.5),
        json!(0.0),
        json!(-2.0),
        json!(1e300),
        json!("0"),
        json!("000"),
        json!("17."),
        json!(".0"),
        json!("17.5"),
        json!("1.0.0"),
        json!("1a"),
        json!(" 1"),
        json!("+1"),
        json!(true),
        json!("99999999999999999999"),
    ] {
        let err = required_id("oauthAppId", Some(bad)).unwrap_err();
        assert!(err.message().contains("'oauthAppId'"), "{}", err.message());
    }
    assert!(required_id("id", None)
        .unwrap_err()
        .message()
        .contains("Missing"));
}

#[test]
fn names_are_letters_digits_underscore() {
    assert_eq!(
        object_name("name", Some(json!("User_1")), 128).unwrap(),
        "User_1"
    );
    for bad in ["", "a b", "a-b", "é", "a;drop"] {
        assert!(object_name("name", Some(json!(bad)), 128).is_err(), "{bad}");
    }
    assert!(object_name("name", Some(json!("a".repeat(129))), 128).is_err());
    assert!(object_name("name", Some(json!("a".repeat(128))), 128).is_ok());
}

#[test]
fn urls_must_be_absolute_http() {
    assert!(http_url(
        "tokenURI",
        Some(json!("https://www.googleapis.com/oauth2/v3/token"))
    )
    .is_ok());
    for bad in [
        "www.googleapis.com",
        "ftp://x.y/z",
        "https://",
        "mailto:a@b.c",
        "",
    ] {
        assert!(http_url("tokenURI", Some(json!(bad))).is_err(), "{bad}");
    }
    assert!(http_url("tokenURI", None)
        .unwrap_err()
        .message()
        .contains("Missing required field 'tokenURI'"));
}

/// What a WHATWG parser would strip, repair or hide is refused as sent, naming the field.
#[test]
fn urls_are_checked_as_sent() {
    for bad in [
        "https://x.example/a\r\nLocation: https://evil.example/",
        "https://x.example/a\rb",
        "https://x.example/a\nb",
        "https://x.example/a\tb",
        "https://x.example/a\u{0}b",
        "https://x.example/a\u{85}b",
        "https://x.example/a\u{2028}b",
        "https://x.example/a\u{202E}b",
        "https://x.example/a\u{200B}b",
        "https://x.example/a\u{A0}b",
        "https://x.example/a b",
        " https://x.example/a",
        "https://x.example/a ",
        "\thttps://x.example/a",
        "https://x.example/a\n",
        "https://user:pw@x.example/a",
        "https://user@x.example/a",
        "https://@x.example/a",
        "https://x.example/a#frag",
        "https://x.example/a#",
        "https:x.example/a",
        "https:/x.example/a",
        "https:///x.example/a",
        "https:\\\\x.example/a",
        "https://x.example\\a",
    ] {
        let err = http_url("authorizeURI", Some(json!(bad))).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidField, "{bad:?}");
        assert!(
            err.message()
                .starts_with("Invalid value for 'authorizeURI'"),
            "{bad:?}: {}",
            err.message()
        );
        assert!(!err.message().contains(['\r', '\n']), "{}", err.message());
    }
}

#[test]
fn urls_are_kept_in_normalised_form() {
    for (sent, kept) in [
        (
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://accounts.google.com/o/oauth2/v2/auth",
        ),
        ("HTTPS://X.Example:443/a", "https://x.example/a"),
        ("http://x.example", "http://x.example/"),
        ("https://x.example/a/../b?q=1", "https://x.example/b?q=1"),
        (
            "https://bücher.example/ä",
            "https://xn--bcher-kva.example/%C3%A4",
        ),
        // Encoded, a line break is inert: it stays as sent.
        ("https://x.example/a%0d%0aB", "https://x.example/a%0d%0aB"),
    ] {
        assert_eq!(http_url("tokenURI", Some(json!(sent))).unwrap(), kept);
    }
}

#[test]
fn stored_text_refuses_control_and_format_characters() {
    for bad in [
        "a\rb",
        "a\nb",
        "a\tb",
        "a\u{0}b",
        "a\u{7F}b",
        "a\u{85}b",
        "a\u{2028}b",
        "a\u{2029}b",
        "a\u{202E}b",
        "a\u{200B}b",
        "a\u{FEFF}b",
        "a\u{AD}b",
        "a\u{E0041}b",
    ] {
        for err in [
            optional_text("description", Some(json!(bad)), 256).unwrap_err(),
            required_nonblank("scope", Some(json!(bad)), 256).unwrap_err(),
            optional_nonblank("accessToken", Some(json!(bad)), 256).unwrap_err(),
        ] {
            assert_eq!(err.code(), crate::ErrorCode::InvalidField);
            assert!(err.message().contains("(found U+"), "{}", err.message());
            assert!(!err.message().contains(bad), "{}", err.message());
        }
    }
    assert_eq!(
        optional_text("description", Some(json!(" Zoë — ok ")), 256).unwrap(),
        Some(" Zoë — ok ".to_owned())
    );
    assert!(is_forbidden_char('\u{200D}'));
    for fine in ['a', ' ', 'é', '—', '\u{A0}', '\u{3000}', '😀'] {
        assert!(!is_forbidden_char(fine), "{fine:?}");
    }
}

#[test]
fn identifiers_and_tokens_have_no_surrounding_white_space() {
    for bad in [" a", "a ", "\u{A0}a", "a\u{3000}"] {
        let err = required_nonblank("clientId", Some(json!(bad)), 64).unwrap_err();
        assert!(err.message().contains("white space"), "{}", err.message());
        assert!(optional_nonblank("accessToken", Some(json!(bad)), 64).is_err());
    }
    assert_eq!(
        required_nonblank("scope", Some(json!("a, b c")), 64).unwrap(),
        "a, b c"
    );
    assert_eq!(
        optional_nonblank("accessToken", Some(json!("")), 64).unwrap(),
        None
    );
    assert_eq!(optional_nonblank("accessToken", None, 64).unwrap(), None);
    assert!(required_nonblank("scope", Some(json!("  ")), 64).is_err());
    assert!(required_nonblank("scope", Some(json!("a".repeat(65))), 64).is_err());
}

#[test]
fn provider_urls_refuse_every_inward_address_unless_allowed() {
    let refused = |url: &str| {
        provider_url("tokenURI", Some(json!(url)), PrivateUris::REFUSED)
            .map_err(|e| e.message().to_owned())
    };
    for inward in [
        "http://127.0.0.1/token",
        "http://127.0.0.1:9000/token",
        "http://127.1/token",
        "http://2130706433/token",
        "http://0177.0.0.1/token",
        "http://0x7f.0.0.1/token",
        "http://0x7f000001/token",
        "http://017700000001/token",
        "http://[::1]/token",
        "http://[0:0:0:0:0:0:0:1]/token",
        "http://[::ffff:127.0.0.1]/token",
        "http://[::ffff:7f00:1]/token",
        "http://[::ffff:169.254.169.254]/latest",
        "http://[::127.0.0.1]/token",
        "http://[64:ff9b::a00:1]/token",
        "http://[2002:7f00:1::]/token",
        "http://[::]/token",
        "http://0.0.0.0/token",
        "http://0/token",
        "http://10.0.0.1/token",
        "http://10.255.255.255/token",
        "http://172.16.0.1/token",
        "http://172.31.255.1/token",
        "http://192.168.1.1/token",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/token",
        "http://224.0.0.1/token",
        "http://255.255.255.255/token",
        "http://[fc00::1]/token",
        "http://[fd12:3456::1]/token",
        "http://[fe80::1]/token",
        "http://[ff02::1]/token",
        "http://localhost/token",
        "http://LOCALHOST:8080/token",
        "http://localhost./token",
        "http://api.localhost/token",
        "https://a.b.LocalHost./token",
    ] {
        let message = refused(inward).expect_err(inward);
        assert!(message.contains("tokenURI"), "{inward}: {message}");
        assert!(
            provider_url("tokenURI", Some(json!(inward)), PrivateUris::ALLOWED).is_ok(),
            "{inward} is allowed when private URIs are"
        );
    }
    for public in [
        "https://oauth2.googleapis.com/token",
        "https://8.8.8.8/token",
        "https://[2001:4860:4860::8888]/token",
        "https://172.32.0.1/token",
        "https://localhost.example.com/token",
        "https://mylocalhost/token",
        "https://11.0.0.1/token",
    ] {
        assert!(refused(public).is_ok(), "{public}: {:?}", refused(public));
    }
}

#[test]
fn the_private_uris_setting_reads_one_and_true() {
    for (text, allowed) in [
        ("1", true),
        ("true", true),
        ("TRUE", true),
        ("0", false),
        ("false", false),
        ("", false),
    ] {
        assert_eq!(
            text.parse::<PrivateUris>().unwrap().allowed,
            allowed,
            "{text}"
        );
    }
    for bad in ["yes", "2", "on"] {
        assert!(bad.parse::<PrivateUris>().is_err(), "{bad}");
    }
}
