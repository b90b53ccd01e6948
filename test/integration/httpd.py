"""A real httpd (Debian's apache2 binary) for the integration tests.

Each HttpdInstance gets its own directory, a free loopback port, and a
generated configuration: a fixed base (modules, logs, a CGI that prints its
environment as JSON) plus whatever the test adds.  httpd runs in the
foreground as our child, so stopping it is a signal and a wait.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
APACHE2 = os.environ.get("COGNITO_APACHE2", "/usr/sbin/apache2")
MODDIR = "/usr/lib/apache2/modules"
MODULE = os.environ.get("COGNITO_MODULE",
                        os.path.join(REPO, "mod_auth_cognito.so"))
WORK = os.environ.get("COGNITO_TEST_WORK", os.path.join(REPO, "test", ".work"))

BASE_MODULES = [
    "authn_core", "authz_core", "authz_user", "authz_host", "auth_basic",
    "authn_file", "mime", "dir", "alias", "env", "headers", "setenvif",
    "socache_shmcb", "rewrite", "proxy", "proxy_http",
]

ENV_CGI = """#!/usr/bin/python3
# Prints the CGI environment (and selected request headers) as JSON.
import json, os, sys
sys.stdout.write("Content-Type: application/json\\r\\n\\r\\n")
sys.stdout.write(json.dumps(dict(os.environ), sort_keys=True))
"""

# Echo backend for proxied requests: returns the headers it received.
HEADERS_CGI = """#!/usr/bin/python3
import json, os, sys
hdrs = {k[5:].replace("_", "-").lower(): v for k, v in os.environ.items()
        if k.startswith("HTTP_")}
sys.stdout.write("Content-Type: application/json\\r\\n\\r\\n")
sys.stdout.write(json.dumps(hdrs, sort_keys=True))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpdError(Exception):
    pass


