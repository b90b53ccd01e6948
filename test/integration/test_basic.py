"""AuthBasicProvider cognito against a real httpd and the emulator: a
username and password become a Cognito login (InitiateAuth), with the same
user, claims and Require cognito-* as a bearer token; refusals are 401
without telling unknown users from wrong passwords; Cognito trouble is 503;
logins are cached without keeping the password, coalesced when they come
together, and failures back off without locking the owner out."""
import base64
import concurrent.futures
import hashlib
import http.client
import itertools
import json
import os
import socket
import threading
import time

import pytest

from conftest import CLIENT, POOL
from httpd import HttpdInstance
import emu_client

CONF_CLIENT = emu_client.CONF_CLIENT
CONF_SECRET = emu_client.CONF_SECRET
TIMEOUT = 3            # CognitoHttpTimeout of the test server
REVEALING = "revealingclient"   # PreventUserExistenceErrors off
SHORTLIVED = "shortlivedclient"  # tokens that live 3 seconds
FOREIGN = "foreignpoolclient"   # a client of another pool
FOREIGN_POOL = "us-east-1_ForeignPool7"

LOCAL_USER, LOCAL_PW = "localbot", "local-Secret-1"
SERVER = """
CognitoHttpTimeout %d 1
""" % TIMEOUT


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def locations(emu, secret_file):
    """path -> directives; every path is served by the env CGI."""
    pool = ("CognitoUserPoolId %s\nCognitoIssuer %s\nCognitoIdpEndpoint %s/"
            % (POOL, emu.issuer(POOL), emu.base_url))

    def site(client=CLIENT, require="valid-user", extra="",
             providers="cognito"):
        return ("AuthType Basic\nAuthName \"reports\"\n"
                "AuthBasicProvider %s\n%s\nCognitoClientId %s\n%s\n"
                "Require %s" % (providers, pool, client, extra, require))

    return {
        "basic": site(),
        "group": site(require="cognito-group reporting"),
        "scope": site(require="cognito-scope aws.cognito.signin.user.admin"),
        "apiscope": site(require="cognito-scope api/read"),
        "claim": site(require="cognito-claim custom:tenant t1"),
        "client": site(require="cognito-client " + CLIENT),
        "secret": site(CONF_CLIENT, extra="CognitoClientSecret "
                       + CONF_SECRET),
        "secretfile": site(CONF_CLIENT, extra="CognitoClientSecret file:"
                           + secret_file),
        "secretenv": site(CONF_CLIENT, extra="CognitoClientSecret "
                          "env:BASIC_TEST_SECRET"),
        "nosecret": site(CONF_CLIENT),
        "badsecret": site(CONF_CLIENT, extra="CognitoClientSecret wrong"),
        "short": site(extra="CognitoBasicCacheTime 2"),
        "nocache": site(extra="CognitoBasicCacheTime 0"),
        "shortlived": site(SHORTLIVED),
        "foreign": site(FOREIGN),
        "chain": site(providers="file cognito",
                      extra="AuthUserFile @DIR@/users.htpasswd"),
        "chainrev": site(REVEALING, providers="cognito file",
                         extra="AuthUserFile @DIR@/users.htpasswd"),
        "chaindefault": site(providers="cognito file",
                             extra="AuthUserFile @DIR@/users.htpasswd"),
        "down": ("AuthType Basic\nAuthName \"reports\"\n"
                 "AuthBasicProvider cognito\nCognitoUserPoolId %s\n"
                 "CognitoIssuer %s\nCognitoIdpEndpoint "
                 "http://127.0.0.1:%d/\nCognitoClientId %s\n"
                 "Require valid-user" % (POOL, emu.issuer(POOL),
                                         closed_port(), CLIENT)),
    }


def site_config(emu, secret_file):
    out = []
    for path, conf in locations(emu, secret_file).items():
        out.append("<Location /%s>\n%s\n</Location>\nScriptAlias /%s/ "
                   "\"@CGI@/\"" % (path, conf, path))
    return "\n".join(out)


def htpasswd_line(user, password):
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest())
    return "%s:{SHA}%s\n" % (user, digest.decode())


