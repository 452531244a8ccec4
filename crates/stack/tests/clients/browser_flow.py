"""The sign-in and consent pages in a real headless browser (Debian's chromium, driven through
chromedriver by Selenium): sign in (a wrong password first), allow, land on the redirect URI with
a code that authlib exchanges; deny; and a cross-site form post without the CSRF token, which is
refused. Run by crates/stack/tests/api/oauth_clients.rs against a running stack."""

import html
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from common import AUTHORIZE_URL, BASE, PASSWORD, TOKEN_URL, USER, check, register, report

LANDED = []  # the query strings the redirect URI received
ATTACK_FORMS = {}  # path -> HTML of a page on another site


class Site(BaseHTTPRequestHandler):
    """The client's redirect URI (/cb) on 127.0.0.1, and an attacker's pages, served on
    `localhost`: another site than the stack's 127.0.0.1 for the browser."""

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/cb":
            LANDED.append(query)
            body = b"<!doctype html><title>landed</title><p id=landed>landed</p>"
        elif path in ATTACK_FORMS:
            body = ATTACK_FORMS[path].encode()
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("HDP_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    service = Service(os.environ.get("HDP_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_for(condition, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    check(False, f"timed out waiting for {what}")


def element(driver, selector):
    try:
        return driver.find_element(By.CSS_SELECTOR, selector)
    except NoSuchElementException:
        return None


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    redirect_uri = f"http://127.0.0.1:{port}/cb"
    result = {}

    # A name with markup: the consent page must show it as text.
    shown_name = "Reports <b>bold</b> & co"
    client_id, client_secret = register(shown_name, redirect_uri)
    client = OAuth2Session(client_id, client_secret, scope="api.access.mgmt",
                           redirect_uri=redirect_uri, code_challenge_method="S256")
    verifier = generate_token(64)
    url, state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)

    driver = browser()
    try:
        # The sign-in page; a wrong password first.
        driver.get(url)
        check(element(driver, "input[name=username]") is not None, "no sign-in form: " + driver.page_source[:500])
        check(not driver.find_elements(By.TAG_NAME, "script"), "the sign-in page has a script")
        driver.find_element(By.NAME, "username").send_keys(USER)
        driver.find_element(By.NAME, "password").send_keys(PASSWORD + "-wrong")
        driver.find_element(By.ID, "signin").click()
        wait_for(lambda: element(driver, "input[name=password]"), "the sign-in page again")
        check(element(driver, "#allow") is None, "a wrong password reached the consent page")
        check(not LANDED, "a wrong password reached the redirect URI")
        result["wrong_password_refused"] = True

        # The right password: the consent page names the application, as text.
        driver.find_element(By.NAME, "username").clear()
        driver.find_element(By.NAME, "username").send_keys(USER)
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "signin").click()
        wait_for(lambda: element(driver, "#allow"), "the consent page")
        text = driver.find_element(By.TAG_NAME, "body").text
        check(shown_name in text, f"the consent page does not show {shown_name!r}: {text[:500]}")
        check(element(driver, "b") is None, "the application's name was rendered as markup")
        check("api.access.mgmt" in text, "the consent page does not name the scope")
        driver.find_element(By.ID, "allow").click()
        wait_for(lambda: element(driver, "#landed"), "the redirect URI")
        query = urllib.parse.parse_qs(LANDED[-1])
        check(query.get("state") == [state], f"state not echoed: {LANDED[-1]}")
        check("code" in query, f"no code: {LANDED[-1]}")
        location = redirect_uri + "?" + LANDED[-1]
        token = client.fetch_token(TOKEN_URL, authorization_response=location, code_verifier=verifier)
        r = requests.get(BASE + "/api/mgmt/oauth/client/applications",
                         headers={"Authorization": "Bearer " + token["access_token"]}, timeout=30)
        check(r.status_code == 200, f"the browser's token on the API: {r.status_code}")
        result["allowed"] = True

        # Remembered consent: the same application again goes straight back with a code.
        landed = len(LANDED)
        url, state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(64))
        driver.get(url)
        wait_for(lambda: len(LANDED) > landed, "the redirect of a remembered consent")
        check("code=" in LANDED[-1] and f"state={state}" in LANDED[-1], f"remembered: {LANDED[-1]}")
        result["remembered"] = True

        # Deny, for another application.
        other_id, _ = register("Other application", redirect_uri)
        other = OAuth2Session(other_id, None, scope="api.access.mgmt", redirect_uri=redirect_uri,
                              code_challenge_method="S256")
        url, state = other.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(64))
        landed = len(LANDED)
        driver.get(url)
        wait_for(lambda: element(driver, "#deny"), "the consent page of the second application")
        driver.find_element(By.ID, "deny").click()
        wait_for(lambda: len(LANDED) > landed, "the redirect after deny")
        query = urllib.parse.parse_qs(LANDED[-1])
        check(query.get("error") == ["access_denied"] and query.get("state") == [state],
              f"deny: {LANDED[-1]}")
        check("code" not in query, f"deny gave a code: {LANDED[-1]}")
        result["denied"] = True

        # A cross-site form post of a third application's consent, without the CSRF token, from
        # a page on another site (localhost is not 127.0.0.1 for the browser).
        third_id, _ = register("Third application", redirect_uri)
        third = OAuth2Session(third_id, None, scope="api.access.mgmt", redirect_uri=redirect_uri,
                              code_challenge_method="S256")
        url, state = third.create_authorization_url(AUTHORIZE_URL, code_verifier=generate_token(64))
        fields = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        fields["consent"] = "allow"
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        ATTACK_FORMS["/attack"] = (
            f'<!doctype html><title>win a prize</title><form method="post" '
            f'action="{html.escape(AUTHORIZE_URL)}">{inputs}'
            f'<button id="go" type="submit">go</button></form>'
        )
        # The same with a sign-in: a login CSRF with the user's own credentials.
        login_fields = dict(fields, username=USER, password=PASSWORD)
        del login_fields["consent"]
        login_inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in login_fields.items()
        )
        ATTACK_FORMS["/attack-signin"] = (
            f'<!doctype html><title>win a prize</title><form method="post" '
            f'action="{html.escape(AUTHORIZE_URL)}">{login_inputs}'
            f'<button id="go" type="submit">go</button></form>'
        )
        for page in ("/attack", "/attack-signin"):
            landed = len(LANDED)
            driver.get(f"http://localhost:{port}{page}")
            driver.find_element(By.ID, "go").click()
            wait_for(lambda: driver.current_url.startswith(BASE), "the post's answer")
            time.sleep(1)
            check(len(LANDED) == landed, f"{page}: the forged post reached the redirect URI: {LANDED[-1:]}")
            check(element(driver, "#landed") is None, f"{page}: landed")
        result["cross_site_refused"] = True
    finally:
        driver.quit()
        server.shutdown()
    result["ok"] = True
    report(result)


if __name__ == "__main__":
    main()
