"""AuthType Cognito with bearer tokens, against a real httpd and the
emulator: valid tokens reach the backend with the user, bad ones get an
RFC 6750 401, and a server without keys answers 503."""
import json
import re
import time

import pytest

from conftest import CLIENT, M2M, POOL, get, pool_conf, www_authenticate
from httpd import HttpdInstance
import tokens

SITE = """
<Location /api>
    AuthType Cognito
    AuthName "api"
    {pool}
    Require valid-user
</Location>
<Location /id>
    AuthType Cognito
    AuthName "id"
    {pool}
    CognitoTokenUse id
    Require valid-user
</Location>
<Location /any>
    AuthType Cognito
    AuthName "any"
    {pool}
    CognitoTokenUse any
    Require valid-user
</Location>
<Location /small>
    AuthType Cognito
    AuthName "small"
    {pool}
    CognitoMaxTokenSize 1024
    Require valid-user
</Location>
ScriptAlias /api/ "@CGI@/"
ScriptAlias /id/ "@CGI@/"
ScriptAlias /any/ "@CGI@/"
ScriptAlias /small/ "@CGI@/"
"""

SERVER = """
LimitRequestFieldSize 20000
CognitoJwksMinRefetchInterval 1
"""


@pytest.fixture(scope="module", params=["event", "prefork"])
def site(request, emu):
    h = HttpdInstance(
        config=SITE.format(pool=pool_conf(emu, clients=(CLIENT, M2M))),
        server_conf=SERVER, mpm=request.param, name="bearer")
    h.start()
    yield h
    h.cleanup()


def env_of(resp):
    assert resp.status_code == 200, (resp.status_code, resp.text[:300])
    return json.loads(resp.text)


def test_access_token_reaches_backend_with_user(site, emu):
    env = env_of(get(site.url + "/api/env", emu.token(token_use="access")))
    assert env["REMOTE_USER"] == "alice"
    assert env["AUTH_TYPE"] == "Cognito"
    assert env["COGNITO_USERNAME"] == "alice"
    assert env["COGNITO_TOKEN_USE"] == "access"
    assert env["COGNITO_CLIENT_ID"] == CLIENT
    assert env["COGNITO_GROUPS"] == "admin,staff"
    assert "openid" in env["COGNITO_SCOPE"].split()
    assert len(env["COGNITO_SUB"]) == 36


def test_id_token_at_id_location(site, emu):
    env = env_of(get(site.url + "/id/env", emu.token(token_use="id")))
    assert env["REMOTE_USER"] == "alice"
    assert env["COGNITO_TOKEN_USE"] == "id"
    assert env["COGNITO_EMAIL"] == "alice@example.com"
    assert env["COGNITO_CLIENT_ID"] == CLIENT


def test_client_credentials_token_user_is_the_client(site, emu):
    env = env_of(get(site.url + "/api/env",
                     emu.token(token_use="access", m2m=True,
                               scope="api/read")))
    assert env["REMOTE_USER"] == M2M
    assert env["COGNITO_CLIENT_ID"] == M2M
    assert env["COGNITO_SCOPE"] == "api/read"
    assert env["COGNITO_GROUPS"] == ""
    assert "COGNITO_USERNAME" not in env


def test_any_accepts_both_uses(site, emu):
    for use in ("id", "access"):
        env = env_of(get(site.url + "/any/env", emu.token(token_use=use)))
        assert env["COGNITO_TOKEN_USE"] == use


def test_lowercase_bearer_scheme_is_accepted(site, emu):
    r = get(site.url + "/api/env", emu.token(), scheme="bearer")
    assert r.status_code == 200


def test_no_token_gets_challenge_without_error(site):
    r = get(site.url + "/api/env")
    assert r.status_code == 401
    assert www_authenticate(r) == 'Bearer realm="api"'


def test_other_scheme_gets_challenge_without_error(site):
    r = get(site.url + "/api/env", "YWxpY2U6c2VjcmV0", scheme="Basic")
    assert r.status_code == 401
    assert www_authenticate(r) == 'Bearer realm="api"'


def _forge(emu, claims=None, header=None, alg="RS256", key_index=1,
           token_use="access"):
    """Mint a proper token, then re-sign modified parts with a real key."""
    full = emu.token_full(token_use=token_use)
    h, c = dict(full["header"]), dict(full["claims"])
    for k, v in (header or {}).items():
        if v is None:
            h.pop(k, None)
        else:
            h[k] = v
    for k, v in (claims or {}).items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    pem = emu.keys()[key_index]["private_pem"]
    return tokens.sign(h, c, private_pem=pem, alg=alg)