def make_site(emu, mpm="event", name="basic", mpm_conf=None):
    h = HttpdInstance(server_conf=SERVER, mpm=mpm, name=name,
                      log_level="debug", mpm_conf=mpm_conf)
    secret_file = os.path.join(h.dir, "client-secret")
    # file: takes the first line only.
    h.write(secret_file, CONF_SECRET + "\nnot part of the secret\n")
    h.write(os.path.join(h.dir, "users.htpasswd"),
            htpasswd_line(LOCAL_USER, LOCAL_PW))
    h.write_config(config=site_config(emu, secret_file))
    os.environ["BASIC_TEST_SECRET"] = CONF_SECRET
    try:
        h.start()
    finally:
        del os.environ["BASIC_TEST_SECRET"]
    return h


@pytest.fixture(scope="module")
def site(emu):
    emu.add_client(REVEALING, prevent_user_existence_errors=False)
    emu.add_client(SHORTLIVED, id_lifetime=3, access_lifetime=3)
    emu.add_client(FOREIGN, pool=FOREIGN_POOL)
    emu.add_user("foreigner", pool=FOREIGN_POOL)
    h = make_site(emu)
    yield h
    h.cleanup()


_names = itertools.count(1)


def new_user(emu, password="Basic-Pw-1!", groups=("reporting",), **kw):
    """A user of its own for each test, so caches and counters of one test
    never meet another's."""
    name = "bu%d%s" % (next(_names), os.urandom(3).hex())
    kw.setdefault("attributes", {"custom:tenant": "t1"})
    kw["attributes"].setdefault("email", name + "@example.com")
    emu.add_user(name, password=password, groups=list(groups), **kw)
    return name, password


