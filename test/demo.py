"""The demo behind test/demo: the emulator, httpd with mod_auth_cognito in
front of a small app, and ready-to-paste commands with fresh tokens."""
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "emulator"))
sys.path.insert(0, os.path.join(HERE, "integration"))

import emu_client  # noqa: E402
from emu_client import Emulator  # noqa: E402
from httpd import HttpdInstance, REPO, free_port  # noqa: E402

WHOAMI = """#!/usr/bin/python3
# What the backend learns about the caller, without ever seeing a token.
import os
e = os.environ
print("Content-Type: text/plain; charset=utf-8")
print()
print("user:      %s" % e.get("REMOTE_USER", "-"))
print("auth type: %s" % e.get("AUTH_TYPE", "-"))
for k in ("COGNITO_SUB", "COGNITO_EMAIL", "COGNITO_GROUPS", "COGNITO_SCOPE",
          "COGNITO_TOKEN_USE", "COGNITO_CLIENT_ID",
          "COGNITO_CLAIM_CUSTOM_TENANT"):
    if k in e:
        print("%-28s %s" % (k + ":", e[k]))
"""

CONFIG = """
# Server-wide: the pool (the local emulator standing in for Cognito).
CognitoUserPoolId {pool}
CognitoIssuer {issuer}
CognitoClientId {client} {m2m}
CognitoTokenUse any
CognitoDomain {emu}
CognitoRedirectURI /oauth2/callback
CognitoLogoutURI /logout
CognitoPostLogoutURI /
CognitoSessionPassphrase {passphrase}
# The demo runs over plain http on 127.0.0.1.
CognitoCookieSecure Off
CognitoUnauthAction 401
CognitoIdpEndpoint {emu}/

ScriptAlias /api/whoami "@CGI@/whoami"
ScriptAlias /admin/whoami "@CGI@/whoami"
ScriptAlias /basic/whoami "@CGI@/whoami"
ScriptAlias /app "@DIR@/replica.cgi"
SetEnv REPLICA_DB @DIR@/db/replica.db
<Directory "@DIR@">
    Options +ExecCGI
</Directory>

# An API: bearer tokens only.
<Location /api/>
    AuthType Cognito
    AuthName "api"
    Require valid-user
</Location>

# Only the admin group.
<Location /admin/>
    AuthType Cognito
    AuthName "admin"
    Require cognito-group admin
</Location>

# The caller's claims as JSON.
<Location /me>
    AuthType Cognito
    AuthName "me"
    Require valid-user
    SetHandler cognito-userinfo
</Location>

# Username and password, checked against the user pool.
<Location /basic/>
    AuthType Basic
    AuthName "basic"
    AuthBasicProvider cognito
    Require valid-user
</Location>

# A browser app with Hosted UI login; the backend keeps a replica of users.
<Location /app>
    AuthType Cognito
    AuthName "app"
    CognitoUnauthAction login
    Require valid-user
</Location>
"""


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def request(url, token=None, basic=None, accept=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if basic:
        import base64
        req.add_header("Authorization", "Basic " + base64.b64encode(
            basic.encode()).decode())
    if accept:
        req.add_header("Accept", accept)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **kw):
            return None
    opener = urllib.request.build_opener(NoRedirect,
                                         urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def main():
    check = "--check" in sys.argv
    emu = Emulator().start()
    port = int(os.environ.get("DEMO_PORT", "8080"))
    if not port_free(port):
        port = free_port()
    h = HttpdInstance(name="demo", port=port, config=CONFIG.format(
        pool=emu_client.DEFAULT_POOL, issuer=emu.issuer(),
        client=emu_client.PUBLIC_CLIENT, m2m=emu_client.M2M_CLIENT,
        emu=emu.base_url, passphrase=secrets.token_urlsafe(24)))
    h.write(os.path.join(h.cgi, "whoami"), WHOAMI, 0o755)
    shutil.copy(os.path.join(REPO, "httpd-conf", "examples", "replica.cgi"),
                os.path.join(h.dir, "replica.cgi"))
    os.chmod(os.path.join(h.dir, "replica.cgi"), 0o755)
    os.makedirs(os.path.join(h.dir, "db"))
    os.chmod(os.path.join(h.dir, "db"), 0o777)
    try:
        h.start()
        alice = emu.token(token_use="access")
        bob_id = emu.token(token_use="id", username="bob")
        url = h.url
        print("""
mod_auth_cognito demo
=====================
httpd with the module:  {url}      (config: {conf})
Cognito emulator:       {emu}
error log:              {log}

An API that wants a bearer token:
  curl -i {url}/api/whoami
  curl -H "Authorization: Bearer {alice}" {url}/api/whoami

Groups: alice is in admin, bob is not (403):
  curl -H "Authorization: Bearer {alice}" {url}/admin/whoami
  curl -i -H "Authorization: Bearer {bob}" {url}/admin/whoami

The caller's claims as JSON (bob's id token):
  curl -H "Authorization: Bearer {bob}" {url}/me

A service token (client_credentials) from the emulator's token endpoint:
  TOKEN=$(curl -s -u {m2m}:{m2msecret} -d grant_type=client_credentials \\
      -d scope=api/read {emu}/oauth2/token | sed 's/.*"access_token": *"\\([^"]*\\)".*/\\1/')
  curl -H "Authorization: Bearer $TOKEN" {url}/api/whoami

Username and password against the user pool:
  curl -u alice:{pw} {url}/basic/whoami

Browser login through the (emulated) Cognito Hosted UI:
  1. open {url}/app in a browser on this machine
  2. you are sent to the emulator's sign-in form: log in as alice, bob or
     carol, password {pw}
  3. back at {url}/app, the replica page greets you and lists the users
     and groups the backend has replicated so far (log in as another user
     to see the list grow)
  4. log out at {url}/logout (the session ends, the refresh token is
     revoked, and the Hosted UI session ends as well)
  (The session cookie is sealed with AES-256-GCM; this demo runs over
  plain http, hence CognitoCookieSecure Off in its configuration.)
""".format(url=url, conf=h.conf_file, emu=emu.base_url, log=h.error_log,
           alice=alice, bob=bob_id, m2m=emu_client.M2M_CLIENT,
           m2msecret=emu_client.M2M_SECRET, pw=emu_client.PASSWORD))
        sys.stdout.flush()
        if check:
            return run_checks(emu, url, alice, bob_id)
        print("Press Ctrl-C to stop.")
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return 0
    finally:
        h.cleanup()
        emu.stop()


def browser_checks(emu, url):
    """The browser login the demo prints, with a cookie-keeping client:
    the emulator's form, the session, the replica page, logout."""
    import hostedui as hu
    results = []
    try:
        alice = hu.Browser()
        page = hu.login_and_follow(alice, emu, url + "/app", "alice")
        results.append(("browser login (alice)", page.status_code == 200
                        and '<span id="user">alice</span>' in page.text))
        bob = hu.Browser()
        page = hu.login_and_follow(bob, emu, url + "/app", "bob")
        results.append(("replica lists both users", page.status_code == 200
                        and "<td>alice</td>" in page.text
                        and "<td>bob</td>" in page.text))
        again = alice.get(url + "/app")
        results.append(("session kept", again.status_code == 200
                        and '<span id="user">alice</span>' in again.text))
        out = alice.get(url + "/logout")
        results.append(("logout", out.status_code == 302
                        and out.headers["Location"].startswith(
                            emu.base_url + "/logout?")
                        and not hu.session_cookies(alice)))
        results.append(("logged out: login again",
                        alice.get(url + "/app").status_code == 302))
    except Exception as exc:    # a broken step is a failed check
        results.append(("browser login: %s" % exc, False))
    return results


def run_checks(emu, url, alice, bob_id):
    checks = [
        ("no token", request(url + "/api/whoami")[0] == 401),
        ("alice's token", "user:      alice" in
         request(url + "/api/whoami", alice)[1]),
        ("alice is admin", request(url + "/admin/whoami", alice)[0] == 200),
        ("bob is not", request(url + "/admin/whoami", bob_id)[0] == 403),
        ("claims as JSON", json.loads(
            request(url + "/me", bob_id)[1]).get("cognito:username") == "bob"),
        ("basic login", "user:      alice" in request(
            url + "/basic/whoami",
            basic="alice:" + emu_client.PASSWORD)[1]),
        ("browser is sent to log in", request(
            url + "/app", accept="text/html")[0] == 302),
    ]
    checks += browser_checks(emu, url)
    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print("%-28s %s" % (name, "ok" if ok else "FAILED"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
