"""The AWS JSON 1.1 APIs: user pool InitiateAuth and identity pool GetId /
GetCredentialsForIdentity, dispatched on X-Amz-Target by the router.

Errors are HTTP 400 with {"__type", "message"}, as AWS answers them.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import string
import time
import uuid

from emu_http import BadRequest, json_response
from emu_tokens import TokenError, check_times, issue_user_tokens, verify_jws

AMZ_JSON = "application/x-amz-json-1.1"
# X-Amz-Target -> endpoint name (for stats, faults and HANDLERS)
TARGETS = {
    "AWSCognitoIdentityProviderService.InitiateAuth": "initiate_auth",
    "AWSCognitoIdentityService.GetId": "get_id",
    "AWSCognitoIdentityService.GetCredentialsForIdentity": "get_credentials",
}


class ApiError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def amz_response(obj, status=200):
    return json_response(obj, status, AMZ_JSON,
                         [("x-amzn-RequestId", str(uuid.uuid4()))])


def amz_error(kind, message):
    return json_response({"__type": kind, "message": message}, 400,
                         AMZ_JSON, [("x-amzn-RequestId", str(uuid.uuid4())),
                                    ("x-amzn-ErrorType", kind)])


def _body(req):
    try:
        return req.json()
    except BadRequest as exc:
        raise ApiError("SerializationException", str(exc)) from exc


def _api(fn):
    """Turn ApiError into the AWS error answer."""
    def wrapper(app, req):
        try:
            return fn(app, req, _body(req))
        except ApiError as exc:
            return amz_error(exc.kind, exc.message)
    wrapper.__name__ = fn.__name__
    return wrapper


def unknown_operation(app, req):
    return amz_error("UnknownOperationException", "Unknown operation %s"
                     % (req.header("X-Amz-Target") or ""))


def _str_param(params, name):
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError("InvalidParameterException",
                       "Missing required parameter %s" % name)
    return value


# -- user pool -------------------------------------------------------------

def secret_hash(secret, username, client_id):
    mac = hmac.new(secret.encode(), (username + client_id).encode(),
                   hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def _check_secret_hash(client, params, usernames):
    if client.secret is None:
        return
    given = params.get("SECRET_HASH")
    ok = isinstance(given, str) and any(
        hmac.compare_digest(given, secret_hash(client.secret, u,
                                               client.client_id))
        for u in usernames)
    if not ok:
        raise ApiError("NotAuthorizedException",
                       "Unable to verify secret hash for client %s"
                       % client.client_id)


def _result(tokens):
    out = {"AccessToken": tokens["access_token"],
           "ExpiresIn": tokens["expires_in"],
           "IdToken": tokens["id_token"], "TokenType": "Bearer"}
    if "refresh_token" in tokens:
        out["RefreshToken"] = tokens["refresh_token"]
    return amz_response({"AuthenticationResult": out,
                         "ChallengeParameters": {}})


def _challenge(name, params):
    session = base64.b64encode(os.urandom(600)).decode()
    return amz_response({"ChallengeName": name,
                         "ChallengeParameters": params, "Session": session})


def _password_auth(app, pool, client, params):
    if "USER_PASSWORD_AUTH" not in client.flows:
        raise ApiError("InvalidParameterException",
                       "USER_PASSWORD_AUTH flow not enabled for this client")
    username = _str_param(params, "USERNAME")
    password = _str_param(params, "PASSWORD")
    _check_secret_hash(client, params, [username])
    user = pool.user(username)
    wrong = ApiError("NotAuthorizedException",
                     "Incorrect username or password.")
    if user is None and not client.prevent_user_existence_errors:
        raise ApiError("UserNotFoundException", "User does not exist.")
    if user is None or user.password is None:
        raise wrong
    if not user.enabled:
        raise ApiError("NotAuthorizedException", "User is disabled.")
    if not hmac.compare_digest(user.password.encode(), password.encode()):
        raise wrong
    if user.status == "UNCONFIRMED":
        raise ApiError("UserNotConfirmedException", "User is not confirmed.")
    if user.status == "RESET_REQUIRED":
        raise ApiError("PasswordResetRequiredException",
                       "Password reset required for the user")
    if user.status == "FORCE_CHANGE_PASSWORD":
        attrs = {k: (("true" if v else "false") if isinstance(v, bool)
                     else str(v)) for k, v in user.attributes.items()}
        return _challenge("NEW_PASSWORD_REQUIRED", {
            "USER_ID_FOR_SRP": user.username, "requiredAttributes": "[]",
            "userAttributes": json.dumps(attrs)})
    if user.mfa:
        return _challenge("SOFTWARE_TOKEN_MFA",
                          {"USER_ID_FOR_SRP": user.username})
    return _result(issue_user_tokens(
        app.state, pool, client, user, ["aws.cognito.signin.user.admin"],
        refresh="refresh" in client.flows, with_at_hash=False))


def _refresh_auth(app, pool, client, params):
    if "refresh" not in client.flows:
        raise ApiError("InvalidParameterException",
                       "REFRESH_TOKEN_AUTH flow not enabled for this client")
    token = _str_param(params, "REFRESH_TOKEN")
    rec = app.state.get_refresh(token)
    invalid = ApiError("NotAuthorizedException", "Invalid Refresh Token")
    if rec is None or rec["client_id"] != client.client_id:
        raise invalid
    user = pool.user(rec["username"])
    if user is None or not user.enabled:
        raise invalid
    # With a secret, the hash may be over the username or the sub.
    _check_secret_hash(client, params, [user.username, user.sub])
    return _result(issue_user_tokens(
        app.state, pool, client, user, rec["scopes"], refresh=False,
        auth_time=rec["auth_time"], origin=rec["origin"],
        with_at_hash=False))


@_api
def initiate_auth(app, req, body):
    client_id = body.get("ClientId")
    if not isinstance(client_id, str) or not client_id:
        raise ApiError("InvalidParameterException",
                       "1 validation error detected: Value null at "
                       "'clientId' failed to satisfy constraint: Member "
                       "must not be null")
    params = body.get("AuthParameters") or {}
    if not isinstance(params, dict):
        raise ApiError("InvalidParameterException",
                       "AuthParameters must be a map")
    pool, client = app.state.find_client(client_id)
    if client is None:
        raise ApiError("ResourceNotFoundException",
                       "User pool client %s does not exist." % client_id)
    flow = body.get("AuthFlow")
    if flow == "USER_PASSWORD_AUTH":
        return _password_auth(app, pool, client, params)
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return _refresh_auth(app, pool, client, params)
    raise ApiError("InvalidParameterException",
                   "Unsupported AuthFlow %s" % (flow,))


# -- identity pool ---------------------------------------------------------

def provider_names(app, pool):
    """Login keys that name this user pool: Cognito's canonical one, and
    the issuer without its scheme (how it looks with a custom issuer)."""
    canonical = "cognito-idp.%s.amazonaws.com/%s" % (pool.region,
                                                     pool.pool_id)
    return {canonical, pool.issuer.split("://", 1)[-1]}


def _check_logins(app, ipool, logins):
    """Claims of the id token in Logins for the identity pool's user pool."""
    if not logins:
        raise ApiError("NotAuthorizedException", "Unauthenticated access is "
                       "not supported for this identity pool.")
    if not isinstance(logins, dict):
        raise ApiError("InvalidParameterException", "Logins must be a map")
    pool = app.state.pool(ipool.user_pool)
    names = provider_names(app, pool)
    tokens = [v for k, v in logins.items() if k in names]
    if not tokens:
        raise ApiError("NotAuthorizedException", "Invalid login token. "
                       "Token is not from a supported provider of this "
                       "identity pool.")
    try:
        _, claims = verify_jws(tokens[0], pool.keys_by_kid())
        if claims.get("iss") != pool.issuer:
            raise TokenError("Issuer doesn't match providerName")
        if claims.get("token_use") != "id":
            raise TokenError("Not an id token")
        if claims.get("aud") not in pool.clients:
            raise TokenError("Audience is not a client of the user pool")
        check_times(claims)
        if not isinstance(claims.get("sub"), str):
            raise TokenError("No sub")
    except TokenError as exc:
        raise ApiError("NotAuthorizedException",
                       "Invalid login token. %s" % exc) from exc
    return claims