def basic(site, path, user, password, source="127.0.0.1"):
    """GET with Basic credentials from a given loopback address; returns
    (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=60,
                                      source_address=(source, 0))
    cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    try:
        conn.request("GET", "/%s/env" % path,
                     headers={"Authorization": "Basic " + cred})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def env(site, path, user, password, **kw):
    status, _, body = basic(site, path, user, password, **kw)
    assert status == 200, (status, body[:300])
    return json.loads(body)


def calls(emu):
    return emu.stats()["initiate_auth"]


def poll(fn, timeout=30, interval=0.2):
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value or time.time() > deadline:
            return value
        time.sleep(interval)


# -- success, claims and authorization ---------------------------------------

def test_login_sets_user_claims_and_groups(site, emu):
    user, pw = new_user(emu, groups=("reporting", "staff"))
    e = env(site, "group", user, pw)
    assert e["REMOTE_USER"] == user
    assert e["AUTH_TYPE"] == "Basic"
    assert e["COGNITO_USERNAME"] == user
    assert e["COGNITO_GROUPS"] == "reporting,staff"
    assert e["COGNITO_EMAIL"] == user + "@example.com"
    assert e["COGNITO_CLAIM_CUSTOM_TENANT"] == "t1"
    assert e["COGNITO_TOKEN_USE"] == "id"
    assert e["COGNITO_CLIENT_ID"] == CLIENT
    assert e["COGNITO_SCOPE"] == "aws.cognito.signin.user.admin"
    assert len(e["COGNITO_SUB"]) == 36
    claims = json.loads(e["COGNITO_CLAIMS"])
    assert claims["cognito:username"] == user
    # The password never reaches the backend.
    assert pw not in json.dumps(e)


def test_every_require_provider_works_after_basic(site, emu):
    member, pw = new_user(emu)
    other, pw2 = new_user(emu, groups=("staff",),
                          attributes={"custom:tenant": "t2"})
    for path in ("group", "scope", "claim", "client"):
        assert basic(site, path, member, pw)[0] == 200, path
    # Authorization failures after Basic are httpd's usual 401.
    assert basic(site, "group", other, pw2)[0] == 401
    assert basic(site, "claim", other, pw2)[0] == 401
    assert basic(site, "apiscope", member, pw)[0] == 401
    assert basic(site, "scope", other, pw2)[0] == 200


def test_user_is_cognitos_name_for_the_user(site, emu):
    # Cognito's usernames are case-insensitive; REMOTE_USER is its own
    # spelling, not whatever case was typed.
    user, pw = new_user(emu)
    e = env(site, "basic", user.upper(), pw)
    assert e["REMOTE_USER"] == user


def test_tokens_are_validated_like_bearer_tokens(site, emu):
    # InitiateAuth answers for a client of another pool: its tokens carry
    # that pool's issuer and must not be believed here.
    site.mark_log()
    status, _, _ = basic(site, "foreign", "foreigner", emu_client.PASSWORD)
    assert status == 500
    assert site.wait_log("Basic login for foreigner: the tokens Cognito "
                         "issued do not validate here")
    assert "issuer" in site.log_since()


# -- refusals -------------------------------------------------------------------

def comparable(resp):
    status, headers, body = resp
    return (status, headers.get("WWW-Authenticate"),
            headers.get("Content-Type"), body)


def test_wrong_password_and_unknown_user_answer_alike(site, emu):
    user, pw = new_user(emu)
    site.mark_log()
    wrong = basic(site, "basic", user, "not-the-password")
    ghost = basic(site, "basic", "ghost" + user, "not-the-password")
    assert wrong[0] == 401
    assert wrong[1]["WWW-Authenticate"] == 'Basic realm="reports"'
    assert comparable(wrong) == comparable(ghost)
    assert site.wait_log("Basic login for %s refused by Cognito" % user)


@pytest.mark.parametrize("who,reason", [
    ("newpw", "needs an interactive login first (Cognito asks for "
              "NEW_PASSWORD_REQUIRED)"),
    ("mfauser", "needs an interactive login first (Cognito asks for "
                "SOFTWARE_TOKEN_MFA)"),
    ("resetpw", "the password must be reset"),
    ("disabled", "the account is disabled"),
    ("unconfirmed", "the account is not confirmed"),
])
def test_account_states_are_401_with_the_reason_logged(site, emu, who,
                                                       reason):
    site.mark_log()
    status, headers, _ = basic(site, "basic", who, emu_client.PASSWORD)
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="reports"'
    assert site.wait_log("Basic login for %s refused: " % who)
    assert reason in site.log_since()


def test_impossible_usernames_are_refused_without_asking(site, emu):
    emu.reset_stats()
    for user in ("has space", "x" * 129, "tab\tname"):
        assert basic(site, "basic", user, "whatever")[0] == 401
    assert calls(emu) == 0


# -- client secrets ---------------------------------------------------------------

def test_secret_hash_for_a_client_with_a_secret(site, emu):
    user, pw = new_user(emu)
    for path in ("secret", "secretfile", "secretenv"):
        e = env(site, path, user, pw)
        assert e["COGNITO_CLIENT_ID"] == CONF_CLIENT, path


def test_public_client_needs_no_secret(site, emu):
    user, pw = new_user(emu)
    assert env(site, "basic", user, pw)["COGNITO_CLIENT_ID"] == CLIENT


@pytest.mark.parametrize("path", ["nosecret", "badsecret"])
def test_missing_or_wrong_client_secret_is_a_server_error(site, emu, path):
    user, pw = new_user(emu)
    site.mark_log()
    status, _, _ = basic(site, path, user, pw)
    assert status == 500
    assert site.wait_log("Cognito refuses this configuration "
                         "(NotAuthorizedException: Unable to verify secret "
                         "hash")
    # Not charged to the user: a misconfiguration is nobody's guess.
    assert "too many failures" not in site.log_since()


# -- Cognito unavailable ------------------------------------------------------------

def test_unreachable_cognito_is_503(site, emu):
    user, pw = new_user(emu)
    site.mark_log()
    status, headers, _ = basic(site, "down", user, pw)
    assert status == 503
    assert headers.get("Retry-After") == "5"
    assert site.wait_log("Basic login for %s: Cognito unavailable (503)"
                         % user)


def test_throttling_is_503(site, emu):
    user, pw = new_user(emu)
    emu.fault("initiate_auth", "throttle")
    site.mark_log()
    status, headers, _ = basic(site, "basic", user, pw)
    assert status == 503
    assert headers.get("Retry-After") == "5"
    assert site.wait_log("Cognito unavailable (503): throttled: Rate "
                         "exceeded")


FAULTS = ["drop", "hang", "500", "503", "html", "truncated", "huge",
          "redirect_loop", "empty", "throttle"]


@pytest.mark.parametrize("mode", FAULTS)
def test_initiate_auth_fault_is_503_within_the_timeout(site, emu, mode):
    user, pw = new_user(emu, password="Fault-%s-Pw!" % mode)
    emu.fault("initiate_auth", mode, seconds=30)
    site.mark_log()
    start = time.time()
    status, _, _ = basic(site, "basic", user, pw)
    elapsed = time.time() - start
    assert status == 503, mode
    # A generous bound: the point is "no hang", not a stopwatch.
    assert elapsed < TIMEOUT + 10, (mode, elapsed)
    assert site.wait_log("Basic login for %s: Cognito unavailable (503): "
                         % user)
    assert pw not in site.log_since()


def test_not_authorized_fault_is_401(site, emu):
    user, pw = new_user(emu)
    emu.fault("initiate_auth", "not_authorized", count=1)
    assert basic(site, "basic", user, pw)[0] == 401


# -- the login cache --------------------------------------------------------------

def test_repeated_logins_cost_one_upstream_call(site, emu):
    user, pw = new_user(emu)
    emu.reset_stats()
    for _ in range(15):
        assert basic(site, "basic", user, pw)[0] == 200
    assert calls(emu) == 1


def test_no_cache_asks_every_time(site, emu):
    user, pw = new_user(emu)
    emu.reset_stats()
    for _ in range(3):
        assert basic(site, "nocache", user, pw)[0] == 200
    assert calls(emu) == 3


def test_wrong_password_after_a_cached_success_is_refused(site, emu):
    user, pw = new_user(emu)
    assert basic(site, "basic", user, pw)[0] == 200
    emu.reset_stats()
    assert basic(site, "basic", user, pw)[0] == 200
    assert calls(emu) == 0
    # A near miss is not served from the entry; Cognito is asked.
    assert basic(site, "basic", user, pw + "x")[0] == 401
    assert basic(site, "basic", user, pw[:-1])[0] == 401
    assert calls(emu) == 2
    assert basic(site, "basic", user, pw)[0] == 200
    assert calls(emu) == 2


def test_cached_login_is_per_user(site, emu):
    # Same password, another user: never served from the first one's entry.
    a, pw = new_user(emu, groups=("reporting",))
    b, _ = new_user(emu, password=pw, groups=("staff",))
    assert env(site, "basic", a, pw)["REMOTE_USER"] == a
    e = env(site, "basic", b, pw)
    assert e["REMOTE_USER"] == b and e["COGNITO_GROUPS"] == "staff"


def test_password_change_takes_effect_when_the_entry_ends(site, emu):
    user, old = new_user(emu)
    assert basic(site, "short", user, old)[0] == 200
    emu.update_user(user, password="Changed-Pw-2!")
    # CognitoBasicCacheTime 2: the old password works until the entry ends,
    # then Cognito refuses it.
    assert poll(lambda: basic(site, "short", user, old)[0] == 401)
    assert basic(site, "short", user, "Changed-Pw-2!")[0] == 200


def test_entry_never_outlives_the_tokens(site, emu):
    # The shortlived client's tokens expire after 3 s; CognitoBasicCacheTime
    # is the default 300 s there.
    user, pw = new_user(emu)
    emu.reset_stats()
    assert basic(site, "shortlived", user, pw)[0] == 200
    assert calls(emu) == 1
    assert poll(lambda: basic(site, "shortlived", user, pw)[0] == 200
                and calls(emu) == 2)


def shared_memory(pid):
    """Every shared mapping of a process (shmcb's segment among them)."""
    out = b""
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb") as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].endswith("s"):
                continue
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            mem.seek(lo)
            out += mem.read(hi - lo)
    return out


def test_cache_keeps_no_password(site, emu):
    # The shared cache is shmcb, shared memory: nothing in it may be the
    # password or a fast hash of it.
    user, pw = new_user(emu, password="Memorable-Needle-77!")
    assert basic(site, "basic", user, pw)[0] == 200
    shm = shared_memory(site.proc.pid)
    # The login is in there (so this looks at the right memory) ...
    assert b"cg:basic:" in shm
    # ... and neither the password nor an unsalted digest of it is.
    for needle in (pw.encode(), base64.b64encode(pw.encode()),
                   hashlib.sha256(pw.encode()).hexdigest().encode(),
                   hashlib.sha256(pw.encode()).digest(),
                   base64.b64encode(hashlib.sha256(pw.encode()).digest())):
        assert needle not in shm, needle


# -- single flight ----------------------------------------------------------------

def concurrent_logins(site, user, pw, n=100):
    """n logins at once: every thread connects, then all send together."""
    barrier = threading.Barrier(n)
    cred = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()

    def one():
        conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=60)
        try:
            conn.connect()
            barrier.wait(timeout=60)
            conn.request("GET", "/basic/env",
                         headers={"Authorization": "Basic " + cred})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
        futures = [ex.submit(one) for _ in range(n)]
        return [f.result() for f in futures]


