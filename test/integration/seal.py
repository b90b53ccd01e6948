"""The module's sealed-value format, written independently in Python so
tests can open what httpd sealed (to read a PKCE verifier, a session's
times) and seal what httpd should refuse or accept (a session sealed with
an old passphrase, one that expired an hour ago).

    base64url( 0x01 | 12-byte nonce | AES-256-GCM ciphertext | 16-byte tag )

The key is HKDF-SHA256 of the passphrase (salt "mod_auth_cognito seal v1",
info "key"); the additional data is the context: "state:<cookie name>",
"session-cookie:<cookie name>" or "session-cache:<cookie name>".
"""
import base64
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT = b"mod_auth_cognito seal v1"


def key(passphrase):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT,
                info=b"key").derive(passphrase.encode())


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(passphrase, context, plain):
    if isinstance(plain, str):
        plain = plain.encode()
    nonce = os.urandom(12)
    ct = AESGCM(key(passphrase)).encrypt(nonce, plain, context.encode())
    return b64u(b"\x01" + nonce + ct)


def unseal(passphrase, context, sealed):
    """The plaintext, or None when this passphrase/context does not open
    it."""
    from cryptography.exceptions import InvalidTag
    raw = unb64u(sealed)
    if len(raw) < 29 or raw[0] != 1:
        return None
    try:
        return AESGCM(key(passphrase)).decrypt(raw[1:13], raw[13:],
                                               context.encode())
    except InvalidTag:
        return None


def session_context(cookie="cognito_session", cache=False):
    return ("session-cache:" if cache else "session-cookie:") + cookie


def state_context(cookie_name):
    return "state:" + cookie_name


def joined_cookie(cookies, name="cognito_session"):
    """Reassemble a chunked session cookie from {name: value}."""
    value = cookies[name]
    if value.isdigit():
        return "".join(cookies["%s_%d" % (name, i)]
                       for i in range(1, int(value) + 1))
    return value


def open_session(passphrase, cookies, name="cognito_session"):
    plain = unseal(passphrase, session_context(name),
                   joined_cookie(cookies, name))
    return None if plain is None else json.loads(plain)


def seal_session(passphrase, session, name="cognito_session"):
    return seal(passphrase, session_context(name),
                json.dumps(session, separators=(",", ":")))
