"""The shared cache: one JWKS fetch serves every child (and, through redis,
every server), unknown kids and a broken Cognito are rate-limited and
survived, graceful restarts keep the keys, prefetch, the validated-token
cache, CognitoCache none, and the Mutex directive for our two mutexes.

Fetches are counted by the emulator (emu.stats()["jwks"]); each test uses a
pool of its own, so keys rotated by other tests do not matter."""
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import CLIENT, get, pool_conf
from httpd import MODDIR, free_port
import tokens

# Four children that really exist: prefork starts StartServers and keeps
# at least MinSpareServers idle, so it neither kills nor adds any while
# the tests send at most a few requests at once.
PREFORK4 = ("StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\n"
            "ServerLimit 16\nMaxRequestWorkers 16\n")

SITE = """
<Location /api>
    AuthType Cognito
    AuthName "api"
    {pool}
    Require valid-user
</Location>
ScriptAlias /api/ "@CGI@/"
<Location /static>
    AuthType Cognito
    AuthName "static"
    {pool}
    Require valid-user
</Location>
Alias /static "@HTDOCS@"
# Which child answered: the test checks the requests were spread.
LogFormat "%P %>s %U" pids
CustomLog @DIR@/logs/pids.log pids
"""


def site(emu, pool):
    return SITE.format(pool=pool_conf(emu, pool=pool))


def pids_that_answered(h, status=200):
    with open(os.path.join(h.logs, "pids.log")) as f:
        return {line.split()[0] for line in f
                if line.split()[1] == str(status)}


