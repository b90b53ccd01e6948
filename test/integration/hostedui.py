"""Driving a browser login by hand: a cookie-keeping HTTP client that
behaves like a browser navigation, and the steps of the Hosted UI flow
(the module's redirect, the emulator's login form, the callback), so tests
can stop at any step, tamper with it, or replay it."""
import html
import re
import urllib.parse

import requests

import emu_client

# What a browser sends for a top-level navigation.
NAVIGATE = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
              "*/*;q=0.8",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
}


class Browser(requests.Session):
    """requests.Session with navigation headers and no proxies; redirects
    are never followed implicitly (tests look at every hop)."""

    def __init__(self):
        super().__init__()
        self.trust_env = False
        self.headers.update(NAVIGATE)

    def request(self, method, url, **kw):
        kw.setdefault("timeout", 30)
        return super().request(method, url, **kw)

    def get(self, url, **kw):
        kw.setdefault("allow_redirects", False)
        return super().get(url, **kw)

    def post(self, url, data=None, **kw):
        kw.setdefault("allow_redirects", False)
        return super().post(url, data=data, **kw)

    def head(self, url, **kw):
        kw.setdefault("allow_redirects", False)
        return super().head(url, **kw)


def query(url):
    """The query of a URL as a dict of single values."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query,
                                       keep_blank_values=True))


def location(resp):
    assert resp.status_code in (301, 302, 303, 307), (
        resp.status_code, resp.headers, resp.text[:300])
    return resp.headers["Location"]


def begin(browser, url, emu=None):
    """GET url as a navigation; it must redirect to the Hosted UI.
    Returns the authorize URL."""
    resp = browser.get(url)
    auth = location(resp)
    assert "/oauth2/authorize?" in auth, auth
    if emu is not None:
        assert auth.startswith(emu.base_url + "/"), auth
    return auth


def sign_in(browser, emu, authorize_url, username="alice",
            password=emu_client.PASSWORD):
    """Show the emulator's form for authorize_url's parameters (on the
    real emulator, wherever the URL points) and submit it.  Returns the
    callback URL the emulator redirects to."""
    params = query(authorize_url)
    # Always show the form, even when the Hosted UI remembers someone.
    params["prompt"] = "login"
    form = browser.get(emu.base_url + "/oauth2/authorize", params=params)
    assert form.status_code == 200, (form.status_code, form.text[:500])
    assert 'name="cognitoSignInForm"' in form.text, form.text[:500]
    fields = dict(re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.text))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    fields.update(username=username, password=password)
    resp = browser.post(emu.base_url + "/login", data=fields)
    return location(resp)


def finish(browser, callback_url):
    """Follow the callback; returns the module's answer to it."""
    return browser.get(callback_url)


def login(browser, emu, url, username="alice", password=emu_client.PASSWORD):
    """The whole flow for url; returns the callback's answer (a 302 back
    to url when all went well)."""
    auth = begin(browser, url)
    cb = sign_in(browser, emu, auth, username, password)
    return finish(browser, cb)


def login_and_follow(browser, emu, url, username="alice"):
    resp = login(browser, emu, url, username)
    back = location(resp)
    return browser.get(back)


def session_cookies(browser, name="cognito_session"):
    """{cookie name: value} of the module's session cookie and chunks."""
    return {c.name: c.value for c in browser.cookies
            if c.name == name or re.match(re.escape(name) + r"_\d+$", c.name)}


def state_cookies(browser, name="cognito_session"):
    return {c.name: c.value for c in browser.cookies
            if c.name.startswith(name + "_st_")}


def set_cookies(resp):
    """Every Set-Cookie header of a response, raw."""
    return resp.raw.headers.getlist("Set-Cookie")