def _identity_pool(app, pool_id):
    with app.state.lock:
        ipool = app.state.identity_pools.get(pool_id)
    if ipool is None:
        raise ApiError("ResourceNotFoundException",
                       "IdentityPool '%s' not found." % (pool_id,))
    return ipool


@_api
def get_id(app, req, body):
    ipool = _identity_pool(app, body.get("IdentityPoolId"))
    claims = _check_logins(app, ipool, body.get("Logins"))
    iid = app.state.identity_id(ipool, claims["sub"])
    app.state.record_identity_call({
        "op": "get_id", "identity_pool": ipool.pool_id,
        "logins": sorted(body["Logins"]), "identity_id": iid})
    return amz_response({"IdentityId": iid})


def _random_credentials(lifetime):
    key_alphabet = string.ascii_uppercase + "234567"
    secret_alphabet = string.ascii_letters + string.digits + "+/"
    return {
        "AccessKeyId": "ASIA" + "".join(secrets.choice(key_alphabet)
                                        for _ in range(16)),
        "Expiration": int(time.time()) + lifetime,
        "SecretKey": "".join(secrets.choice(secret_alphabet)
                             for _ in range(40)),
        "SessionToken": base64.b64encode(os.urandom(720)).decode(),
    }


@_api
def get_credentials(app, req, body):
    iid = body.get("IdentityId")
    entry = app.state.identity(iid) if isinstance(iid, str) else None
    if entry is None:
        raise ApiError("ResourceNotFoundException",
                       "Identity '%s' not found." % (iid,))
    ipool = _identity_pool(app, entry[0])
    claims = _check_logins(app, ipool, body.get("Logins"))
    if claims["sub"] != entry[1]:
        raise ApiError("NotAuthorizedException", "Logins don't match. "
                       "Please include at least one valid login for this "
                       "identity or identity pool.")
    creds = _random_credentials(ipool.credential_lifetime)
    app.state.record_identity_call({
        "op": "get_credentials", "identity_pool": ipool.pool_id,
        "logins": sorted(body["Logins"]), "identity_id": iid,
        "credentials": dict(creds)})
    return amz_response({"Credentials": creds, "IdentityId": iid})


HANDLERS = {"initiate_auth": initiate_auth, "get_id": get_id,
            "get_credentials": get_credentials}
