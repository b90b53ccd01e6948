"""Temporary AWS credentials from a Cognito identity pool (issue 7): a real
httpd in front of the emulator's identity pool.

What a user can see: the AWS_* variables a CGI script gets (and does not
get when the directive is off, or as headers unless asked), the
credential_process JSON the handler answers and that the real AWS CLI
accepts, one upstream call per identity until shortly before expiry,
renewal, 403 for refusals and for access tokens, 503 for every way the
identity service can fail, and never a secret in the error log.

Each test uses users of its own (the module caches per identity), and
compares what the backend received with what the emulator issued
(emu.identity_calls())."""
import datetime
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
import warnings

import pytest
import requests

from conftest import CLIENT, POOL, get
from emu_client import IDENTITY_POOL, PASSWORD, Emulator
from httpd import HttpdInstance, free_port

AWS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION")
AWS_HEADERS = ("cognito-aws-access-key-id", "cognito-aws-secret-access-key",
               "cognito-aws-session-token", "cognito-aws-credential-expiration")
# Short-lived credentials, for renewal.
SHORT_POOL = "us-east-1:00000000-0000-4000-8000-0000000000a7"
SHORT_LIFETIME = 10
HTTP_TIMEOUT = 3            # CognitoHttpTimeout, seconds
AWS_CLI = "/usr/bin/aws"    # Debian's awscli, not a pyenv shim on PATH

SITE = """
CognitoUserPoolId {pool}
CognitoIssuer {issuer}
CognitoClientId {client}
CognitoTokenUse any
CognitoIdentityPoolId {ipool}
CognitoIdentityEndpoint {emu}/
CognitoDomain {emu}
CognitoRedirectURI /oauth2/callback
CognitoSessionPassphrase {passphrase}
CognitoCookieSecure Off
CognitoUnauthAction 401

ScriptAlias /aws/ "@CGI@/"
ScriptAlias /noaws/ "@CGI@/"
ScriptAlias /off/ "@CGI@/"
ScriptAlias /anon/ "@CGI@/"
ScriptAlias /short/ "@CGI@/"
ScriptAlias /down/ "@CGI@/"
ScriptAlias /app/ "@CGI@/"
ScriptAlias /backend/ "@CGI@/"
ScriptAlias /basic/ "@CGI@/"
ProxyPass /pe/ http://127.0.0.1:@PORT@/backend/
ProxyPass /ph/ http://127.0.0.1:@PORT@/backend/
# Made-up credentials from a request header, as a careless SetEnvIf
# would make them.
SetEnvIf X-Fake-Key "(.+)" AWS_ACCESS_KEY_ID=$1

<Location /aws/>
    AuthType Cognito
    AuthName "aws"
    CognitoPassAwsCredentials On
    Require valid-user
</Location>
<Location /noaws/>
    AuthType Cognito
    AuthName "noaws"
    Require valid-user
</Location>
<Location /off/>
    AuthType Cognito
    AuthName "off"
    CognitoPassAwsCredentials Off
    Require valid-user
</Location>
<Location /anon/>
    AuthType Cognito
    AuthName "anon"
    CognitoUnauthAction pass
    CognitoPassAwsCredentials On
    Require valid-user
</Location>
<Location /short/>
    AuthType Cognito
    AuthName "short"
    CognitoIdentityPoolId {short}
    CognitoPassAwsCredentials On
    Require valid-user
</Location>
<Location /down/>
    AuthType Cognito
    AuthName "down"
    CognitoIdentityEndpoint http://127.0.0.1:{closed}/
    CognitoPassAwsCredentials On
    Require valid-user
</Location>
<Location /app/>
    AuthType Cognito
    AuthName "app"
    CognitoUnauthAction login
    CognitoPassAwsCredentials On
    Require valid-user
</Location>
<Location /pe/>
    AuthType Cognito
    AuthName "proxied"
    CognitoPassAwsCredentials On
    Require valid-user
</Location>
<Location /ph/>
    AuthType Cognito
    AuthName "proxied-headers"
    CognitoPassAwsCredentials Headers
    Require valid-user
</Location>
<Location /backend/>
    # Plays the separate backend behind ProxyPass: it must see the headers
    # the front end adds, so it does not scrub them itself.
    Require all granted
    CognitoScrubRequestHeaders Off
</Location>
<Location /aws-credentials>
    AuthType Cognito
    AuthName "aws"
    Require valid-user
    SetHandler cognito-aws-credentials
</Location>
<Location /basic/>
    AuthType Basic
    AuthName "basic"
    AuthBasicProvider cognito
    CognitoIdpEndpoint {emu}/
    CognitoPassAwsCredentials On
    Require valid-user
</Location>
"""