def bad_tokens(emu):
    """(name, location, token) for every way a token can be bad."""
    now = int(time.time())
    good = emu.token()
    h, p, s = good.split(".")
    keys = emu.keys()
    pub_pem = keys[1]["public_pem"].encode()
    attacker = tokens.new_rsa_key()
    attacker_jwk = tokens.public_jwk(attacker, "attacker")
    _, claims, _ = tokens.parts(good)
    ec_key = tokens.ec.generate_private_key(tokens.ec.SECP256R1())
    other_pool = "us-east-1_OtherPool9"

    out = [
        ("expired", "/api", emu.token(iat_offset=-7200, lifetime=3600)),
        ("expired just beyond skew", "/api",
         emu.token(iat_offset=-3700, lifetime=3600)),
        ("nbf in the future", "/api", emu.token(claims={"nbf": now + 600})),
        ("iat in the future", "/api", emu.token(claims={"iat": now + 600})),
        ("wrong issuer", "/api", emu.token(
            claims={"iss": "https://cognito-idp.us-east-1.amazonaws.com/"
                           "us-east-1_Evil1"})),
        ("issuer with trailing slash", "/api",
         emu.token(claims={"iss": emu.issuer() + "/"})),
        ("no issuer", "/api", emu.token(claims={"iss": None})),
        ("other pool's token", "/api", emu.token(pool=other_pool)),
        ("wrong aud", "/id", emu.token(token_use="id",
                                       claims={"aud": "someoneelse"})),
        ("no aud", "/id", emu.token(token_use="id", claims={"aud": None})),
        ("wrong client_id", "/api",
         emu.token(claims={"client_id": "someoneelse"})),
        ("id token where access is required", "/api",
         emu.token(token_use="id")),
        ("access token where id is required", "/id",
         emu.token(token_use="access")),
        ("no token_use", "/api", emu.token(claims={"token_use": None})),
        ("token_use refresh", "/api",
         emu.token(claims={"token_use": "refresh"})),
        ("token_use not a string", "/any",
         emu.token(claims={"token_use": 1})),
        ("unknown kid", "/api", emu.token(header={"kid": "no-such-kid"})),
        ("no kid", "/api", emu.token(header={"kid": None})),
        ("signed by a key not in the JWKS", "/api", emu.token(key="foreign")),
        ("signed by the other pool key", "/api", _forge(emu, key_index=0)),
        ("alg none", "/api", tokens.sign(
            {"alg": "none", "kid": keys[1]["kid"]}, claims, alg="none")),
        ("alg none with the old signature", "/api",
         tokens.b64u_json({"alg": "none", "kid": keys[1]["kid"]})
         + "." + p + "." + s),
        ("HS256 keyed with the public key", "/api", tokens.sign(
            {"alg": "HS256", "kid": keys[1]["kid"]}, claims, alg="HS256",
            hmac_key=pub_pem)),
        ("PS256", "/api", _forge(emu, header={"alg": "PS256"}, alg="PS256")),
        ("ES256", "/api", tokens.sign({"alg": "ES256", "kid": "ec"}, claims,
                                       alg="ES256", key=ec_key)),
        ("RS512 header", "/api", _forge(emu, header={"alg": "RS512"})),
        ("crit header", "/api", _forge(emu, header={"crit": ["exp"]})),
        ("embedded jwk header with attacker key", "/api", tokens.sign(
            {"alg": "RS256", "kid": "attacker", "jwk": attacker_jwk},
            claims, key=attacker)),
        ("jku pointing elsewhere", "/api", tokens.sign(
            {"alg": "RS256", "kid": "attacker",
             "jku": "http://127.0.0.1:1/jwks.json"}, claims, key=attacker)),
        ("tampered payload", "/api", h + "." + tokens.b64u_json(
            dict(claims, username="admin")) + "." + s),
        ("truncated signature", "/api", h + "." + p + "." + s[:-10]),
        ("empty signature", "/api", h + "." + p + "."),
        ("two parts", "/api", h + "." + p),
        ("four parts", "/api", good + "." + s),
        ("bad base64 in payload", "/api", h + "." + p[:10] + "*" + p[11:]
         + "." + s),
        ("padding", "/api", good + "=="),
        ("payload not JSON", "/api",
         h + "." + tokens.b64u("not json") + "." + s),
        ("payload is an array", "/api",
         h + "." + tokens.b64u("[1,2]") + "." + s),
        ("header not JSON", "/api", tokens.b64u("{alg") + "." + p + "." + s),
        ("exp as a string", "/api", _forge(emu, claims={
            "exp": str(now + 3600)})),
        ("no exp", "/api", _forge(emu, claims={"exp": None})),
        ("no sub", "/api", _forge(emu, claims={"sub": None})),
        ("groups not an array", "/api", _forge(emu, claims={
            "cognito:groups": "admin"})),
        ("duplicate claim", "/api", h + "." + tokens.b64u(
            '{"iss":"x","iss":"y"}') + "." + s),
        ("oversize token", "/small", emu.token(claims={
            "custom:blob": "x" * 2000})),
        ("oversize token at the default limit", "/api", emu.token(claims={
            "custom:blob": "x" * 9000})),
        ("garbage", "/api", "abc"),
        ("spaces inside", "/api", h + ". " + p + "." + s),
        ("empty bearer", "/api", ""),
    ]
    return out


