"""Crafting tokens the emulator would never mint: wrong algorithms, broken
encodings, tampered parts.  Signing uses the emulator's private keys (which
its control API hands to tests) or keys made up here."""
import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(obj):
    return b64u(json.dumps(obj, separators=(",", ":")))


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def parts(token):
    h, p, s = token.split(".")
    return json.loads(unb64u(h)), json.loads(unb64u(p)), s


def load_private(pem):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def sign(header, claims, private_pem=None, alg="RS256", key=None,
         hmac_key=None):
    """Compact JWS over header/claims (dicts or raw strings)."""
    h = header if isinstance(header, str) else b64u_json(header)
    p = claims if isinstance(claims, str) else b64u_json(claims)
    signing_input = (h + "." + p).encode()
    if alg == "none":
        return h + "." + p + "."
    if alg == "HS256":
        sig = hmac.new(hmac_key, signing_input, hashlib.sha256).digest()
        return h + "." + p + "." + b64u(sig)
    k = key or load_private(private_pem)
    if alg == "RS256":
        sig = k.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "PS256":
        sig = k.sign(signing_input,
                     padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                 salt_length=32), hashes.SHA256())
    elif alg == "ES256":
        sig = k.sign(signing_input, ec.ECDSA(hashes.SHA256()))
    else:
        raise ValueError(alg)
    return h + "." + p + "." + b64u(sig)


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, kid):
    nums = key.public_key().public_numbers()
    n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
    e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
    return {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
            "n": b64u(n), "e": b64u(e)}
