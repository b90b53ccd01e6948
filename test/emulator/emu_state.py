"""Everything the emulator remembers: pools with their keys, app clients,
users, identity pools, authorization codes, refresh tokens, hosted UI
sessions and request counters.

One RLock guards the mutable collections; request handlers hold it only
for short lookups and updates, never while signing or sleeping.
"""
import re
import secrets
import threading
import time
import uuid

DEFAULT_POOL = "us-east-1_EmuPool01"
DEFAULT_IDENTITY_POOL = "us-east-1:00000000-0000-4000-8000-000000000001"
PASSWORD = "Passw0rd!"
USER_SCOPES = ["openid", "email", "profile", "phone",
               "aws.cognito.signin.user.admin", "api/read", "api/write"]
M2M_SCOPES = ["api/read", "api/write"]
USER_FLOWS = ["code", "USER_PASSWORD_AUTH", "refresh"]
FLOWS = ("code", "client_credentials", "USER_PASSWORD_AUTH", "refresh")
STATUSES = ("CONFIRMED", "FORCE_CHANGE_PASSWORD", "UNCONFIRMED",
            "RESET_REQUIRED", "EXTERNAL_PROVIDER")
REFRESH_LIFETIME = 30 * 86400
CODE_LIFETIME = 300

POOL_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+_[0-9A-Za-z]+$")
IDENTITY_POOL_RE = re.compile(
    r"^[a-z]{2}(?:-[a-z]+)+-\d+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}"
    r"-[0-9a-f]{4}-[0-9a-f]{12}$")
# Tests run their callbacks on random loopback ports, so clients without
# an explicit URL list accept any loopback URL.
LOOPBACK_PREFIXES = ("http://127.0.0.1:", "http://localhost:",
                     "https://127.0.0.1:", "https://localhost:")
ENDPOINTS = ("jwks", "openid", "authorize", "login", "token", "userinfo",
             "revoke", "logout", "initiate_auth", "get_id",
             "get_credentials")


class Client:
    def __init__(self, client_id, secret=None, callback_urls=None,
                 logout_urls=None, scopes=None, flows=None,
                 id_lifetime=3600, access_lifetime=3600,
                 refresh_lifetime=REFRESH_LIFETIME,
                 prevent_user_existence_errors=True):
        self.client_id = client_id
        # Cognito's PreventUserExistenceErrors (on for new clients): an
        # unknown user gets the wrong-password answer, not
        # UserNotFoundException.
        self.prevent_user_existence_errors = prevent_user_existence_errors
        self.secret = secret
        self.callback_urls = callback_urls
        self.logout_urls = logout_urls
        self.scopes = list(USER_SCOPES if scopes is None else scopes)
        self.flows = list(USER_FLOWS if flows is None else flows)
        self.id_lifetime = int(id_lifetime)
        self.access_lifetime = int(access_lifetime)
        self.refresh_lifetime = int(refresh_lifetime)

    @staticmethod
    def _url_ok(url, registered):
        if not url:
            return False
        if registered is None:
            return url.startswith(LOOPBACK_PREFIXES)
        return url in registered

    def callback_ok(self, url):
        return self._url_ok(url, self.callback_urls)

    def logout_ok(self, url):
        return self._url_ok(url, self.logout_urls)

    def describe(self):
        return {"client_id": self.client_id,
                "has_secret": self.secret is not None,
                "callback_urls": self.callback_urls,
                "logout_urls": self.logout_urls, "scopes": self.scopes,
                "flows": self.flows, "id_lifetime": self.id_lifetime,
                "access_lifetime": self.access_lifetime,
                "refresh_lifetime": self.refresh_lifetime,
                "prevent_user_existence_errors":
                    self.prevent_user_existence_errors}


class User:
    def __init__(self, username, password=PASSWORD, groups=(),
                 attributes=None, status="CONFIRMED", enabled=True,
                 mfa=False, sub=None, identities=None):
        self.username = username
        self.password = password
        self.sub = sub or str(uuid.uuid4())
        self.groups = list(groups)
        self.attributes = dict(attributes or {})
        self.status = status
        self.enabled = enabled
        self.mfa = mfa
        self.identities = identities

    def describe(self):
        return {"username": self.username, "sub": self.sub,
                "groups": self.groups, "attributes": self.attributes,
                "status": self.status, "enabled": self.enabled,
                "mfa": self.mfa, "identities": self.identities}


