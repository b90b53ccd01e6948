"""Client library for tests: start/stop the Cognito emulator and drive its
control API.  stdlib only (urllib), so any Python 3 can import it.

    with Emulator() as emu:
        token = emu.token(username="bob")
"""
import base64
import hashlib
import hmac
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "cognito_emulator.py")
# The interpreter with python3-cryptography (not whatever is first on PATH).
PYTHON = os.environ.get("COGNITO_EMULATOR_PYTHON", "/usr/bin/python3")

DEFAULT_POOL = "us-east-1_EmuPool01"
PUBLIC_CLIENT = "emuclient1"
CONF_CLIENT = "emuclient2"
CONF_SECRET = "emusecret2"
M2M_CLIENT = "emusvc1"
M2M_SECRET = "emusvcsecret"
PASSWORD = "Passw0rd!"
IDENTITY_POOL = "us-east-1:00000000-0000-4000-8000-000000000001"


class EmulatorError(Exception):
    pass


def secret_hash(username, client_id, secret):
    """SECRET_HASH for InitiateAuth: base64(HMAC-SHA256(secret, user+id))."""
    mac = hmac.new(secret.encode(), (username + client_id).encode(),
                   hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


class Emulator:
    def __init__(self):
        self.proc = None
        self.base_url = None
        self.https_url = None
        self.ca_file = None
        self.tls_dir = None
        self.issuer_base = None
        self.log_file = None
        self._own_tls_dir = False
        # Control calls must never go through an http_proxy from the env.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}))

    # -- lifecycle ---------------------------------------------------------

    def start(self, tls=False, tls_dir=None, issuer_base=None, timeout=30):
        cmd = [PYTHON, SCRIPT, "--port", "0", "--exit-on-stdin-eof"]
        if tls:
            if tls_dir is None:
                tls_dir = tempfile.mkdtemp(prefix="emu-tls-")
                self._own_tls_dir = True
            self.tls_dir = tls_dir
            cmd += ["--tls-port", "0", "--tls-dir", tls_dir]
        if issuer_base:
            cmd += ["--issuer-base", issuer_base]
        # stderr goes to a file: a pipe nobody drains would fill up with
        # request logs and freeze the emulator.
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="emu-", suffix=".log", delete=False)
        # Own session: httpd (prefork) signals its whole process group when
        # it stops, which would take the emulator down mid-run.  The stdin
        # pipe ends the emulator if this process dies without stop().
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=self.log_file,
                                     stdin=subprocess.PIPE,
                                     start_new_session=True)
        line = self._wait_ready(timeout)
        fields = dict(f.split("=", 1) for f in line.split()[1:])
        self.base_url = fields["http"]
        self.https_url = fields.get("https")
        if self.https_url:
            self.ca_file = os.path.join(self.tls_dir, "ca.pem")
        self.issuer_base = self._call("GET", "/_emu/info")["issuer_base"]
        return self

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                buf += chunk
                if b"\n" in buf:
                    line = buf.split(b"\n", 1)[0].decode()
                    if line.startswith("READY "):
                        return line
                    self._fail("unexpected output %r" % line)
                if not chunk:
                    self._fail("exited before READY")
            elif self.proc.poll() is not None:
                self._fail("exited with %s before READY"
                           % self.proc.returncode)
        self._fail("no READY within %ss" % timeout)

    def log_text(self):
        if not self.log_file:
            return ""
        with open(self.log_file.name, errors="replace") as f:
            return f.read()

    def _fail(self, why):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        raise EmulatorError("cognito emulator %s; stderr:\n%s"
                            % (why, self.log_text()[-4000:]))

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc.stdout.close()
            self.proc.stdin.close()
            self.proc = None
        if self.log_file is not None:
            self.log_file.close()
            os.unlink(self.log_file.name)
            self.log_file = None
        if self._own_tls_dir and self.tls_dir:
            shutil.rmtree(self.tls_dir, ignore_errors=True)
            self._own_tls_dir = False

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- URLs --------------------------------------------------------------

    def issuer(self, pool=DEFAULT_POOL):
        return "%s/%s" % (self.issuer_base, pool)

    def jwks_url(self, pool=DEFAULT_POOL, tls=False):
        return "%s/%s/.well-known/jwks.json" % (
            self.https_url if tls else self.base_url, pool)

    def discovery_url(self, pool=DEFAULT_POOL, tls=False):
        return "%s/%s/.well-known/openid-configuration" % (
            self.https_url if tls else self.base_url, pool)

    # -- control API -------------------------------------------------------

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise EmulatorError("%s %s -> %s: %s" % (
                method, path, exc.code, exc.read()[:500].decode(
                    errors="replace"))) from None

    @staticmethod
    def _q(value):
        return urllib.parse.quote(value, safe="")

    def token_full(self, pool=DEFAULT_POOL, **kw):
        """{"token", "claims", "header"}; keywords as POST .../token."""
        return self._call("POST", "/_emu/pools/%s/token" % pool, kw)

    def token(self, pool=DEFAULT_POOL, **kw):
        return self.token_full(pool=pool, **kw)["token"]

    def keys(self, pool=DEFAULT_POOL):
        return self._call("GET", "/_emu/pools/%s/keys" % pool)["keys"]

    def rotate(self, pool=DEFAULT_POOL, use_for="both", retire_old=False):
        return self._call("POST", "/_emu/pools/%s/keys/rotate" % pool,
                          {"use_for": use_for, "retire_old": retire_old})

    def add_client(self, client_id, pool=DEFAULT_POOL, **kw):
        kw["client_id"] = client_id
        return self._call("POST", "/_emu/pools/%s/clients" % pool, kw)

    def add_user(self, username, password=PASSWORD, pool=DEFAULT_POOL, **kw):
        kw.update(username=username, password=password)
        return self._call("POST", "/_emu/pools/%s/users" % pool, kw)

    def update_user(self, name, pool=DEFAULT_POOL, **fields):
        return self._call("POST", "/_emu/pools/%s/users/%s"
                          % (pool, self._q(name)), fields)

    def user(self, name, pool=DEFAULT_POOL):
        return self._call("GET", "/_emu/pools/%s/users/%s"
                          % (pool, self._q(name)))

    def delete_user(self, name, pool=DEFAULT_POOL):
        return self._call("DELETE", "/_emu/pools/%s/users/%s"
                          % (pool, self._q(name)))

    def fault(self, endpoint, mode, **kw):
        """kw: count (next N requests only), seconds (for hang)."""
        kw.update(endpoint=endpoint, mode=mode)
        return self._call("POST", "/_emu/fault", kw)["faults"]

    def faults(self):
        return self._call("GET", "/_emu/faults")["faults"]

    def clear_faults(self):
        return self._call("POST", "/_emu/faults/clear", {})

    def stats(self):
        return self._call("GET", "/_emu/stats")

    def reset_stats(self):
        return self._call("POST", "/_emu/stats/reset", {})

    def reset(self):
        return self._call("POST", "/_emu/reset", {})

    def add_identity_pool(self, id, user_pool=DEFAULT_POOL,
                          credential_lifetime=3600):
        return self._call("POST", "/_emu/identity-pools", {
            "id": id, "user_pool": user_pool,
            "credential_lifetime": credential_lifetime})

    def identity_calls(self):
        """Successful GetId / GetCredentialsForIdentity calls, oldest
        first: op, identity_pool, logins (keys), identity_id, credentials
        (what GetCredentialsForIdentity issued)."""
        return self._call("GET", "/_emu/identity-calls")["calls"]

    def settings(self, **kw):
        return self._call("POST", "/_emu/settings", kw)

    def revoked(self):
        return self._call("GET", "/_emu/revoked")["revoked"]

    def codes(self):
        return self._call("GET", "/_emu/codes")["outstanding"]
