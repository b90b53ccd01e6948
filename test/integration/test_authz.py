"""Require cognito-group/scope/claim/client, their combinations, .htaccess,
the claim mirror (environment and headers), header scrubbing, the userinfo
handler and the replica example backend."""
import hashlib
import json
import os
import shutil
import sqlite3
import urllib.parse

import pytest

from conftest import CLIENT, M2M, get, pool_conf, www_authenticate
from httpd import HttpdInstance, REPO

REPLICA = os.path.join(REPO, "httpd-conf", "examples", "replica.cgi")

SITE = """
SetEnvIf Request_URI "^/t/([a-z]+)/" TENANT=$1
# Server-wide defaults: sections and .htaccess files below refine them.
{pool}
CognitoTokenUse any
<Location />
    AuthType Cognito
    AuthName "site"
</Location>
<Location /public>
    # Plays the separate backend behind ProxyPass: it must see the claim
    # headers the front end adds, so it does not scrub them itself.
    Require all granted
    CognitoScrubRequestHeaders Off
</Location>
<Location /pubproxy>
    Require all granted
</Location>
<Location /valid>
    Require valid-user
</Location>
<Location /grp>
    Require cognito-group admin
</Location>
<Location /grp2>
    Require cognito-group finance staff
</Location>
<Location /scope>
    Require cognito-scope api/write
</Location>
<Location /claim>
    Require cognito-claim custom:tenant acme globex
</Location>
<Location /bool>
    Require cognito-claim email_verified true
</Location>
<Location /nested>
    Require cognito-claim identities.providerName Google
</Location>
<Location /client>
    Require cognito-client {m2m}
</Location>
<Location /all>
    <RequireAll>
        Require cognito-group staff
        Require cognito-scope openid
    </RequireAll>
</Location>
<Location /anyof>
    <RequireAny>
        Require cognito-group admin
        Require cognito-claim custom:tenant globex
    </RequireAny>
</Location>
<Location /notbanned>
    <RequireAll>
        Require valid-user
        Require not cognito-group admin
    </RequireAll>
</Location>
<Location /t>
    Require cognito-claim custom:tenant %{{env:TENANT}}
</Location>
<Location /me>
    Require valid-user
    SetHandler cognito-userinfo
</Location>
<Location /hdr>
    Require valid-user
    CognitoPassClaimsAs headers
</Location>
<Location /both>
    Require valid-user
    CognitoPassClaimsAs both
    CognitoClaimPrefix AUTH_
    CognitoClaimDelimiter ";"
</Location>
<Location /replica>
    Require valid-user
</Location>
SetEnv REPLICA_DB @DIR@/db/replica.db
ScriptAliasMatch "^/(valid|grp|grp2|scope|claim|bool|nested|client|all|anyof|notbanned|t/[a-z]+|both)/env$" "@CGI@/env"
ScriptAlias /replica "@DIR@/replica.cgi"
ScriptAlias /public/headers "@CGI@/headers"
ProxyPass /hdr/ http://127.0.0.1:@PORT@/public/
ProxyPass /pubproxy/ http://127.0.0.1:@PORT@/public/
<Directory "@DIR@">
    Options +ExecCGI
</Directory>
<Directory "@HTDOCS@/ht">
    AllowOverride AuthConfig
    Require all granted
</Directory>
<Directory "@HTDOCS@/htbad">
    AllowOverride AuthConfig
    Require all granted
</Directory>
"""


