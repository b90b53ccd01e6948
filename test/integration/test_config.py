"""Configuration as an administrator meets it: what fails at startup (and
names the directive), how sections inherit and override, the user-name
claim, and JWKS over https with the HTTP settings."""
import os
import shutil

import pytest

from conftest import CLIENT, M2M, POOL, get, pool_conf
from httpd import HttpdInstance


def configtest(config, server_conf=""):
    h = HttpdInstance(config=config, server_conf=server_conf, name="conf")
    try:
        return h.configtest()
    finally:
        h.cleanup()


LOC = "<Location /api>\nAuthType Cognito\n%s\nRequire valid-user\n</Location>\n"


@pytest.mark.parametrize("directives,needle", [
    ("CognitoUserPoolId useast1AbC\nCognitoClientId c1",
     "CognitoUserPoolId: 'useast1AbC' is not a user pool id"),
    ("CognitoUserPoolId us-east-1_\nCognitoClientId c1",
     "CognitoUserPoolId"),
    ("CognitoUserPoolId us-east-1_Ab/../x\nCognitoClientId c1",
     "CognitoUserPoolId"),
    ("CognitoUserPoolId us-east-1_AbC123xyz",
     "no CognitoClientId applies there; CognitoClientId is required"),
    ("CognitoClientId c1",
     "AuthType Cognito is used (%s:"),
    ("", "but no CognitoUserPoolId or CognitoIssuer is configured"),
    ("CognitoUserPoolId us-east-1_AbC123xyz\nCognitoClientId c1\n"
     "CognitoTokenUse refresh", "CognitoTokenUse: 'refresh'"),
    ("CognitoUserPoolId us-east-1_AbC123xyz\nCognitoClientId c1\n"
     "CognitoClockSkew -5", "CognitoClockSkew: '-5' is not a number"),
    ("CognitoUserPoolId us-east-1_AbC123xyz\nCognitoClientId c1\n"
     "CognitoMaxTokenSize lots", "CognitoMaxTokenSize"),
    ("CognitoIssuer ftp://example.com/pool\nCognitoClientId c1",
     "CognitoIssuer"),
    ("CognitoUserPoolId us-east-1_AbC123xyz\nCognitoClientId c1\n"
     "CognitoJwksUri not-a-url", "CognitoJwksUri"),
    ("CognitoUserPoolId us-east-1_AbC123xyz\nCognitoClientId c1\n"
     "CognitoPassClaimsAs cookies", "CognitoPassClaimsAs"),
])
def test_configuration_that_cannot_work_fails_configtest(directives, needle):
    h = HttpdInstance(config=LOC % directives, name="conf")
    try:
        ok, out = h.configtest()
    finally:
        h.cleanup()
    assert not ok, out
    assert needle.replace("%s", h.conf_file) in out, out


@pytest.mark.parametrize("server_conf,needle", [
    ("CognitoHttpTimeout 0", "CognitoHttpTimeout"),
    ("CognitoHttpTimeout 500", "CognitoHttpTimeout: '500' is not a number"),
    ("CognitoHttpCAFile /nonexistent/ca.pem", "CognitoHttpCAFile"),
    ("CognitoJwksMinRefetchInterval soon", "CognitoJwksMinRefetchInterval"),
])
def test_bad_server_settings_fail_configtest(server_conf, needle):
    ok, out = configtest(LOC % "CognitoUserPoolId us-east-1_AbC123xyz\n"
                         "CognitoClientId c1", server_conf)
    assert not ok, out
    assert needle in out, out


def test_a_working_configuration_passes_configtest():
    ok, out = configtest(LOC % "CognitoUserPoolId us-east-1_AbC123xyz\n"
                         "CognitoClientId 1example23456789 other")
    assert ok, out


def test_section_without_a_pool_is_a_logged_server_error(make_httpd, emu):
    # A pool is configured somewhere, so startup cannot tell that /api
    # lacks one (httpd keeps AuthType private to mod_authn_core): caught
    # per request, as a 500 (the admin's mistake, not the client's) with a
    # line naming the missing directive.
    h = make_httpd(LOC % "" + "<Location /elsewhere>\n%s\n</Location>\n"
                   % pool_conf(emu), name="nopool")
    h.mark_log()
    r = get(h.url + "/api/", emu.token())
    assert r.status_code == 500
    assert h.wait_log("no CognitoUserPoolId (or CognitoIssuer) is configured")


INHERIT = """
{pool}
<Location /api>
    AuthType Cognito
    AuthName "api"
    Require valid-user
</Location>
<Location /api/id>
    CognitoTokenUse id
</Location>
<Location /api/m2m>
    CognitoClientId {m2m}
</Location>
<Location /other>
    AuthType Cognito
    AuthName "other"
    CognitoUserPoolId us-east-1_OtherPool9
    CognitoIssuer {other_iss}
    Require valid-user
</Location>
<Location /named>
    AuthType Cognito
    CognitoRemoteUserClaim email
    CognitoTokenUse id
    Require valid-user
</Location>
<Location /subuser>
    AuthType Cognito
    CognitoRemoteUserClaim sub
    Require valid-user
</Location>
ScriptAliasMatch "^/(api|api/id|api/m2m|other|named|subuser)/env$" "@CGI@/env"
"""


