"""The authorization server driven by a real OAuth client library, authlib's OAuth2Session: the
authorization code flow with PKCE (S256), the Bearer token on the management API, refresh with
rotation and reuse detection, introspection, revocation, and the password grant.

The user's step of the code flow is the product's non-browser authorize (POST with Basic
credentials and consent=allow); browser_flow.py does it in a real browser. Run by
crates/stack/tests/api/oauth_clients.rs against a running stack."""

import time

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from common import (
    AUTHORIZE_URL,
    BASE,
    CLIENT_APPS,
    INTROSPECT_URL,
    METADATA_URL,
    PASSWORD,
    REVOKE_URL,
    TOKEN_URL,
    USER,
    check,
    register,
    report,
)

REDIRECT_URI = "http://127.0.0.1:9/callback"


def session(client_id, client_secret, **kwargs):
    return OAuth2Session(
        client_id,
        client_secret,
        token_endpoint_auth_method="client_secret_basic",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        **kwargs,
    )


def authorize(client, scope):
    """A code flow up to the token: authlib builds the request and exchanges the code."""
    verifier = generate_token(64)
    url, state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier, scope=scope)
    r = requests.post(
        url, auth=(USER, PASSWORD), data={"consent": "allow"}, allow_redirects=False, timeout=30
    )
    check(r.status_code == 302, f"authorize answered {r.status_code}: {r.text[:300]}")
    location = r.headers["Location"]
    check(location.startswith(REDIRECT_URI + "?"), f"redirected to {location!r}")
    check(f"state={state}" in location, f"state not echoed: {location!r}")
    # authlib checks the state and sends the verifier.
    return client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)


def oauth_error(call):
    try:
        call()
    except OAuthError as err:
        return err.error
    return None


def bearer_status(access_token, path="/api/mgmt/oauth/client/applications"):
    r = requests.get(BASE + path, headers={"Authorization": f"Bearer {access_token}"}, timeout=30)
    return r.status_code, r.headers.get("WWW-Authenticate", "")


def main():
    result = {}
    metadata = requests.get(METADATA_URL, timeout=30).json()
    check(metadata["token_endpoint"].endswith("/oauth2/token"), f"metadata: {metadata}")
    check(metadata["code_challenge_methods_supported"] == ["S256"], f"metadata: {metadata}")
    result["issuer"] = metadata["issuer"]

    client_id, client_secret = register("authlib client", REDIRECT_URI)
    client = session(client_id, client_secret, scope="api.access.mgmt")

    # Authorization code with PKCE, and the token on the management API.
    token = authorize(client, "api.access.mgmt")
    check(token["token_type"].lower() == "bearer", f"token: {token.keys()}")
    check("refresh_token" in token, "no refresh token for the code grant")
    status, _ = bearer_status(token["access_token"])
    check(status == 200, f"Bearer GET answered {status}")
    r = client.get(CLIENT_APPS, timeout=30)  # authlib attaches the Bearer token itself
    check(r.status_code == 200 and any(a["clientId"] == client_id for a in r.json()["applications"]),
          f"list through authlib: {r.status_code} {r.text[:300]}")
    status, _ = bearer_status(token["access_token"], "/api/admin/users")
    check(status == 401, f"Bearer on /api/admin answered {status}")
    result["first_access_token"] = token["access_token"]

    # A wrong code verifier: the code is refused.
    verifier = generate_token(64)
    url, state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
    r = requests.post(url, auth=(USER, PASSWORD), data={"consent": "allow"}, allow_redirects=False, timeout=30)
    error = oauth_error(lambda: client.fetch_token(
        TOKEN_URL, authorization_response=r.headers["Location"], code_verifier=generate_token(64)))
    check(error == "invalid_grant", f"a wrong verifier gave {error!r}")

    # Introspection.
    info = client.introspect_token(INTROSPECT_URL, token=token["access_token"]).json()
    check(info["active"] is True and info["client_id"] == client_id, f"introspection: {info}")
    check("api.access.mgmt" in info["scope"].split(), f"introspection scope: {info}")

    # Refresh: rotation, then the rotated token presented again revokes the whole grant.
    old_refresh = token["refresh_token"]
    fresh = client.refresh_token(TOKEN_URL, refresh_token=old_refresh)
    check(fresh["refresh_token"] != old_refresh, "the refresh token did not rotate")
    check(fresh["access_token"] != token["access_token"], "no new access token")
    status, _ = bearer_status(fresh["access_token"])
    check(status == 200, f"refreshed token on the API: {status}")
    reuse = oauth_error(lambda: client.refresh_token(TOKEN_URL, refresh_token=old_refresh))
    check(reuse == "invalid_grant", f"reuse of a rotated refresh token gave {reuse!r}")
    info = client.introspect_token(INTROSPECT_URL, token=fresh["access_token"]).json()
    check(info["active"] is False, f"the grant survived a reuse: {info}")
    # The gateway remembers a token's check for at most GATEWAY_USER_CACHE_MS (1 s), like a user's
    # row: past that, every replica refuses the revoked token.
    time.sleep(1.2)
    status, challenge = bearer_status(fresh["access_token"])
    check(status == 401 and "invalid_token" in challenge, f"revoked token: {status} {challenge!r}")
    result["reuse_revoked_grant"] = True

    # Revocation (RFC 7009) of a refresh token ends its grant.
    token = authorize(client, "api.access.mgmt")
    r = client.revoke_token(REVOKE_URL, token=token["refresh_token"], token_type_hint="refresh_token")
    check(r.status_code == 200, f"revoke answered {r.status_code} {r.text}")
    info = client.introspect_token(INTROSPECT_URL, token=token["access_token"]).json()
    check(info["active"] is False, f"revoked grant still active: {info}")
    error = oauth_error(lambda: client.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"]))
    check(error == "invalid_grant", f"refresh after revocation gave {error!r}")

    # Another client cannot introspect this client's token.
    other_id, other_secret = register("authlib other client", REDIRECT_URI)
    token = authorize(client, "api.access.mgmt")
    other = session(other_id, other_secret)
    info = other.introspect_token(INTROSPECT_URL, token=token["access_token"]).json()
    check(info == {"active": False}, f"foreign introspection: {info}")

    # The password grant, with the odata scope only: not a key to the management API.
    odata = session(client_id, client_secret, scope="api.access.odata")
    token = odata.fetch_token(TOKEN_URL, grant_type="password", username=USER, password=PASSWORD)
    check("refresh_token" in token, "no refresh token for the password grant")
    status, challenge = bearer_status(token["access_token"])
    check(status == 403 and "insufficient_scope" in challenge, f"odata token on /api/mgmt: {status} {challenge!r}")
    error = oauth_error(lambda: odata.fetch_token(
        TOKEN_URL, grant_type="password", username=USER, password=PASSWORD + "x"))
    check(error == "invalid_grant", f"a wrong password gave {error!r}")

    # A wrong client secret.
    wrong = session(client_id, "not-the-secret")
    error = oauth_error(lambda: wrong.fetch_token(
        TOKEN_URL, grant_type="password", username=USER, password=PASSWORD))
    check(error == "invalid_client", f"a wrong client secret gave {error!r}")

    result["ok"] = True
    report(result)


if __name__ == "__main__":
    main()
