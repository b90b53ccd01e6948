"""A broken JWKS endpoint, against a real httpd: the emulator refuses
connections, hangs, answers 500/503/429, HTML, truncated JSON, an empty
body, 50 MB, a redirect loop, keys of the wrong types; or it is not there
at all.  In every case no request waits much longer than
CognitoHttpTimeout, a server without keys answers 503 (never 500, never
401), a server holding keys keeps accepting tokens signed with them and
refuses unknown kids with 401, the failure is logged once per
CognitoJwksMinRefetchInterval (not once per request), and no token ever
reaches the log.

test_cache.py covers the refresh of stale keys through 500 and dropped
connections under load; here every fault mode gets the cold (no keys yet)
and the warm (keys held, a refetch forced by an unknown kid) case, and
the hang gets the refresh case too.  Each case uses a pool of its own:
keys, fetch times and windows are per JWKS URL."""
import concurrent.futures
import re
import time

import pytest

from conftest import get, pool_conf, www_authenticate
from emu_client import Emulator
from httpd import HttpdInstance, free_port
import tokens

TIMEOUT = 2             # CognitoHttpTimeout total, seconds
WINDOW = 2              # CognitoJwksMinRefetchInterval, seconds
# How long a request may take: the timeout plus a generous margin for a
# loaded machine.  The emulator hangs for 30 s, so a request that waited
# for it (or a libcurl without a timeout) is far above this.
LIMIT = TIMEOUT + 8

# (mode, what the error log says about it)
MODES = [
    ("drop", r"Empty reply|Recv failure|Connection reset|Server returned"),
    ("hang", r"[Tt]imeout|timed out"),
    ("500", r"answered HTTP 500"),
    ("503", r"answered HTTP 503"),
    ("throttle", r"answered HTTP 429"),
    ("html", r"not valid JSON"),
    ("truncated", r"not valid JSON"),
    ("empty", r"not valid JSON"),
    ("huge", r"larger than \d+ bytes"),
    ("redirect_loop", r"answered HTTP 302"),
    ("bad_keys", r"no usable RS256 signing key"),
]
MODE_NAMES = [m for m, _ in MODES]
# The dead-port case: nothing listens at the JWKS URL.
REFUSED = r"[Cc]ouldn't connect|Connection refused|Failed to connect"

SERVER = """
CognitoHttpTimeout {timeout} 1
CognitoJwksMinRefetchInterval {window}
""".format(timeout=TIMEOUT, window=WINDOW)

LOCATION = """
<Location /{name}>
    AuthType Cognito
    AuthName "{name}"
    {pool}
    Require valid-user
</Location>
Alias /{name} "@HTDOCS@"
"""


def pool_name(kind, mode):
    return "us-east-1_Flt%s%s" % (kind, re.sub(r"[^A-Za-z0-9]", "", mode))


def location(emu, name, pool, extra=""):
    return LOCATION.format(name=name, pool=pool_conf(emu, pool=pool,
                                                     extra=extra))


def timed_get(url, token):
    start = time.time()
    r = get(url, token, timeout=60)
    return r, time.time() - start


def parallel(fn, items, workers=8):
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, items))


def with_kid(token, kid):
    """The token with another kid (looked up before the signature)."""
    _, payload, sig = token.split(".")
    header = tokens.parts(token)[0]
    header["kid"] = kid
    return tokens.b64u_json(header) + "." + payload + "." + sig


def failures(log):
    return re.findall(r"^.*JWKS fetch failed.*$", log, re.M)


def allowed_failures(seconds):
    """Fetches are WINDOW apart, but times are whole seconds, so two
    windows can start WINDOW - 1 s apart."""
    return int(seconds / (WINDOW - 1)) + 1


def waited(results):
    """How many requests waited about as long as a hung fetch: after a
    failure only the one request per window that probes the upstream
    again may do that, the others are answered at once."""
    return sum(1 for _, seconds in results if seconds >= TIMEOUT - 0.5)


def assert_no_token(log, toks):
    for t in toks:
        h, p, s = t.split(".")
        assert p not in log and s not in log, "a token is in the error log"


def assert_unavailable(r):
    assert r.status_code == 503, (r.status_code, r.text[:200])
    assert "invalid_token" not in www_authenticate(r)
    assert r.headers.get("Retry-After")