@pytest.fixture(scope="module")
def inherit(emu):
    # The server config names the emulator's pool with a JWKS override; the
    # /other section names another pool, so it must derive that pool's own
    # JWKS URL rather than inherit the outer override.
    pool = pool_conf(emu, extra="CognitoJwksUri %s\n" % emu.jwks_url())
    h = HttpdInstance(config=INHERIT.format(
        pool=pool, m2m=M2M,
        other_iss=emu.issuer("us-east-1_OtherPool9")), name="inherit")
    h.start()
    yield h
    h.cleanup()


def status_env(h, path, token):
    r = get(h.url + path, token)
    return r.status_code, (r.json() if r.status_code == 200 else None)


def test_location_inherits_pool_and_client_from_server(inherit, emu):
    code, env = status_env(inherit, "/api/env", emu.token())
    assert code == 200 and env["COGNITO_CLIENT_ID"] == CLIENT


def test_location_overrides_token_use(inherit, emu):
    assert status_env(inherit, "/api/id/env", emu.token())[0] == 401
    code, env = status_env(inherit, "/api/id/env", emu.token(token_use="id"))
    assert code == 200 and env["COGNITO_TOKEN_USE"] == "id"


def test_location_overrides_client_ids(inherit, emu):
    assert status_env(inherit, "/api/m2m/env", emu.token())[0] == 401
    code, env = status_env(inherit, "/api/m2m/env",
                           emu.token(m2m=True, scope="api/read"))
    assert code == 200 and env["REMOTE_USER"] == M2M


def test_section_naming_another_pool_uses_that_pools_keys(inherit, emu):
    other = "us-east-1_OtherPool9"
    before = emu.stats().get("jwks", 0)
    code, env = status_env(inherit, "/other/env", emu.token(pool=other))
    assert code == 200, code
    assert env["COGNITO_ISSUER"] == emu.issuer(other)
    assert emu.stats()["jwks"] > before
    # ...and tokens of the outer pool are not accepted there.
    assert status_env(inherit, "/other/env", emu.token())[0] == 401


def test_remote_user_claim_override(inherit, emu):
    code, env = status_env(inherit, "/named/env", emu.token(token_use="id"))
    assert code == 200
    assert env["REMOTE_USER"] == "alice@example.com"
    full = emu.token_full()
    code, env = status_env(inherit, "/subuser/env", full["token"])
    assert code == 200 and env["REMOTE_USER"] == full["claims"]["sub"]


def test_remote_user_claim_missing_is_refused(inherit, emu):
    # Access tokens carry no email: the user name cannot be had.
    r = get(inherit.url + "/named/env", emu.token(
        token_use="id", claims={"email": None}))
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


TLS_SITE = """
<Location /api>
    AuthType Cognito
    CognitoIssuer {iss}
    CognitoJwksUri {jwks}
    CognitoClientId {client}
    Require valid-user
</Location>
"""


def tls_site(make_httpd, emu, server_conf, name, start=True):
    return make_httpd(TLS_SITE.format(
        iss=emu.issuer(), jwks=emu.jwks_url(tls=True), client=CLIENT),
        server_conf=server_conf, name=name, start=start)


def test_https_jwks_with_ca_file(make_httpd, emu):
    # The CA goes where httpd's children (www-data) can read it, as an
    # admin's CA bundle would be.
    h = tls_site(make_httpd, emu, "CognitoHttpCAFile @DIR@/ca.pem\n",
                 "tlsca", start=False)
    shutil.copy(emu.ca_file, os.path.join(h.dir, "ca.pem"))
    os.chmod(os.path.join(h.dir, "ca.pem"), 0o644)
    h.start()
    assert get(h.url + "/api/", emu.token()).status_code == 404  # no file


def test_https_jwks_with_unknown_ca_is_503(make_httpd, emu):
    # The system store does not know the emulator's CA: TLS verification
    # is on by default, so no keys can be had.
    h = tls_site(make_httpd, emu, "", "tlsnoca")
    h.mark_log()
    r = get(h.url + "/api/", emu.token())
    assert r.status_code == 503
    assert h.wait_log("JWKS fetch failed")
    assert "certificate" in h.log_since().lower()


def test_https_jwks_with_verification_off(make_httpd, emu):
    h = tls_site(make_httpd, emu, "CognitoHttpVerifyTLS Off\n", "tlsoff")
    assert get(h.url + "/api/", emu.token()).status_code == 404
