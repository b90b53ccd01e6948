"""JWT minting and checking, with the claim shapes Cognito uses.

Claim sets are built here from a pool, a client and a user; the HTTP
layers only decide which ones to issue.  Member order follows what
Cognito emits (irrelevant to JSON, but it makes decoded tokens easy to
compare with real ones by eye).
"""
import base64
import hashlib
import json
import os
import time
import uuid

from cryptography.exceptions import InvalidSignature

from emu_keys import b64u

DEFAULT_LIFETIME = 3600
# Attributes whose values Cognito puts in id tokens as JSON booleans; every
# other attribute (custom:* included) is a string.
BOOLEAN_ATTRIBUTES = ("email_verified", "phone_number_verified")


class TokenError(Exception):
    """Why a token was refused; the text ends up in error messages."""


def b64u_json(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_jws(header, claims, key):
    """Compact JWS, RS256, signed by `key` whatever the header says (tests
    use header overrides to lie about kid/alg on purpose)."""
    signing_input = b64u_json(header) + "." + b64u_json(claims)
    return signing_input + "." + b64u(key.sign(signing_input.encode()))


def verify_jws(token, keys_by_kid):
    """(header, claims) of a token signed by one of `keys_by_kid`.

    Only what the emulator's own endpoints need (userInfo, identity pool
    logins): RS256, kid known, signature valid.  Claims are the caller's.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        raise TokenError("not a JWT")
    h64, p64, s64 = token.split(".")
    try:
        header = json.loads(unb64u(h64))
        claims = json.loads(unb64u(p64))
        signature = unb64u(s64)
    except (ValueError, TypeError) as exc:
        raise TokenError("malformed token") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenError("malformed token")
    if header.get("alg") != "RS256":
        raise TokenError("unsupported alg")
    key = keys_by_kid.get(header.get("kid"))
    if key is None:
        raise TokenError("unknown kid")
    try:
        key.verify(signature, (h64 + "." + p64).encode())
    except InvalidSignature as exc:
        raise TokenError("invalid signature") from exc
    return header, claims


def check_times(claims, now=None):
    now = time.time() if now is None else now
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise TokenError("no exp")
    if exp <= now:
        raise TokenError("Token expired: %d >= %d" % (now, exp))


def at_hash(access_token):
    """OIDC at_hash: left half of SHA-256 over the access token."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return b64u(digest[:16])


def new_refresh_token():
    """Opaque, but shaped like Cognito's: a five-part compact JWE."""
    header = b64u_json({"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"})
    return ".".join([header, b64u(os.urandom(256)), b64u(os.urandom(12)),
                     b64u(os.urandom(1200)), b64u(os.urandom(16))])


def new_auth_event():
    """(origin_jti, event_id) shared by the tokens of one authentication."""
    return str(uuid.uuid4()), str(uuid.uuid4())


def _id_attribute(name, value):
    if name in BOOLEAN_ATTRIBUTES:
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def id_claims(pool, user, client_id, iat, lifetime, auth_time=None,
              origin=None, nonce=None, access_token=None):
    origin_jti, event_id = origin or new_auth_event()
    c = {"sub": user.sub}
    if user.groups:
        c["cognito:groups"] = list(user.groups)
    attrs = user.attributes
    if "email_verified" in attrs:
        c["email_verified"] = _id_attribute("email_verified",
                                            attrs["email_verified"])
    c["iss"] = pool.issuer
    c["cognito:username"] = user.username
    if nonce:
        c["nonce"] = nonce
    c["origin_jti"] = origin_jti
    c["aud"] = client_id
    if user.identities:
        c["identities"] = [dict(i) for i in user.identities]
    c["event_id"] = event_id
    c["token_use"] = "id"
    if access_token:
        c["at_hash"] = at_hash(access_token)
    c["auth_time"] = iat if auth_time is None else auth_time
    c["exp"] = iat + lifetime
    c["iat"] = iat
    c["jti"] = str(uuid.uuid4())
    for name, value in attrs.items():
        if name not in c and name not in ("sub", "email_verified"):
            c[name] = _id_attribute(name, value)
    return c


def access_claims(pool, user, client_id, scopes, iat, lifetime,
                  auth_time=None, origin=None):
    origin_jti, event_id = origin or new_auth_event()
    c = {"sub": user.sub}
    if user.groups:
        c["cognito:groups"] = list(user.groups)
    c.update({
        "iss": pool.issuer,
        "version": 2,
        "client_id": client_id,
        "origin_jti": origin_jti,
        "event_id": event_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": iat if auth_time is None else auth_time,
        "exp": iat + lifetime,
        "iat": iat,
        "jti": str(uuid.uuid4()),
        "username": user.username,
    })
    return c


def m2m_claims(pool, client_id, scopes, iat, lifetime):
    """client_credentials: the client is the subject; no user, no groups,
    no origin_jti/event_id (Cognito leaves them out too)."""
    return {"sub": client_id, "token_use": "access",
            "scope": " ".join(scopes), "auth_time": iat,
            "iss": pool.issuer, "exp": iat + lifetime, "iat": iat,
            "version": 2, "jti": str(uuid.uuid4()), "client_id": client_id}


def signed(pool, use, claims):
    """Sign with the pool's current key for `use` ("id" or "access")."""
    key = pool.signing_key(use)
    return encode_jws({"kid": key.kid, "alg": "RS256"}, claims, key)


def issue_user_tokens(state, pool, client, user, scopes, nonce=None,
                      refresh=True, auth_time=None, origin=None,
                      id_token=True, with_at_hash=True):
    """The token set of one login (or one refresh, when auth_time/origin
    come from the refresh token): access token, id token (with at_hash
    from the OAuth2 endpoints; InitiateAuth's have none), and optionally
    a refresh token recorded in the state."""
    now = int(time.time())
    auth_time = now if auth_time is None else auth_time
    origin = origin or new_auth_event()
    access = signed(pool, "access", access_claims(
        pool, user, client.client_id, scopes, now, client.access_lifetime,
        auth_time, origin))
    out = {"access_token": access, "expires_in": client.access_lifetime}
    if id_token:
        out["id_token"] = signed(pool, "id", id_claims(
            pool, user, client.client_id, now, client.id_lifetime,
            auth_time, origin, nonce, access if with_at_hash else None))
    if refresh:
        out["refresh_token"] = state.add_refresh(
            new_refresh_token(), pool, client, user, scopes, auth_time,
            origin)
    return out