class Pool:
    def __init__(self, pool_id, issuer_base, base_keys):
        self.pool_id = pool_id
        self.region = pool_id.split("_", 1)[0]
        self.issuer = issuer_base + "/" + pool_id
        # Every key the pool ever had, so indices given to tests stay
        # valid; `retired` ones are no longer published in the JWKS.
        self.keys = list(base_keys)
        self.retired = set()
        # Like Cognito: id tokens with the first key, access with the second.
        self.signing = {"id": 0, "access": 1}
        self.clients = {}
        self.users = {}

    def signing_key(self, use):
        return self.keys[self.signing[use]]

    def published(self):
        return [k for i, k in enumerate(self.keys) if i not in self.retired]

    def jwks(self):
        return {"keys": [dict(k.jwk) for k in self.published()]}

    def keys_by_kid(self):
        return {k.kid: k for k in self.published()}

    def user(self, name):
        """Usernames are case-insensitive, as in pools created today."""
        if not isinstance(name, str):
            return None
        return self.users.get(name.lower())

    def put_user(self, user):
        self.users[user.username.lower()] = user

    def rotate(self, key, use_for="both", retire_old=False):
        uses = ("id", "access") if use_for == "both" else (use_for,)
        self.keys.append(key)
        for u in uses:
            self.signing[u] = len(self.keys) - 1
        if retire_old:
            # Retire every key nothing signs with any more, but never the
            # other use's current key: rotating only the id key must not
            # orphan the access tokens being issued.
            in_use = set(self.signing.values())
            self.retired |= set(range(len(self.keys))) - in_use


class IdentityPool:
    def __init__(self, pool_id, user_pool, credential_lifetime=3600):
        self.pool_id = pool_id
        self.user_pool = user_pool
        self.credential_lifetime = int(credential_lifetime)


def seed_pool(pool):
    """The fixture clients and users; every pool gets them, so tokens can
    be minted for lazily created pools ("another pool's token") too."""
    pool.clients = {}
    pool.users = {}
    for c in (Client("emuclient1"),
              Client("emuclient2", secret="emusecret2"),
              Client("emusvc1", secret="emusvcsecret", scopes=M2M_SCOPES,
                     flows=["client_credentials"])):
        pool.clients[c.client_id] = c

    def attrs(name, **extra):
        a = {"email": name + "@example.com", "email_verified": True}
        a.update(extra)
        return a

    for u in (
            User("alice", groups=["admin", "staff"], attributes=attrs(
                "alice", **{"custom:tenant": "acme", "given_name": "Alice"})),
            User("bob", groups=["staff"], attributes=attrs("bob")),
            User("carol", attributes=attrs("carol")),
            User("newpw", status="FORCE_CHANGE_PASSWORD",
                 attributes=attrs("newpw")),
            User("disabled", enabled=False, attributes=attrs("disabled")),
            User("unconfirmed", status="UNCONFIRMED",
                 attributes=attrs("unconfirmed", email_verified=False)),
            User("mfauser", mfa=True, attributes=attrs("mfauser")),
            User("resetpw", status="RESET_REQUIRED",
                 attributes=attrs("resetpw"))):
        pool.put_user(u)


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._counts = dict.fromkeys(ENDPOINTS, 0)

    def count(self, endpoint):
        with self._lock:
            self._counts[endpoint] = self._counts.get(endpoint, 0) + 1

    def snapshot(self):
        with self._lock:
            return dict(self._counts)


