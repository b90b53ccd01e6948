"""Request and response objects shared by the endpoint modules.

Endpoints return a Response instead of writing to the socket, so the fault
layer can replace, delay or mangle an answer (e.g. cut a real JSON body in
half) without each endpoint knowing about faults.
"""
import base64
import binascii
import html
import json
import urllib.parse
from http.cookies import CookieError, SimpleCookie


class Response:
    """status/headers/body; `stream` (iterable of bytes, with `length`)
    for huge bodies; `drop` closes the connection without an answer."""

    def __init__(self, status=200, body=b"", content_type=None,
                 headers=None):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = list(headers or [])
        if content_type:
            self.headers.insert(0, ("Content-Type", content_type))
        self.stream = None
        self.length = None
        self.drop = False

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set_header(self, name, value):
        self.headers = [(k, v) for k, v in self.headers
                        if k.lower() != name.lower()]
        self.headers.append((name, value))


def json_response(obj, status=200, content_type="application/json",
                  headers=None):
    return Response(status, json.dumps(obj, separators=(",", ":")),
                    content_type, headers)


def html_page(title, body_html, status=200, headers=None):
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<title>%s</title></head>\n<body>\n%s\n</body></html>\n"
            % (html.escape(title), body_html))
    return Response(status, page, "text/html; charset=utf-8", headers)


def error_page(status, error, description=""):
    return html_page("Error", "<h1 id=\"error\">%s</h1>\n<p>%s</p>" % (
        html.escape(error), html.escape(description)), status)


def redirect(location, headers=None):
    return Response(302, b"", None,
                    [("Location", location)] + list(headers or []))


def add_query(url, params):
    """Append params to a URL that may already have a query string."""
    query = urllib.parse.urlencode(params)
    return url + ("&" if "?" in url else "?") + query


class BadRequest(Exception):
    pass


class Request:
    def __init__(self, method, target, headers, body, base_url, client_ip):
        self.method = method
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.raw_query = split.query
        self.query = self._first_values(split.query)
        self.headers = headers
        self.body = body
        self.base_url = base_url
        self.secure = base_url.startswith("https:")
        self.client_ip = client_ip
        self.target = target
        self._form = None

    @staticmethod
    def _first_values(text):
        out = {}
        for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True):
            out.setdefault(k, v)
        return out

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def form(self):
        if self._form is None:
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest("body is not UTF-8") from exc
            self._form = self._first_values(text)
        return self._form

    def json(self):
        if not self.body.strip():
            return {}
        try:
            obj = json.loads(self.body)
        except ValueError as exc:
            raise BadRequest("body is not JSON") from exc
        if not isinstance(obj, dict):
            raise BadRequest("body must be a JSON object")
        return obj

    def cookie(self, name):
        raw = self.header("Cookie")
        if not raw:
            return None
        jar = SimpleCookie()
        try:
            jar.load(raw)
        except CookieError:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel else None

    def basic_auth(self):
        """(user, password) from HTTP Basic, or None when absent/garbled."""
        value = self.header("Authorization", "")
        scheme, _, blob = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(blob.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None

    def bearer(self):
        value = self.header("Authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()
