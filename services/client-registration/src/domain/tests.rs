use serde_json::json;

use super::*;

#[test]
fn names_are_free_text_without_control_characters() {
    let parse = |name: Value| {
        ClientAppInput::parse(ClientAppBody {
            name: Some(name),
            description: None,
            redirect_urls: Some(json!("https://a.example.com/cb")),
        })
    };
    assert_eq!(
        parse(json!("My App (v2) — ünïcode")).unwrap().name,
        "My App (v2) — ünïcode"
    );
    assert!(parse(json!("a".repeat(128))).is_ok());
    for bad in [
        json!(""),
        json!("   "),
        json!("a\tb"),
        json!("a\u{202E}b"),
        json!(" a"),
        json!("a ".repeat(2)),
        json!("a".repeat(129)),
        json!(3),
    ] {
        let err = parse(bad).unwrap_err();
        assert!(err.message().contains("'name'"), "{}", err.message());
    }
}

#[test]
fn secrets_are_256_random_bits_and_stored_only_as_a_keyed_hash() {
    let key = HashKey::parse(&secrets::generate_key()).unwrap();
    let a = ClientSecret::generate().unwrap();
    let b = ClientSecret::generate().unwrap();
    let hash = a.hash(&key);
    assert_ne!(hash, b.hash(&key));
    assert!(!format!("{a:?}").contains(&a.0));
    let clear = a.reveal();
    assert!(!hash.contains(&clear));
    assert_eq!(URL_SAFE_NO_PAD.decode(&clear).unwrap().len(), SECRET_BYTES);
    assert!(key.verify(&clear, &hash));
    let other_key = HashKey::parse(&secrets::generate_key()).unwrap();
    assert!(!other_key.verify(&clear, &hash));
    assert!(uuid::Uuid::parse_str(&new_client_id()).is_ok());
}

#[test]
fn credentials_name_the_missing_field_and_never_show_the_secret() {
    let parse = |body: Value| Credentials::parse(serde_json::from_value(body).unwrap());
    let ok = parse(json!({"clientId": "id-1", "clientSecret": "s3cret"})).unwrap();
    assert_eq!(
        (ok.client_id.as_str(), ok.client_secret.as_str()),
        ("id-1", "s3cret")
    );
    assert!(!format!("{ok:?}").contains("s3cret"));
    for (body, field) in [
        (json!({"clientSecret": "s"}), "'clientId'"),
        (
            json!({"clientId": "id", "clientSecret": null}),
            "'clientSecret'",
        ),
        (json!({"clientId": 7, "clientSecret": "s"}), "'clientId'"),
        (
            json!({"clientId": "id", "clientSecret": " "}),
            "'clientSecret'",
        ),
        (
            json!({"clientId": "id", "clientSecret": "s".repeat(257)}),
            "'clientSecret'",
        ),
    ] {
        let err = parse(body).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidField);
        assert!(err.message().contains(field), "{}", err.message());
    }
}