class State:
    def __init__(self, key_factory, issuer_base):
        self.lock = threading.RLock()
        self.key_factory = key_factory
        self.issuer_base = issuer_base.rstrip("/")
        # Each pool's two original keys outlive resets: regenerating them
        # would make every reset cost a second of CPU.
        self._base_keys = {}
        self.stats = Stats()
        self.reset()

    def reset(self):
        with self.lock:
            self.pools = {}
            self.codes = {}
            self.refresh = {}
            self.sessions = {}
            self.identity_pools = {}
            self.identities = {}
            self.identity_by_sub = {}
            self.identity_calls = []
            self.settings = {"code_lifetime": CODE_LIFETIME}
        self.pool(DEFAULT_POOL)
        self.put_identity_pool(IdentityPool(DEFAULT_IDENTITY_POOL,
                                            DEFAULT_POOL))
        self.stats.reset()

    # -- pools and clients ------------------------------------------------

    def pool(self, pool_id, create=True):
        """The pool, created on first reference; None for a malformed id."""
        if not isinstance(pool_id, str) or not POOL_RE.match(pool_id):
            return None
        with self.lock:
            pool = self.pools.get(pool_id)
            if pool is not None or not create:
                return pool
            keys = self._base_keys.get(pool_id)
        if keys is None:
            # Outside the lock: may generate keys (slow) when the spare
            # stock is empty.
            keys = [self.key_factory.get(), self.key_factory.get()]
        with self.lock:
            if pool_id in self.pools:
                return self.pools[pool_id]
            keys = self._base_keys.setdefault(pool_id, keys)
            pool = Pool(pool_id, self.issuer_base, keys)
            seed_pool(pool)
            self.pools[pool_id] = pool
            return pool

    def find_client(self, client_id):
        """(pool, client) for a client id; the default pool wins when
        several pools have a client of that name, then creation order."""
        with self.lock:
            order = sorted(self.pools.values(),
                           key=lambda p: p.pool_id != DEFAULT_POOL)
            for pool in order:
                client = pool.clients.get(client_id)
                if client is not None:
                    return pool, client
        return None, None

    def put_identity_pool(self, ipool):
        with self.lock:
            self.identity_pools[ipool.pool_id] = ipool

    # -- authorization codes ----------------------------------------------

    def add_code(self, record):
        code = str(uuid.uuid4())
        record["expires"] = time.time() + self.settings["code_lifetime"]
        with self.lock:
            self.codes[code] = record
        return code

    def take_code(self, code):
        """Single use: whoever asks first consumes it, even if the exchange
        then fails (wrong verifier or client), like a real server should."""
        with self.lock:
            record = self.codes.pop(code, None)
        if record is None or record["expires"] < time.time():
            return None
        return record

    def outstanding_codes(self):
        now = time.time()
        with self.lock:
            return sum(1 for r in self.codes.values() if r["expires"] >= now)

    # -- refresh tokens ---------------------------------------------------

    def add_refresh(self, token, pool, client, user, scopes, auth_time,
                    origin):
        with self.lock:
            self.refresh[token] = {
                "id": origin[0], "pool": pool.pool_id,
                "client_id": client.client_id, "username": user.username,
                "scopes": list(scopes), "auth_time": auth_time,
                "origin": origin, "revoked": None,
                "expires": time.time() + client.refresh_lifetime}
        return token

    def get_refresh(self, token):
        with self.lock:
            record = self.refresh.get(token)
        if record is None or record["revoked"] is not None \
                or record["expires"] < time.time():
            return None
        return record

    def revoke_refresh(self, token, client_id):
        """Revoke if it belongs to the client; unknown tokens are no error."""
        with self.lock:
            record = self.refresh.get(token)
            if record is not None and record["client_id"] == client_id \
                    and record["revoked"] is None:
                record["revoked"] = time.time()

    def origin_revoked(self, origin_jti):
        """Revoking a refresh token also kills the access tokens issued
        with it (Cognito checks that at userInfo)."""
        with self.lock:
            return any(r["id"] == origin_jti and r["revoked"] is not None
                       for r in self.refresh.values())

    def revoked(self):
        with self.lock:
            return [{"id": r["id"], "client_id": r["client_id"],
                     "username": r["username"], "pool": r["pool"],
                     "revoked_at": r["revoked"]}
                    for r in self.refresh.values() if r["revoked"]]

    # -- hosted UI sessions -----------------------------------------------

    def new_session(self, pool_id, username, provider=None):
        sid = secrets.token_urlsafe(32)
        with self.lock:
            self.sessions[sid] = {"pool": pool_id, "username": username,
                                  "provider": provider,
                                  "auth_time": int(time.time())}
        return sid

    def session(self, sid):
        with self.lock:
            return self.sessions.get(sid) if sid else None

    def drop_session(self, sid):
        with self.lock:
            self.sessions.pop(sid, None)

    # -- identity pool identities -----------------------------------------

    def identity_id(self, ipool, sub):
        """Stable per (identity pool, user), like Cognito's."""
        with self.lock:
            key = (ipool.pool_id, sub)
            iid = self.identity_by_sub.get(key)
            if iid is None:
                region = ipool.pool_id.split(":", 1)[0]
                iid = "%s:%s" % (region, uuid.uuid4())
                self.identity_by_sub[key] = iid
                self.identities[iid] = key
            return iid

    def identity(self, iid):
        with self.lock:
            return self.identities.get(iid)

    def record_identity_call(self, call):
        """Successful GetId / GetCredentialsForIdentity calls, newest last
        (the Logins keys, never the tokens), so tests can see what the
        module sent and compare what it passed on with what was issued."""
        with self.lock:
            self.identity_calls.append(call)
            del self.identity_calls[:-200]

    def identity_call_log(self):
        with self.lock:
            return [dict(c) for c in self.identity_calls]