@pytest.fixture(scope="module")
def site(emu):
    """One httpd, one location (and pool) per case.  The warm pools get
    their keys here, then the fixture waits out the window, so that each
    warm test's first unknown kid is allowed a fetch."""
    conf = []
    for mode in MODE_NAMES:
        conf.append(location(emu, "cold-" + mode, pool_name("Cold", mode)))
        conf.append(location(emu, "warm-" + mode, pool_name("Warm", mode)))
    dead = "http://127.0.0.1:%d/jwks.json" % free_port()
    conf.append(location(emu, "cold-refused", pool_name("Cold", "refused"),
                         extra="CognitoJwksUri %s\n" % dead))
    h = HttpdInstance(config="\n".join(conf), server_conf=SERVER,
                      name="faults")
    h.start()
    emu.clear_faults()
    h.warm = {}
    for mode in MODE_NAMES:
        pool = pool_name("Warm", mode)
        tok = emu.token(pool=pool)
        assert get(h.url + "/warm-%s/index.html" % mode,
                   tok).status_code == 200
        h.warm[mode] = tok
    time.sleep(WINDOW + 1.1)
    yield h
    h.cleanup()


def check_cold(h, emu, name, pool, reason):
    """No keys and a JWKS that cannot be had: 503 for everyone, quickly,
    with one fetch and one log line per window."""
    toks = [emu.token(pool=pool, username=u) for u in ("alice", "bob")]
    toks.append(with_kid(toks[0], "made-up-kid"))
    url = h.url + "/%s/index.html" % name
    emu.reset_stats()
    h.mark_log()
    start = time.time()
    # Eight at once, while the first fetch is under way (a hang holds it
    # for the whole timeout): they wait for that one fetch, not each for
    # one of their own.
    results = parallel(lambda i: timed_get(url, toks[i % 3]), range(8))
    then = time.time()
    after = [timed_get(url, toks[i % 3]) for i in range(12)]
    assert waited(after) <= allowed_failures(time.time() - then), after
    results += after
    took = time.time() - start
    for r, seconds in results:
        assert_unavailable(r)
        assert seconds < LIMIT, seconds
    log = h.log_since()
    lines = failures(log)
    assert 1 <= len(lines) <= allowed_failures(took), (lines, took)
    assert all(re.search(reason, line) for line in lines), lines
    assert all("no keys available" in line for line in lines), lines
    if "refused" not in name:
        assert 1 <= emu.stats()["jwks"] <= allowed_failures(took)
    assert_no_token(log, toks)


@pytest.mark.parametrize("mode,reason", MODES, ids=MODE_NAMES)
def test_cold_server_answers_503(site, emu, mode, reason):
    emu.fault("jwks", mode)
    check_cold(site, emu, "cold-" + mode, pool_name("Cold", mode), reason)


def test_cold_server_answers_503_when_nothing_listens(site, emu):
    check_cold(site, emu, "cold-refused", pool_name("Cold", "refused"),
               REFUSED)


def test_cold_server_recovers_when_the_jwks_is_back(make_httpd, emu):
    """503 is not sticky: the next window's fetch succeeds."""
    pool = pool_name("Cold", "recover")
    h = make_httpd(location(emu, "api", pool), server_conf=SERVER,
                   name="faultrecover")
    tok = emu.token(pool=pool)
    emu.fault("jwks", "500")
    assert_unavailable(get(h.url + "/api/index.html", tok))
    emu.clear_faults()
    deadline = time.time() + WINDOW + 5
    codes = []
    while time.time() < deadline:
        codes.append(get(h.url + "/api/index.html", tok).status_code)
        if codes[-1] == 200:
            break
        time.sleep(0.2)
    assert codes[-1] == 200, codes
    assert set(codes) <= {200, 503}, codes


