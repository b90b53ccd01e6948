"""Shared fixtures: one emulator per session, httpd instances per module."""
import os
import sys

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))

from emu_client import Emulator  # noqa: E402
import emu_client  # noqa: E402
from httpd import HttpdInstance  # noqa: E402

POOL = emu_client.DEFAULT_POOL
CLIENT = emu_client.PUBLIC_CLIENT
M2M = emu_client.M2M_CLIENT


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "load: needs the module's normal speed (many concurrent "
        "requests within a timeout); left out under the memory check")


@pytest.fixture(scope="session")
def emu():
    e = Emulator()
    e.start(tls=True)
    yield e
    e.stop()


@pytest.fixture(autouse=True)
def _emu_clean(request):
    """Faults injected by one test never leak into the next."""
    yield
    if "emu" in request.fixturenames:
        e = request.getfixturevalue("emu")
        e.clear_faults()


def pool_conf(emu, clients=(CLIENT,), pool=POOL, extra=""):
    """The directives that point the module at the emulator's pool."""
    return ("CognitoUserPoolId %s\nCognitoIssuer %s\nCognitoClientId %s\n%s"
            % (pool, emu.issuer(pool), " ".join(clients), extra))


@pytest.fixture
def make_httpd():
    """Factory: make_httpd(config, **kw) -> started HttpdInstance."""
    made = []

    def make(config="", start=True, **kw):
        h = HttpdInstance(config=config, **kw)
        made.append(h)
        return h.start() if start else h
    yield make
    for h in made:
        h.cleanup()


def get(url, token=None, scheme="Bearer", headers=None, **kw):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "%s %s" % (scheme, token) if scheme else token
    kw.setdefault("timeout", 30)
    kw.setdefault("allow_redirects", False)
    return requests.get(url, headers=h, **kw)


def www_authenticate(resp):
    return resp.headers.get("WWW-Authenticate", "")
