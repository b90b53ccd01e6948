"""Browser login through the Hosted UI, step by step, with a cookie-keeping
client (requests.Session) against a real httpd and the emulator: the
redirect, the emulator's login form, the callback, the session, refresh,
logout, and every way each step can go wrong."""
import base64
import hashlib
import http.client
import json
import os
import re
import time
import urllib.parse

import pytest
import requests

import emu_client
import hostedui as hu
import seal
from conftest import CLIENT, POOL
from httpd import MODDIR, HttpdInstance, free_port
from test_cache import redis_port  # noqa: F401  (the fixture)

PASS_A = "first-passphrase-0123456789abc"
PASS_B = "second-passphrase-9876543210xyz"
SHORT_CLIENT = "emushortlived"
COOKIE = "cognito_session"

SITE = """
CognitoUserPoolId {pool}
CognitoIssuer {issuer}
CognitoClientId {client}
CognitoTokenUse any
{login}
CognitoSessionPassphrase {passphrases}
CognitoCookieSecure Off
CognitoLogoutURI /logout
CognitoPostLogoutURI / https://elsewhere.example/bye
{extra}

<Location /app>
    AuthType Cognito
    AuthName "app"
    Require valid-user
</Location>
<Location /app/admin>
    Require cognito-group admin
</Location>
<Location /app/token>
    CognitoPassAccessToken On
</Location>
<Location /app/short>
    CognitoSessionMaxAge 60
    CognitoSessionInactivityTimeout 2
</Location>
<Location /app/idle6>
    CognitoSessionInactivityTimeout 6
</Location>
<Location /app/fed>
    CognitoIdentityProvider Google
</Location>
<Location /app/scoped>
    CognitoScope openid profile api/read
</Location>
<Location /app/other>
    CognitoClientId emuclient2
</Location>
<Location /app/api401>
    CognitoUnauthAction 401
</Location>
<Location /app/public>
    CognitoUnauthAction pass
</Location>
ScriptAliasMatch "^/app/(?:[a-z0-9]+/)?env$" "@CGI@/env"
ScriptAlias /app/post "@CGI@/post"
"""

# A CGI that reads the request body (the shared env CGI does not, which
# breaks POSTs through mod_cgid) and answers the user and the body.
POST_CGI = """#!/usr/bin/python3
import json, os, sys
body = sys.stdin.read(int(os.environ.get("CONTENT_LENGTH") or 0))
sys.stdout.write("Content-Type: application/json\\r\\n\\r\\n")
sys.stdout.write(json.dumps({"REMOTE_USER": os.environ.get("REMOTE_USER"),
                             "body": body}))
"""


def site_conf(emu, client=CLIENT, passphrases=(PASS_A,), domain=None,
              extra=""):
    login = "CognitoDomain %s" % (domain or emu.base_url)
    if domain is False:
        login = "CognitoUnauthAction login"
    return SITE.format(pool=POOL, issuer=emu.issuer(POOL), client=client,
                       login=login, passphrases=" ".join(passphrases),
                       extra=extra)


@pytest.fixture(scope="module")
def site(emu):
    h = HttpdInstance(config=site_conf(emu), name="login")
    h.write(os.path.join(h.cgi, "post"), POST_CGI, 0o755)
    h.start()
    yield h
    h.cleanup()


@pytest.fixture(scope="module")
def users(emu):
    """Users of our own, so changing them cannot disturb other tests."""
    made = {
        "lena": dict(groups=["staff"],
                     attributes={"email": "lena@example.com",
                                 "email_verified": True,
                                 "custom:tenant": "globex"}),
        "refreshy": dict(groups=[]),
        "outgoing": dict(groups=["staff"]),
    }
    for name, kw in made.items():
        emu.add_user(name, **kw)
    return made


def env(resp):
    assert resp.status_code == 200, (resp.status_code, resp.text[:400])
    return json.loads(resp.text)


def logged_in(emu, h, path="/app/env", username="alice"):
    """A Browser with a session at h (the callback already followed)."""
    b = hu.Browser()
    resp = hu.login(b, emu, h.url + path, username)
    assert hu.location(resp) == h.url + path
    assert hu.session_cookies(b), hu.set_cookies(resp)
    return b


def relogin(b, emu, h, path="/app/env", username="alice"):
    """Log in again in a browser that has a session (the login link);
    returns the callback's answer."""
    resp = b.get(h.url + "/oauth2/callback?target=" + urllib.parse.quote(
        path, safe=""))
    return hu.finish(b, hu.sign_in(b, emu, hu.location(resp), username))


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def only_state_cookie(b):
    states = hu.state_cookies(b)
    assert len(states) == 1, states
    return next(iter(states.items()))


def open_state(b, passphrase=PASS_A):
    name, value = only_state_cookie(b)
    plain = seal.unseal(passphrase, seal.state_context(name), value)
    assert plain is not None
    return name, json.loads(plain)


def open_session(b, passphrase=PASS_A):
    s = seal.open_session(passphrase, hu.session_cookies(b))
    assert s is not None
    return s


def put_session(b, session, passphrase=PASS_A):
    """Replace the browser's session cookie with a resealed session."""
    for name in list(hu.session_cookies(b)):
        b.cookies.set(name, None)
    b.cookies.set(COOKIE, seal.seal_session(passphrase, session),
                  domain="127.0.0.1", path="/")


def id_claims(session):
    payload = session["it"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload)
                                                              % 4)))


def token_calls(emu):
    return emu.stats()["token"]


# -- the whole flow ----------------------------------------------------------

def test_full_login_returns_to_the_original_url(site, emu):
    b = hu.Browser()
    auth = hu.begin(b, site.url + "/app/env?x=1&y=two", emu)
    q = hu.query(auth)
    assert q["response_type"] == "code"
    assert q["client_id"] == CLIENT
    assert q["redirect_uri"] == site.url + "/oauth2/callback"
    assert q["scope"] == "openid email profile"
    assert q["code_challenge_method"] == "S256"
    assert len(q["state"]) >= 32 and len(q["nonce"]) >= 32
    assert "identity_provider" not in q
    # The state cookie holds this login's state, nonce and PKCE verifier,
    # sealed; the challenge sent is S256 of that verifier.
    name, st = open_state(b)
    assert name == COOKIE + "_st_" + q["state"][:16]
    assert st["s"] == q["state"] and st["n"] == q["nonce"]
    assert q["code_challenge"] == s256(st["v"]) != st["v"]
    assert st["t"] == "/app/env?x=1&y=two"

    cb = hu.sign_in(b, emu, auth)
    assert cb.startswith(site.url + "/oauth2/callback?")
    resp = hu.finish(b, cb)
    assert hu.location(resp) == site.url + "/app/env?x=1&y=two"
    assert resp.headers["Cache-Control"] == "no-store"
    assert not hu.state_cookies(b)          # used up
    e = env(b.get(hu.location(resp)))
    assert e["REMOTE_USER"] == "alice"
    assert e["AUTH_TYPE"] == "Cognito"
    assert e["QUERY_STRING"] == "x=1&y=two"


