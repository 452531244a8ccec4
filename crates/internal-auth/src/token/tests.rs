use super::*;
use crate::generate_key_pair;

fn identity() -> Identity {
    Identity {
        user_id: 7,
        user_name: "alice".into(),
        tenant_id: 1,
        permissions: vec![11, 1],
        administered_tenants: vec![3],
    }
}

#[test]
fn a_minted_token_verifies_with_the_matching_public_key_only() {
    let pair = generate_key_pair().unwrap();
    let signer =
        TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(30)).unwrap();
    let verifier = TokenVerifier::from_pem(pair.public_pem.as_bytes(), Service::OauthApps).unwrap();
    let (token, _) = signer.mint(Service::OauthApps, &identity(), None).unwrap();
    let verified = verifier.verify(&token).unwrap();
    assert_eq!(verified.subject, identity());
    assert_eq!((verified.actor, verified.scope), (None, Scope::User));

    let admin = Identity {
        user_id: 1,
        user_name: "admin".into(),
        permissions: vec![12],
        ..identity()
    };
    let (obo, _) = signer
        .mint(Service::OauthApps, &identity(), Some(&admin))
        .unwrap();
    assert_eq!(verifier.verify(&obo).unwrap().actor, Some(admin));
    let (system, _) = signer.mint_system().unwrap();
    assert_eq!(verifier.verify(&system).unwrap().scope, Scope::System);

    let other = generate_key_pair().unwrap();
    let stranger =
        TokenVerifier::from_pem(other.public_pem.as_bytes(), Service::OauthApps).unwrap();
    assert!(stranger.verify(&token).is_err());
    assert!(verifier.verify(&format!("{token}x")).is_err());
    assert!(verifier.verify("not-a-token").is_err());
}

/// Each service's verifier says which of its surfaces a token opens: a forwarded request's
/// token opens its service's public routes and the peer routes that service calls, never its
/// own service's internal routes; the system token opens internal routes only.
#[test]
fn tokens_open_the_surfaces_they_are_addressed_to() {
    let pair = generate_key_pair().unwrap();
    let signer =
        TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(30)).unwrap();
    let opens = |forwarded_to: Option<Service>, verifying: Service| {
        let verifier = TokenVerifier::from_pem(pair.public_pem.as_bytes(), verifying).unwrap();
        let token = match forwarded_to {
            Some(service) => signer.mint(service, &identity(), None),
            None => signer.mint_system(),
        };
        verifier
            .verify(&token.unwrap().0)
            .map(|verified| (verified.opens.public, verified.opens.internal))
            .ok()
    };
    use Service::*;
    for service in Service::ALL {
        assert_eq!(
            opens(Some(service), service),
            Some((true, false)),
            "{service:?}"
        );
        assert_eq!(opens(None, service), Some((false, true)), "{service:?}");
    }
    // The peer calls: oauth-profiles reads oauth-apps' public routes and its client
    // credentials (internal), oauth-apps asks oauth-profiles' internal usage route.
    assert_eq!(opens(Some(OauthProfiles), OauthApps), Some((true, true)));
    assert_eq!(opens(Some(OauthApps), OauthProfiles), Some((false, true)));
    // Nothing else: a token for one service is refused by the others.
    assert_eq!(opens(Some(ClientRegistration), OauthApps), None);
    assert_eq!(opens(Some(ClientRegistration), OauthProfiles), None);
    assert_eq!(opens(Some(OauthApps), ClientRegistration), None);
    assert_eq!(opens(Some(OauthProfiles), ClientRegistration), None);
}

/// The token of the open callback route opens oauth-profiles' public routes (as a caller
/// without a user) and oauth-apps' internal ones, nothing of client-registration, and no
/// internal route of oauth-profiles (purges, usage).
#[test]
fn the_open_route_token_opens_the_callback_and_the_credentials_only() {
    let pair = generate_key_pair().unwrap();
    let signer =
        TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(30)).unwrap();
    let (token, _) = signer.mint_open(Service::OauthProfiles).unwrap();
    let verify = |service| {
        TokenVerifier::from_pem(pair.public_pem.as_bytes(), service)
            .unwrap()
            .verify(&token)
            .map(|v| (v.scope, v.opens.public, v.opens.internal))
            .ok()
    };
    assert_eq!(
        verify(Service::OauthProfiles),
        Some((Scope::Open, true, false))
    );
    assert_eq!(verify(Service::OauthApps), Some((Scope::Open, false, true)));
    assert_eq!(verify(Service::ClientRegistration), None);
}

#[test]
fn ttl_is_capped() {
    let pair = generate_key_pair().unwrap();
    let signer =
        TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(3600)).unwrap();
    assert_eq!(signer.ttl(), MAX_TOKEN_TTL);
}

#[test]
fn a_remembered_token_answers_the_same_until_it_expires_and_a_forgery_never_rides_on_it() {
    let pair = generate_key_pair().unwrap();
    let signer =
        TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(30)).unwrap();
    let verifier = TokenVerifier::from_pem(pair.public_pem.as_bytes(), Service::OauthApps).unwrap();
    let (token, expires) = signer.mint(Service::OauthApps, &identity(), None).unwrap();
    let first = verifier.verify(&token).unwrap();
    assert_eq!(verifier.verify(&token).unwrap(), first);

    // The same claims with the signature's last character changed: still refused.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert!(verifier.verify(&forged).is_err());

    // Past its expiry the memory no longer answers; the full check (with its leeway) does.
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    assert!(verifier.remembered(&digest, expires - 1).is_some());
    assert!(verifier.remembered(&digest, expires).is_none());
}

#[test]
fn the_memory_of_tokens_stays_bounded() {
    let pair = generate_key_pair().unwrap();
    let verifier = TokenVerifier::from_pem(pair.public_pem.as_bytes(), Service::OauthApps).unwrap();
    let verified = Verified {
        subject: identity(),
        actor: None,
        scope: Scope::User,
        opens: Surfaces::default(),
    };
    for n in 0..(RECENT_TOKENS as u64 * 2 + 10) {
        let digest: [u8; 32] = Sha256::digest(n.to_le_bytes()).into();
        verifier.remember(digest, &verified, 100 + n % 7, 50);
        assert!(verifier.recent.lock().unwrap().len() <= RECENT_TOKENS);
    }
}