class HttpdInstance:
    def __init__(self, config="", mpm="event", name="httpd", modules=(),
                 port=None, server_conf="", log_level="info",
                 mpm_conf=None, load_module=True):
        os.makedirs(WORK, exist_ok=True)
        os.chmod(WORK, 0o755)
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=WORK)
        os.chmod(self.dir, 0o755)
        self.port = port or free_port()
        self.mpm = mpm
        self.url = "http://127.0.0.1:%d" % self.port
        self.htdocs = os.path.join(self.dir, "htdocs")
        self.cgi = os.path.join(self.dir, "cgi-bin")
        self.logs = os.path.join(self.dir, "logs")
        self.error_log = os.path.join(self.logs, "error.log")
        self.conf_file = os.path.join(self.dir, "httpd.conf")
        for d in (self.htdocs, self.cgi, self.logs,
                  os.path.join(self.dir, "run")):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o777 if d == self.logs else 0o755)
        self.write(os.path.join(self.htdocs, "index.html"), "hello\n")
        self.write(os.path.join(self.cgi, "env"), ENV_CGI, 0o755)
        self.write(os.path.join(self.cgi, "headers"), HEADERS_CGI, 0o755)
        self.proc = None
        self.modules = list(BASE_MODULES) + list(modules)
        self.config = config
        self.server_conf = server_conf
        self.log_level = log_level
        self.mpm_conf = mpm_conf
        self.load_module = load_module
        self.write_config()

    @staticmethod
    def write(path, text, mode=0o644):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def expand(self, text):
        return (text.replace("@DIR@", self.dir)
                .replace("@HTDOCS@", self.htdocs)
                .replace("@CGI@", self.cgi)
                .replace("@PORT@", str(self.port))
                .replace("@URL@", self.url))

    def base_config(self):
        mods = ["LoadModule mpm_%s_module %s/mod_mpm_%s.so"
                % (self.mpm, MODDIR, self.mpm)]
        cgi = "cgi" if self.mpm == "prefork" else "cgid"
        for m in self.modules + [cgi]:
            mods.append("LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m))
        if self.load_module:
            mods.append("LoadModule auth_cognito_module %s" % MODULE)
        user = ""
        if os.geteuid() == 0:
            user = "User www-data\nGroup www-data\n"
        if self.mpm_conf is not None:
            mpm_conf = self.mpm_conf
        elif self.mpm == "prefork":
            mpm_conf = ("StartServers 2\nMinSpareServers 1\n"
                        "MaxSpareServers 4\nMaxRequestWorkers 16\n")
        else:
            mpm_conf = ("StartServers 1\nServerLimit 2\nThreadsPerChild 16\n"
                        "MaxRequestWorkers 32\nMinSpareThreads 4\n"
                        "MaxSpareThreads 32\n")
        return "\n".join(mods) + """
ServerRoot "{dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {dir}/run/httpd.pid
DefaultRuntimeDir {dir}/run
<IfModule cgid_module>
    ScriptSock {dir}/run/cgid.sock
</IfModule>
Mutex file:{dir}/run default
{user}ErrorLog {dir}/logs/error.log
LogLevel warn auth_cognito:{level}
LogFormat "%h %u \\"%r\\" %>s %b" common
CustomLog {dir}/logs/access.log common
TypesConfig /etc/mime.types
DocumentRoot "{htdocs}"
Timeout 30
KeepAlive On
{mpm_conf}
ScriptAlias /cgi-bin/ "{cgi}/"
<Directory "{htdocs}">
    AllowOverride None
    Require all granted
</Directory>
<Directory "{cgi}">
    AllowOverride None
    Options +ExecCGI
    Require all granted
</Directory>
""".format(dir=self.dir, port=self.port, user=user, htdocs=self.htdocs,
           cgi=self.cgi, level=self.log_level, mpm_conf=mpm_conf)

    def write_config(self, config=None, server_conf=None):
        if config is not None:
            self.config = config
        if server_conf is not None:
            self.server_conf = server_conf
        self.write(self.conf_file,
                   self.base_config() + "\n" + self.expand(self.server_conf)
                   + "\n" + self.expand(self.config) + "\n")

    def configtest(self):
        """Runs apache2 -t; returns (ok, output)."""
        p = subprocess.run([APACHE2, "-t", "-f", self.conf_file],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        return p.returncode == 0, p.stdout

    def start(self, timeout=15):
        self.log_offset = 0
        self.start_offset = len(self.read_log())
        self.proc = subprocess.Popen(
            [APACHE2, "-f", self.conf_file, "-DFOREGROUND"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            # httpd signals its whole process group on shutdown; keep that
            # from reaching pytest.
            start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace")
                raise HttpdError("httpd exited with %s:\n%s\n%s" % (
                    self.proc.returncode, out, self.read_log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    self.wait_configured(deadline)
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise HttpdError("httpd did not listen on %d:\n%s"
                         % (self.port, self.read_log()))

    def wait_configured(self, deadline):
        """httpd listens before its post_config hooks run (where the module
        prefetches keys and creates its mutexes), so a listening port does
        not mean the server is ready; the MPM's "resuming normal
        operations" notice does.  Slow builds (ASan) make the gap visible.
        If the notice never comes (a test's own LogLevel, say), go on."""
        while time.time() < deadline and self.proc.poll() is None:
            if ("resuming normal operations"
                    in self.read_log()[self.start_offset:]):
                return
            time.sleep(0.05)

    def graceful(self):
        os.kill(self.proc.pid, signal.SIGUSR1)

    def restart(self):
        os.kill(self.proc.pid, signal.SIGHUP)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def read_log(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def mark_log(self):
        """Remember the log size; log_since() returns what came after."""
        self.log_offset = len(self.read_log())

    def log_since(self):
        return self.read_log()[getattr(self, "log_offset", 0):]

    def wait_log(self, needle, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.log_since():
                return True
            time.sleep(0.05)
        return False

    def cleanup(self):
        self.stop()
        if not os.environ.get("COGNITO_KEEP_WORK"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