@pytest.mark.load
def test_concurrent_logins_coalesce(site, emu):
    user, pw = new_user(emu)
    # Cognito takes half a second to answer, so the logins really overlap.
    emu.fault("initiate_auth", "hang", seconds=0.5)
    emu.reset_stats()
    statuses = concurrent_logins(site, user, pw)
    assert statuses == [200] * 100
    assert calls(emu) <= 3, calls(emu)


@pytest.mark.load
def test_concurrent_logins_coalesce_across_processes(emu):
    # Ten children from the start, so the logins really land in different
    # processes.
    h = make_site(emu, mpm="prefork", name="basic-prefork", mpm_conf=(
        "StartServers 10\nMinSpareServers 10\nMaxSpareServers 16\n"
        "ServerLimit 16\nMaxRequestWorkers 16\n"))
    try:
        user, pw = new_user(emu)
        emu.fault("initiate_auth", "hang", seconds=0.5)
        emu.reset_stats()
        statuses = concurrent_logins(h, user, pw, n=40)
        assert statuses == [200] * 40
        assert calls(emu) <= 3, calls(emu)
    finally:
        h.cleanup()


def test_concurrent_logins_during_an_outage_fail_fast(site, emu):
    user, pw = new_user(emu)
    emu.fault("initiate_auth", "hang", seconds=30)
    emu.reset_stats()
    start = time.time()
    statuses = concurrent_logins(site, user, pw, n=20)
    elapsed = time.time() - start
    assert statuses == [503] * 20
    # One of them asked and waited out the timeout; the others learned
    # from it instead of asking again.
    assert calls(emu) == 1, calls(emu)
    assert elapsed < TIMEOUT + 10, elapsed