@pytest.fixture(scope="module")
def site(emu):
    h = HttpdInstance(config=SITE.format(
        pool=pool_conf(emu, clients=(CLIENT, M2M)), m2m=M2M),
        name="authz")
    os.makedirs(os.path.join(h.dir, "db"), mode=0o777)
    os.chmod(os.path.join(h.dir, "db"), 0o777)
    shutil.copy(REPLICA, os.path.join(h.dir, "replica.cgi"))
    os.chmod(os.path.join(h.dir, "replica.cgi"), 0o755)
    ht = os.path.join(h.htdocs, "ht")
    os.makedirs(ht)
    h.write(os.path.join(ht, "index.html"), "group page\n")
    h.write(os.path.join(ht, ".htaccess"),
            "AuthType Cognito\nAuthName \"ht\"\nCognitoClientId %s\n"
            "CognitoTokenUse access\nRequire cognito-group admin\n" % CLIENT)
    bad = os.path.join(h.htdocs, "htbad")
    os.makedirs(bad)
    h.write(os.path.join(bad, "index.html"), "x\n")
    h.write(os.path.join(bad, ".htaccess"),
            "AuthType Cognito\nCognitoUserPoolId us-east-1_Evil1\n"
            "CognitoClientId x\nRequire valid-user\n")
    h.start()
    yield h
    h.cleanup()


def status(site, path, token):
    return get(site.url + path, token).status_code


@pytest.mark.parametrize("path,allowed,denied", [
    ("/grp/env", dict(username="alice"), dict(username="bob")),
    ("/grp2/env", dict(username="bob"), dict(username="carol")),
    ("/scope/env", dict(scope="openid api/write"), dict(scope="openid api/writer")),
    ("/claim/env", dict(token_use="id", username="alice"),
     dict(token_use="id", username="bob")),
    ("/bool/env", dict(token_use="id"),
     dict(token_use="id", claims={"email_verified": False})),
    ("/client/env", dict(m2m=True), dict()),
    ("/all/env", dict(username="bob", scope="openid"),
     dict(username="bob", scope="email")),
    ("/anyof/env", dict(username="alice"), dict(username="bob")),
    ("/notbanned/env", dict(username="bob"), dict(username="alice")),
])
def test_provider_allows_and_denies(site, emu, path, allowed, denied):
    assert status(site, path, emu.token(**allowed)) == 200
    r = get(site.url + path, emu.token(**denied))
    assert r.status_code == 403, r.text[:200]


def test_nested_claim_path(site, emu):
    google = [{"providerName": "Google", "providerType": "Google",
               "userId": "1", "primary": "true"}]
    saml = [{"providerName": "Okta", "providerType": "SAML", "userId": "2"}]
    assert status(site, "/nested/env",
                  emu.token(token_use="id", claims={"identities": google})) \
        == 200
    assert status(site, "/nested/env",
                  emu.token(token_use="id", claims={"identities": saml})) \
        == 403


def test_claim_from_ap_expr(site, emu):
    # Custom attributes are in id tokens only, as with Cognito.
    idtok = emu.token(token_use="id")
    assert status(site, "/t/acme/env", idtok) == 200
    assert status(site, "/t/globex/env", idtok) == 403
    assert status(site, "/t/acme/env", emu.token()) == 403


def test_no_user_yet_means_authentication_first(site):
    r = get(site.url + "/grp/env")
    assert r.status_code == 401
    assert www_authenticate(r) == 'Bearer realm="site"'


def test_missing_scope_says_insufficient_scope(site, emu):
    r = get(site.url + "/scope/env", emu.token(scope="openid"))
    assert r.status_code == 403
    h = www_authenticate(r)
    assert 'error="insufficient_scope"' in h and 'scope="api/write"' in h


def test_group_denial_has_no_bearer_error(site, emu):
    r = get(site.url + "/grp/env", emu.token(username="bob"))
    assert r.status_code == 403
    assert "insufficient_scope" not in www_authenticate(r)


def test_grant_after_scope_denial_leaves_no_challenge(site, emu):
    # RequireAny-free case: a 200 never carries WWW-Authenticate.
    r = get(site.url + "/all/env", emu.token(username="bob", scope="openid"))
    assert r.status_code == 200 and "WWW-Authenticate" not in r.headers


def test_htaccess_sets_authtype_client_and_require(site, emu):
    assert status(site, "/ht/", emu.token(username="alice")) == 200
    assert status(site, "/ht/", emu.token(username="bob")) == 403
    assert status(site, "/ht/", None) == 401
    assert status(site, "/ht/", emu.token(token_use="id")) == 401