@pytest.fixture(scope="module")
def h(emu):
    inst = HttpdInstance(name="aws", server_conf="CognitoHttpTimeout %d 2"
                         % HTTP_TIMEOUT, config=SITE.format(
                             pool=POOL, issuer=emu.issuer(), client=CLIENT,
                             ipool=IDENTITY_POOL, short=SHORT_POOL,
                             emu=emu.base_url, closed=free_port(),
                             passphrase=uuid.uuid4().hex))
    inst.start()
    yield inst
    inst.cleanup()


@pytest.fixture(autouse=True)
def _pools(emu):
    # Other test files may reset the emulator; (re)create what we use.
    emu.add_identity_pool(SHORT_POOL, credential_lifetime=SHORT_LIFETIME)
    yield


def new_user(emu, stem):
    name = "aws-%s-%s" % (stem, uuid.uuid4().hex[:8])
    emu.add_user(name)
    return name


def id_token(emu, user):
    return emu.token(token_use="id", username=user)


def calls_since(emu, mark, op=None):
    calls = emu.identity_calls()[mark:]
    return [c for c in calls if op is None or c["op"] == op]


def issued_since(emu, mark):
    """The credentials GetCredentialsForIdentity issued since mark."""
    return [c["credentials"] for c in calls_since(emu, mark,
                                                  "get_credentials")]


