"""A real browser (headless Chromium through Selenium) logs in through the
emulator's Hosted UI form, sees the protected page with its name, keeps
the session across a reload, logs out and is sent to log in again.

The module's cookies keep their default `Secure` attribute here although
the test talks plain http: Chromium treats http://127.0.0.1 as a secure
context, so it stores and sends Secure cookies there (the test checks
that it does)."""
import os
import shutil
import tempfile

import pytest

import emu_client
from conftest import CLIENT, POOL
from httpd import HttpdInstance

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

HELLO = """#!/usr/bin/python3
import html, os
e = os.environ
print("Content-Type: text/html; charset=utf-8")
print()
print("<!DOCTYPE html><html><head><title>App</title></head><body>")
print('<h1 id="hello">Hello, %s</h1>' % html.escape(
    e.get("COGNITO_CLAIM_GIVEN_NAME") or e.get("REMOTE_USER", "")))
print('<p id="user">%s</p>' % html.escape(e.get("REMOTE_USER", "")))
print('<p id="groups">%s</p>' % html.escape(e.get("COGNITO_GROUPS", "")))
print('<a id="logout" href="/logout">Log out</a>')
print("</body></html>")
"""

SITE = """
CognitoUserPoolId {pool}
CognitoIssuer {issuer}
CognitoClientId {client}
CognitoTokenUse any
CognitoDomain {emu}
CognitoSessionPassphrase browser-test-passphrase-0123456789
CognitoLogoutURI /logout
<Location /app>
    AuthType Cognito
    AuthName "app"
    Require valid-user
</Location>
ScriptAlias /app/hello "@CGI@/hello"
"""


@pytest.fixture(scope="module")
def site(emu):
    h = HttpdInstance(config=SITE.format(pool=POOL, issuer=emu.issuer(POOL),
                                         client=CLIENT, emu=emu.base_url),
                      name="browser")
    h.write(os.path.join(h.cgi, "hello"), HELLO, 0o755)
    h.start()
    yield h
    h.cleanup()


@pytest.fixture
def browser():
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip("chromium and chromium-driver are not installed "
                    "(test/setup installs them)")
    profile = tempfile.mkdtemp(prefix="chromium-")
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, by, what, timeout=30):
    return WebDriverWait(driver, timeout).until(
        EC.presence_of_element_located((by, what)))


def sign_in(driver, username, password=emu_client.PASSWORD):
    wait_for(driver, By.ID, "signInFormUsername").send_keys(username)
    driver.find_element(By.ID, "signInFormPassword").send_keys(password)
    driver.find_element(By.ID, "signin").click()


def test_browser_login_reload_logout(browser, site, emu):
    app = site.url + "/app/hello"
    browser.get(app)
    # Sent to the Hosted UI's form (the emulator's).
    wait_for(browser, By.ID, "signInFormUsername")
    assert browser.current_url.startswith(emu.base_url + "/oauth2/authorize")
    sign_in(browser, "alice")

    # Back on the page asked for, as alice.
    hello = wait_for(browser, By.ID, "hello")
    assert browser.current_url == app
    assert hello.text == "Hello, Alice"
    assert browser.find_element(By.ID, "user").text == "alice"
    assert browser.find_element(By.ID, "groups").text == "admin,staff"
    cookies = {c["name"]: c for c in browser.get_cookies()}
    session = [c for n, c in cookies.items()
               if n == "cognito_session" or n.startswith("cognito_session_")]
    assert session
    # Default attributes, kept by a real browser over http://127.0.0.1.
    for c in session:
        assert c["secure"] and c["httpOnly"] and c["sameSite"] == "Lax"
    assert not [n for n in cookies if "_st_" in n]  # login state used up

    # A reload keeps the session: no trip to the login form.
    browser.refresh()
    assert wait_for(browser, By.ID, "user").text == "alice"
    assert browser.current_url == app

    # Log out: through Cognito's /logout and back to the site.
    browser.find_element(By.ID, "logout").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.current_url.rstrip("/") == site.url)
    assert not [c for c in browser.get_cookies()
                if c["name"].startswith("cognito_session")]

    # The protected page wants a login again (the form, not a silent
    # re-login through the Hosted UI's own session).
    browser.get(app)
    wait_for(browser, By.ID, "signInFormUsername")
    assert browser.current_url.startswith(emu.base_url + "/oauth2/authorize")

    # And someone else can log in.
    sign_in(browser, "bob")
    assert wait_for(browser, By.ID, "user").text == "bob"


def test_browser_wrong_password_stays_on_the_form(browser, site, emu):
    browser.get(site.url + "/app/hello")
    sign_in(browser, "alice", "wrong-password")
    err = wait_for(browser, By.ID, "loginErrorMessage")
    assert "Incorrect username or password" in err.text
    assert not [c for c in browser.get_cookies()
                if c["name"] == "cognito_session"]
