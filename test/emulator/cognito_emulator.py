#!/usr/bin/python3
"""Local AWS Cognito emulator for mod_auth_cognito's tests and demo.

    /usr/bin/python3 cognito_emulator.py --port 0 \
        [--tls-port 0 --tls-dir DIR] [--issuer-base URL] \
        [--exit-on-stdin-eof]

Serves, on 127.0.0.1 only: per-pool JWKS and discovery, the hosted UI and
OAuth2 endpoints, the InitiateAuth / GetId / GetCredentialsForIdentity JSON
APIs, and a control API under /_emu/ for tests.  When listening it prints
one line, `READY http=... [https=...]`, to stdout; each request is logged
as one line on stderr (paths only: queries and bodies can hold secrets).

This file is the entry point, the HTTP plumbing and the router; the
endpoints live in the emu_*.py modules next to it.
"""
import argparse
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emu_control  # noqa: E402
import emu_discovery  # noqa: E402
import emu_faults  # noqa: E402
import emu_hostedui  # noqa: E402
import emu_json_api  # noqa: E402
from emu_faults import Faults  # noqa: E402
from emu_http import BadRequest, Request, json_response  # noqa: E402
from emu_keys import KeyFactory  # noqa: E402
from emu_state import State  # noqa: E402

MAX_BODY = 16 * 1024 * 1024
# Any prefix, so an --issuer-base with a path still finds its keys here.
WELL_KNOWN_RE = re.compile(
    r"^(?:/.*)?/([^/]+)/\.well-known/(jwks\.json|openid-configuration)$")
HOSTED_UI = {
    "/oauth2/authorize": ("authorize", emu_hostedui.authorize),
    "/login": ("login", emu_hostedui.login),
    "/oauth2/token": ("token", emu_hostedui.token),
    "/oauth2/userInfo": ("userinfo", emu_hostedui.userinfo),
    "/oauth2/userinfo": ("userinfo", emu_hostedui.userinfo),
    "/oauth2/revoke": ("revoke", emu_hostedui.revoke),
    "/logout": ("logout", emu_hostedui.logout),
}


class App:
    """What every handler needs: state, faults, and the listener URLs."""

    def __init__(self, state, faults, http_base, https_base):
        self.state = state
        self.faults = faults
        self.http_base = http_base
        self.https_base = https_base


def not_found(app, req):
    return json_response({"error": "not found", "path": req.path}, 404)


def route(app, req):
    """(endpoint name for stats/faults or None, handler(app, req))."""
    path = req.path
    if path.startswith("/_emu/"):
        return None, emu_control.handle
    m = WELL_KNOWN_RE.match(path)
    if m and req.method in ("GET", "HEAD"):
        pool_id, doc = m.groups()
        if doc == "jwks.json":
            return "jwks", lambda a, r: emu_discovery.jwks(a, r, pool_id)
        return "openid", lambda a, r: emu_discovery.openid_configuration(
            a, r, pool_id)
    if path in HOSTED_UI:
        return HOSTED_UI[path]
    if path == "/" and req.method == "POST":
        endpoint = emu_json_api.TARGETS.get(req.header("X-Amz-Target", ""))
        if endpoint is None:
            return None, emu_json_api.unknown_operation
        return endpoint, emu_json_api.HANDLERS[endpoint]
    return None, not_found