def test_bad_tokens_are_refused_with_rfc6750_challenge(site, emu):
    cases = bad_tokens(emu)
    assert len(cases) >= 30
    failures = []
    site.mark_log()
    for name, loc, tok in cases:
        r = get(site.url + loc + "/env", tok)
        realm = loc.strip("/")
        hdr = www_authenticate(r)
        ok = (r.status_code == 401
              and hdr.startswith('Bearer realm="%s", error="invalid_token", '
                                 'error_description="' % realm)
              and "COGNITO" not in r.text)
        if not ok:
            failures.append((name, r.status_code, hdr))
    assert not failures
    log = site.log_since()
    assert log.count("token rejected") >= len(cases)
    # Never a token in the log.
    for _, _, tok in cases:
        sig = tok.split(".")[-1]
        if len(sig) >= 30:
            assert sig[:30] not in log


def test_refusal_reasons_are_logged(site, emu):
    site.mark_log()
    get(site.url + "/api/env", emu.token(iat_offset=-7200, lifetime=3600))
    get(site.url + "/id/env", emu.token(token_use="id",
                                        claims={"aud": "someoneelse"}))
    get(site.url + "/api/env", emu.token(header={"kid": "no-such-kid"}))
    assert site.wait_log("aud mismatch")
    log = site.log_since()
    assert re.search(r"token rejected: expired 36\d\ds ago", log)
    assert "aud mismatch (someoneelse)" in log
    assert "kid no-such-kid not in JWKS" in log


def test_expired_within_skew_is_accepted(site, emu):
    # Default skew is 30 s: a token that expired 10 s ago still passes.
    r = get(site.url + "/api/env", emu.token(iat_offset=-3610, lifetime=3600))
    assert r.status_code == 200


def test_spoofed_identity_headers_do_not_reach_backend(site, emu):
    r = get(site.url + "/api/env", emu.token(), headers={
        "Cognito-Sub": "forged", "COGNITO_USERNAME": "forged",
        "cognito-groups": "admin"})
    env = env_of(r)
    assert not any("forged" in v for v in env.values())


def test_no_keys_at_all_is_503(make_httpd, emu):
    h = make_httpd("""
<Location /api>
    AuthType Cognito
    AuthName "api"
    CognitoIssuer {iss}
    CognitoJwksUri http://127.0.0.1:9/jwks.json
    CognitoClientId {client}
    Require valid-user
</Location>
""".format(iss=emu.issuer(), client=CLIENT), name="nokeys")
    r = get(h.url + "/api/", emu.token())
    assert r.status_code == 503
    assert h.wait_log("JWKS fetch failed")


def test_jwks_upstream_error_without_cache_is_503(make_httpd, emu):
    h = make_httpd("<Location /api>\nAuthType Cognito\n%s\n"
                   "Require valid-user\n</Location>\n" % pool_conf(emu),
                   name="jwks500")
    emu.fault("jwks", "500")
    r = get(h.url + "/api/", emu.token())
    assert r.status_code == 503


def test_key_rotation_is_picked_up_after_refetch(make_httpd, emu):
    h = make_httpd("<Location /api>\nAuthType Cognito\n%s\n"
                   "Require valid-user\n</Location>\n"
                   "ScriptAlias /api/ \"@CGI@/\"\n" % pool_conf(emu),
                   server_conf="CognitoJwksMinRefetchInterval 1\n",
                   name="rotate")
    assert get(h.url + "/api/env", emu.token()).status_code == 200
    before = emu.stats()["jwks"]
    kid = emu.rotate(pool=POOL)["kid"]
    time.sleep(1.1)
    tok = emu.token()
    assert tokens.parts(tok)[0]["kid"] == kid
    r = get(h.url + "/api/env", tok)
    assert r.status_code == 200
    assert emu.stats()["jwks"] == before + 1
    # Keys that were not retired keep working.
    assert get(h.url + "/api/env", emu.token(key=1)).status_code == 200


def test_unknown_kid_flood_is_rate_limited(make_httpd, emu):
    h = make_httpd("<Location /api>\nAuthType Cognito\n%s\n"
                   "Require valid-user\n</Location>\n" % pool_conf(emu),
                   server_conf="CognitoJwksMinRefetchInterval 60\n",
                   name="flood")
    assert get(h.url + "/api/", emu.token()).status_code == 404
    before = emu.stats()["jwks"]
    for i in range(40):
        r = get(h.url + "/api/", emu.token(header={"kid": "random%d" % i}))
        assert r.status_code == 401
    # One child process (event MPM, one server): at most one refetch.
    assert emu.stats()["jwks"] - before <= 1
