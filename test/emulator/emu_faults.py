"""Injected failures, so tests can see how the module copes with a broken
or hostile Cognito: dropped connections, hangs, error statuses, garbage
bodies, oversized bodies, redirect loops, malformed JWKS, throttling.

A fault is set per endpoint (or "all") and applies to the next `count`
requests, or until cleared.  Hangs wait on an event that clearing or
replacing faults sets, so a test's cleanup never leaves threads asleep
for the full duration.
"""
import json
import threading

from emu_http import Response, json_response
from emu_state import ENDPOINTS

JSON_APIS = ("initiate_auth", "get_id", "get_credentials")
GENERIC_MODES = ("drop", "hang", "500", "503", "html", "truncated", "huge",
                 "redirect_loop", "empty", "throttle")
# Modes that only make sense for some endpoints.
SPECIFIC_MODES = {
    "bad_keys": ("jwks",),
    "not_authorized": ("initiate_auth", "get_id", "get_credentials"),
    "no_role": ("get_credentials",),
}
MODES = ("none",) + GENERIC_MODES + tuple(SPECIFIC_MODES)
HUGE_SIZE = 50 * 1024 * 1024


def applies(mode, endpoint):
    return mode in GENERIC_MODES or endpoint in SPECIFIC_MODES.get(mode, ())


class FaultError(ValueError):
    pass


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = {}
        self._wake = threading.Event()

    def set(self, endpoint, mode, count=None, seconds=30):
        if endpoint != "all" and endpoint not in ENDPOINTS:
            raise FaultError("unknown endpoint %r" % (endpoint,))
        if mode not in MODES:
            raise FaultError("unknown mode %r" % (mode,))
        if mode not in ("none",) + GENERIC_MODES and endpoint != "all" \
                and not applies(mode, endpoint):
            raise FaultError("mode %s does not apply to %s"
                             % (mode, endpoint))
        if count is not None and (not isinstance(count, int)
                                  or isinstance(count, bool) or count < 1):
            raise FaultError("count must be a positive integer")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise FaultError("seconds must be a non-negative number")
        with self._lock:
            if mode == "none":
                if endpoint == "all":
                    self._faults.clear()
                else:
                    self._faults.pop(endpoint, None)
            else:
                self._faults[endpoint] = {"endpoint": endpoint, "mode": mode,
                                          "remaining": count,
                                          "seconds": seconds}
            self._wake_sleepers()

    def clear(self):
        with self._lock:
            self._faults.clear()
            self._wake_sleepers()

    def _wake_sleepers(self):
        self._wake.set()
        self._wake = threading.Event()

    def list(self):
        with self._lock:
            return [dict(f) for f in self._faults.values()]

    def take(self, endpoint):
        """The fault for this request, if any (consuming one of its count).
        A fault on the endpoint itself wins over one on "all"."""
        with self._lock:
            for key in (endpoint, "all"):
                fault = self._faults.get(key)
                if fault is None or not applies(fault["mode"], endpoint):
                    continue
                if fault["remaining"] is not None:
                    fault["remaining"] -= 1
                    if fault["remaining"] <= 0:
                        del self._faults[key]
                return dict(fault, wake=self._wake)
        return None


def _json_api_error(kind, message, status=400):
    return json_response({"__type": kind, "message": message}, status,
                         "application/x-amz-json-1.1",
                         [("x-amzn-ErrorType", kind)])


def _huge_body():
    chunk = b"{\"keys\":[" + b" " * (1024 * 1024 - 9)
    yield chunk
    filler = b" " * (1024 * 1024)
    for _ in range(HUGE_SIZE // len(filler) - 1):
        yield filler


def apply(fault, endpoint, req, normal):
    """The response for a faulted request; `normal()` computes the real one
    (for hang, truncated, and modes that do not change this endpoint)."""
    mode = fault["mode"]
    if mode == "drop":
        r = Response()
        r.drop = True
        return r
    if mode == "hang":
        fault["wake"].wait(fault["seconds"])
        return normal()
    if mode in ("500", "503"):
        status = int(mode)
        if endpoint in JSON_APIS:
            kind = ("InternalErrorException" if status == 500
                    else "ServiceUnavailableException")
            return _json_api_error(kind, "Injected fault", status)
        return Response(status, "Injected %s\n" % mode,
                        "text/plain; charset=utf-8")
    if mode == "html":
        return Response(200, "<!DOCTYPE html><html><head><title>Oops"
                        "</title></head><body><h1>Maintenance</h1>"
                        "</body></html>\n", "text/html; charset=utf-8")
    if mode == "truncated":
        real = normal()
        body = real.body or json.dumps({"truncated": True}).encode()
        return Response(200, body[:len(body) // 2], "application/json")
    if mode == "huge":
        r = Response(200, b"", "application/json")
        r.stream, r.length = _huge_body(), HUGE_SIZE
        return r
    if mode == "redirect_loop":
        return Response(302, b"", None,
                        [("Location", req.base_url + req.target)])
    if mode == "empty":
        return Response(200, b"", "application/json")
    if mode == "throttle":
        if endpoint in JSON_APIS:
            return _json_api_error("TooManyRequestsException",
                                   "Rate exceeded")
        return json_response({"error": "too_many_requests"}, 429,
                             headers=[("Retry-After", "1")])
    if mode == "bad_keys":
        # Every way a key can be malformed: number for n, kty missing,
        # kid not a string, e missing, keys not even an object.
        return json_response({"keys": [
            {"alg": "RS256", "e": "AQAB", "kid": "bad-n-number",
             "kty": "RSA", "n": 12345, "use": "sig"},
            {"alg": "RS256", "e": "AQAB", "kid": "bad-no-kty",
             "n": "AQAB", "use": "sig"},
            {"alg": "RS256", "e": "AQAB", "kid": 7, "kty": "RSA",
             "n": "AQAB", "use": "sig"},
            {"alg": "RS256", "kid": "bad-no-e", "kty": "RSA",
             "n": "AQAB", "use": "sig"},
            "not-an-object", None]})
    if mode == "not_authorized":
        return _json_api_error("NotAuthorizedException",
                               "Not authorized (injected fault)")
    if mode == "no_role":
        return _json_api_error(
            "InvalidIdentityPoolConfigurationException",
            "Invalid identity pool configuration. Check assigned IAM roles"
            " for this pool.")
    return normal()