def log(line):
    sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), line))
    sys.stderr.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real endpoints
    server_version = "CognitoEmulator/1.0"
    sys_version = ""
    timeout = 300  # idle keep-alive connections give their thread back

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_request(self, code="-", size="-"):
        pass  # one line per request is written by _serve instead

    def log_message(self, fmt, *args):
        log("%s %s" % (self.client_address[0], fmt % args))

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length)

    def _serve(self):
        started = time.monotonic()
        app = self.server.app
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(json_response({"error": "bad request body"}, 400))
            return
        req = Request(self.command, self.path, self.headers, body,
                      self.server.base_url, self.client_address[0])
        endpoint, fn = route(app, req)

        def normal():
            try:
                return fn(app, req)
            except BadRequest as exc:
                return json_response({"error": "invalid_request",
                                      "error_description": str(exc)}, 400)
            except Exception:  # a bug here must not kill the connection
                log("handler error:\n" + traceback.format_exc())
                return json_response({"error": "emulator_bug"}, 500)

        fault = None
        if endpoint:
            app.state.stats.count(endpoint)
            fault = app.faults.take(endpoint)
        if fault:
            resp = emu_faults.apply(fault, endpoint, req, normal)
        else:
            resp = normal()
        self._send(resp)
        log("%s %s %s %s%s %s %dms" % (
            req.client_ip, self.command, req.path,
            "DROP" if resp.drop else resp.status,
            " fault=" + fault["mode"] if fault else "", endpoint or "-",
            (time.monotonic() - started) * 1000))

    def _send(self, resp):
        if resp.drop:
            # Close without a byte of answer: what a crashed peer or a
            # middlebox reset looks like to the client.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        try:
            self.send_response(resp.status)
            for name, value in resp.headers:
                self.send_header(name, value)
            length = resp.length if resp.stream is not None \
                else len(resp.body)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if self.command == "HEAD":
                return
            if resp.stream is not None:
                for chunk in resp.stream:
                    self.wfile.write(chunk)
            else:
                self.wfile.write(resp.body)
        except (OSError, ssl.SSLError):
            # The client went away (timeouts in the module under test).
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for hung (fault) threads on exit
    request_queue_size = 128

    def __init__(self, port, app, ssl_ctx=None):
        self.app = app
        self.ssl_ctx = ssl_ctx
        super().__init__(("127.0.0.1", port), Handler)
        scheme = "https" if ssl_ctx else "http"
        self.base_url = "%s://127.0.0.1:%d" % (scheme,
                                               self.server_address[1])

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_ctx is not None:
            # Handshake lazily in the request's own thread: a client that
            # connects and stalls must not block the accept loop.
            sock = self.ssl_ctx.wrap_socket(sock, server_side=True,
                                            do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        log("%s connection error: %s: %s" % (
            client_address[0], type(exc).__name__, exc))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0,
                   help="HTTP port on 127.0.0.1 (0: pick a free one)")
    p.add_argument("--tls-port", type=int, default=None,
                   help="also serve HTTPS on this port (0: pick one)")
    p.add_argument("--tls-dir", default=None,
                   help="where to write ca.pem, server.pem, server.key")
    p.add_argument("--issuer-base", default=None,
                   help="base of every pool's issuer (default: HTTP URL)")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="exit when stdin closes (the parent died)")
    args = p.parse_args(argv)
    if args.tls_port is not None and not args.tls_dir:
        p.error("--tls-port needs --tls-dir")
    return args


def _watch_stdin(stop):
    while sys.stdin.buffer.read(4096):
        pass
    stop.set()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    if args.exit_on_stdin_eof:
        # The test harness runs us in our own session (so a process-group
        # signal meant for it, e.g. from httpd's shutdown, cannot kill us);
        # a closed stdin is then how we learn that it is gone.
        threading.Thread(target=_watch_stdin, args=(stop,),
                         daemon=True).start()
    factory = KeyFactory()
    factory.start()  # its first key overlaps with the default pool's
    app = App(None, Faults(), None, None)
    servers = [Server(args.port, app)]
    app.http_base = servers[0].base_url
    if args.tls_port is not None:
        from emu_tls import server_context  # only TLS runs need x509
        servers.append(Server(args.tls_port, app,
                              server_context(args.tls_dir)))
        app.https_base = servers[1].base_url
    app.state = State(factory, args.issuer_base or app.http_base)

    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={
            "poll_interval": 0.1}, daemon=True).start()
    line = "READY http=" + app.http_base
    if app.https_base:
        line += " https=" + app.https_base
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    log("listening: %s; issuer base %s" % (line[6:], app.state.issuer_base))

    while not stop.wait(0.2):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    log("stopped")
    sys.stderr.flush()
    # Threads stuck in injected hangs are daemons; do not wait for them.
    os._exit(0)


if __name__ == "__main__":
    main()
