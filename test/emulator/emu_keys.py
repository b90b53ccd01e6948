"""RSA signing keys for the emulated user pools.

Generating an RSA-2048 key costs 50-300 ms, so a background thread keeps a
few spare keys ready: a pool created lazily, a rotation or the "foreign"
key then costs nothing at request time.  cryptography's OpenSSL calls
release the GIL, so the generator does not stall request threads.
"""
import base64
import hashlib
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64u(data):
    """base64url without padding, as JOSE wants it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value):
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


class SigningKey:
    """One RSA key with the JWK that publishes it.

    The kid imitates Cognito's: standard base64 (with '+', '/' and '='
    padding) of 32 bytes, so consumers that mishandle such kids in URLs or
    cache keys fail here as they would against the real service.  Deriving
    it from the modulus keeps it stable for the life of the key.
    """

    def __init__(self, private_key):
        self.private_key = private_key
        nums = private_key.public_key().public_numbers()
        n = _int_bytes(nums.n)
        self.kid = base64.b64encode(hashlib.sha256(n).digest()).decode()
        # Member order as Cognito serves it.
        self.jwk = {"alg": "RS256", "e": b64u(_int_bytes(nums.e)),
                    "kid": self.kid, "kty": "RSA", "n": b64u(n),
                    "use": "sig"}
        self._pems = None

    def sign(self, data):
        return self.private_key.sign(data, padding.PKCS1v15(),
                                     hashes.SHA256())

    def verify(self, signature, data):
        """Raises cryptography's InvalidSignature on mismatch."""
        self.private_key.public_key().verify(
            signature, data, padding.PKCS1v15(), hashes.SHA256())

    def pems(self):
        """(private PEM, public PEM); computed once, only tests ask."""
        if self._pems is None:
            priv = self.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode()
            pub = self.private_key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            self._pems = (priv, pub)
        return self._pems


def generate_key():
    return SigningKey(rsa.generate_private_key(public_exponent=65537,
                                               key_size=2048))


class KeyFactory:
    """Hands out fresh keys; a background thread refills a spare stock."""

    def __init__(self, spare=3):
        self._spare_target = spare
        self._spare = []
        self._cond = threading.Condition()
        self._foreign = None
        self._foreign_lock = threading.Lock()

    def start(self):
        t = threading.Thread(target=self._fill, name="keygen", daemon=True)
        t.start()

    def _fill(self):
        while True:
            with self._cond:
                while len(self._spare) >= self._spare_target:
                    self._cond.wait()
            key = generate_key()
            with self._cond:
                self._spare.append(key)
                self._cond.notify_all()

    def get(self):
        """A key nobody else has; from stock if any, else made now."""
        with self._cond:
            if self._spare:
                key = self._spare.pop()
                self._cond.notify_all()
                return key
            self._cond.notify_all()
        return generate_key()

    def foreign(self):
        """A valid RSA key that is in no pool's JWKS (for negative tests)."""
        with self._foreign_lock:
            if self._foreign is None:
                self._foreign = self.get()
            return self._foreign
