"""The test control API under /_emu/: mint arbitrary tokens, hand out
keys, rotate them, manage clients, users and identity pools, inject
faults, read counters.  JSON in, JSON out; never faulted or counted.
"""
import re
import time
import urllib.parse

from emu_faults import FaultError
from emu_http import BadRequest, json_response
from emu_state import (DEFAULT_POOL, FLOWS, IDENTITY_POOL_RE, STATUSES,
                       Client, IdentityPool, User)
from emu_tokens import (DEFAULT_LIFETIME, access_claims, encode_jws,
                        id_claims, m2m_claims, new_auth_event)

_ABSENT = object()


def _get(body, name, types, default=_ABSENT):
    """body[name] checked against types (bool is never an int here)."""
    if name not in body or body[name] is None and default is not _ABSENT:
        if default is _ABSENT:
            raise BadRequest("%s is required" % name)
        return default
    value = body[name]
    if isinstance(value, bool) and bool not in types:
        raise BadRequest("%s has the wrong type" % name)
    if not isinstance(value, types):
        raise BadRequest("%s has the wrong type" % name)
    return value


def _str_list(body, name, default=_ABSENT):
    value = _get(body, name, (list,), default)
    if value is not None and not all(isinstance(v, str) for v in value):
        raise BadRequest("%s must be a list of strings" % name)
    return value


def _pool(app, pool_id):
    pool = app.state.pool(pool_id)
    if pool is None:
        raise BadRequest("malformed pool id %r" % pool_id)
    return pool


def _override(base, changes, what):
    if not isinstance(changes, dict):
        raise BadRequest("%s must be an object" % what)
    for k, v in changes.items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return base


# -- tokens and keys -------------------------------------------------------

def mint(app, req, pool_id):
    pool = _pool(app, pool_id)
    b = req.json()
    use = _get(b, "token_use", (str,), "access")
    if use not in ("id", "access"):
        raise BadRequest("token_use must be id or access")
    m2m = _get(b, "m2m", (bool,), False)
    if m2m and use != "access":
        raise BadRequest("m2m tokens are access tokens")
    client_id = _get(b, "client_id", (str,),
                     "emusvc1" if m2m else "emuclient1")
    client = pool.clients.get(client_id)
    default_life = DEFAULT_LIFETIME if client is None else (
        client.id_lifetime if use == "id" else client.access_lifetime)
    lifetime = _get(b, "lifetime", (int,), default_life)
    iat = int(time.time()) + _get(b, "iat_offset", (int,), 0)
    scope = _get(b, "scope", (str, list),
                 "api/read" if m2m else "openid email profile")
    scopes = scope.split() if isinstance(scope, str) else list(scope)
    if not all(isinstance(s, str) for s in scopes):
        raise BadRequest("scope must be a string or a list of strings")
    if m2m:
        claims = m2m_claims(pool, client_id, scopes, iat, lifetime)
    else:
        username = _get(b, "username", (str,), "alice")
        user = pool.user(username)
        if user is None:
            raise BadRequest("no user %r in %s" % (username, pool.pool_id))
        origin = new_auth_event()
        if use == "id":
            claims = id_claims(pool, user, client_id, iat, lifetime, iat,
                               origin, _get(b, "nonce", (str,), None))
        else:
            claims = access_claims(pool, user, client_id, scopes, iat,
                                   lifetime, iat, origin)
    _override(claims, _get(b, "claims", (dict,), {}), "claims")

    key_sel = _get(b, "key", (str, int), "current")
    current = pool.signing_key(use)
    if key_sel == "current":
        key = current
    elif key_sel == "foreign":
        key = app.state.key_factory.foreign()
    elif isinstance(key_sel, int) and 0 <= key_sel < len(pool.keys):
        key = pool.keys[key_sel]
    else:
        raise BadRequest("key must be current, foreign or a key index")
    # A foreign key keeps the kid it would normally have, so only the
    # signature gives it away.
    kid = current.kid if key_sel == "foreign" else key.kid
    header = _override({"kid": kid, "alg": "RS256"},
                       _get(b, "header", (dict,), {}), "header")
    token = encode_jws(header, claims, key)
    return json_response({"token": token, "claims": claims,
                          "header": header})