# -- chaining with a password file -------------------------------------------------

def test_file_then_cognito(site, emu):
    user, pw = new_user(emu)
    emu.reset_stats()
    e = env(site, "chain", LOCAL_USER, LOCAL_PW)
    assert e["REMOTE_USER"] == LOCAL_USER
    assert "COGNITO_SUB" not in e
    # In the file with the wrong password: the file's answer stands.
    assert basic(site, "chain", LOCAL_USER, "nope")[0] == 401
    assert calls(emu) == 0
    # Not in the file: Cognito decides.
    e = env(site, "chain", user, pw)
    assert e["REMOTE_USER"] == user and e["COGNITO_GROUPS"] == "reporting"
    assert calls(emu) == 1
    assert basic(site, "chain", user, "nope")[0] == 401


def test_cognito_then_file_falls_through_only_for_unknown_users(site, emu):
    user, pw = new_user(emu)
    # A client that reveals unknown users: UserNotFoundException is an
    # honest "not found", so the file is asked next.
    assert env(site, "chainrev", LOCAL_USER, LOCAL_PW)["REMOTE_USER"] \
        == LOCAL_USER
    assert env(site, "chainrev", user, pw)["REMOTE_USER"] == user
    assert basic(site, "chainrev", user, "nope")[0] == 401
    # The default client hides unknown users behind "wrong password", so
    # Cognito's no is final there.
    assert basic(site, "chaindefault", LOCAL_USER, LOCAL_PW)[0] == 401
    assert env(site, "chaindefault", user, pw)["REMOTE_USER"] == user


# -- failure back-off -------------------------------------------------------------

