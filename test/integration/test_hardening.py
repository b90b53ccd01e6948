"""Client mistakes that fuzzing (test/fuzz) turned up answer 4xx, not 5xx,
against a real httpd and the emulator."""
import base64

import pytest

from conftest import get, pool_conf

SITE = """
<Location /basic>
    AuthType Basic
    AuthName "basic"
    AuthBasicProvider cognito
    {pool}
    CognitoIdpEndpoint {idp}
    Require valid-user
</Location>
ScriptAlias /basic/ "@CGI@/"
"""


@pytest.fixture(scope="module")
def site(emu):
    from httpd import HttpdInstance
    h = HttpdInstance(config=SITE.format(pool=pool_conf(emu),
                                         idp=emu.base_url + "/"),
                      name="hardening")
    h.start()
    yield h
    h.cleanup()


def basic(site, credentials):
    """GET /basic/env with raw user:password bytes."""
    return get(site.url + "/basic/env",
               base64.b64encode(credentials).decode(), scheme="Basic")


def initiate_auth_calls(emu):
    return emu.stats().get("initiate_auth", 0)


def test_utf8_login_works(site, emu):
    r = basic(site, b"alice:Passw0rd!")
    assert r.status_code == 200, r.text
    assert r.json()["REMOTE_USER"] == "alice"


def test_iso_8859_1_password_is_refused_not_unavailable(site, emu):
    """A client sending ISO-8859-1: Cognito's JSON API cannot carry the
    password, so the login is refused here (401) instead of sending
    InitiateAuth without it and answering Cognito's complaint with 503."""
    site.mark_log()
    before = initiate_auth_calls(emu)
    r = basic(site, b"alice:Passw\xf6rd!")
    assert r.status_code == 401, r.text
    assert "Basic" in r.headers.get("WWW-Authenticate", "")
    assert "Retry-After" not in r.headers
    assert initiate_auth_calls(emu) == before
    assert site.wait_log("not UTF-8")


def test_iso_8859_1_user_name_is_refused(site, emu):
    before = initiate_auth_calls(emu)
    r = basic(site, b"j\xfcrgen:Passw0rd!")
    assert r.status_code == 401, r.text
    assert initiate_auth_calls(emu) == before


def test_utf8_non_ascii_password_reaches_cognito(site, emu):
    """UTF-8 goes to Cognito as it is (here: the wrong password)."""
    before = initiate_auth_calls(emu)
    r = basic(site, "alice:Passw\u00f6rd!".encode())
    assert r.status_code == 401, r.text
    assert initiate_auth_calls(emu) == before + 1