def keys(app, req, pool_id):
    pool = _pool(app, pool_id)
    out = []
    for i, k in enumerate(pool.keys):
        priv, pub = k.pems()
        out.append({"index": i, "kid": k.kid, "private_pem": priv,
                    "public_pem": pub, "jwk": dict(k.jwk),
                    "published": i not in pool.retired,
                    "signs": sorted(u for u, idx in pool.signing.items()
                                    if idx == i)})
    return json_response({"keys": out})


def rotate(app, req, pool_id):
    pool = _pool(app, pool_id)
    b = req.json()
    use_for = _get(b, "use_for", (str,), "both")
    if use_for not in ("both", "id", "access"):
        raise BadRequest("use_for must be both, id or access")
    retire = _get(b, "retire_old", (bool,), False)
    key = app.state.key_factory.get()
    with app.state.lock:
        pool.rotate(key, use_for, retire)
        index = len(pool.keys) - 1
    return json_response({"kid": key.kid, "index": index})


# -- clients, users, identity pools ----------------------------------------

def put_client(app, req, pool_id):
    pool = _pool(app, pool_id)
    b = req.json()
    flows = _str_list(b, "flows", None)
    if flows is not None and any(f not in FLOWS for f in flows):
        raise BadRequest("flows must be among %s" % ", ".join(FLOWS))
    lifetimes = {k: _get(b, k, (int,), d) for k, d in (
        ("id_lifetime", 3600), ("access_lifetime", 3600),
        ("refresh_lifetime", 30 * 86400))}
    client = Client(_get(b, "client_id", (str,)),
                    secret=_get(b, "client_secret", (str,), None),
                    callback_urls=_str_list(b, "callback_urls", None),
                    logout_urls=_str_list(b, "logout_urls", None),
                    scopes=_str_list(b, "scopes", None), flows=flows,
                    prevent_user_existence_errors=_get(
                        b, "prevent_user_existence_errors", (bool,), True),
                    **lifetimes)
    with app.state.lock:
        pool.clients[client.client_id] = client
    return json_response(client.describe())


USER_FIELDS = {"password": (str,), "groups": (list,),
               "attributes": (dict,), "status": (str,), "enabled": (bool,),
               "mfa": (bool,)}


def _user_fields(b):
    fields = {}
    for name, types in USER_FIELDS.items():
        if name in b:
            fields[name] = _get(b, name, types)
    if "groups" in fields:
        _str_list(b, "groups")
    if fields.get("status", "CONFIRMED") not in STATUSES:
        raise BadRequest("status must be one of %s" % ", ".join(STATUSES))
    return fields


def put_user(app, req, pool_id):
    pool = _pool(app, pool_id)
    b = req.json()
    username = _get(b, "username", (str,))
    fields = _user_fields(b)
    with app.state.lock:
        old = pool.user(username)
        user = User(username, sub=old.sub if old else None, **fields)
        pool.put_user(user)
    return json_response(user.describe())


def get_user(app, req, pool_id, username):
    user = _pool(app, pool_id).user(username)
    if user is None:
        return json_response({"error": "no such user"}, 404)
    return json_response(user.describe())


def patch_user(app, req, pool_id, username):
    pool = _pool(app, pool_id)
    fields = _user_fields(req.json())
    with app.state.lock:
        user = pool.user(username)
        if user is None:
            return json_response({"error": "no such user"}, 404)
        attrs = fields.pop("attributes", None)
        if attrs is not None:
            _override(user.attributes, attrs, "attributes")
        for k, v in fields.items():
            setattr(user, k, list(v) if k == "groups" else v)
    return json_response(user.describe())


def delete_user(app, req, pool_id, username):
    pool = _pool(app, pool_id)
    with app.state.lock:
        user = pool.user(username)
        if user is not None:
            del pool.users[user.username.lower()]
    return json_response({"deleted": user is not None})


