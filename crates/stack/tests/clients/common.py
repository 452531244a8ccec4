"""What both client scripts share: the stack's address, the test user, and registering a client
application through the public API (test set-up; the OAuth client work is authlib's)."""

import json
import os
import sys

import requests

BASE = os.environ["HDP_BASE"].rstrip("/")
USER = os.environ["HDP_USER"]
PASSWORD = os.environ["HDP_PASSWORD"]
AUTHORIZE_URL = BASE + "/oauth2/authorize"
TOKEN_URL = BASE + "/oauth2/token"
REVOKE_URL = BASE + "/oauth2/revoke"
INTROSPECT_URL = BASE + "/oauth2/introspect"
METADATA_URL = BASE + "/.well-known/oauth-authorization-server"
CLIENT_APPS = BASE + "/api/mgmt/oauth/client/applications"


def register(name, redirect_uri):
    """A client application of the test user: (client id, client secret)."""
    r = requests.post(
        CLIENT_APPS,
        auth=(USER, PASSWORD),
        json={"name": name, "redirectUrls": [redirect_uri]},
        timeout=30,
    )
    check(r.status_code == 201, f"registering {name!r}: {r.status_code} {r.text}")
    body = r.json()
    return body["clientId"], body["clientSecret"]


def check(condition, message):
    if not condition:
        print("FAILED: " + message, file=sys.stderr)
        sys.exit(1)


def report(result):
    """The last line of stdout: what the Rust test reads."""
    print("RESULT " + json.dumps(result), flush=True)