def test_session_cookie_attributes(site, emu):
    b = hu.Browser()
    resp = hu.login(b, emu, site.url + "/app/env")
    cookies = [c for c in hu.set_cookies(resp) if c.startswith(COOKIE)]
    session = [c for c in cookies if "_st_" not in c]
    assert session
    for c in session:
        assert "; HttpOnly" in c and "; SameSite=Lax" in c and "Path=/" in c
        assert "Max-Age" not in c           # a browser-session cookie
        assert "Secure" not in c            # CognitoCookieSecure Off here
    s = open_session(b)
    assert set(s) >= {"v", "sid", "c", "l", "e", "it", "at", "rt"}
    assert abs(s["c"] - time.time()) < 60


def test_session_kept_without_new_logins(site, emu):
    b = logged_in(emu, site)
    before = token_calls(emu)
    for _ in range(5):
        assert env(b.get(site.url + "/app/env"))["REMOTE_USER"] == "alice"
    assert token_calls(emu) == before


def test_login_link_with_target(site, emu):
    b = hu.Browser()
    resp = b.get(site.url + "/oauth2/callback?target=/app/env%3Fvia%3Dlink")
    auth = hu.location(resp)
    assert auth.startswith(emu.base_url + "/oauth2/authorize?")
    cb = hu.sign_in(b, emu, auth, "bob")
    back = hu.location(hu.finish(b, cb))
    assert back == site.url + "/app/env?via=link"
    assert env(b.get(back))["REMOTE_USER"] == "bob"


def test_bearer_token_still_works_under_login(site, emu):
    resp = requests.get(site.url + "/app/env", allow_redirects=False,
                        headers=dict(hu.NAVIGATE, Authorization="Bearer "
                                     + emu.token(username="carol")),
                        timeout=30)
    assert env(resp)["REMOTE_USER"] == "carol"
    assert "Set-Cookie" not in resp.headers


def test_secure_and_other_cookie_settings(make_httpd, emu):
    """Without CognitoCookieSecure Off every cookie is Secure; the name and
    SameSite follow the directives, the state cookie stays Lax."""
    conf = site_conf(emu).replace("CognitoCookieSecure Off\n",
                                  "CognitoCookieName portal\n"
                                  "CognitoCookieSameSite Strict\n")
    h = make_httpd(conf, name="cookies")
    b = hu.Browser()
    resp = b.get(h.url + "/app/env")
    auth = hu.location(resp)
    (state_hdr,) = hu.set_cookies(resp)
    assert state_hdr.startswith("portal_st_")
    for attr in ("Path=/", "Max-Age=600", "HttpOnly", "Secure",
                 "SameSite=Lax"):
        assert attr in state_hdr
    # A client keeping to the rules sends Secure cookies over https only;
    # this test talks http, so it hands the cookie over itself.
    name, value = state_hdr.split(";")[0].split("=", 1)
    cb = hu.sign_in(b, emu, auth)
    resp = requests.get(cb, headers={"Cookie": "%s=%s" % (name, value)},
                        allow_redirects=False, timeout=30)
    assert hu.location(resp) == h.url + "/app/env"
    session = [c for c in hu.set_cookies(resp)
               if re.match(r"portal(_\d+)?=[^;]", c)]
    assert session
    for c in session:
        assert "; Secure" in c and "; HttpOnly" in c
        assert "; SameSite=Strict" in c
    jar = "; ".join(c.split(";")[0] for c in session)
    resp = requests.get(h.url + "/app/env", headers={"Cookie": jar},
                        allow_redirects=False, timeout=30)
    assert env(resp)["REMOTE_USER"] == "alice"


# -- the callback's checks ---------------------------------------------------

def test_callback_without_state(site, emu):
    b = hu.Browser()
    site.mark_log()
    before = token_calls(emu)
    for q in ("code=abc", "code=abc&state=", "code=abc&state=short"):
        resp = b.get(site.url + "/oauth2/callback?" + q)
        assert resp.status_code == 400
        assert "missing state" in resp.text
        assert not hu.session_cookies(b)
    assert token_calls(emu) == before       # no code was exchanged
    assert "without a valid state parameter" in site.log_since()


def test_callback_with_mismatched_state(site, emu):
    b = hu.Browser()
    cb = hu.sign_in(b, emu, hu.begin(b, site.url + "/app/env"))
    q = hu.query(cb)
    other = "A" * 16 + q["state"][16:]
    site.mark_log()
    before = token_calls(emu)
    resp = b.get(site.url + "/oauth2/callback?" + urllib.parse.urlencode(
        {"code": q["code"], "state": other}))
    assert resp.status_code == 400
    assert "state mismatch" in resp.text
    assert not hu.session_cookies(b)
    assert token_calls(emu) == before
    assert "state does not match a login started by this browser" \
        in site.log_since()
    # Same prefix (so the same cookie is found) but another state.
    b2 = hu.Browser()
    cb2 = hu.sign_in(b2, emu, hu.begin(b2, site.url + "/app/env"))
    q2 = hu.query(cb2)
    resp = b2.get(site.url + "/oauth2/callback?" + urllib.parse.urlencode(
        {"code": q2["code"], "state": q2["state"][:16] + "x" * 27}))
    assert resp.status_code == 400
    assert not hu.session_cookies(b2)


def test_callback_from_another_browser_is_refused(site, emu):
    """The state is bound to the browser that started the login: a victim
    cannot be made to complete an attacker's login (login CSRF)."""
    attacker, victim = hu.Browser(), hu.Browser()
    cb = hu.sign_in(attacker, emu, hu.begin(attacker, site.url + "/app/env"),
                    "bob")
    hu.begin(victim, site.url + "/app/env")     # a login of its own pending
    resp = victim.get(cb)
    assert resp.status_code == 400
    assert not hu.session_cookies(victim)


def test_tampered_state_cookie(site, emu):
    b = hu.Browser()
    cb = hu.sign_in(b, emu, hu.begin(b, site.url + "/app/env"))
    name, value = only_state_cookie(b)
    b.cookies.set(name, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"),
                  domain="127.0.0.1", path="/")
    resp = b.get(cb)
    assert resp.status_code == 400 and "state mismatch" in resp.text
    assert not hu.session_cookies(b)


def test_expired_login_state(site, emu):
    b = hu.Browser()
    cb = hu.sign_in(b, emu, hu.begin(b, site.url + "/app/env"))
    name, st = open_state(b)
    st["c"] -= 601
    b.cookies.set(name, seal.seal(PASS_A, seal.state_context(name),
                                  json.dumps(st)),
                  domain="127.0.0.1", path="/")
    resp = b.get(cb)
    assert resp.status_code == 400 and "took too long" in resp.text
    assert not hu.session_cookies(b)