def put_identity_pool(app, req):
    b = req.json()
    pool_id = _get(b, "id", (str,))
    if not IDENTITY_POOL_RE.match(pool_id):
        raise BadRequest("identity pool id must be <region>:<guid>")
    user_pool = _pool(app, _get(b, "user_pool", (str,))).pool_id
    ipool = IdentityPool(pool_id, user_pool,
                         _get(b, "credential_lifetime", (int,), 3600))
    app.state.put_identity_pool(ipool)
    return json_response({"id": pool_id, "user_pool": user_pool,
                          "credential_lifetime": ipool.credential_lifetime})


# -- faults, counters, settings --------------------------------------------

def fault(app, req):
    b = req.json()
    try:
        app.faults.set(_get(b, "endpoint", (str,)), _get(b, "mode", (str,)),
                       count=_get(b, "count", (int,), None),
                       seconds=_get(b, "seconds", (int, float), 30))
    except FaultError as exc:
        raise BadRequest(str(exc)) from exc
    return json_response({"faults": app.faults.list()})


def faults(app, req):
    return json_response({"faults": app.faults.list()})


def clear_faults(app, req):
    app.faults.clear()
    return json_response({"faults": []})


def reset(app, req):
    app.faults.clear()
    app.state.reset()
    return json_response({"reset": True})


def stats(app, req):
    return json_response(app.state.stats.snapshot())


def stats_reset(app, req):
    app.state.stats.reset()
    return json_response(app.state.stats.snapshot())


def settings(app, req):
    b = req.json()
    unknown = set(b) - set(app.state.settings)
    if unknown:
        raise BadRequest("unknown settings: %s" % ", ".join(sorted(unknown)))
    with app.state.lock:
        for k in b:
            app.state.settings[k] = _get(b, k, (int,))
        return json_response(dict(app.state.settings))


def identity_calls(app, req):
    return json_response({"calls": app.state.identity_call_log()})


def revoked(app, req):
    return json_response({"revoked": app.state.revoked()})


def codes(app, req):
    return json_response({"outstanding": app.state.outstanding_codes()})


def info(app, req):
    return json_response({"http": app.http_base, "https": app.https_base,
                          "issuer_base": app.state.issuer_base,
                          "default_pool": DEFAULT_POOL})


P = r"/_emu/pools/(?P<pool_id>[^/]+)"
ROUTES = [(m, re.compile("^" + p + "$"), f) for m, p, f in (
    ("GET", r"/_emu/info", info),
    ("POST", r"/_emu/reset", reset),
    ("GET", r"/_emu/stats", stats),
    ("POST", r"/_emu/stats/reset", stats_reset),
    ("POST", P + r"/token", mint),
    ("GET", P + r"/keys", keys),
    ("POST", P + r"/keys/rotate", rotate),
    ("POST", P + r"/clients", put_client),
    ("POST", P + r"/users", put_user),
    ("GET", P + r"/users/(?P<username>[^/]+)", get_user),
    ("POST", P + r"/users/(?P<username>[^/]+)", patch_user),
    ("DELETE", P + r"/users/(?P<username>[^/]+)", delete_user),
    ("POST", r"/_emu/fault", fault),
    ("GET", r"/_emu/faults", faults),
    ("POST", r"/_emu/faults/clear", clear_faults),
    ("POST", r"/_emu/identity-pools", put_identity_pool),
    ("GET", r"/_emu/identity-calls", identity_calls),
    ("GET", r"/_emu/revoked", revoked),
    ("GET", r"/_emu/codes", codes),
    ("POST", r"/_emu/settings", settings),
)]


def handle(app, req):
    allowed = []
    for method, pattern, fn in ROUTES:
        m = pattern.match(req.path)
        if not m:
            continue
        if method != req.method:
            allowed.append(method)
            continue
        args = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
        try:
            return fn(app, req, **args)
        except BadRequest as exc:
            return json_response({"error": str(exc)}, 400)
    if allowed:
        return json_response({"error": "method not allowed"}, 405,
                             headers=[("Allow", ", ".join(allowed))])
    return json_response({"error": "unknown control path %s" % req.path},
                         404)