@pytest.mark.parametrize("mode,reason", MODES, ids=MODE_NAMES)
def test_warm_server_keeps_its_keys(site, emu, mode, reason):
    """Keys held, JWKS broken: an unknown kid forces a refetch, which
    fails; that kid gets 401, tokens signed with the held keys get 200,
    and more unknown kids within the window cost no fetch."""
    h = site
    pool = pool_name("Warm", mode)
    url = h.url + "/warm-%s/index.html" % mode
    good = h.warm[mode]
    emu.fault("jwks", mode)
    emu.reset_stats()
    h.mark_log()
    start = time.time()
    r, seconds = timed_get(url, with_kid(good, "unknown-after-fault"))
    assert r.status_code == 401, (r.status_code, r.text[:200])
    assert 'error="invalid_token"' in www_authenticate(r)
    assert seconds < LIMIT, seconds
    assert emu.stats()["jwks"] == 1
    # A token never seen before, signed with a held key: verified with
    # the keys fetched earlier, not served from the token cache.
    fresh = emu.token(pool=pool, username="bob")
    r, seconds = timed_get(url, fresh)
    assert r.status_code == 200 and seconds < LIMIT, (r.status_code, seconds)
    assert get(url, good).status_code == 200
    flood = [with_kid(good, "made-up-%d" % i) for i in range(20)]
    results = parallel(lambda t: timed_get(url, t), flood)
    took = time.time() - start
    for r, seconds in results:
        assert r.status_code == 401
        assert seconds < LIMIT, seconds
    assert waited(results) <= allowed_failures(took), results
    log = h.log_since()
    lines = failures(log)
    assert 1 <= len(lines) <= allowed_failures(took), (lines, took)
    assert all(re.search(reason, line) for line in lines), lines
    assert all("keeping the keys fetched earlier" in line for line in lines)
    assert emu.stats()["jwks"] <= allowed_failures(took)
    assert "not in JWKS" in log
    assert_no_token(log, [good, fresh] + flood)


def test_warm_server_survives_the_emulator_going_away(make_httpd):
    """Connection refused for real: the emulator that served the keys is
    stopped."""
    own = Emulator().start()
    try:
        pool = pool_name("Warm", "stopped")
        h = make_httpd(location(own, "api", pool), server_conf=SERVER,
                       name="faultstopped")
        url = h.url + "/api/index.html"
        good = own.token(pool=pool)
        other = own.token(pool=pool, username="bob")
        assert get(url, good).status_code == 200
    finally:
        own.stop()
    time.sleep(WINDOW + 1.1)
    h.mark_log()
    r, seconds = timed_get(url, with_kid(good, "unknown-after-stop"))
    assert r.status_code == 401 and seconds < LIMIT, (r.status_code, seconds)
    r, seconds = timed_get(url, other)
    assert r.status_code == 200 and seconds < LIMIT, (r.status_code, seconds)
    lines = failures(h.log_since())
    assert len(lines) == 1, lines
    assert re.search(REFUSED, lines[0]), lines
    assert_no_token(h.read_log(), [good, other])


def test_hung_refresh_holds_up_only_the_refreshing_request(make_httpd, emu):
    """Stale keys and a JWKS that hangs: the one request that refreshes
    waits at most the timeout; every other request is answered from the
    held keys at once."""
    pool = pool_name("Refresh", "hang")
    h = make_httpd(location(emu, "api", pool),
                   server_conf=SERVER + "CognitoJwksRefreshInterval 1\n",
                   name="faultrefresh")
    url = h.url + "/api/index.html"
    toks = [emu.token(pool=pool, username=u)
            for u in ("alice", "bob", "carol")]
    assert get(url, toks[0]).status_code == 200
    emu.fault("jwks", "hang")
    time.sleep(WINDOW + 1.1)        # stale, and the window allows a fetch
    emu.reset_stats()
    h.mark_log()
    start = time.time()
    results = parallel(lambda i: timed_get(url, toks[i % 3]), range(24),
                       workers=6)
    took = time.time() - start
    assert [r.status_code for r, _ in results] == [200] * 24
    durations = sorted(s for _, s in results)
    assert durations[-1] < LIMIT, durations
    # Most requests did not wait for the hung fetch at all.
    assert durations[len(durations) // 2] < TIMEOUT, durations
    assert 1 <= emu.stats()["jwks"] <= allowed_failures(took)
    lines = failures(h.log_since())
    assert 1 <= len(lines) <= allowed_failures(took), lines
    assert all("keeping the keys fetched earlier" in line for line in lines)
