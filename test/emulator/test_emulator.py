"""The emulator's own tests: it must look like Cognito (shapes in
/work/shared/COGNITO.md), and its control API and faults must do what the
module's tests rely on.  Run: /usr/bin/python3 -m pytest -q test/emulator
"""
import base64
import hashlib
import html.parser
import http.client
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_client  # noqa: E402
from emu_client import (CONF_CLIENT, CONF_SECRET, DEFAULT_POOL,  # noqa
                        IDENTITY_POOL, M2M_CLIENT, M2M_SECRET, PASSWORD,
                        PUBLIC_CLIENT, Emulator, secret_hash)

CB = "http://127.0.0.1:8765/callback"

ID_CLAIMS = {"sub", "cognito:groups", "email_verified", "iss",
             "cognito:username", "origin_jti", "aud", "event_id",
             "token_use", "auth_time", "exp", "iat", "jti", "email",
             "custom:tenant", "given_name"}
ACCESS_CLAIMS = {"sub", "cognito:groups", "iss", "version", "client_id",
                 "origin_jti", "event_id", "token_use", "scope", "auth_time",
                 "exp", "iat", "jti", "username"}
M2M_CLAIMS = {"sub", "token_use", "scope", "auth_time", "iss", "exp", "iat",
              "version", "jti", "client_id"}


@pytest.fixture(scope="module")
def emu():
    e = Emulator()
    e.start(tls=True)
    yield e
    e.stop()


@pytest.fixture(autouse=True)
def _fresh(emu):
    emu.reset()
    yield


# -- helpers -----------------------------------------------------------------

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                     NoRedirect())


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode()

    def location(self):
        return self.headers.get("Location")


def call(method, url, data=None, headers=None, form=None, js=None,
         target=None, auth=None, context=None, timeout=10):
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers.setdefault("Content-Type",
                           "application/x-www-form-urlencoded")
    if js is not None:
        data = json.dumps(js).encode()
        headers.setdefault("Content-Type", "application/x-amz-json-1.1")
    if target:
        headers["X-Amz-Target"] = target
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % auth).encode()).decode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers)
    opener = OPENER
    if context is not None:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), NoRedirect(),
            urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(req, timeout=timeout) as r:
            return Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as exc:
        return Resp(exc.code, exc.headers, exc.read())


def unb64u(s):
    assert "=" not in s and "+" not in s and "/" not in s
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def parts(token):
    h, p, s = token.split(".")
    return json.loads(unb64u(h)), json.loads(unb64u(p)), unb64u(s)