def children(h):
    """Pids of httpd's children (the MPM's processes, not cgid)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(h.proc.pid)],
                         stdout=subprocess.PIPE, text=True).stdout
    return {p.strip() for p in out.split()}


def wait_children(h, n, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(children(h)) >= n:
            return True
        time.sleep(0.1)
    return False


def jwks_fetches(emu):
    return emu.stats()["jwks"]


def parallel(fn, items, workers=8):
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, items))


def hammer(url, token_for, seconds, workers=8):
    """Requests from `workers` threads for `seconds`, each on a connection
    of its own (so prefork spreads them over its children).  Returns the
    status codes."""
    deadline = time.time() + seconds

    def loop(i):
        codes = []
        n = 0
        while time.time() < deadline:
            codes.append(get(url, token_for(i, n)).status_code)
            n += 1
        return codes
    return [c for codes in parallel(loop, range(workers), workers)
            for c in codes]


def with_kid(token, kid):
    """The same token with another kid in its header (the signature no
    longer matches, but the kid is looked up first)."""
    _, payload, sig = token.split(".")
    header = tokens.parts(token)[0]
    header["kid"] = kid
    return tokens.b64u_json(header) + "." + payload + "." + sig


def fetch_failures(log):
    return len(re.findall(r"JWKS fetch failed", log))


# -- one fetch for every child ---------------------------------------------

def test_one_fetch_serves_every_prefork_child(make_httpd, emu):
    pool = "us-east-1_CacheOne1"
    h = make_httpd(site(emu, pool), mpm="prefork", mpm_conf=PREFORK4,
                   name="onefetch")
    assert wait_children(h, 4), children(h)
    emu.reset_stats()
    tok = emu.token(pool=pool)
    codes = parallel(lambda i: get(h.url + "/static/index.html",
                                   tok).status_code, range(200))
    assert codes == [200] * 200
    assert len(pids_that_answered(h)) >= 3, pids_that_answered(h)
    assert jwks_fetches(emu) == 1


def test_unknown_kid_flood_is_rate_limited_across_children(make_httpd, emu):
    pool = "us-east-1_CacheFlood1"
    window = 2
    h = make_httpd(site(emu, pool), mpm="prefork", mpm_conf=PREFORK4,
                   server_conf="CognitoJwksMinRefetchInterval %d\n" % window,
                   name="kidflood")
    assert wait_children(h, 4)
    good = emu.token(pool=pool)
    assert get(h.url + "/static/index.html", good).status_code == 200
    emu.reset_stats()
    h.mark_log()
    seconds = 4.5
    start = time.time()
    codes = hammer(h.url + "/static/index.html",
                   lambda i, n: with_kid(good, "made-up-%d-%d" % (i, n)),
                   seconds)
    took = time.time() - start
    assert len(codes) > 100, len(codes)
    assert set(codes) == {401}
    assert "not in JWKS" in h.log_since()
    # Times are whole seconds, so two windows may be window - 1 s apart.
    allowed = int(took / (window - 1)) + 1
    fetched = jwks_fetches(emu)
    assert 1 <= fetched <= allowed, (fetched, allowed, len(codes))
    assert len(pids_that_answered(h, 401)) >= 3
    # The real token is not hurt by the flood.
    assert get(h.url + "/static/index.html", good).status_code == 200


@pytest.mark.parametrize("mode", ["500", "drop"])
def test_jwks_down_keeps_valid_tokens_working(make_httpd, emu, mode):
    pool = "us-east-1_CacheDown" + mode.capitalize()
    window = 2
    h = make_httpd(site(emu, pool), mpm="prefork", mpm_conf=PREFORK4,
                   server_conf="CognitoJwksRefreshInterval 1\n"
                               "CognitoJwksMinRefetchInterval %d\n" % window,
                   name="jwksdown")
    assert wait_children(h, 4)
    # Fresh tokens for every request would mint hundreds; a handful of
    # distinct ones, re-sent, exercise both the token cache and the keys.
    toks = [emu.token(pool=pool, username=u)
            for u in ("alice", "bob", "carol")]
    warm = parallel(lambda i: get(h.url + "/static/index.html",
                                  toks[i % 3]).status_code, range(40))
    assert set(warm) == {200}
    emu.fault("jwks", mode)
    emu.reset_stats()
    h.mark_log()
    seconds = 4.5
    start = time.time()
    codes = hammer(h.url + "/static/index.html",
                   lambda i, n: toks[(i + n) % 3], seconds)
    took = time.time() - start
    assert len(codes) > 100
    assert set(codes) == {200}, [c for c in codes if c != 200][:5]
    log = h.log_since()
    failures = fetch_failures(log)
    allowed = int(took / (window - 1)) + 1
    # The refresh was attempted, failed, and was logged once per window,
    # not once per request.
    assert 1 <= failures <= allowed, (failures, allowed, len(codes))
    assert 1 <= jwks_fetches(emu) <= allowed
    assert "keeping the keys fetched earlier" in log
    # Up again: the next window's refresh succeeds.
    emu.clear_faults()
    time.sleep(window + 0.2)
    assert get(h.url + "/static/index.html", toks[0]).status_code == 200
    assert h.wait_log("JWKS fetched from", timeout=5)


# -- several servers through redis -----------------------------------------

@pytest.fixture
def redis_port():
    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("redis-server is not installed (test/setup installs it)")
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="redis-")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", tmp, "--daemonize", "no",
         "--logfile", os.path.join(tmp, "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.time() + 10
        while True:
            try:
                import socket
                with socket.create_connection(("127.0.0.1", port), 0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def test_redis_cache_shared_by_two_servers(make_httpd, emu, redis_port):
    pool = "us-east-1_CacheRedis1"
    server = ("LoadModule socache_redis_module %s/mod_socache_redis.so\n"
              "CognitoCache redis:127.0.0.1:%d\n" % (MODDIR, redis_port))
    one = make_httpd(site(emu, pool), server_conf=server, name="redis1")
    two = make_httpd(site(emu, pool), server_conf=server, name="redis2",
                     mpm="prefork", mpm_conf=PREFORK4)
    emu.reset_stats()
    tok = emu.token(pool=pool)
    assert get(one.url + "/static/index.html", tok).status_code == 200
    assert jwks_fetches(emu) == 1
    codes = parallel(lambda i: get(two.url + "/static/index.html",
                                   tok).status_code, range(40))
    assert set(codes) == {200}
    codes = parallel(lambda i: get(one.url + "/static/index.html",
                                   tok).status_code, range(20))
    assert set(codes) == {200}
    assert jwks_fetches(emu) == 1
    # And the record really is in redis.
    keys = subprocess.run(["redis-cli", "-p", str(redis_port), "--scan"],
                          stdout=subprocess.PIPE, text=True).stdout.split()
    assert keys


def test_prefetch_with_redis_then_children_share_it(make_httpd, emu,
                                                    redis_port):
    """The parent prefetches but must not leave a redis connection for its
    children to share; they still find the keys."""
    pool = "us-east-1_CacheRedis2"
    server = ("LoadModule socache_redis_module %s/mod_socache_redis.so\n"
              "CognitoCache redis:127.0.0.1:%d\nCognitoJwksPrefetch On\n"
              % (MODDIR, redis_port))
    emu.reset_stats()
    h = make_httpd(site(emu, pool), server_conf=server, name="redispf",
                   mpm="prefork", mpm_conf=PREFORK4)
    assert jwks_fetches(emu) == 1
    tok = emu.token(pool=pool)
    codes = parallel(lambda i: get(h.url + "/static/index.html",
                                   tok).status_code, range(60))
    assert set(codes) == {200}
    assert jwks_fetches(emu) == 1


# -- restarts and prefetch -------------------------------------------------

def graceful_and_wait(h):
    h.mark_log()
    h.graceful()
    assert h.wait_log("resuming normal operations", timeout=15), \
        h.log_since()


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_graceful_restart_keeps_working_and_keeps_keys(make_httpd, emu, mpm):
    pool = "us-east-1_CacheGraceful" + mpm.capitalize()
    h = make_httpd(site(emu, pool), mpm=mpm,
                   mpm_conf=PREFORK4 if mpm == "prefork" else None,
                   log_level="info", name="graceful")
    emu.reset_stats()
    tok = emu.token(pool=pool)
    codes = parallel(lambda i: get(h.url + "/api/env", tok).status_code,
                     range(20))
    assert set(codes) == {200}
    assert jwks_fetches(emu) == 1
    for _ in range(2):
        graceful_and_wait(h)
        codes = parallel(lambda i: get(h.url + "/api/env", tok).status_code,
                         range(20))
        assert set(codes) == {200}
    # The keys the children fetched went through the reloads.
    assert jwks_fetches(emu) == 1
    # Even with Cognito unreachable, a reload does not lose them.
    emu.fault("jwks", "500")
    graceful_and_wait(h)
    codes = parallel(lambda i: get(h.url + "/api/env",
                                   emu.token(pool=pool)).status_code,
                     range(10))
    assert set(codes) == {200}


def test_prefetch_fetches_at_startup(make_httpd, emu):
    pool = "us-east-1_CachePrefetch1"
    emu.reset_stats()
    h = make_httpd(site(emu, pool), server_conf="CognitoJwksPrefetch On\n",
                   mpm="prefork", mpm_conf=PREFORK4, name="prefetch")
    assert jwks_fetches(emu) == 1     # before any request
    tok = emu.token(pool=pool)
    codes = parallel(lambda i: get(h.url + "/static/index.html",
                                   tok).status_code, range(40))
    assert set(codes) == {200}
    assert jwks_fetches(emu) == 1


def test_prefetch_failure_does_not_stop_startup(make_httpd, emu):
    pool = "us-east-1_CachePrefetch2"
    emu.fault("jwks", "500")
    emu.reset_stats()
    h = make_httpd(site(emu, pool),
                   server_conf="CognitoJwksPrefetch On\n"
                               "CognitoJwksMinRefetchInterval 1\n",
                   name="prefetchfail")
    assert jwks_fetches(emu) == 1
    assert "CognitoJwksPrefetch" in h.read_log()
    emu.clear_faults()
    time.sleep(1.1)
    tok = emu.token(pool=pool)
    assert get(h.url + "/static/index.html", tok).status_code == 200


def test_no_prefetch_by_default(make_httpd, emu):
    pool = "us-east-1_CachePrefetch3"
    emu.reset_stats()
    make_httpd(site(emu, pool), name="noprefetch")
    time.sleep(0.3)
    assert jwks_fetches(emu) == 0


# -- the validated-token cache ---------------------------------------------

TRACE = "trace1"


def test_token_cache_hit_is_logged(make_httpd, emu):
    pool = "us-east-1_CacheTok1"
    h = make_httpd(site(emu, pool), log_level=TRACE, name="tokhit")
    tok = emu.token(pool=pool)
    h.mark_log()
    for _ in range(5):
        assert get(h.url + "/api/env", tok).status_code == 200
    log = h.log_since()
    assert "token cache miss" in log
    assert "token cache hit" in log
    # A different token is a miss again.
    other = emu.token(pool=pool, username="bob")
    h.mark_log()
    r = get(h.url + "/api/env", other)
    assert r.json()["REMOTE_USER"] == "bob"
    assert "token cache miss" in h.log_since()
    # A hit hands the backend the same claims as a full validation.
    assert get(h.url + "/api/env", tok).json()["REMOTE_USER"] == "alice"


def test_token_cache_off(make_httpd, emu):
    pool = "us-east-1_CacheTok2"
    h = make_httpd(site(emu, pool), log_level=TRACE,
                   server_conf="CognitoTokenCache Off\n", name="tokoff")
    tok = emu.token(pool=pool)
    h.mark_log()
    for _ in range(5):
        assert get(h.url + "/api/env", tok).status_code == 200
    log = h.log_since()
    assert "token cache miss" in log
    assert "token cache hit" not in log


def test_expired_cached_token_is_refused(make_httpd, emu):
    pool = "us-east-1_CacheTok3"
    h = make_httpd(site(emu, pool).replace(
        "Require valid-user", "CognitoClockSkew 0\n    Require valid-user"),
        log_level=TRACE, name="tokexp")
    full = emu.token_full(pool=pool, lifetime=2)
    exp = full["claims"]["exp"]
    tok = full["token"]
    assert get(h.url + "/api/env", tok).status_code == 200
    h.mark_log()
    assert get(h.url + "/api/env", tok).status_code == 200
    assert "token cache hit" in h.log_since()
    time.sleep(max(0, exp + 1.2 - time.time()))
    h.mark_log()
    r = get(h.url + "/api/env", tok)
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert "expired" in h.log_since()


def test_withdrawn_key_stops_cached_tokens(make_httpd, emu):
    """A cached token whose key left the JWKS is refused once the keys are
    refreshed, without waiting for its exp."""
    pool = "us-east-1_CacheTok4"
    h = make_httpd(site(emu, pool),
                   server_conf="CognitoJwksRefreshInterval 1\n"
                               "CognitoJwksMinRefetchInterval 1\n",
                   log_level=TRACE, name="tokwithdrawn")
    tok = emu.token(pool=pool)
    assert get(h.url + "/api/env", tok).status_code == 200
    h.mark_log()
    assert get(h.url + "/api/env", tok).status_code == 200
    assert "token cache hit" in h.log_since()
    emu.rotate(pool=pool, retire_old=True)
    time.sleep(2.1)
    h.mark_log()
    r = get(h.url + "/api/env", tok)
    assert r.status_code == 401, h.log_since()
    assert "not in JWKS" in h.log_since()
    assert get(h.url + "/api/env", emu.token(pool=pool)).status_code == 200


# -- CognitoCache none and the Mutex directive -----------------------------

def test_cache_none_works_per_process(make_httpd, emu):
    pool = "us-east-1_CacheNone1"
    h = make_httpd(site(emu, pool), server_conf="CognitoCache none\n",
                   mpm="prefork", mpm_conf=PREFORK4, name="cachenone")
    assert wait_children(h, 4)
    assert "CognitoCache none" in h.read_log()
    emu.reset_stats()
    tok = emu.token(pool=pool)
    codes = parallel(lambda i: get(h.url + "/static/index.html",
                                   tok).status_code, range(100))
    assert set(codes) == {200}
    served_by = pids_that_answered(h)
    # Every child fetches for itself: no more than one fetch each.
    assert 1 <= jwks_fetches(emu) <= len(served_by | children(h))


def test_mutex_directive_applies_to_our_mutexes(make_httpd, emu):
    # flock, because its lock files stay on disk (fcntl's are unlinked at
    # once), so the test can see where httpd put them.
    pool = "us-east-1_CacheMutex1"
    h = make_httpd(site(emu, pool), start=False, name="mutex",
                   mpm="prefork", mpm_conf=PREFORK4,
                   server_conf="Mutex flock:@DIR@/locks cognito-cache "
                               "cognito-fetch\n")
    locks = os.path.join(h.dir, "locks")
    os.makedirs(locks)
    os.chmod(locks, 0o777)
    ok, out = h.configtest()
    assert ok, out
    h.start()
    names = os.listdir(locks)
    assert any(n.startswith("cognito-cache") for n in names), names
    assert any(n.startswith("cognito-fetch") for n in names), names
    tok = emu.token(pool=pool)
    codes = parallel(lambda i: get(h.url + "/static/index.html",
                                   tok).status_code, range(20))
    assert set(codes) == {200}


def test_mutex_directive_unknown_name_is_refused(make_httpd):
    """The check above can fail: httpd refuses names nobody registered."""
    h = make_httpd("", start=False, name="mutexbad",
                   server_conf="Mutex file:@DIR@/run cognito-nonesuch\n")
    ok, out = h.configtest()
    assert not ok
    assert "cognito-nonesuch" in out