def test_htaccess_cannot_change_the_pool(site, emu):
    site.mark_log()
    r = get(site.url + "/htbad/", emu.token())
    assert r.status_code == 500
    assert site.wait_log("CognitoUserPoolId not allowed here")


def env(site, path, token):
    r = get(site.url + path, token)
    assert r.status_code == 200, (r.status_code, r.text[:200])
    return r.json()


def test_full_claim_mirror(site, emu):
    full = emu.token_full(token_use="id")
    claims = full["claims"]
    e = env(site, "/valid/env", full["token"])
    assert e["COGNITO_CLAIM_CUSTOM_TENANT"] == "acme"
    assert e["COGNITO_CLAIM_COGNITO_USERNAME"] == "alice"
    assert e["COGNITO_CLAIM_COGNITO_GROUPS"] == "admin,staff"
    assert e["COGNITO_CLAIM_EMAIL_VERIFIED"] == "true"
    assert e["COGNITO_CLAIM_EXP"] == str(claims["exp"])
    assert e["COGNITO_ISSUER"] == emu.issuer()
    assert e["COGNITO_EXP"] == str(claims["exp"])
    assert e["COGNITO_AUTH_TIME"] == str(claims["auth_time"])
    assert json.loads(e["COGNITO_CLAIMS"]) == claims
    assert len(e["COGNITO_CLAIMS_SHA256"]) == 64


def test_claims_hash_tracks_the_user_not_the_token(site, emu):
    a = env(site, "/valid/env", emu.token(token_use="id"))
    b = env(site, "/valid/env", emu.token(token_use="id", iat_offset=-60))
    assert a["COGNITO_CLAIMS"] != b["COGNITO_CLAIMS"]
    assert a["COGNITO_CLAIMS_SHA256"] == b["COGNITO_CLAIMS_SHA256"]
    c = env(site, "/valid/env", emu.token(
        token_use="id", claims={"cognito:groups": ["admin"]}))
    assert c["COGNITO_CLAIMS_SHA256"] != a["COGNITO_CLAIMS_SHA256"]


def test_array_delimiter_escaping_and_prefix(site, emu):
    e = env(site, "/both/env", emu.token(claims={
        "cognito:groups": ["a;b", "c\\d", "e"]}))
    assert e["AUTH_GROUPS"] == "a\\;b;c\\\\d;e"
    assert "COGNITO_SUB" not in e and e["AUTH_SUB"]
    assert e["HTTP_AUTH_SUB"] == e["AUTH_SUB"]


def proxied_headers(site, token, extra=None, path="/hdr/headers"):
    r = get(site.url + path, token, headers=extra)
    assert r.status_code == 200, (r.status_code, r.text[:200])
    return r.json()


def test_claims_as_headers_for_proxied_backend(site, emu):
    h = proxied_headers(site, emu.token(token_use="id"))
    assert h["cognito-username"] == "alice"
    assert h["cognito-groups"] == "admin,staff"
    assert h["cognito-claim-custom-tenant"] == "acme"
    assert h["cognito-claim-email"] == "alice@example.com"


def test_hostile_claim_values_are_encoded_in_headers(site, emu):
    nasty = {
        "custom:crlf": "x\r\nX-Injected: yes",
        "custom:lf": "a\nb",
        "custom:tab": "a\tb",
        "custom:pct": "100%",
        "custom:uni": "Zo\u00eb \u2603",
        "custom:ctl": "a\u0001b\u007fc",
        "custom:long": "y" * 5000,
    }
    h = proxied_headers(site, emu.token(token_use="id", claims=nasty))
    assert "x-injected" not in h
    assert h["cognito-claim-custom-crlf"] == "x%0D%0AX-Injected: yes"
    assert h["cognito-claim-custom-lf"] == "a%0Ab"
    assert h["cognito-claim-custom-tab"] == "a%09b"
    assert h["cognito-claim-custom-pct"] == "100%25"
    assert urllib.parse.unquote(h["cognito-claim-custom-uni"]) == \
        "Zo\u00eb \u2603"
    assert h["cognito-claim-custom-ctl"] == "a%01b%7Fc"
    assert "cognito-claim-custom-long" not in h
    for v in h.values():
        assert all(0x20 <= ord(ch) < 0x7f for ch in v)