def public_key(jwk):
    n = int.from_bytes(unb64u(jwk["n"]), "big")
    e = int.from_bytes(unb64u(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def verify(token, jwks):
    """Claims of a token that verifies against the JWKS, else raises."""
    header, claims, sig = parts(token)
    jwk = {k["kid"]: k for k in jwks["keys"]}[header["kid"]]
    signing_input = token.rsplit(".", 1)[0].encode()
    public_key(jwk).verify(sig, signing_input, padding.PKCS1v15(),
                           hashes.SHA256())
    return claims


def jwks(emu, pool=DEFAULT_POOL):
    return call("GET", emu.jwks_url(pool)).json()


def json_api(emu, target, body):
    """emu: an Emulator or a base URL."""
    base = emu if isinstance(emu, str) else emu.base_url
    return call("POST", base + "/", js=body, target=target)


def initiate(emu, user, password=PASSWORD, client=PUBLIC_CLIENT, **params):
    ap = {"USERNAME": user, "PASSWORD": password}
    ap.update(params)
    return json_api(emu, "AWSCognitoIdentityProviderService.InitiateAuth",
                    {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                     "AuthParameters": ap})


class FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.ids = {}, set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "input" and "name" in a:
            self.inputs[a["name"]] = a.get("value", "")


def parse_form(page):
    p = FormParser()
    p.feed(page)
    return p


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(emu, client=PUBLIC_CLIENT, redirect_uri=CB, **extra):
    q = {"response_type": "code", "client_id": client,
         "redirect_uri": redirect_uri, "state": "st-1"}
    q.update(extra)
    return emu.base_url + "/oauth2/authorize?" + urllib.parse.urlencode(q)


def login(emu, user="alice", password=PASSWORD, cookie=None, **auth):
    """authorize -> form -> POST /login; returns the /login response."""
    r = call("GET", authorize_url(emu, **auth),
             headers={"Cookie": cookie} if cookie else None)
    assert r.status == 200, r.body[:300]
    form = parse_form(r.text)
    assert {"username", "password"} <= set(form.inputs)
    assert "signin" in form.ids
    fields = dict(form.inputs, username=user, password=password)
    return call("POST", emu.base_url + "/login", form=fields)


def code_of(resp):
    assert resp.status == 302, (resp.status, resp.body[:300])
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(resp.location()).query)
    return q["code"][0], q


def exchange(emu, code, verifier=None, client=PUBLIC_CLIENT, auth=None,
             redirect_uri=CB):
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": redirect_uri}
    if verifier:
        form["code_verifier"] = verifier
    if auth is None:
        form["client_id"] = client
    return call("POST", emu.base_url + "/oauth2/token", form=form, auth=auth)


# -- keys, discovery, minted tokens ------------------------------------------

def test_jwks_shape(emu):
    r = call("GET", emu.jwks_url())
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/json"
    keys = r.json()["keys"]
    assert len(keys) == 2
    for k in keys:
        assert set(k) == {"alg", "e", "kid", "kty", "n", "use"}
        assert (k["alg"], k["e"], k["kty"], k["use"]) == (
            "RS256", "AQAB", "RSA", "sig")
        assert len(unb64u(k["n"])) == 256
        assert len(base64.b64decode(k["kid"])) == 32
    assert keys[0]["kid"] != keys[1]["kid"]


def test_discovery_shape(emu):
    doc = call("GET", emu.discovery_url()).json()
    base = emu.base_url
    assert doc["issuer"] == emu.issuer() == base + "/" + DEFAULT_POOL
    assert doc["jwks_uri"] == emu.issuer() + "/.well-known/jwks.json"
    assert doc["authorization_endpoint"] == base + "/oauth2/authorize"
    assert doc["token_endpoint"] == base + "/oauth2/token"
    assert doc["userinfo_endpoint"] == base + "/oauth2/userInfo"
    assert doc["revocation_endpoint"] == base + "/oauth2/revoke"
    assert doc["end_session_endpoint"] == base + "/logout"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    for k in ("response_types_supported", "scopes_supported",
              "subject_types_supported",
              "token_endpoint_auth_methods_supported"):
        assert isinstance(doc[k], list) and doc[k]


def test_https_listener_verifies_with_ca(emu):
    ctx = ssl.create_default_context(cafile=emu.ca_file)
    r = call("GET", emu.jwks_url(tls=True), context=ctx)
    assert r.status == 200 and len(r.json()["keys"]) == 2
    for host in ("127.0.0.1", "localhost"):
        url = emu.https_url.replace("127.0.0.1", host)
        assert call("GET", url + "/_emu/info", context=ctx).status == 200
    with pytest.raises(urllib.error.URLError):
        call("GET", emu.jwks_url(tls=True),
             context=ssl.create_default_context())


def test_lazy_pools_and_bad_pool_ids(emu):
    other = "eu-west-2_Lazy42"
    keys = jwks(emu, other)["keys"]
    assert len(keys) == 2
    assert not {k["kid"] for k in keys} & {k["kid"] for k in jwks(emu)["keys"]}
    tok = emu.token(pool=other)
    assert verify(tok, jwks(emu, other))["iss"] == emu.issuer(other)
    assert call("GET", emu.base_url
                + "/notapool/.well-known/jwks.json").status == 404


def test_minted_id_token(emu):
    full = emu.token_full(token_use="id", nonce="n-1")
    tok = full["token"]
    header, claims, _ = parts(tok)
    assert header == {"kid": jwks(emu)["keys"][0]["kid"], "alg": "RS256"}
    assert verify(tok, jwks(emu)) == claims == full["claims"]
    assert set(claims) == ID_CLAIMS | {"nonce"}
    assert claims["token_use"] == "id" and claims["aud"] == PUBLIC_CLIENT
    assert claims["cognito:username"] == "alice"
    assert claims["cognito:groups"] == ["admin", "staff"]
    assert claims["email_verified"] is True
    assert claims["custom:tenant"] == "acme"
    assert claims["iss"] == emu.issuer()
    assert re.match(r"^[0-9a-f-]{36}$", claims["sub"])
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["sub"] == emu.user("alice")["sub"]


def test_minted_access_token(emu):
    tok = emu.token(username="bob")
    header, claims, _ = parts(tok)
    assert header == {"kid": jwks(emu)["keys"][1]["kid"], "alg": "RS256"}
    verify(tok, jwks(emu))
    assert set(claims) == ACCESS_CLAIMS
    assert "aud" not in claims
    assert claims["client_id"] == PUBLIC_CLIENT
    assert claims["scope"] == "openid email profile"
    assert claims["username"] == "bob" and claims["version"] == 2
    assert claims["cognito:groups"] == ["staff"]
    carol = parts(emu.token(username="carol"))[1]
    assert "cognito:groups" not in carol
    assert "cognito:groups" not in parts(emu.token(
        token_use="id", username="carol"))[1]


def test_minted_m2m_token(emu):
    tok = emu.token(m2m=True, scope="api/read api/write")
    claims = verify(tok, jwks(emu))
    assert set(claims) == M2M_CLAIMS
    assert claims["sub"] == claims["client_id"] == M2M_CLIENT
    assert claims["scope"] == "api/read api/write"
    assert parts(emu.token(m2m=True))[1]["scope"] == "api/read"


def test_mint_overrides(emu):
    now = int(time.time())
    c = parts(emu.token(claims={"iss": None, "custom:x": "1"},
                        header={"typ": "JWT", "kid": None}))
    assert "iss" not in c[1] and c[1]["custom:x"] == "1"
    assert c[0] == {"alg": "RS256", "typ": "JWT"}
    c = parts(emu.token(iat_offset=-7200, lifetime=600))[1]
    assert abs(c["iat"] - (now - 7200)) <= 2
    assert c["auth_time"] == c["iat"] and c["exp"] == c["iat"] + 600
    c = parts(emu.token(client_id="other", scope=["a", "b"]))[1]
    assert c["client_id"] == "other" and c["scope"] == "a b"
    # key index 0 signs an access token with the id key: valid signature.
    tok = emu.token(key=0)
    assert parts(tok)[0]["kid"] == jwks(emu)["keys"][0]["kid"]
    verify(tok, jwks(emu))
    # foreign: same kid as normal, signature from a key not in the JWKS.
    tok = emu.token(key="foreign")
    assert parts(tok)[0]["kid"] == jwks(emu)["keys"][1]["kid"]
    with pytest.raises(InvalidSignature):
        verify(tok, jwks(emu))
    for bad in ({"username": "nobody"}, {"token_use": "refresh"},
                {"m2m": True, "token_use": "id"}, {"key": 9},
                {"lifetime": "x"}):
        with pytest.raises(emu_client.EmulatorError):
            emu.token(**bad)


def test_keys_endpoint_matches_jwks(emu):
    keys = emu.keys()
    assert [k["jwk"] for k in keys] == jwks(emu)["keys"]
    from cryptography.hazmat.primitives import serialization
    priv = serialization.load_pem_private_key(
        keys[1]["private_pem"].encode(), None)
    assert priv.public_key().public_numbers() == public_key(
        keys[1]["jwk"]).public_numbers()
    assert keys[1]["public_pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_rotate(emu):
    old = [k["kid"] for k in jwks(emu)["keys"]]
    kid = emu.rotate()["kid"]
    assert [k["kid"] for k in jwks(emu)["keys"]] == old + [kid]
    assert parts(emu.token())[0]["kid"] == kid
    assert parts(emu.token(token_use="id"))[0]["kid"] == kid
    verify(emu.token(key=1), jwks(emu))
    kid2 = emu.rotate(use_for="access", retire_old=True)["kid"]
    # Retiring drops every key nothing signs with, keeps the id key.
    assert [k["kid"] for k in jwks(emu)["keys"]] == [kid, kid2]
    assert parts(emu.token())[0]["kid"] == kid2
    assert parts(emu.token(token_use="id"))[0]["kid"] == kid
    listed = emu.keys()
    assert [k["published"] for k in listed] == [False, False, True, True]
    assert listed[3]["signs"] == ["access"]
    emu.reset()
    assert [k["kid"] for k in jwks(emu)["keys"]] == old


# -- faults ------------------------------------------------------------------

def raw_get(url, timeout=10):
    """Status line and body without urllib's opinions (redirects etc.)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", u.path + ("?" + u.query if u.query else ""))
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def test_fault_drop(emu):
    emu.fault("jwks", "drop", count=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        raw_get(emu.jwks_url())
    assert raw_get(emu.jwks_url())[0] == 200
    assert emu.stats()["jwks"] == 2


def test_fault_hang_and_wake(emu):
    emu.fault("openid", "hang", seconds=1, count=1)
    t = time.monotonic()
    assert raw_get(emu.discovery_url())[0] == 200
    assert 0.9 <= time.monotonic() - t < 5
    # Clearing faults releases a long hang at once.
    emu.fault("openid", "hang", seconds=60)
    out = {}
    th = threading.Thread(target=lambda: out.update(
        r=raw_get(emu.discovery_url(), timeout=20)))
    th.start()
    time.sleep(0.3)
    emu.clear_faults()
    th.join(10)
    assert out["r"][0] == 200


@pytest.mark.parametrize("mode,status,ctype", [
    ("500", 500, "text/plain"), ("503", 503, "text/plain"),
    ("html", 200, "text/html"), ("empty", 200, "application/json"),
    ("throttle", 429, "application/json")])
def test_fault_status_modes(emu, mode, status, ctype):
    emu.fault("jwks", mode)
    st, headers, body = raw_get(emu.jwks_url())
    assert st == status and headers["Content-Type"].startswith(ctype)
    if mode == "empty":
        assert body == b""
    assert [f["mode"] for f in emu.faults()] == [mode]
    emu.clear_faults()
    assert raw_get(emu.jwks_url())[0] == 200


def test_fault_truncated(emu):
    full = raw_get(emu.jwks_url())[2]
    emu.fault("jwks", "truncated", count=1)
    st, _, body = raw_get(emu.jwks_url())
    assert st == 200 and body == full[:len(full) // 2]
    with pytest.raises(ValueError):
        json.loads(body)


def test_fault_huge(emu):
    emu.fault("jwks", "huge", count=1)
    t = time.monotonic()
    st, headers, body = raw_get(emu.jwks_url(), timeout=30)
    assert st == 200 and len(body) == 50 * 1024 * 1024
    assert int(headers["Content-Length"]) == len(body)
    assert time.monotonic() - t < 10


def test_fault_redirect_loop(emu):
    emu.fault("jwks", "redirect_loop")
    url = emu.jwks_url() + "?x=1"
    for _ in range(3):
        st, headers, _ = raw_get(url)
        assert st == 302 and headers["Location"] == url


def test_fault_bad_keys(emu):
    emu.fault("jwks", "bad_keys")
    keys = call("GET", emu.jwks_url()).json()["keys"]
    assert any(isinstance(k, dict) and isinstance(k.get("n"), int)
               for k in keys)
    assert any(isinstance(k, dict) and "kty" not in k for k in keys)
    with pytest.raises(emu_client.EmulatorError):
        emu.fault("token", "bad_keys")


def test_fault_json_api_modes(emu):
    t_auth = "AWSCognitoIdentityProviderService.InitiateAuth"
    emu.fault("initiate_auth", "throttle", count=1)
    r = initiate(emu, "alice")
    assert r.status == 400
    assert r.json()["__type"] == "TooManyRequestsException"
    assert initiate(emu, "alice").status == 200
    emu.fault("get_id", "not_authorized", count=1)
    r = json_api(emu, "AWSCognitoIdentityService.GetId", {})
    assert r.json()["__type"] == "NotAuthorizedException"
    emu.fault("get_credentials", "no_role", count=1)
    r = json_api(emu, "AWSCognitoIdentityService.GetCredentialsForIdentity",
                 {})
    assert r.json()["__type"] == "InvalidIdentityPoolConfigurationException"
    emu.fault("initiate_auth", "503", count=1)
    r = json_api(emu, t_auth, {})
    assert r.status == 503
    assert r.json()["__type"] == "ServiceUnavailableException"
    with pytest.raises(emu_client.EmulatorError):
        emu.fault("jwks", "no_role")
    assert emu.stats()["initiate_auth"] == 3


def test_fault_token_throttle_and_all(emu):
    emu.fault("token", "throttle", count=1)
    r = call("POST", emu.base_url + "/oauth2/token",
             form={"grant_type": "client_credentials"},
             auth=(M2M_CLIENT, M2M_SECRET))
    assert r.status == 429
    emu.fault("all", "500", count=2)
    assert raw_get(emu.jwks_url())[0] == 500
    assert raw_get(emu.discovery_url())[0] == 500
    assert raw_get(emu.jwks_url())[0] == 200
    # "all" skips endpoints a mode does not apply to.
    emu.fault("all", "bad_keys")
    assert raw_get(emu.discovery_url())[0] == 200
    assert call("GET", emu.jwks_url()).json()["keys"][0]["kid"] == \
        "bad-n-number"
    emu.fault("all", "none")
    assert emu.faults() == []
    # The control API is never faulted.
    emu.fault("all", "drop")
    assert emu.stats()["jwks"] >= 3
    emu.clear_faults()


def test_stats_count_and_reset(emu):
    for _ in range(3):
        call("GET", emu.jwks_url())
    call("GET", emu.discovery_url())
    s = emu.stats()
    assert s["jwks"] == 3 and s["openid"] == 1
    assert set(s) == {"jwks", "openid", "authorize", "login", "token",
                      "userinfo", "revoke", "logout", "initiate_auth",
                      "get_id", "get_credentials"}
    emu.reset_stats()
    assert emu.stats()["jwks"] == 0


def test_concurrent_requests(emu):
    errors = []

    def worker():
        try:
            for _ in range(5):
                assert raw_get(emu.jwks_url())[0] == 200
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    emu.fault("openid", "hang", seconds=3)
    hung = threading.Thread(target=raw_get, args=(emu.discovery_url(),))
    hung.start()
    t = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and time.monotonic() - t < 2.5
    assert emu.stats()["jwks"] == 100
    emu.clear_faults()
    hung.join()


# -- hosted UI and OAuth2 ----------------------------------------------------

def test_code_flow_with_pkce(emu):
    verifier, challenge = pkce()
    auth = dict(scope="openid email api/read", nonce="nonce-123",
                code_challenge=challenge, code_challenge_method="S256")
    r = login(emu, password="wrong", **auth)
    assert r.status == 200 and "Incorrect username or password." in r.text
    assert "signin" in parse_form(r.text).ids
    r = login(emu, **auth)
    code, q = code_of(r)
    assert q["state"] == ["st-1"]
    assert r.location().startswith(CB + "?")
    assert "emu_cognito_session=" in r.headers["Set-Cookie"]
    assert emu.codes() == 1
    assert exchange(emu, code, "x" * 43).json() == {"error": "invalid_grant"}
    # The failed attempt consumed the code.
    assert exchange(emu, code, verifier).status == 400
    code, _ = code_of(login(emu, **auth))
    r = exchange(emu, code, verifier)
    assert r.status == 200, r.body
    body = r.json()
    assert set(body) == {"id_token", "access_token", "refresh_token",
                         "expires_in", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert len(body["refresh_token"].split(".")) == 5
    keys = jwks(emu)
    idc = verify(body["id_token"], keys)
    ac = verify(body["access_token"], keys)
    assert set(idc) == ID_CLAIMS | {"nonce", "at_hash"}
    assert idc["nonce"] == "nonce-123" and idc["aud"] == PUBLIC_CLIENT
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert unb64u(idc["at_hash"]) == digest[:16]
    assert set(ac) == ACCESS_CLAIMS
    assert ac["scope"] == "openid email api/read"
    assert ac["origin_jti"] == idc["origin_jti"]
    # Replay of a used code fails.
    r = exchange(emu, code, verifier)
    assert r.status == 400 and r.json() == {"error": "invalid_grant"}
    assert emu.codes() == 0


def test_code_flow_errors(emu):
    r = call("GET", authorize_url(emu, redirect_uri="http://evil.example/"))
    assert r.status == 400 and "redirect_mismatch" in r.text
    assert r.location() is None
    r = call("GET", authorize_url(emu, client="nosuchclient"))
    assert r.status == 400
    r = call("GET", authorize_url(emu, scope="openid groups"))
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location()).query)
    assert r.status == 302 and q["error"] == ["invalid_scope"]
    assert q["state"] == ["st-1"]
    r = call("GET", authorize_url(emu, code_challenge="a" * 43,
                                  code_challenge_method="plain"))
    assert "error=invalid_request" in r.location()
    r = call("GET", authorize_url(emu, response_type="token"))
    assert "error=unsupported_response_type" in r.location()
    # Wrong redirect_uri at the token endpoint.
    code, _ = code_of(login(emu))
    r = exchange(emu, code, redirect_uri="http://127.0.0.1:1/other")
    assert r.json() == {"error": "invalid_grant"}
    # Verifier required once a challenge was sent.
    verifier, challenge = pkce()
    code, _ = code_of(login(emu, code_challenge=challenge,
                            code_challenge_method="S256"))
    assert exchange(emu, code).json() == {"error": "invalid_grant"}
    # Codes expire.
    emu.settings(code_lifetime=0)
    code, _ = code_of(login(emu))
    time.sleep(0.05)
    assert exchange(emu, code).json() == {"error": "invalid_grant"}
    # Explicit callback lists are exact.
    emu.add_client("strict", callback_urls=["https://app.example/cb"])
    r = call("GET", authorize_url(emu, client="strict"))
    assert r.status == 400 and "redirect_mismatch" in r.text
    r = call("GET", authorize_url(emu, client="strict",
                                  redirect_uri="https://app.example/cb"))
    assert r.status == 200


def test_login_status_messages(emu):
    for user, text in (("nobody", "Incorrect username or password."),
                       ("disabled", "User is disabled."),
                       ("unconfirmed", "not confirmed")):
        r = login(emu, user=user)
        assert r.status == 200 and text in r.text


def test_confidential_client_and_session_cookie(emu):
    r = login(emu, client=CONF_CLIENT, user="bob")
    code, _ = code_of(r)
    cookie = r.headers["Set-Cookie"].split(";")[0]
    assert exchange(emu, code, client=CONF_CLIENT).json() == {
        "error": "invalid_client"}
    code, _ = code_of(login(emu, client=CONF_CLIENT, user="bob"))
    r = exchange(emu, code, auth=(CONF_CLIENT, CONF_SECRET))
    assert r.status == 200
    assert parts(r.json()["id_token"])[1]["cognito:username"] == "bob"
    # The hosted UI session logs in again without a form.
    r = call("GET", authorize_url(emu), headers={"Cookie": cookie})
    code, _ = code_of(r)
    r = exchange(emu, code)
    assert parts(r.json()["access_token"])[1]["username"] == "bob"
    # Logout: registered logout_uri only; clears the session.
    r = call("GET", emu.base_url + "/logout?" + urllib.parse.urlencode(
        {"client_id": PUBLIC_CLIENT, "logout_uri": "http://evil.example/"}))
    assert r.status == 400 and r.location() is None
    r = call("GET", emu.base_url + "/logout?" + urllib.parse.urlencode(
        {"client_id": PUBLIC_CLIENT, "logout_uri": "http://localhost:9/bye"}),
        headers={"Cookie": cookie})
    assert r.status == 302 and r.location() == "http://localhost:9/bye"
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    r = call("GET", authorize_url(emu), headers={"Cookie": cookie})
    assert r.status == 200 and "signin" in parse_form(r.text).ids
    assert emu.stats()["logout"] == 2


def test_federated_login(emu):
    r = login(emu, user="someone@gmail.com", identity_provider="Google")
    code, _ = code_of(r)
    body = exchange(emu, code).json()
    idc = parts(body["id_token"])[1]
    assert re.match(r"^Google_\d+$", idc["cognito:username"])
    assert idc["cognito:groups"] == [DEFAULT_POOL + "_Google"]
    ident = idc["identities"][0]
    assert ident["providerName"] == "Google" and ident["primary"] == "true"
    assert ident["issuer"] is None
    assert idc["cognito:username"] == "Google_" + ident["userId"]
    again = parts(exchange(emu, code_of(login(
        emu, user="someone@gmail.com", identity_provider="Google"))[0]
    ).json()["id_token"])[1]
    assert again["sub"] == idc["sub"]
    r = login(emu, user="x", password="nope", identity_provider="Google")
    assert r.status == 200 and "Incorrect" in r.text


def test_refresh_revoke_userinfo(emu):
    code, _ = code_of(login(emu))
    body = exchange(emu, code).json()
    rt, at = body["refresh_token"], body["access_token"]
    tok = emu.base_url + "/oauth2/token"
    r = call("POST", tok, form={"grant_type": "refresh_token",
                                "client_id": PUBLIC_CLIENT,
                                "refresh_token": rt})
    assert r.status == 200
    new = r.json()
    assert set(new) == {"id_token", "access_token", "expires_in",
                        "token_type"}
    old_c, new_c = parts(at)[1], parts(new["access_token"])[1]
    assert new_c["origin_jti"] == old_c["origin_jti"]
    assert new_c["jti"] != old_c["jti"]
    # Another client cannot use it.
    r = call("POST", tok, form={"grant_type": "refresh_token",
                                "refresh_token": rt},
             auth=(CONF_CLIENT, CONF_SECRET))
    assert r.json() == {"error": "invalid_grant"}
    ui = emu.base_url + "/oauth2/userInfo"
    r = call("GET", ui, headers={"Authorization": "Bearer " + at})
    assert r.status == 200
    info = r.json()
    assert info["sub"] == old_c["sub"] and info["username"] == "alice"
    assert info["email"] == "alice@example.com"
    assert info["email_verified"] == "true"
    assert info["custom:tenant"] == "acme"
    assert call("POST", ui, headers={"Authorization": "Bearer " + at}
                ).status == 200
    for bad in (body["id_token"], emu.token(key="foreign"),
                emu.token(iat_offset=-7200),
                emu.token(claims={"iss": emu.issuer("us-east-1_X1")}),
                "garbage"):
        r = call("GET", ui, headers={"Authorization": "Bearer " + bad})
        assert r.status == 401
    assert call("GET", ui).status == 401
    # Revoke: 200 empty, even for unknown tokens; refresh then fails.
    rv = emu.base_url + "/oauth2/revoke"
    r = call("POST", rv, form={"token": "nope", "client_id": PUBLIC_CLIENT})
    assert r.status == 200 and r.body == b""
    r = call("POST", rv, form={"token": rt, "client_id": PUBLIC_CLIENT})
    assert r.status == 200 and r.body == b""
    r = call("POST", tok, form={"grant_type": "refresh_token",
                                "client_id": PUBLIC_CLIENT,
                                "refresh_token": rt})
    assert r.status == 400 and r.json() == {"error": "invalid_grant"}
    revoked = emu.revoked()
    assert [x["id"] for x in revoked] == [old_c["origin_jti"]]
    # Access tokens of a revoked session no longer work at userInfo.
    r = call("GET", ui, headers={"Authorization": "Bearer " + at})
    assert r.status == 401
    assert emu.stats()["revoke"] == 2


def test_client_credentials(emu):
    tok = emu.base_url + "/oauth2/token"
    r = call("POST", tok, form={"grant_type": "client_credentials"},
             auth=(M2M_CLIENT, M2M_SECRET))
    assert r.status == 200
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    c = verify(body["access_token"], jwks(emu))
    assert set(c) == M2M_CLAIMS and c["scope"] == "api/read api/write"
    r = call("POST", tok, form={"grant_type": "client_credentials",
                                "scope": "api/write", "client_id": M2M_CLIENT,
                                "client_secret": M2M_SECRET})
    assert parts(r.json()["access_token"])[1]["scope"] == "api/write"
    for form, auth, err in (
            ({"scope": "openid"}, (M2M_CLIENT, M2M_SECRET), "invalid_scope"),
            ({}, (M2M_CLIENT, "wrong"), "invalid_client"),
            ({"client_id": PUBLIC_CLIENT}, None, "unauthorized_client"),
            ({}, (CONF_CLIENT, CONF_SECRET), "unauthorized_client")):
        r = call("POST", tok, form=dict(form, grant_type="client_credentials"),
                 auth=auth)
        assert r.status in (400, 401) and r.json() == {"error": err}
    r = call("POST", tok, form={"grant_type": "password"},
             auth=(M2M_CLIENT, M2M_SECRET))
    assert r.json() == {"error": "unsupported_grant_type"}


# -- JSON APIs ---------------------------------------------------------------

def test_initiate_auth_outcomes(emu):
    r = initiate(emu, "alice")
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/x-amz-json-1.1"
    res = r.json()
    assert res["ChallengeParameters"] == {}
    ar = res["AuthenticationResult"]
    assert set(ar) == {"AccessToken", "IdToken", "RefreshToken",
                       "ExpiresIn", "TokenType"}
    assert ar["ExpiresIn"] == 3600 and ar["TokenType"] == "Bearer"
    idc = verify(ar["IdToken"], jwks(emu))
    assert set(idc) == ID_CLAIMS and idc["cognito:username"] == "alice"
    ac = verify(ar["AccessToken"], jwks(emu))
    assert set(ac) == ACCESS_CLAIMS and ac["client_id"] == PUBLIC_CLIENT
    assert ac["scope"] == "aws.cognito.signin.user.admin"
    r = json_api(emu, "AWSCognitoIdentityProviderService.InitiateAuth",
                 {"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": PUBLIC_CLIENT,
                  "AuthParameters": {"REFRESH_TOKEN": ar["RefreshToken"]}})
    again = r.json()["AuthenticationResult"]
    assert "RefreshToken" not in again
    assert parts(again["AccessToken"])[1]["origin_jti"] == ac["origin_jti"]

    def err(resp):
        assert resp.status == 400
        return resp.json()["__type"], resp.json()["message"]

    wrong = ("NotAuthorizedException", "Incorrect username or password.")
    assert err(initiate(emu, "alice", "nope")) == wrong
    assert err(initiate(emu, "ghost")) == wrong
    assert err(initiate(emu, "disabled")) == ("NotAuthorizedException",
                                              "User is disabled.")
    assert err(initiate(emu, "unconfirmed"))[0] == \
        "UserNotConfirmedException"
    assert err(initiate(emu, "resetpw"))[0] == \
        "PasswordResetRequiredException"
    r = initiate(emu, "newpw").json()
    assert r["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and r["Session"]
    assert "ChallengeParameters" in r
    assert initiate(emu, "mfauser").json()["ChallengeName"] == \
        "SOFTWARE_TOKEN_MFA"
    # SECRET_HASH for a client with a secret.
    good = secret_hash("bob", CONF_CLIENT, CONF_SECRET)
    assert initiate(emu, "bob", client=CONF_CLIENT,
                    SECRET_HASH=good).status == 200
    msg = ("NotAuthorizedException",
           "Unable to verify secret hash for client " + CONF_CLIENT)
    assert err(initiate(emu, "bob", client=CONF_CLIENT)) == msg
    assert err(initiate(emu, "bob", client=CONF_CLIENT,
                        SECRET_HASH=secret_hash("alice", CONF_CLIENT,
                                                CONF_SECRET))) == msg
    # Flows and operations.
    assert err(initiate(emu, "alice", client=M2M_CLIENT))[0] == \
        "InvalidParameterException"
    assert err(initiate(emu, "alice", client="nope"))[0] == \
        "ResourceNotFoundException"
    r = json_api(emu, "AWSCognitoIdentityProviderService.InitiateAuth",
                 {"AuthFlow": "USER_SRP_AUTH", "ClientId": PUBLIC_CLIENT,
                  "AuthParameters": {}})
    assert err(r)[0] == "InvalidParameterException"
    r = json_api(emu, "AWSCognitoIdentityProviderService.Nope", {})
    assert r.status == 400 and r.json()["__type"] == \
        "UnknownOperationException"
    assert emu.stats()["initiate_auth"] == 15


def test_initiate_auth_user_existence_errors(emu):
    desc = emu.add_client("revealing", prevent_user_existence_errors=False)
    assert desc["prevent_user_existence_errors"] is False
    r = initiate(emu, "ghost", client="revealing")
    assert r.status == 400
    assert r.json()["__type"] == "UserNotFoundException"
    r = initiate(emu, "alice", "nope", client="revealing")
    assert r.json()["__type"] == "NotAuthorizedException"
    assert initiate(emu, "alice", client="revealing").status == 200
    # The default hides unknown users, as new Cognito clients do.
    assert initiate(emu, "ghost").json()["__type"] == \
        "NotAuthorizedException"


def get_id(emu, token, pool=IDENTITY_POOL, provider=None):
    provider = provider or "cognito-idp.us-east-1.amazonaws.com/" \
        + DEFAULT_POOL
    return json_api(emu, "AWSCognitoIdentityService.GetId",
                    {"IdentityPoolId": pool, "Logins": {provider: token}})


def test_identity_pool(emu):
    idt = emu.token(token_use="id")
    r = get_id(emu, idt)
    assert r.status == 200, r.body
    iid = r.json()["IdentityId"]
    assert re.match(r"^us-east-1:[0-9a-f-]{36}$", iid)
    # The issuer-shaped provider name and a fresh token: same identity.
    alt = emu.issuer().split("://", 1)[1]
    assert get_id(emu, emu.token(token_use="id"), provider=alt
                  ).json()["IdentityId"] == iid
    assert get_id(emu, emu.token(token_use="id", username="bob")
                  ).json()["IdentityId"] != iid
    logins = {alt: idt}
    gc = "AWSCognitoIdentityService.GetCredentialsForIdentity"
    c1 = json_api(emu, gc, {"IdentityId": iid, "Logins": logins}).json()
    c2 = json_api(emu, gc, {"IdentityId": iid, "Logins": logins}).json()
    assert c1["IdentityId"] == iid
    cred = c1["Credentials"]
    assert set(cred) == {"AccessKeyId", "SecretKey", "SessionToken",
                         "Expiration"}
    assert re.match(r"^ASIA[A-Z0-9]{16}$", cred["AccessKeyId"])
    assert len(cred["SecretKey"]) == 40 and len(cred["SessionToken"]) > 200
    assert isinstance(cred["Expiration"], (int, float))
    assert abs(cred["Expiration"] - time.time() - 3600) < 5
    assert c2["Credentials"]["AccessKeyId"] != cred["AccessKeyId"]
    # Bad logins.
    for bad in (emu.token(), emu.token(token_use="id", iat_offset=-7200),
                emu.token(token_use="id", key="foreign"),
                emu.token(token_use="id", claims={"aud": "nope"}),
                emu.token(token_use="id", claims={"iss": "http://x/y"}),
                emu.token(token_use="id", pool="us-east-1_Other2")):
        r = get_id(emu, bad)
        assert r.status == 400
        assert r.json()["__type"] == "NotAuthorizedException"
        assert r.json()["message"].startswith("Invalid login token.")
    assert get_id(emu, idt, pool="us-east-1:00000000-0000-4000-8000-00000000"
                  "0009").json()["__type"] == "ResourceNotFoundException"
    bob = {alt: emu.token(token_use="id", username="bob")}
    r = json_api(emu, gc, {"IdentityId": iid, "Logins": bob})
    assert r.json()["__type"] == "NotAuthorizedException"
    # A second identity pool with a shorter credential lifetime.
    ip2 = "eu-west-1:11111111-2222-4333-8444-555555555555"
    emu.add_identity_pool(ip2, credential_lifetime=900)
    iid2 = get_id(emu, idt, pool=ip2).json()["IdentityId"]
    assert iid2.startswith("eu-west-1:") and iid2 != iid
    c = json_api(emu, gc, {"IdentityId": iid2, "Logins": logins}).json()
    assert abs(c["Credentials"]["Expiration"] - time.time() - 900) < 5
    s = emu.stats()
    assert s["get_id"] == 11 and s["get_credentials"] == 4


def test_identity_call_log(emu):
    """Successful identity calls are listed with the Logins keys the caller
    used (never the tokens) and exactly the credentials that were issued;
    refused calls are not listed; reset empties the list."""
    idt = emu.token(token_use="id")
    alt = emu.issuer().split("://", 1)[1]
    iid = get_id(emu, idt, provider=alt).json()["IdentityId"]
    assert get_id(emu, emu.token()).status == 400
    gc = "AWSCognitoIdentityService.GetCredentialsForIdentity"
    issued = json_api(emu, gc, {"IdentityId": iid,
                                "Logins": {alt: idt}}).json()["Credentials"]
    calls = emu.identity_calls()
    assert [c["op"] for c in calls] == ["get_id", "get_credentials"]
    assert calls[0] == {"op": "get_id", "identity_pool": IDENTITY_POOL,
                        "logins": [alt], "identity_id": iid}
    assert calls[1]["logins"] == [alt] and calls[1]["identity_id"] == iid
    assert calls[1]["credentials"] == issued
    assert idt not in json.dumps(calls)
    emu.reset()
    assert emu.identity_calls() == []


# -- control API, CLI --------------------------------------------------------

def test_users_and_clients(emu):
    sub = emu.user("alice")["sub"]
    emu.add_user("alice", groups=["x"], attributes={"custom:n": 5})
    assert emu.user("alice")["sub"] == sub
    c = parts(emu.token(token_use="id"))[1]
    assert c["cognito:groups"] == ["x"] and c["custom:n"] == "5"
    emu.update_user("alice", password="N3w!", attributes={"custom:n": None})
    assert "custom:n" not in parts(emu.token(token_use="id"))[1]
    assert initiate(emu, "alice", "N3w!").status == 200
    assert initiate(emu, "Alice", "N3w!").status == 200
    emu.add_user("dora", groups=["staff"], status="FORCE_CHANGE_PASSWORD")
    assert initiate(emu, "dora").json()["ChallengeName"] == \
        "NEW_PASSWORD_REQUIRED"
    emu.update_user("dora", status="CONFIRMED", enabled=False)
    assert initiate(emu, "dora").json()["message"] == "User is disabled."
    emu.add_client("short", access_lifetime=300, id_lifetime=600,
                   flows=["USER_PASSWORD_AUTH"])
    ar = initiate(emu, "bob", client="short").json()["AuthenticationResult"]
    assert ar["ExpiresIn"] == 300 and "RefreshToken" not in ar
    idc = parts(ar["IdToken"])[1]
    assert idc["exp"] - idc["iat"] == 600
    with pytest.raises(emu_client.EmulatorError):
        emu.add_user("eve", status="WEIRD")
    with pytest.raises(emu_client.EmulatorError):
        emu.update_user("nobody", groups=[])
    r = call("GET", emu.base_url + "/_emu/nope")
    assert r.status == 404 and "error" in r.json()
    emu.reset()
    assert emu.user("alice")["sub"] != sub
    with pytest.raises(emu_client.EmulatorError):
        emu.user("dora")


def test_cli_ready_line_issuer_base_and_sigterm(tmp_path):
    proc = subprocess.Popen(
        ["/usr/bin/python3", emu_client.SCRIPT, "--port", "0",
         "--issuer-base", "https://cognito-idp.us-east-1.amazonaws.com/"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert re.match(r"^READY http=http://127\.0\.0\.1:\d+\n$", line)
        base = line.split("=", 1)[1].strip()
        doc = call("GET", base + "/" + DEFAULT_POOL
                   + "/.well-known/openid-configuration").json()
        assert doc["issuer"] == ("https://cognito-idp.us-east-1.amazonaws."
                                 "com/" + DEFAULT_POOL)
        tok = call("POST", base + "/_emu/pools/%s/token" % DEFAULT_POOL,
                   data=b"{}").json()["token"]
        # The canonical provider name works with this issuer too.
        r = json_api(base, "AWSCognitoIdentityService.GetId",
                     {"IdentityPoolId": IDENTITY_POOL, "Logins": {
                         "cognito-idp.us-east-1.amazonaws.com/"
                         + DEFAULT_POOL: call(
                             "POST", base + "/_emu/pools/%s/token"
                             % DEFAULT_POOL,
                             data=b'{"token_use":"id"}').json()["token"]}})
        assert r.status == 200, r.body
        assert tok.count(".") == 2
    finally:
        t = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
        assert time.monotonic() - t < 2
        err = proc.stderr.read().decode()
        proc.stdout.close()
        proc.stderr.close()
    # Request logs never carry tokens.
    assert "eyJ" not in err and "/_emu/pools" in err


def test_client_start_failure_is_loud(monkeypatch):
    monkeypatch.setattr(emu_client, "SCRIPT", "/nonexistent/emulator.py")
    with pytest.raises(emu_client.EmulatorError) as info:
        Emulator().start(timeout=10)
    assert "nonexistent" in str(info.value)


def test_emulator_exits_when_its_parent_dies():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import os, emu_client\n"
            "e = emu_client.Emulator().start()\n"
            "print(e.proc.pid, flush=True)\n"
            "os._exit(0)\n" % os.path.dirname(emu_client.SCRIPT))
    out = subprocess.run(["/usr/bin/python3", "-c", code], timeout=30,
                         stdout=subprocess.PIPE, check=True).stdout
    pid = int(out.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    pytest.fail("emulator outlived its parent")