def test_replayed_code_is_refused(site, emu):
    b = hu.Browser()
    cb = hu.sign_in(b, emu, hu.begin(b, site.url + "/app/env"))
    name, value = only_state_cookie(b)
    assert hu.location(hu.finish(b, cb)) == site.url + "/app/env"
    # The same browser again: its state was used up.
    assert b.get(cb).status_code == 400
    # Someone who also kept the state cookie: Cognito refuses the used code.
    thief = hu.Browser()
    thief.cookies.set(name, value, domain="127.0.0.1", path="/")
    site.mark_log()
    resp = thief.get(cb)
    assert resp.status_code == 401
    assert "Login failed" in resp.text
    assert not hu.session_cookies(thief)
    assert site.wait_log("code exchange refused (invalid_grant)")


def test_wrong_verifier_is_refused(site, emu):
    """A code obtained for one browser's PKCE challenge is useless with
    another browser's verifier, even with that browser's valid state."""
    a, b = hu.Browser(), hu.Browser()
    cb_a = hu.sign_in(a, emu, hu.begin(a, site.url + "/app/env"))
    cb_b = hu.sign_in(b, emu, hu.begin(b, site.url + "/app/env"), "bob")
    code_a = hu.query(cb_a)["code"]
    state_b = hu.query(cb_b)["state"]
    site.mark_log()
    resp = b.get(site.url + "/oauth2/callback?" + urllib.parse.urlencode(
        {"code": code_a, "state": state_b}))
    assert resp.status_code == 401
    assert not hu.session_cookies(b)
    assert site.wait_log("code exchange refused (invalid_grant)")


def test_verifier_is_what_cognito_checks(site, emu):
    """Drive the token endpoint directly with the code and the verifier
    from the (unsealed) state cookie: only the right verifier works."""
    b = hu.Browser()
    auth = hu.begin(b, site.url + "/app/env")
    _, st = open_state(b)
    cb = hu.sign_in(b, emu, auth)
    code = hu.query(cb)["code"]
    form = {"grant_type": "authorization_code", "client_id": CLIENT,
            "code": code, "redirect_uri": site.url + "/oauth2/callback",
            "code_verifier": st["v"][::-1]}
    resp = requests.post(emu.base_url + "/oauth2/token", data=form,
                         timeout=30)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"
    # The code is used up by that attempt, so the module's exchange fails.
    resp = b.get(cb)
    assert resp.status_code == 401
    # A fresh login, exchanged with the right verifier, works.
    b = hu.Browser()
    auth = hu.begin(b, site.url + "/app/env")
    _, st = open_state(b)
    code = hu.query(hu.sign_in(b, emu, auth))["code"]
    form.update(code=code, code_verifier=st["v"])
    resp = requests.post(emu.base_url + "/oauth2/token", data=form,
                         timeout=30)
    assert resp.status_code == 200 and "id_token" in resp.json()


@pytest.mark.parametrize("nonce", ["changed", None])
def test_nonce_is_checked(site, emu, nonce):
    """An id token whose nonce is not this login's is refused."""
    b = hu.Browser()
    auth = hu.begin(b, site.url + "/app/env")
    q = hu.query(auth)
    if nonce is None:
        del q["nonce"]
    else:
        q["nonce"] = "N" * 43
    auth = emu.base_url + "/oauth2/authorize?" + urllib.parse.urlencode(q)
    site.mark_log()
    resp = hu.finish(b, hu.sign_in(b, emu, auth))
    assert resp.status_code == 401
    assert not hu.session_cookies(b)
    assert site.wait_log("nonce mismatch" if nonce else "no nonce claim")


def test_cognito_error_on_callback(site, emu):
    b = hu.Browser()
    q = hu.query(hu.begin(b, site.url + "/app/env"))
    resp = b.get(site.url + "/oauth2/callback?" + urllib.parse.urlencode(
        {"error": "access_denied", "state": q["state"]}))
    assert resp.status_code == 401 and "Login was refused" in resp.text
    assert not hu.session_cookies(b)


def test_callback_only_answers_get(site, emu):
    resp = requests.post(site.url + "/oauth2/callback", data={"code": "x"},
                         allow_redirects=False, timeout=30)
    assert resp.status_code == 405


def test_pending_logins_are_bounded(site, emu):
    b = hu.Browser()
    for _ in range(12):
        hu.begin(b, site.url + "/app/env")
        assert 1 <= len(hu.state_cookies(b)) <= 5
    # The newest one still completes.
    newest = hu.begin(b, site.url + "/app/env")
    resp = hu.finish(b, hu.sign_in(b, emu, newest))
    assert hu.location(resp) == site.url + "/app/env"


# -- who gets a redirect and who a 401 ---------------------------------------