def test_nul_in_a_claim_is_refused(site, emu):
    # A JSON \u0000 inside a string claim never reaches any backend.
    r = get(site.url + "/hdr/headers",
            emu.token(claims={"custom:nul": "a\u0000b"}))
    assert r.status_code == 401


SPOOFS = ["Cognito-Sub", "COGNITO-SUB", "cognito-username", "CoGnItO-GrOuPs",
          "Cognito-Claim-Custom-Tenant", "Cognito-Claims", "cognito_sub",
          "COGNITO_CLAIMS_SHA256", "Cognito_Claim-Email"]


@pytest.mark.parametrize("path", ["/hdr/headers", "/pubproxy/headers"])
def test_spoofed_headers_never_reach_backend(site, emu, path):
    extra = {name: "forged" for name in SPOOFS}
    token = emu.token() if path.startswith("/hdr") else None
    r = get(site.url + path, token, headers=extra)
    assert r.status_code == 200
    assert "forged" not in r.text


def test_spoofed_env_never_reaches_cgi(site, emu):
    extra = {name: "forged" for name in SPOOFS}
    e = env(site, "/valid/env", emu.token())
    e2 = get(site.url + "/valid/env", emu.token(), headers=extra).json()
    assert not any("forged" in v for v in e2.values())
    assert e2["COGNITO_SUB"] == e["COGNITO_SUB"]


def test_userinfo_handler(site, emu):
    full = emu.token_full()
    r = get(site.url + "/me", full["token"])
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == full["claims"]
    assert get(site.url + "/me").status_code == 401


def replica(site, token):
    r = get(site.url + "/replica?format=json", token)
    assert r.status_code == 200, r.text[:300]
    return r.json()


def test_replica_example_tracks_users_and_groups(site, emu):
    emu.add_user(username="dora", password="Passw0rd!",
                 groups=["staff"], attributes={"email": "dora@example.com"})
    t1 = emu.token(token_use="id", username="dora")
    assert replica(site, t1)["action"] == "inserted"
    assert replica(site, t1)["action"] == "unchanged"
    assert replica(site, emu.token(token_use="id", username="dora",
                                   iat_offset=-30))["action"] == "unchanged"
    assert replica(site, emu.token(token_use="id", username="bob"))[
        "action"] == "inserted"
    emu.update_user("dora", groups=["staff", "finance"])
    assert replica(site, emu.token(token_use="id", username="dora"))[
        "action"] == "updated"
    emu.update_user("dora", groups=["auditors"])
    out = replica(site, emu.token(token_use="id", username="dora"))
    assert out["action"] == "updated"
    db = sqlite3.connect(os.path.join(site.dir, "db", "replica.db"))
    rows = db.execute("SELECT u.username, m.group_name FROM users u "
                      "LEFT JOIN memberships m ON m.sub = u.sub "
                      "ORDER BY 1, 2").fetchall()
    assert rows == [("bob", "staff"), ("dora", "auditors")]
    assert db.execute("SELECT updates FROM users WHERE username = 'dora'"
                      ).fetchone() == (2,)


def test_repeated_token_mirrors_the_same_under_each_settings(site, emu):
    # Hits of the token cache reuse the mirror made for the same settings;
    # other settings (prefix, delimiter) must still get their own.
    tok = emu.token(claims={"cognito:groups": ["a;b", "c"]})
    first = env(site, "/valid/env", tok)
    for _ in range(3):
        again = env(site, "/valid/env", tok)
        both = env(site, "/both/env", tok)
        assert {k: v for k, v in again.items() if k.startswith("COGNITO_")} \
            == {k: v for k, v in first.items() if k.startswith("COGNITO_")}
        assert again["COGNITO_GROUPS"] == "a;b,c"
        assert both["AUTH_GROUPS"] == "a\\;b;c"
        assert not any(k.startswith("COGNITO_") for k in both)
        assert both["AUTH_CLAIMS_SHA256"] == first["COGNITO_CLAIMS_SHA256"]
