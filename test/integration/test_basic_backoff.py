"""AuthBasicProvider cognito backs off after failures (DIRECTIVES.md,
"Basic authentication against the user pool"): after 3 failures for a
username from one address, attempts are refused without asking Cognito,
for 1, 2, 4 ... seconds; other users are not affected; a success clears
the count.  (The soak found the failure count was never read back: the
record was written with a format APR does not know.)"""
import base64
import time

from conftest import get, pool_conf
import emu_client

SITE = """
CognitoIdpEndpoint {emu}/
<Location /basic>
    AuthType Basic
    AuthName "basic"
    AuthBasicProvider cognito
    {pool}
    Require valid-user
</Location>
Alias /basic "@HTDOCS@"
"""


def basic(h, user, password):
    cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return get(h.url + "/basic/index.html", cred, scheme="Basic")


def initiate_auths(emu):
    return emu.stats()["initiate_auth"]


def test_failures_back_off_without_asking_cognito(make_httpd, emu):
    h = make_httpd(SITE.format(emu=emu.base_url, pool=pool_conf(emu)),
                   name="backoff")
    emu.reset_stats()
    for _ in range(3):
        assert basic(h, "bob", "wrong-password").status_code == 401
    assert initiate_auths(emu) == 3
    h.mark_log()
    # Backing off now: refused at once, Cognito is not asked, even with
    # the right password.
    assert basic(h, "bob", "wrong-password").status_code == 401
    assert basic(h, "bob", emu_client.PASSWORD).status_code == 401
    assert initiate_auths(emu) == 3
    assert "backing off" in h.log_since()
    # Another user from the same address is not affected.
    assert basic(h, "alice", emu_client.PASSWORD).status_code == 200
    assert initiate_auths(emu) == 4
    # The first window is 1 s (times are whole seconds: wait 2 s); then
    # Cognito is asked again, and a success clears the count.
    time.sleep(2.1)
    assert basic(h, "bob", emu_client.PASSWORD).status_code == 200
    assert initiate_auths(emu) == 5
    for _ in range(2):
        assert basic(h, "bob", "wrong-password").status_code == 401
    assert initiate_auths(emu) == 7