def test_backoff_slows_guessing_but_not_the_owner(site, emu):
    user, pw = new_user(emu)
    emu.reset_stats()
    # Eleven failures from eleven addresses: the username is backed off to
    # the longest window, 60 s, for every address that failed.
    for i in range(2, 13):
        assert basic(site, "basic", user, "guess%d" % i,
                     source="127.0.0.%d" % i)[0] == 401
    assert calls(emu) == 11
    site.mark_log()
    # A guessing address is not heard again for now: no upstream call,
    # whatever it sends, the right password included.
    for guess in ("guess-a", "guess-b", pw):
        assert basic(site, "basic", user, guess, source="127.0.0.2")[0] \
            == 401
    assert calls(emu) == 11
    assert site.wait_log("refused without asking Cognito: too many failures "
                         "for this user")
    # Changing the case of the name does not dodge it.
    assert basic(site, "basic", user.upper(), "guess-c",
                 source="127.0.0.3")[0] == 401
    assert calls(emu) == 11
    # The owner, at an address that has not failed, logs in at once.
    assert env(site, "basic", user, pw, source="127.0.0.20")["REMOTE_USER"] \
        == user
    assert calls(emu) == 12
    # And from a further address the login is served from the cache.
    assert basic(site, "basic", user, pw, source="127.0.0.21")[0] == 200
    assert calls(emu) == 12


def test_backoff_ends(site, emu):
    # Five failures from one address: that address waits a second, then is
    # heard again, and the right password works; it is never locked out.
    user, pw = new_user(emu)
    for i in range(5):
        assert basic(site, "basic", user, "guess%d" % i,
                     source="127.0.0.30")[0] == 401
    assert poll(lambda: basic(site, "basic", user, pw,
                              source="127.0.0.30")[0] == 200, timeout=20)


def test_the_example_configuration_works(emu):
    """httpd-conf/basic-auth.conf, pointed at the emulator."""
    from httpd import MODULE, REPO
    with open(os.path.join(REPO, "httpd-conf", "basic-auth.conf")) as f:
        text = f.read()
    h = HttpdInstance(name="basic-example", load_module=False)
    try:
        h.write(os.path.join(h.dir, "secret"), CONF_SECRET + "\n")
        h.write(os.path.join(h.dir, "users"),
                htpasswd_line("monitor", LOCAL_PW))
        for old, new in (
                ("/usr/lib/apache2/modules/mod_auth_cognito.so", MODULE),
                ("CognitoUserPoolId us-east-1_AbC123xyz",
                 "CognitoUserPoolId %s\nCognitoIssuer %s"
                 % (POOL, emu.issuer(POOL))),
                ("CognitoClientId 5scripts66677788899",
                 "CognitoClientId " + CONF_CLIENT),
                ("/etc/apache2/cognito-client-secret", h.dir + "/secret"),
                ("#   CognitoIdpEndpoint http://127.0.0.1:9229/",
                 "CognitoIdpEndpoint %s/" % emu.base_url),
                ("/etc/apache2/local-users.htpasswd", h.dir + "/users"),
                ("#   ScriptAlias /reports /usr/lib/cgi-bin/reports.cgi",
                 "ScriptAlias /reports/ \"@CGI@/\"")):
            assert old in text, old
            text = text.replace(old, new)
        h.write_config(config=text)
        h.start()
        member, pw = new_user(emu)
        outsider, pw2 = new_user(emu, groups=("staff",))
        assert env(h, "reports", "monitor", LOCAL_PW)["REMOTE_USER"] \
            == "monitor"
        e = env(h, "reports", member, pw)
        assert e["COGNITO_GROUPS"] == "reporting"
        assert e["COGNITO_CLIENT_ID"] == CONF_CLIENT
        assert basic(h, "reports", outsider, pw2)[0] == 401
        assert basic(h, "reports", member, "wrong")[0] == 401
    finally:
        h.cleanup()


def test_provider_without_a_pool_fails_the_config_test():
    conf = ("<Location /x>\nAuthType Basic\nAuthName x\n"
            "AuthBasicProvider file %s\nAuthUserFile /dev/null\n"
            "Require valid-user\n</Location>\n")
    h = HttpdInstance(config=conf % "cognito", name="basic-conf")
    try:
        ok, out = h.configtest()
        assert not ok
        assert "AuthBasicProvider file cognito is used" in out
        assert "no CognitoUserPoolId or CognitoIssuer" in out
        h.write_config(config=conf % "")
        assert h.configtest()[0]
    finally:
        h.cleanup()


def test_no_password_in_the_error_log(site):
    # Runs last in this module: every password used above, at LogLevel
    # debug, and none of them in the log.
    log = site.read_log()
    assert "Basic login for" in log
    for needle in ("Basic-Pw-1!", "Changed-Pw-2!", "Memorable-Needle-77!",
                   "Fault-hang-Pw!", emu_client.PASSWORD, CONF_SECRET,
                   LOCAL_PW):
        assert needle not in log, needle