@pytest.mark.parametrize("headers", [
    {"X-Requested-With": "XMLHttpRequest"},
    {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
    {"Sec-Fetch-Mode": "no-cors"},
    {"Accept": "application/json", "Sec-Fetch-Mode": None},
    {"Accept": "*/*", "Sec-Fetch-Mode": None},
    {"Accept": None, "Sec-Fetch-Mode": None},
], ids=["xhr", "fetch-cors", "no-cors", "json", "any", "no-accept"])
def test_non_navigation_gets_401(site, headers):
    b = hu.Browser()
    resp = b.get(site.url + "/app/env", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="app"'
    assert "Location" not in resp.headers
    assert not hu.state_cookies(b)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_non_get_gets_401(site, method):
    b = hu.Browser()
    resp = b.request(method, site.url + "/app/env", data="a=1",
                     allow_redirects=False)
    assert resp.status_code == 401
    assert "Location" not in resp.headers
    assert not hu.state_cookies(b)


def test_session_works_for_post_and_xhr(site, emu):
    b = logged_in(emu, site)
    assert env(b.post(site.url + "/app/post", data="a=1")) == {
        "REMOTE_USER": "alice", "body": "a=1"}
    assert env(b.get(site.url + "/app/env", headers={
        "X-Requested-With": "XMLHttpRequest"}))["REMOTE_USER"] == "alice"


def test_head_navigation_redirects(site, emu):
    resp = hu.Browser().head(site.url + "/app/env")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(emu.base_url)


def test_unauth_action_401_and_pass(site, emu):
    b = hu.Browser()
    resp = b.get(site.url + "/app/api401/env")
    assert resp.status_code == 401 and "Location" not in resp.headers
    e = env(b.get(site.url + "/app/public/env"))
    assert e.get("REMOTE_USER", "") == ""
    assert "COGNITO_SUB" not in e
    b = logged_in(emu, site)
    assert env(b.get(site.url + "/app/api401/env"))["REMOTE_USER"] == "alice"
    assert env(b.get(site.url + "/app/public/env"))["REMOTE_USER"] == "alice"


# -- the session itself ------------------------------------------------------

def test_tampered_session_cookie(site, emu):
    b = logged_in(emu, site)
    cookies = hu.session_cookies(b)
    name = max(cookies)                 # the last chunk (or the only one)
    v = cookies[name]
    b.cookies.set(name, v[:10] + ("A" if v[10] != "A" else "B") + v[11:],
                  domain="127.0.0.1", path="/")
    site.mark_log()
    resp = b.get(site.url + "/app/env")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(emu.base_url)
    assert b.get(site.url + "/app/env", headers={
        "X-Requested-With": "XMLHttpRequest"}).status_code == 401
    assert site.wait_log("does not open")


def test_session_from_another_passphrase_is_no_session(site, emu):
    b = logged_in(emu, site)
    s = open_session(b)
    put_session(b, s, passphrase="some-other-passphrase-000000")
    assert b.get(site.url + "/app/env").status_code == 302
    put_session(b, s)
    assert env(b.get(site.url + "/app/env"))["REMOTE_USER"] == "alice"


def test_state_cookie_is_no_session(site, emu):
    """A sealed login state replayed as the session cookie does not open
    (the seal is bound to its purpose)."""
    b = hu.Browser()
    hu.begin(b, site.url + "/app/env")
    _, value = only_state_cookie(b)
    b.cookies.set(COOKIE, value, domain="127.0.0.1", path="/")
    assert b.get(site.url + "/app/env").status_code == 302


@pytest.mark.parametrize("what,change", [
    ("maximum age", lambda s, now: s.update(c=now - 28801, l=now)),
    ("inactivity", lambda s, now: s.update(l=now - 3601)),
    ("maximum age", lambda s, now: s.update(c=now + 3600, l=now)),
], ids=["too-old", "idle", "from-the-future"])
def test_expired_session(site, emu, what, change):
    b = logged_in(emu, site)
    s = open_session(b)
    change(s, int(time.time()))
    put_session(b, s)
    site.mark_log()
    resp = b.get(site.url + "/app/env")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(emu.base_url)
    assert not hu.session_cookies(b)        # deleted
    assert site.wait_log("session expired (%s)" % what)


def test_session_lifetime_directives(site, emu):
    """CognitoSessionMaxAge and CognitoSessionInactivityTimeout apply
    where they are set: /app/short allows 60 s and 2 s idle."""
    b = logged_in(emu, site, "/app/short/env")
    s = open_session(b)
    now = int(time.time())
    s.update(c=now - 61, l=now)
    put_session(b, s)
    assert env(b.get(site.url + "/app/env"))["REMOTE_USER"] == "alice"
    assert b.get(site.url + "/app/short/env").status_code == 302

    b = logged_in(emu, site, "/app/short/env")
    assert env(b.get(site.url + "/app/short/env"))["REMOTE_USER"] == "alice"
    time.sleep(3)               # longer than the 2 s inactivity timeout
    site.mark_log()
    resp = b.get(site.url + "/app/short/env")
    assert resp.status_code == 302
    assert site.wait_log("session expired (inactivity)")


def test_activity_is_recorded_for_short_timeouts(site, emu):
    """With a 6 s inactivity timeout the session records activity after
    3 s (not only once a minute), so an active user stays logged in."""
    b = logged_in(emu, site, "/app/idle6/env")
    s = open_session(b)
    now = int(time.time())
    s["l"] = now - 4
    put_session(b, s)
    resp = b.get(site.url + "/app/idle6/env")
    assert env(resp)["REMOTE_USER"] == "alice"
    assert any(c.startswith(COOKIE) for c in hu.set_cookies(resp))
    assert open_session(b)["l"] >= now
    # Recorded a moment ago: no rewrite.
    resp = b.get(site.url + "/app/idle6/env")
    assert not [c for c in hu.set_cookies(resp) if c.startswith(COOKIE)]


def test_session_id_renewed_at_login(site, emu):
    b = logged_in(emu, site)
    first = open_session(b)["sid"]
    resp = b.get(site.url + "/oauth2/callback?target=/app/env")
    # The Hosted UI remembers the user: a code comes back at once.
    cb = hu.location(b.get(hu.location(resp)))
    assert cb.startswith(site.url + "/oauth2/callback?code=")
    hu.finish(b, cb)
    second = open_session(b)["sid"]
    assert len(second) >= 43 and second != first


def test_session_for_another_app_client_is_ignored(site, emu):
    """/app/other accepts only emuclient2: a session made for emuclient1
    (same cookie, same passphrase) does not log anyone in there."""
    b = logged_in(emu, site)
    resp = b.get(site.url + "/app/other/env")
    assert resp.status_code == 302
    assert hu.query(resp.headers["Location"])["client_id"] == "emuclient2"
    assert env(b.get(site.url + "/app/env"))["REMOTE_USER"] == "alice"


# -- claims, groups, the access token ---------------------------------------

def test_claim_mirror_for_session_users(site, emu, users):
    b = logged_in(emu, site, username="lena")
    e = env(b.get(site.url + "/app/env"))
    assert e["REMOTE_USER"] == "lena"
    assert e["COGNITO_USERNAME"] == "lena"
    assert e["COGNITO_EMAIL"] == "lena@example.com"
    assert e["COGNITO_GROUPS"] == "staff"
    assert e["COGNITO_CLAIM_CUSTOM_TENANT"] == "globex"
    assert e["COGNITO_TOKEN_USE"] == "id"
    assert e["COGNITO_CLIENT_ID"] == CLIENT
    assert e["COGNITO_ISSUER"] == emu.issuer(POOL)
    assert e["COGNITO_SUB"] == emu.user("lena")["sub"]
    claims = json.loads(e["COGNITO_CLAIMS"])
    assert claims["cognito:username"] == "lena"
    assert len(e["COGNITO_CLAIMS_SHA256"]) == 64
    assert "COGNITO_ACCESS_TOKEN" not in e
    # The same variables a bearer id token of the same user gives, apart
    # from what differs per token.
    bearer = requests.get(site.url + "/app/env", timeout=30, headers={
        "Authorization": "Bearer " + emu.token(token_use="id",
                                               username="lena")}).json()
    for k in ("COGNITO_SUB", "COGNITO_GROUPS", "COGNITO_EMAIL",
              "COGNITO_CLAIM_CUSTOM_TENANT", "REMOTE_USER",
              "COGNITO_CLAIMS_SHA256"):
        assert bearer[k] == e[k], k


def test_require_group_for_session_users(site, emu, users):
    alice = logged_in(emu, site)
    assert env(alice.get(site.url + "/app/admin/env"))["REMOTE_USER"] \
        == "alice"
    lena = logged_in(emu, site, username="lena")
    resp = lena.get(site.url + "/app/admin/env")
    assert resp.status_code == 403
    assert "Location" not in resp.headers


def test_access_token_for_the_backend_is_opt_in(site, emu):
    b = logged_in(emu, site)
    assert "COGNITO_ACCESS_TOKEN" not in env(b.get(site.url + "/app/env"))
    e = env(b.get(site.url + "/app/token/env"))
    at = e["COGNITO_ACCESS_TOKEN"]
    assert at == open_session(b)["at"]
    # It is a real access token of alice's, good at the API.
    resp = requests.get(emu.base_url + "/oauth2/userInfo", timeout=30,
                        headers={"Authorization": "Bearer " + at})
    assert resp.status_code == 200 and resp.json()["username"] == "alice"


def test_identity_provider_is_passed(site, emu):
    b = hu.Browser()
    auth = hu.begin(b, site.url + "/app/fed/env")
    assert hu.query(auth)["identity_provider"] == "Google"
    form = b.get(auth)
    assert "Sign in with Google" in form.text
    resp = hu.finish(b, hu.sign_in(b, emu, auth, "someone@gmail.example"))
    e = env(b.get(hu.location(resp)))
    assert e["REMOTE_USER"].startswith("Google_")
    assert "Google" in e["COGNITO_CLAIM_IDENTITIES"]
    assert e["COGNITO_GROUPS"] == POOL + "_Google"


def test_scope_directive(site, emu):
    auth = hu.begin(hu.Browser(), site.url + "/app/scoped/env")
    assert hu.query(auth)["scope"] == "openid profile api/read"


# -- refresh -----------------------------------------------------------------

@pytest.fixture(scope="module")
def short_site(emu, users):
    """Tokens that live 30 s, less than the 60 s refresh margin: every
    request after login refreshes."""
    emu.add_client(SHORT_CLIENT, id_lifetime=30, access_lifetime=30)
    h = HttpdInstance(config=site_conf(emu, client=SHORT_CLIENT),
                      name="refresh")
    h.start()
    yield h
    h.cleanup()


def test_refresh_before_expiry(short_site, emu):
    b = logged_in(emu, short_site)
    s = open_session(b)
    assert s["e"] - time.time() <= 31
    before = token_calls(emu)
    short_site.mark_log()
    resp = b.get(short_site.url + "/app/env")
    assert env(resp)["REMOTE_USER"] == "alice"
    assert token_calls(emu) == before + 1
    assert any(c.startswith(COOKIE) for c in hu.set_cookies(resp))
    after = open_session(b)
    assert after["at"] != s["at"] and after["it"] != s["it"]
    assert after["rt"] == s["rt"]       # Cognito keeps the refresh token
    assert after["sid"] == s["sid"] and after["c"] == s["c"]
    # The backend sees the new token.
    e = env(b.get(short_site.url + "/app/token/env"))
    assert e["COGNITO_ACCESS_TOKEN"] == open_session(b)["at"]


def test_refresh_refused_ends_the_session(short_site, emu, users):
    b = logged_in(emu, short_site, username="refreshy")
    emu.update_user("refreshy", enabled=False)
    try:
        short_site.mark_log()
        resp = b.get(short_site.url + "/app/env")
        assert resp.status_code == 302
        assert resp.headers["Location"].startswith(emu.base_url)
        assert not hu.session_cookies(b)
        assert short_site.wait_log("session refresh refused (invalid_grant)")
    finally:
        emu.update_user("refreshy", enabled=True)
    # Logged out for good: XHR gets 401 now.
    assert b.get(short_site.url + "/app/env", headers={
        "X-Requested-With": "XMLHttpRequest"}).status_code == 401


def test_refresh_during_an_outage(short_site, emu):
    """Cognito unreachable: tokens that are still good keep working;
    expired ones give 503 and the session survives the outage."""
    b = logged_in(emu, short_site)
    emu.fault("token", "503")
    resp = b.get(short_site.url + "/app/env")
    assert env(resp)["REMOTE_USER"] == "alice"
    s = open_session(b)
    s["e"] = int(time.time()) - 5
    put_session(b, s)
    resp = b.get(short_site.url + "/app/env")
    assert resp.status_code == 503
    assert not [c for c in hu.set_cookies(resp) if c.startswith(COOKIE)]
    emu.clear_faults()
    assert env(b.get(short_site.url + "/app/env"))["REMOTE_USER"] == "alice"


# -- logout ------------------------------------------------------------------

def test_logout(site, emu, users):
    b = logged_in(emu, site, username="outgoing")
    s = open_session(b)
    origin_jti = id_claims(s)["origin_jti"]
    assert origin_jti not in [r["id"] for r in emu.revoked()]

    resp = b.get(site.url + "/logout")
    dest = hu.location(resp)
    assert dest == (emu.base_url + "/logout?client_id=" + CLIENT
                    + "&logout_uri=" + urllib.parse.quote(site.url + "/",
                                                          safe=""))
    assert not hu.session_cookies(b)
    revoked = [r for r in emu.revoked() if r["id"] == origin_jti]
    assert revoked and revoked[0]["username"] == "outgoing"
    # Cognito's logout ends the Hosted UI session and comes back.
    assert hu.location(b.get(dest)) == site.url + "/"
    # Logged out: the next visit goes to a login form (not a silent
    # re-login through the Hosted UI's own session).
    auth = hu.begin(b, site.url + "/app/env", emu)
    assert 'name="cognitoSignInForm"' in b.get(auth).text

    # An old copy of the cookie cannot be refreshed: the refresh token
    # is revoked, so the session ends at the next refresh.
    thief = hu.Browser()
    s["e"] = int(time.time()) - 5
    put_session(thief, s)
    site.mark_log()
    resp = thief.get(site.url + "/app/env")
    assert resp.status_code == 302 and not hu.session_cookies(thief)
    assert site.wait_log("session refresh refused (invalid_grant)")


def test_logout_targets(site, emu):
    b = logged_in(emu, site)
    resp = b.get(site.url + "/logout?target=/bye%3Fx%3D1")
    assert hu.query(hu.location(resp))["logout_uri"] == site.url + "/bye?x=1"
    resp = b.get(site.url + "/logout?target=" + urllib.parse.quote(
        "https://elsewhere.example/bye", safe=""))
    assert hu.query(hu.location(resp))["logout_uri"] \
        == "https://elsewhere.example/bye"


def test_logout_without_a_session(site, emu):
    resp = hu.Browser().get(site.url + "/logout")
    assert hu.location(resp).startswith(emu.base_url + "/logout?")


# -- passphrase rotation ------------------------------------------------------

def test_second_passphrase_rotation(make_httpd, emu):
    """Cookies are host-wide, so three servers on three ports see the same
    cookie: [A] seals, [B, A] still opens it, [B] alone does not."""
    old = make_httpd(site_conf(emu, passphrases=(PASS_A,)), name="rot-a")
    both = make_httpd(site_conf(emu, passphrases=(PASS_B, PASS_A)),
                      name="rot-ba")
    new = make_httpd(site_conf(emu, passphrases=(PASS_B,)), name="rot-b")
    b = logged_in(emu, old)
    assert open_session(b, PASS_A) and not seal.open_session(
        PASS_B, hu.session_cookies(b))
    assert env(b.get(both.url + "/app/env"))["REMOTE_USER"] == "alice"
    assert b.get(new.url + "/app/env").status_code == 302

    # A login through [B, A] is sealed with B, the first one.
    b = logged_in(emu, both)
    assert open_session(b, PASS_B)
    assert seal.open_session(PASS_A, hu.session_cookies(b)) is None
    assert env(b.get(new.url + "/app/env"))["REMOTE_USER"] == "alice"
    assert b.get(old.url + "/app/env").status_code == 302


# -- big sessions --------------------------------------------------------------

def big_user(emu, name, groups):
    emu.add_user(name, groups=["group-%03d-%s" % (i, "x" * 40)
                               for i in range(groups)])


def test_large_session_is_chunked(make_httpd, emu):
    big_user(emu, "manygroups", 60)
    h = make_httpd(site_conf(emu), name="chunks",
                   server_conf="LimitRequestFieldSize 65536\n")
    b = logged_in(emu, h, username="manygroups")
    cookies = hu.session_cookies(b)
    n = int(cookies[COOKIE])
    assert n >= 3 and len(cookies) == n + 1
    assert all(len(cookies["%s_%d" % (COOKIE, i)]) <= 3800
               for i in range(1, n + 1))
    e = env(b.get(h.url + "/app/env"))
    assert e["REMOTE_USER"] == "manygroups"
    assert len(e["COGNITO_GROUPS"].split(",")) == 60
    # A chunk missing is no session.
    b.cookies.set("%s_%d" % (COOKIE, n), None)
    assert b.get(h.url + "/app/env").status_code == 302
    # Logging in as someone small afterwards removes the extra chunks.
    b = logged_in(emu, h, username="manygroups")
    resp = relogin(b, emu, h, username="bob")
    assert len(hu.session_cookies(b)) < n + 1
    assert env(b.get(hu.location(resp)))["REMOTE_USER"] == "bob"


def test_session_too_big_for_the_request_limit(site, emu):
    """With the default LimitRequestFieldSize (8190) httpd would refuse
    the browser's every request; the login is refused instead, clearly."""
    big_user(emu, "toobig", 60)
    b = hu.Browser()
    site.mark_log()
    resp = hu.login(b, emu, site.url + "/app/env", "toobig")
    assert resp.status_code == 500
    assert "session cannot be stored" in resp.text
    assert not hu.session_cookies(b)
    assert site.wait_log("raise LimitRequestFieldSize or use "
                         "CognitoSessionStore cache")


def test_session_over_the_chunk_bound(make_httpd, emu):
    big_user(emu, "hugegroups", 260)
    h = make_httpd(site_conf(emu, extra="CognitoMaxTokenSize 65536"),
                   name="chunkbound",
                   server_conf="LimitRequestFieldSize 131072\n")
    b = hu.Browser()
    h.mark_log()
    resp = hu.login(b, emu, h.url + "/app/env", "hugegroups")
    assert resp.status_code == 500
    assert not hu.session_cookies(b)
    assert h.wait_log("too large for 8 cookies")


# -- sessions in the shared cache (two servers, redis) -----------------------

def test_cache_session_shared_by_two_servers(make_httpd, emu, redis_port):
    server = ("LoadModule socache_redis_module %s/mod_socache_redis.so\n"
              "CognitoCache redis:127.0.0.1:%d\n" % (MODDIR, redis_port))
    conf = site_conf(emu, extra="CognitoSessionStore cache")
    one = make_httpd(conf, server_conf=server, name="sess-redis1")
    two = make_httpd(conf, server_conf=server, name="sess-redis2")

    b = logged_in(emu, one)
    cookie = hu.session_cookies(b)
    assert list(cookie) == [COOKIE] and len(cookie[COOKIE]) <= 64
    assert env(b.get(two.url + "/app/env"))["REMOTE_USER"] == "alice"
    stolen = dict(cookie)

    # A new login gets a new id; the old one is gone.
    resp = b.get(one.url + "/oauth2/callback?target=/app/env")
    hu.finish(b, hu.location(b.get(hu.location(resp))))
    renewed = hu.session_cookies(b)[COOKIE]
    assert renewed != stolen[COOKIE]
    old = hu.Browser()
    old.cookies.set(COOKIE, stolen[COOKIE], domain="127.0.0.1", path="/")
    assert old.get(two.url + "/app/env").status_code == 302

    # Logout on one ends the session on both, even for a copied cookie.
    copy = hu.Browser()
    copy.cookies.set(COOKIE, renewed, domain="127.0.0.1", path="/")
    assert env(copy.get(two.url + "/app/env"))["REMOTE_USER"] == "alice"
    hu.location(b.get(one.url + "/logout"))
    assert copy.get(two.url + "/app/env").status_code == 302
    assert copy.get(one.url + "/app/env").status_code == 302


def test_cache_session_needs_a_cache(make_httpd, emu):
    h = make_httpd(site_conf(emu, extra="CognitoSessionStore cache"),
                   server_conf="CognitoCache none\n", name="nocache")
    b = hu.Browser()
    resp = hu.login(b, emu, h.url + "/app/env")
    assert resp.status_code == 503
    assert not hu.session_cookies(b)


# -- configuration -----------------------------------------------------------

def test_endpoints_from_discovery(make_httpd, emu):
    """No CognitoDomain: CognitoUnauthAction login reads the endpoints
    from the issuer's discovery document."""
    h = make_httpd(site_conf(emu, domain=False), name="discovery")
    b = hu.Browser()
    auth = hu.begin(b, h.url + "/app/env")
    assert auth.startswith(emu.base_url + "/oauth2/authorize?")
    resp = hu.finish(b, hu.sign_in(b, emu, auth))
    assert env(b.get(hu.location(resp)))["REMOTE_USER"] == "alice"
    assert hu.location(b.get(h.url + "/logout")).startswith(
        emu.base_url + "/logout?client_id=")


@pytest.mark.parametrize("form", ["literal", "file", "env"])
def test_client_secret(make_httpd, emu, form, tmp_path):
    """emuclient2 is confidential: the code exchange needs its secret."""
    secret = emu_client.CONF_SECRET
    if form == "file":
        path = tmp_path / "secret"
        path.write_text(secret + "\n")
        os.chmod(tmp_path, 0o755)
        os.chmod(path, 0o644)
        value = "file:%s" % path
    elif form == "env":
        os.environ["COGNITO_TEST_CLIENT_SECRET"] = secret
        value = "env:COGNITO_TEST_CLIENT_SECRET"
    else:
        value = secret
    h = make_httpd(site_conf(emu, client=emu_client.CONF_CLIENT,
                             extra="CognitoClientSecret " + value),
                   name="secret-" + form)
    b = logged_in(emu, h)
    assert env(b.get(h.url + "/app/env"))["COGNITO_CLIENT_ID"] \
        == emu_client.CONF_CLIENT
    # Logout revokes with client authentication too.
    origin = id_claims(open_session(b))["origin_jti"]
    b.get(h.url + "/logout")
    assert origin in [r["id"] for r in emu.revoked()]


def test_wrong_client_secret(make_httpd, emu):
    h = make_httpd(site_conf(emu, client=emu_client.CONF_CLIENT,
                             extra="CognitoClientSecret not-the-secret"),
                   name="badsecret")
    b = hu.Browser()
    h.mark_log()
    resp = hu.login(b, emu, h.url + "/app/env")
    assert resp.status_code == 401
    assert not hu.session_cookies(b)
    assert h.wait_log("code exchange refused (invalid_client); check "
                      "CognitoClientId and CognitoClientSecret")
    assert "not-the-secret" not in h.read_log()


def test_no_secret_for_a_confidential_client(make_httpd, emu):
    h = make_httpd(site_conf(emu, client=emu_client.CONF_CLIENT),
                   name="nosecret")
    resp = hu.login(hu.Browser(), emu, h.url + "/app/env")
    assert resp.status_code == 401


@pytest.mark.parametrize("conf,message", [
    ("CognitoDomain http://127.0.0.1:1\n", "no CognitoSessionPassphrase"),
    ("CognitoUnauthAction login\n", "no CognitoSessionPassphrase"),
    ("CognitoDomain http://127.0.0.1:1\nCognitoSessionPassphrase short\n",
     "at least 16 characters"),
    ("CognitoDomain http://127.0.0.1:1\n"
     "CognitoSessionPassphrase env:COGNITO_TEST_UNSET_VARIABLE\n",
     "is not set"),
    ("CognitoDomain http://127.0.0.1:1\n"
     "CognitoSessionPassphrase file:/nonexistent/passphrase\n",
     "cannot read"),
    ("CognitoClientSecret env:COGNITO_TEST_UNSET_VARIABLE\n", "is not set"),
    ("CognitoRedirectURI //evil.example/cb\n", "must be a path"),
    ("CognitoLogoutURI https://evil.example/logout\n", "must be a path"),
    ("CognitoCookieSameSite Sometimes\n", "Lax, Strict or None"),
    ("CognitoUnauthAction redirect\n", "login, 401 or pass"),
], ids=["domain", "unauth-login", "short", "env-unset", "file-missing",
        "secret-env-unset", "redirect-uri", "logout-uri", "samesite",
        "unauth"])
def test_bad_login_configuration_fails_startup(emu, conf, message):
    os.environ.pop("COGNITO_TEST_UNSET_VARIABLE", None)
    h = HttpdInstance(name="badconf", config=(
        "CognitoUserPoolId %s\nCognitoIssuer %s\nCognitoClientId %s\n%s"
        % (POOL, emu.issuer(POOL), CLIENT, conf)))
    try:
        ok, out = h.configtest()
        assert not ok
        assert message in out, out
    finally:
        h.cleanup()


def test_passphrase_from_file_and_env(make_httpd, emu, tmp_path):
    path = tmp_path / "pp"
    # Only the first line counts, trailing blanks dropped.
    path.write_text(PASS_B + "  \nnot part of it\n")
    os.chmod(tmp_path, 0o755)
    os.chmod(path, 0o644)
    os.environ["COGNITO_TEST_PASSPHRASE"] = PASS_A
    h = make_httpd(site_conf(emu, passphrases=(
        "file:%s" % path, "env:COGNITO_TEST_PASSPHRASE")), name="ppfile")
    b = logged_in(emu, h)
    assert open_session(b, PASS_B)


# -- the token endpoint misbehaving (503, bounded, one log line) -------------

@pytest.fixture(scope="module")
def fault_site(emu):
    h = HttpdInstance(config=site_conf(emu), name="tokfault",
                      server_conf="CognitoHttpTimeout 3 1\n")
    h.start()
    yield h
    h.cleanup()


def assert_unavailable(h, b, cb, started):
    resp = b.get(cb, timeout=60)
    elapsed = time.monotonic() - started
    assert resp.status_code == 503, (resp.status_code, resp.text[:300])
    assert "Login is unavailable right now" in resp.text
    assert not hu.session_cookies(b)
    # Bounded by CognitoHttpTimeout (3 s), with room for a slow machine.
    assert elapsed < 20
    assert h.wait_log("code exchange failed")
    log = h.log_since()
    lines = [l for l in log.splitlines() if "auth_cognito" in l
             and ("[auth_cognito:error]" in l or "[auth_cognito:warn" in l
                  or "[auth_cognito:crit" in l)]
    assert len(lines) == 1, lines
    code = hu.query(cb)["code"]
    assert code not in log and hu.query(cb)["state"] not in log
    assert "eyJ" not in log


@pytest.mark.parametrize("mode", ["drop", "hang", "500", "503", "html",
                                  "truncated", "huge", "redirect_loop",
                                  "empty", "throttle"])
def test_token_endpoint_faults(fault_site, emu, mode):
    b = hu.Browser()
    cb = hu.sign_in(b, emu, hu.begin(b, fault_site.url + "/app/env"))
    emu.fault("token", mode, seconds=30)
    fault_site.mark_log()
    assert_unavailable(fault_site, b, cb, time.monotonic())


def test_token_endpoint_refusing_connections(make_httpd, emu):
    dead = "http://127.0.0.1:%d" % free_port()
    h = make_httpd(site_conf(emu, domain=dead), name="tokdead",
                   server_conf="CognitoHttpTimeout 3 1\n")
    b = hu.Browser()
    auth = hu.begin(b, h.url + "/app/env")
    assert auth.startswith(dead + "/oauth2/authorize?")
    cb = hu.sign_in(b, emu, auth)       # the real emulator issues the code
    h.mark_log()
    assert_unavailable(h, b, cb, time.monotonic())


# -- open redirects ----------------------------------------------------------

# Targets as the module sees them after decoding the query once.  {host}
# is 127.0.0.1:<port>, {origin} http://{host}.
HOSTILE = [
    "//evil.example", "//evil.example/", "///evil.example",
    "////evil.example/x", "/\\evil.example", "\\\\evil.example",
    "\\/evil.example", "/\\/evil.example", "\\evil.example",
    "https:evil.example", "http:evil.example", "https:/evil.example",
    "http:/\\evil.example", "https:\\\\evil.example",
    "http://evil.example/", "https://evil.example", "HTTP://EVIL.EXAMPLE/",
    "//{host}@evil.example/", "{origin}@evil.example",
    "{origin}@evil.example/", "http://{host}:@evil.example/",
    "http://x:y@{host}/", "{origin}.evil.example/",
    "http://127.0.0.1.evil.example/", "{origin}evil.example",
    "{origin}:80/", "https://{host}/", "{origin}\\@evil.example",
    "{origin}//evil.example", "{origin}/\\evil.example",
    "http://evil.example#@{host}/", "http://evil.example?@{host}/",
    "%2f%2fevil.example", "%2F%2Fevil.example", "/%2f/evil.example",
    "/%5cevil.example", "%5c%5cevil.example", "/%252f%252fevil.example",
    "%252f%252fevil.example", "/%25%32%66%25%32%66evil.example",
    "/\r\nLocation: http://evil.example", "/%0d%0aLocation:%20http://evil",
    "/\nSet-Cookie: x=1", "/\t/evil.example", "\t//evil.example",
    "/%09/evil.example", " //evil.example", "/ /evil.example",
    "/\x00evil", "/%00//evil.example", "/\x7f//evil.example",
    "/\u3002evil.example", "//evil\u3002example", "/%e3%80%82evil",
    "javascript:alert(document.domain)", "JaVaScRiPt:alert(1)",
    "javascript://{host}/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)", "evil.example", "evil.example/", "@evil.example",
    "?next=//evil.example", "#//evil.example", "ftp://{host}/",
    "",
]


def expand(t, h):
    host = "127.0.0.1:%d" % h.port
    return t.replace("{host}", host).replace("{origin}", "http://" + host)


def hostile_query(target):
    # Encode everything, including bytes an http client would refuse raw.
    return urllib.parse.quote(target.encode("utf-8"), safe="")


def raw_get(h, target, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=30)
    try:
        conn.putrequest("GET", target, skip_host=True,
                        skip_accept_encoding=True)
        conn.putheader("Host", "127.0.0.1:%d" % h.port)
        for k, v in dict(hu.NAVIGATE, **(headers or {})).items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        resp.body = resp.read().decode(errors="replace")
        return resp
    finally:
        conn.close()


def test_there_are_enough_hostile_targets():
    assert len(set(HOSTILE)) >= 50


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_login_target_refused(site, target):
    t = expand(target, site)
    resp = raw_get(site, "/oauth2/callback?target=" + hostile_query(t))
    assert resp.status == 400, resp.status
    assert "Invalid login target" in resp.body
    assert resp.getheader("Location") is None
    assert not [c for c in resp.headers.get_all("Set-Cookie") or []
                if "_st_" in c]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_logout_target_refused(site, target):
    t = expand(target, site)
    resp = raw_get(site, "/logout?target=" + hostile_query(t))
    assert resp.status == 400, resp.status
    assert "Invalid logout target" in resp.body
    assert resp.getheader("Location") is None


@pytest.fixture(scope="module")
def origin_site(emu):
    """Everything protected, so any request path starts a login."""
    conf = site_conf(emu) + """
<Location />
    AuthType Cognito
    AuthName "all"
    Require valid-user
</Location>
"""
    h = HttpdInstance(config=conf, name="origin")
    h.start()
    yield h
    h.cleanup()


@pytest.mark.parametrize("path", [
    "//evil.example/", "///evil.example/x", "//evil.example/%2e%2e/",
    "/\\evil.example/", "//{host}@evil.example/", "/.//evil.example/",
    "/%5cevil.example/", "/%09/evil.example/", "/app/..//evil.example/",
    "/x?y=//evil.example",
])
def test_original_url_return_is_same_origin(origin_site, emu, path):
    """Whatever the original request looked like, the browser comes back
    to this site after login, never elsewhere."""
    h = origin_site
    first = raw_get(h, expand(path, h))
    assert first.status == 302, (first.status, first.body[:300])
    auth = first.getheader("Location")
    assert auth.startswith(emu.base_url + "/oauth2/authorize?")
    b = hu.Browser()
    for c in first.headers.get_all("Set-Cookie"):
        name, value = c.split(";")[0].split("=", 1)
        b.cookies.set(name, value, domain="127.0.0.1", path="/")
    back = hu.location(hu.finish(b, hu.sign_in(b, emu, auth)))
    origin = "http://127.0.0.1:%d" % h.port
    assert back.startswith(origin + "/"), back
    rest = back[len(origin):]
    assert not rest.startswith("//") and "\\" not in rest, back
    split = urllib.parse.urlsplit(urllib.parse.urljoin(origin + "/", back))
    assert split.netloc == "127.0.0.1:%d" % h.port


# -- the example configuration works as it stands --------------------------

def test_browser_login_example_logs_in(make_httpd, emu):
    """httpd-conf/browser-login.conf, pointed at the emulator (and plain
    http), logs a browser in and out."""
    from httpd import REPO
    with open(os.path.join(REPO, "httpd-conf", "browser-login.conf")) as f:
        text = f.read()
    h = make_httpd("", start=False, name="example-login")
    secrets = os.path.join(h.dir, "secrets")
    os.makedirs(secrets)
    h.write(os.path.join(secrets, "cognito-client-secret"),
            emu_client.CONF_SECRET + "\n")
    h.write(os.path.join(secrets, "cognito-session-passphrase"),
            PASS_A + "\n")
    subs = [
        (r"(?m)^LoadModule auth_cognito_module .*$", ""),
        (r"(?m)^ServerName .*$", "ServerName @URL@"),
        (r"CognitoUserPoolId \S+", "CognitoUserPoolId %s\n    CognitoIssuer %s"
         % (POOL, emu.issuer(POOL))),
        (r"CognitoClientId \S+", "CognitoClientId " + emu_client.CONF_CLIENT),
        (r"CognitoDomain \S+", "CognitoDomain " + emu.base_url),
        (r"/etc/apache2/", secrets + "/"),
        (r"CognitoPostLogoutURI \S+", "CognitoPostLogoutURI @URL@/"),
        (r"CognitoCookieSecure On", "CognitoCookieSecure Off"),
    ]
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl.replace("\\", "\\\\"), text)
        assert n, pattern
    h.write_config(config=text)
    h.start()
    b = hu.Browser()
    resp = hu.login(b, emu, h.url + "/index.html")
    assert hu.location(resp) == h.url + "/index.html"
    assert list(hu.session_cookies(b, "app_session"))
    assert b.get(h.url + "/index.html").text == "hello\n"
    bob = hu.Browser()
    hu.login(bob, emu, h.url + "/index.html", "bob")
    assert bob.get(h.url + "/admin/").status_code == 403
    assert b.get(h.url + "/admin/").status_code == 404   # allowed, no page
    assert b.get(h.url + "/index.html", headers={
        "X-Requested-With": "XMLHttpRequest"}).status_code == 200
    out = hu.location(b.get(h.url + "/logout"))
    assert hu.query(out)["logout_uri"] == h.url + "/"
    assert b.get(h.url + "/index.html").status_code == 302