def iso(epoch):
    return datetime.datetime.fromtimestamp(
        int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def env_of(resp):
    assert resp.status_code == 200, (resp.status_code, resp.text[:500])
    return resp.json()


def counts(emu):
    s = emu.stats()
    return s["get_id"], s["get_credentials"]


def assert_no_secrets(text, *secrets):
    for s in secrets:
        assert s and s not in text, "a secret reached the error log"


def browser_login(emu, h, path, user):
    """Log in through the emulator's Hosted UI like a browser would;
    returns the requests.Session holding the session cookie."""
    s = requests.Session()
    s.trust_env = False
    r = s.get(h.url + path, headers={"Accept": "text/html"},
              allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text[:300]
    r = s.get(r.headers["Location"], allow_redirects=False, timeout=30)
    assert r.status_code == 200
    form = {html.unescape(k): html.unescape(v) for k, v in re.findall(
        r'<input type="hidden" name="([^"]*)" value="([^"]*)"', r.text)}
    form.update(username=user, password=PASSWORD)
    r = s.post(emu.base_url + "/login", data=form, allow_redirects=False,
               timeout=30)
    assert r.status_code == 302, r.text[:300]
    callback = r.headers["Location"]
    assert callback.startswith(h.url + "/oauth2/callback?")
    r = s.get(callback, allow_redirects=False, timeout=30)
    assert r.status_code in (302, 303), r.text[:300]
    return s


# -- the backend's environment -----------------------------------------------

def test_cgi_gets_the_issued_credentials(emu, h):
    user = new_user(emu, "cgi")
    tok = id_token(emu, user)
    mark = len(emu.identity_calls())
    h.mark_log()
    env = env_of(get(h.url + "/aws/env", tok))
    issued = issued_since(emu, mark)
    assert len(issued) == 1
    c = issued[0]
    assert env["AWS_ACCESS_KEY_ID"] == c["AccessKeyId"]
    assert env["AWS_SECRET_ACCESS_KEY"] == c["SecretKey"]
    assert env["AWS_SESSION_TOKEN"] == c["SessionToken"]
    assert env["AWS_CREDENTIAL_EXPIRATION"] == iso(c["Expiration"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
                    env["AWS_CREDENTIAL_EXPIRATION"])
    calls = calls_since(emu, mark)
    assert [x["op"] for x in calls] == ["get_id", "get_credentials"]
    # The Logins key names the configured issuer (an override here).
    issuer_key = emu.issuer().split("://", 1)[1]
    assert all(x["logins"] == [issuer_key] for x in calls)
    assert all(x["identity_pool"] == IDENTITY_POOL for x in calls)
    assert env["COGNITO_IDENTITY_ID"] == calls[0]["identity_id"]
    # The user's other variables are still there.
    assert env["REMOTE_USER"] == user and env["COGNITO_TOKEN_USE"] == "id"
    assert_no_secrets(h.log_since(), tok, c["SecretKey"], c["SessionToken"],
                      c["AccessKeyId"])


def test_browser_session_gets_credentials(emu, h):
    user = new_user(emu, "browser")
    s = browser_login(emu, h, "/app/env", user)
    mark = len(emu.identity_calls())
    r = s.get(h.url + "/app/env", allow_redirects=False, timeout=30)
    env = env_of(r)
    assert env["REMOTE_USER"] == user
    issued = issued_since(emu, mark)
    assert len(issued) == 1
    assert env["AWS_ACCESS_KEY_ID"] == issued[0]["AccessKeyId"]
    assert env["AWS_SECRET_ACCESS_KEY"] == issued[0]["SecretKey"]


def test_basic_login_gets_credentials(emu, h):
    user = new_user(emu, "basic")
    mark = len(emu.identity_calls())
    r = requests.get(h.url + "/basic/env", auth=(user, PASSWORD), timeout=30)
    env = env_of(r)
    assert env["REMOTE_USER"] == user
    issued = issued_since(emu, mark)
    assert len(issued) == 1
    assert env["AWS_SESSION_TOKEN"] == issued[0]["SessionToken"]


def test_off_by_default_and_when_off(emu, h):
    tok = id_token(emu, new_user(emu, "off"))
    before = counts(emu)
    for path in ("/noaws/env", "/off/env"):
        env = env_of(get(h.url + path, tok))
        assert not [k for k in env if k.startswith("AWS_")], path
        assert "COGNITO_IDENTITY_ID" not in env
    # Nothing was even asked for.
    assert counts(emu) == before


def test_not_sent_as_headers_to_a_proxied_backend(emu, h):
    user = new_user(emu, "proxy")
    tok = id_token(emu, user)
    mark = len(emu.identity_calls())
    r = get(h.url + "/pe/headers", tok)
    assert r.status_code == 200, r.text[:300]
    seen = r.json()
    c = issued_since(emu, mark)[0]
    # The credentials were fetched (On) but no header carries them.
    text = json.dumps(seen)
    assert c["AccessKeyId"] not in text and c["SecretKey"] not in text
    assert c["SessionToken"] not in text
    assert not [k for k in seen if "aws" in k]


def test_headers_only_when_asked(emu, h):
    user = new_user(emu, "hdr")
    tok = id_token(emu, user)
    mark = len(emu.identity_calls())
    r = get(h.url + "/ph/headers", tok)
    assert r.status_code == 200, r.text[:300]
    seen = r.json()
    c = issued_since(emu, mark)[0]
    assert seen["cognito-aws-access-key-id"] == c["AccessKeyId"]
    assert seen["cognito-aws-secret-access-key"] == c["SecretKey"]
    assert seen["cognito-aws-session-token"] == c["SessionToken"]
    assert seen["cognito-aws-credential-expiration"] == iso(c["Expiration"])
    assert seen["cognito-identity-id"] == calls_since(
        emu, mark, "get_id")[0]["identity_id"]


def test_spoofed_headers_and_variables_never_pass(emu, h):
    tok = id_token(emu, new_user(emu, "spoof"))
    fake = {name: "FAKE" for name in AWS_HEADERS}
    fake.update({"Cognito_Aws_Access_Key_Id": "FAKE",
                 "Cognito-Identity-Id": "FAKE"})
    # With headers on, the backend sees the module's values only.
    mark = len(emu.identity_calls())
    seen = get(h.url + "/ph/headers", tok, headers=fake).json()
    c = issued_since(emu, mark)[0]
    assert seen["cognito-aws-access-key-id"] == c["AccessKeyId"]
    assert "FAKE" not in json.dumps(seen)
    # With headers off, none of the client's copies arrive.
    seen = get(h.url + "/pe/headers", tok, headers=fake).json()
    assert "FAKE" not in json.dumps(seen)
    assert not [k for k in seen if "aws" in k]
    # A variable made from a request header is replaced for a user ...
    env = env_of(get(h.url + "/aws/env", tok, headers={"X-Fake-Key": "FAKE"}))
    assert env["AWS_ACCESS_KEY_ID"] == c["AccessKeyId"]
    # ... and removed without one.
    env = env_of(get(h.url + "/anon/env", headers={"X-Fake-Key": "FAKE"}))
    assert env.get("REMOTE_USER", "") == ""
    assert not [k for k in env if k.startswith("AWS_")]
    # (Without the directive the admin's SetEnvIf is left alone.)
    env = env_of(get(h.url + "/noaws/env", tok,
                     headers={"X-Fake-Key": "FAKE"}))
    assert env["AWS_ACCESS_KEY_ID"] == "FAKE"


# -- the credential_process handler ------------------------------------------

def test_handler_answers_credential_process_json(emu, h):
    tok = id_token(emu, new_user(emu, "json"))
    mark = len(emu.identity_calls())
    r = get(h.url + "/aws-credentials", tok)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("application/json")
    assert "no-store" in r.headers["Cache-Control"]
    doc = r.json()
    c = issued_since(emu, mark)[0]
    assert doc == {"Version": 1, "AccessKeyId": c["AccessKeyId"],
                   "SecretAccessKey": c["SecretKey"],
                   "SessionToken": c["SessionToken"],
                   "Expiration": iso(c["Expiration"])}
    assert type(doc["Version"]) is int
    when = datetime.datetime.strptime(doc["Expiration"],
                                      "%Y-%m-%dT%H:%M:%SZ")
    assert when.replace(tzinfo=datetime.timezone.utc).timestamp() \
        == int(c["Expiration"])
    # Only GET (and HEAD).
    r = requests.post(h.url + "/aws-credentials", timeout=30,
                      headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 405
    r = requests.head(h.url + "/aws-credentials", timeout=30,
                      headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]


def aws_cli_usable():
    if not os.access(AWS_CLI, os.X_OK):
        return False
    p = subprocess.run([AWS_CLI, "configure", "export-credentials", "help"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, env={"PATH": "/usr/bin:/bin",
                                        "AWS_PAGER": "", "PAGER": "cat"})
    return p.returncode == 0


def test_aws_cli_accepts_the_handler(emu, h, tmp_path):
    """The README recipe, run by the real AWS CLI: credential_process runs
    curl with the id token from a file; `aws configure export-credentials`
    resolves the profile's credentials (no AWS call) and prints them."""
    tok = id_token(emu, new_user(emu, "cli"))
    mark = len(emu.identity_calls())
    token_file = tmp_path / ".cognito-id-token"
    token_file.write_text(tok + "\n")
    url = h.url + "/aws-credentials"
    if not aws_cli_usable():
        warnings.warn("%s (awscli) with `configure export-credentials` is "
                      "not available: checked the credential_process JSON "
                      "field by field only" % AWS_CLI)
        doc = get(url, tok).json()
        c = issued_since(emu, mark)[0]
        assert doc["Version"] == 1
        assert doc["AccessKeyId"] == c["AccessKeyId"]
        assert doc["SecretAccessKey"] == c["SecretKey"]
        assert doc["SessionToken"] == c["SessionToken"]
        assert doc["Expiration"] == iso(c["Expiration"])
        return
    config = tmp_path / "config"
    # The README's line, with this server's URL; HOME is tmp_path, so
    # ~/.cognito-id-token is token_file.
    config.write_text(
        "[profile p]\n"
        "credential_process = sh -c 'curl -sf -H \"Authorization: Bearer "
        "$(cat ~/.cognito-id-token)\" %s'\n" % url)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "AWS_CONFIG_FILE": str(config),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    p = subprocess.run([AWS_CLI, "configure", "export-credentials",
                        "--profile", "p", "--format", "process"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    c = issued_since(emu, mark)
    assert len(c) == 1, "the CLI's one call went through the module"
    c = c[0]
    assert out["Version"] == 1
    assert out["AccessKeyId"] == c["AccessKeyId"]
    assert out["SecretAccessKey"] == c["SecretKey"]
    assert out["SessionToken"] == c["SessionToken"]
    when = datetime.datetime.fromisoformat(
        out["Expiration"].replace("Z", "+00:00"))
    assert when.timestamp() == int(c["Expiration"])
    # The env format shows the same credentials the way scripts use them.
    p = subprocess.run([AWS_CLI, "configure", "export-credentials",
                        "--profile", "p", "--format", "env-no-export"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    assert "AWS_ACCESS_KEY_ID=%s" % c["AccessKeyId"] in p.stdout
    # A token the module refuses makes the CLI fail, not use anything.
    token_file.write_text("not-a-token\n")
    p = subprocess.run([AWS_CLI, "configure", "export-credentials",
                        "--profile", "p", "--format", "process"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120, env=env)
    assert p.returncode != 0 and "AccessKeyId" not in p.stdout


# -- caching and renewal -----------------------------------------------------

def test_cache_avoids_repeated_upstream_calls(emu, h):
    user = new_user(emu, "cache")
    tok = id_token(emu, user)
    before = counts(emu)
    first = env_of(get(h.url + "/aws/env", tok))
    assert counts(emu) == (before[0] + 1, before[1] + 1)
    # More requests, a new token for the same user, and the handler: all
    # served from the cache.
    for _ in range(3):
        assert env_of(get(h.url + "/aws/env", tok))["AWS_ACCESS_KEY_ID"] \
            == first["AWS_ACCESS_KEY_ID"]
    again = env_of(get(h.url + "/aws/env", id_token(emu, user)))
    assert again["AWS_SESSION_TOKEN"] == first["AWS_SESSION_TOKEN"]
    doc = get(h.url + "/aws-credentials", tok).json()
    assert doc["AccessKeyId"] == first["AWS_ACCESS_KEY_ID"]
    assert counts(emu) == (before[0] + 1, before[1] + 1)
    # Another user has credentials of their own.
    other = env_of(get(h.url + "/aws/env", id_token(emu, new_user(emu, "c2"))))
    assert other["AWS_ACCESS_KEY_ID"] != first["AWS_ACCESS_KEY_ID"]
    assert counts(emu) == (before[0] + 2, before[1] + 2)


def poll_until_changed(h, path, tok, old_key, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        env = env_of(get(h.url + path, tok))
        if env["AWS_ACCESS_KEY_ID"] != old_key:
            return env
        time.sleep(0.5)
    raise AssertionError("credentials were not renewed within %ss" % timeout)


def test_credentials_near_expiry_are_renewed(emu, h):
    """Credentials that live SHORT_LIFETIME seconds are reused for a while,
    then replaced before they expire; renewals need GetCredentialsForIdentity
    only (the identity id is cached), and an identity id the service
    refuses is asked for again."""
    user = new_user(emu, "renew")
    tok = id_token(emu, user)
    before = counts(emu)
    first = env_of(get(h.url + "/short/env", tok))
    again = env_of(get(h.url + "/short/env", tok))
    assert again["AWS_ACCESS_KEY_ID"] == first["AWS_ACCESS_KEY_ID"]
    assert counts(emu) == (before[0] + 1, before[1] + 1)
    renewed = poll_until_changed(h, "/short/env", tok,
                                 first["AWS_ACCESS_KEY_ID"],
                                 SHORT_LIFETIME * 3)
    assert renewed["AWS_CREDENTIAL_EXPIRATION"] \
        > first["AWS_CREDENTIAL_EXPIRATION"]
    # Replaced while the old ones were still valid: at most the renewal
    # margin before their expiry, never after it.
    assert counts(emu)[0] == before[0] + 1, "GetId was cached"
    assert counts(emu)[1] >= before[1] + 2
    # A cached identity id that GetCredentialsForIdentity refuses once.
    ids_before = counts(emu)[0]
    emu.fault("get_credentials", "not_authorized", count=1)
    third = poll_until_changed(h, "/short/env", tok,
                               renewed["AWS_ACCESS_KEY_ID"],
                               SHORT_LIFETIME * 3)
    assert third["AWS_SECRET_ACCESS_KEY"] != renewed["AWS_SECRET_ACCESS_KEY"]
    assert counts(emu)[0] == ids_before + 1, "GetId asked again"


# -- refusals and failures ---------------------------------------------------

@pytest.mark.parametrize("endpoint,mode,kind", [
    ("get_id", "not_authorized", "NotAuthorizedException"),
    ("get_credentials", "not_authorized", "NotAuthorizedException"),
    ("get_credentials", "no_role",
     "InvalidIdentityPoolConfigurationException"),
])
def test_identity_pool_refusal_is_403(emu, h, endpoint, mode, kind):
    tok = id_token(emu, new_user(emu, "refused"))
    emu.fault(endpoint, mode)
    h.mark_log()
    for path in ("/aws/env", "/aws-credentials"):
        r = get(h.url + path, tok)
        assert r.status_code == 403, (path, r.status_code)
        assert "refused" in r.text
        assert "AWS_" not in r.text
    assert h.wait_log("refused by identity pool %s: %s"
                      % (IDENTITY_POOL, kind))
    assert_no_secrets(h.log_since(), tok)


def test_access_token_only_is_a_clear_403(emu, h):
    user = new_user(emu, "access")
    tok = emu.token(username=user)      # an access token
    before = counts(emu)
    h.mark_log()
    for path in ("/aws/env", "/aws-credentials"):
        r = get(h.url + path, tok)
        assert r.status_code == 403, (path, r.status_code)
        assert "id token" in r.text
    assert counts(emu) == before
    assert h.wait_log("need an id token")
    # The same user's id token works.
    assert get(h.url + "/aws-credentials", id_token(emu, user)
               ).status_code == 200


def test_throttled_identity_service_is_503(emu, h):
    tok = id_token(emu, new_user(emu, "throttle"))
    emu.fault("get_id", "throttle")
    h.mark_log()
    r = get(h.url + "/aws/env", tok)
    assert r.status_code == 503
    assert r.headers.get("Retry-After")
    assert h.wait_log("TooManyRequestsException")
    emu.clear_faults()
    # Nothing bad was remembered: it works once the service does.
    assert get(h.url + "/aws/env", tok).status_code == 200


def test_unreachable_identity_service_is_503(emu, h):
    tok = id_token(emu, new_user(emu, "down"))
    h.mark_log()
    for _ in range(2):
        r = get(h.url + "/down/env", tok)
        assert r.status_code == 503
        assert "AWS_" not in r.text
    assert h.wait_log("AWS credentials for")
    assert_no_secrets(h.log_since(), tok)


FAULTS = ("drop", "hang", "500", "503", "html", "truncated", "huge",
          "redirect_loop", "empty")


@pytest.mark.parametrize("endpoint", ("get_id", "get_credentials"))
@pytest.mark.parametrize("mode", FAULTS)
def test_identity_endpoint_faults_are_503(emu, h, endpoint, mode):
    """Issue 9's upstream faults on the identity endpoint: 503 within the
    configured timeout, nothing cached, no secret in the log."""
    tok = id_token(emu, new_user(emu, "fault"))
    emu.fault(endpoint, mode, seconds=60)
    mark = len(emu.identity_calls())
    h.mark_log()
    started = time.monotonic()
    r = get(h.url + "/aws/env", tok, timeout=60)
    took = time.monotonic() - started
    assert r.status_code == 503, (r.status_code, r.text[:200])
    # Generous: the timeout plus slack for a busy machine, well short of
    # the 60 s the emulator would hang.
    assert took < HTTP_TIMEOUT + 20
    log = h.log_since()
    assert "unavailable" in log
    secrets = [tok] + [v for c in issued_since(emu, mark)
                       for k, v in c.items() if k != "Expiration"]
    assert_no_secrets(log, *secrets)
    emu.clear_faults()
    assert get(h.url + "/aws/env", tok).status_code == 200


# -- configuration -----------------------------------------------------------

@pytest.mark.parametrize("bad", [
    "us-east-1", "us-east-1_AbC123xyz", "us-east-1:not-a-guid",
    "US-EAST-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4",
])
def test_malformed_identity_pool_id_is_a_startup_error(bad):
    inst = HttpdInstance(name="aws-bad", config="CognitoIdentityPoolId %s\n"
                         % bad)
    try:
        ok, out = inst.configtest()
        assert not ok
        assert "is not an identity pool id" in out
    finally:
        inst.cleanup()


def test_canonical_logins_key_without_an_issuer_override():
    """With only CognitoUserPoolId (no CognitoIssuer) the Logins key is
    Cognito's own cognito-idp.<region>.amazonaws.com/<pool>.  An emulator
    whose issuer is the real Cognito URL accepts only that name."""
    canonical = "https://cognito-idp.us-east-1.amazonaws.com"
    emu = Emulator().start(issuer_base=canonical)
    inst = None
    try:
        inst = HttpdInstance(name="aws-canon", config="""
CognitoUserPoolId {pool}
CognitoJwksUri {jwks}
CognitoClientId {client}
CognitoTokenUse id
CognitoIdentityPoolId {ipool}
CognitoIdentityEndpoint {emu}/
<Location /aws-credentials>
    AuthType Cognito
    Require valid-user
    SetHandler cognito-aws-credentials
</Location>
""".format(pool=POOL, jwks=emu.jwks_url(), client=CLIENT, ipool=IDENTITY_POOL,
           emu=emu.base_url)).start()
        r = get(inst.url + "/aws-credentials", emu.token(token_use="id"))
        assert r.status_code == 200, r.text[:300]
        calls = emu.identity_calls()
        assert [c["op"] for c in calls] == ["get_id", "get_credentials"]
        for c in calls:
            assert c["logins"] == ["cognito-idp.us-east-1.amazonaws.com/"
                                   + POOL]
        assert r.json()["AccessKeyId"] == calls[1]["credentials"][
            "AccessKeyId"]
    finally:
        if inst:
            inst.cleanup()
        emu.stop()
