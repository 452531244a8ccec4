use super::*;

fn place(row_id: i64) -> Place<'static> {
    Place {
        table: "oauth_apps",
        column: "client_secret",
        row_id,
    }
}

fn ring(entries: &[&str]) -> KeyRing {
    KeyRing::parse(&entries.join(","), None).unwrap()
}

#[test]
fn values_open_only_for_their_own_place() {
    let k1 = format!("k1:{}", generate_key());
    let ring = ring(&[&k1]);
    let sealed = ring.seal("1912308409123890", place(7));
    assert!(sealed.starts_with("enc:v1:k1:"));
    assert!(!sealed.contains("1912308409123890"));
    assert_eq!(ring.open(&sealed, place(7)).unwrap(), "1912308409123890");
    assert_ne!(
        ring.seal("1912308409123890", place(7)),
        sealed,
        "fresh nonce each time"
    );
    assert_eq!(
        ring.open(&sealed, place(8)),
        Err(OpenError::Rejected("k1".into()))
    );
    let other_column = Place {
        column: "client_id",
        ..place(7)
    };
    assert!(ring.open(&sealed, other_column).is_err());
    let mut tampered = sealed.clone();
    tampered.pop();
    tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
    assert!(ring.open(&tampered, place(7)).is_err());
    assert_eq!(ring.open("plain", place(7)), Err(OpenError::Malformed));
}

#[test]
fn rotation_keeps_old_values_readable_until_the_key_is_removed() {
    let k1 = format!("k1:{}", generate_key());
    let k2 = format!("k2:{}", generate_key());
    let old = ring(&[&k1]).seal("token", place(1));
    let rotated = ring(&[&k1, &k2]);
    assert_eq!(rotated.active_id(), "k2");
    assert!(rotated.needs_reseal(&old));
    assert_eq!(rotated.open(&old, place(1)).unwrap(), "token");
    let resealed = rotated.seal("token", place(1));
    assert!(!rotated.needs_reseal(&resealed));
    let only_new = ring(&[&k2]);
    assert_eq!(only_new.open(&resealed, place(1)).unwrap(), "token");
    assert_eq!(
        only_new.open(&old, place(1)),
        Err(OpenError::UnknownKey("k1".into()))
    );
    assert_eq!(sealed_key_id(&old), Some("k1"));
}

#[test]
fn malformed_rings_are_refused_without_showing_keys() {
    let good = generate_key();
    assert_eq!(KeyRing::parse("", None).unwrap_err(), KeyError::Empty);
    assert_eq!(KeyRing::parse(&good, None).unwrap_err(), KeyError::Entry(1));
    assert!(matches!(
        KeyRing::parse("k_1:abc", None),
        Err(KeyError::KeyId(_))
    ));
    let short = KeyRing::parse("k1:c2hvcnQ=", None).unwrap_err();
    assert_eq!(short, KeyError::KeyBytes("k1".into()));
    let dup = KeyRing::parse(&format!("k1:{good},k1:{good}"), None).unwrap_err();
    assert_eq!(dup, KeyError::Duplicate("k1".into()));
    let missing = KeyRing::parse(&format!("k1:{good}"), Some("k9")).unwrap_err();
    assert_eq!(missing, KeyError::NoActive("k9".into()));
    let explicit = KeyRing::parse(&format!("k1:{good}\nk2:{}", generate_key()), Some("k1"));
    assert_eq!(explicit.unwrap().active_id(), "k1");
    assert!(!format!("{:?}", ring(&[&format!("k1:{good}")])).contains(&good));
}

#[test]
fn keyed_hashes_verify_only_the_secret_under_the_same_key() {
    let key = HashKey::parse(&generate_key()).unwrap();
    let stored = key.hash("s3cret");
    assert!(!stored.contains("s3cret"));
    assert!(key.verify("s3cret", &stored));
    assert!(!key.verify("s3cres", &stored));
    assert!(!key.verify("s3cret", "garbage"));
    let other = HashKey::parse(&generate_key()).unwrap();
    assert!(!other.verify("s3cret", &stored));
    assert_eq!(format!("{key:?}"), "HashKey(***)");
}

#[test]
fn reseal_moves_every_value_to_the_active_key_and_respects_concurrent_writes() {
    let k1 = format!("k1:{}", generate_key());
    let k2 = format!("k2:{}", generate_key());
    let old = ring(&[&k1]);
    let mut rows: Vec<(i64, String)> = (1..=7)
        .map(|id| (id, old.seal(&format!("secret-{id}"), place(id))))
        .collect();
    let rotated = ring(&[&k1, &k2]);
    rows[2].1 = rotated.seal("secret-3", place(3));
    let table = std::cell::RefCell::new(rows);
    let report = reseal_column::<()>(
        &rotated,
        "oauth_apps",
        "client_secret",
        2,
        |after, limit| {
            Ok(table
                .borrow()
                .iter()
                .filter(|(id, v)| *id > after && rotated.needs_reseal(v))
                .take(limit as usize)
                .cloned()
                .collect())
        },
        |id, old_value, new_value| {
            let mut rows = table.borrow_mut();
            let row = rows.iter_mut().find(|(row_id, _)| *row_id == id).unwrap();
            if id == 5 {
                row.1 = rotated.seal("changed", place(5));
            }
            if row.1 != old_value {
                return Ok(false);
            }
            row.1 = new_value.to_owned();
            Ok(true)
        },
    )
    .unwrap();
    assert_eq!(
        report,
        ResealReport {
            resealed: 5,
            changed_meanwhile: 1,
            failed: 0
        }
    );
    let only_new = ring(&[&k2]);
    for (id, value) in table.borrow().iter() {
        let expected = if *id == 5 {
            "changed".to_owned()
        } else {
            format!("secret-{id}")
        };
        assert_eq!(only_new.open(value, place(*id)).unwrap(), expected);
    }
}

#[test]
fn key_files_are_private_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/ring");
    assert!(generate_key_file(&path, "k1:x").unwrap());
    assert!(!generate_key_file(&path, "k2:y").unwrap());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "k1:x\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
