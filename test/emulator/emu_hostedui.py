"""Hosted UI and OAuth2 endpoints: /oauth2/authorize, /login,
/oauth2/token, /oauth2/userInfo, /oauth2/revoke, /logout.

The pool is found through the client id, as on a real Cognito domain
(one domain per pool; here one listener for all pools).
"""
import base64
import hashlib
import hmac
import html
import json
import re
import time

from emu_http import (Response, add_query, error_page, html_page,
                      json_response, redirect)
from emu_state import PASSWORD, User
from emu_tokens import (TokenError, check_times, issue_user_tokens,
                        m2m_claims, signed, unb64u, verify_jws)

SESSION_COOKIE = "emu_cognito_session"
AUTH_PARAMS = ("response_type", "client_id", "redirect_uri", "state",
               "scope", "nonce", "code_challenge", "code_challenge_method",
               "identity_provider", "idp_identifier")
PKCE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
# Social providers keep their own providerType; anything else is OIDC.
PROVIDER_TYPES = {"Google": "Google", "Facebook": "Facebook",
                  "LoginWithAmazon": "LoginWithAmazon",
                  "SignInWithApple": "SignInWithApple"}
NO_STORE = [("Cache-Control", "no-cache, no-store, max-age=0, "
                              "must-revalidate"), ("Pragma", "no-cache")]


# -- the authorization request ---------------------------------------------

def _parse_authorize(app, params):
    """(pool, client, request) or (None, None, Response to send).

    Problems with the client or redirect_uri get a page and no redirect,
    so an attacker cannot bounce errors to an unregistered URL; everything
    else redirects back with error=... like Cognito.
    """
    pool, client = app.state.find_client(params.get("client_id") or "")
    if client is None:
        return None, None, error_page(400, "invalid_request",
                                      "Client does not exist.")
    redirect_uri = params.get("redirect_uri", "")
    if not client.callback_ok(redirect_uri):
        return None, None, error_page(400, "redirect_mismatch",
                                      "redirect_uri is not registered.")

    def fail(error, description):
        out = {"error": error, "error_description": description}
        if params.get("state"):
            out["state"] = params["state"]
        return None, None, redirect(add_query(redirect_uri, out))

    if params.get("response_type") != "code":
        return fail("unsupported_response_type", "response_type must be code")
    if "code" not in client.flows:
        return fail("unauthorized_client", "code flow not allowed")
    scopes = []
    for s in (params.get("scope") or "").split():
        if s not in scopes:
            scopes.append(s)
    if not scopes:
        scopes = list(client.scopes)
    if any(s not in client.scopes for s in scopes):
        return fail("invalid_scope", "invalid_scope")
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge or method:
        if method != "S256":
            return fail("invalid_request",
                        "code_challenge_method must be S256")
        if not challenge or not PKCE_RE.match(challenge):
            return fail("invalid_request", "malformed code_challenge")
    provider = params.get("identity_provider") or None
    if provider == "COGNITO":
        provider = None
    request = {k: params[k] for k in AUTH_PARAMS if params.get(k)}
    request.update(scopes=scopes, provider=provider, challenge=challenge,
                   redirect_uri=redirect_uri)
    return pool, client, request


def _login_form(request, error=None):
    hidden = "\n".join(
        '<input type="hidden" name="%s" value="%s">'
        % (k, html.escape(request[k], quote=True))
        for k in AUTH_PARAMS if request.get(k))
    provider = request.get("provider")
    title = ("Sign in with %s" % provider) if provider else "Sign in"
    err = ('<p class="error" id="loginErrorMessage">%s</p>\n'
           % html.escape(error)) if error else ""
    body = ("<h1>%s</h1>\n%s"
            '<form method="post" action="/login" name="cognitoSignInForm">\n'
            "%s\n"
            '<label>Username <input type="text" name="username" '
            'id="signInFormUsername" autocomplete="username"></label>\n'
            '<label>Password <input type="password" name="password" '
            'id="signInFormPassword" autocomplete="current-password">'
            "</label>\n"
            '<button type="submit" id="signin" name="signInSubmitButton">'
            "Sign in</button>\n</form>"
            % (html.escape(title), err, hidden))
    return html_page(title, body, headers=NO_STORE)


def _session_cookie(req, sid):
    secure = "; Secure" if req.secure else ""
    if sid is None:
        return ("Set-Cookie", "%s=; Path=/; Max-Age=0; HttpOnly; "
                              "SameSite=Lax%s" % (SESSION_COOKIE, secure))
    return ("Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Lax%s"
            % (SESSION_COOKIE, sid, secure))


def _code_redirect(app, req, pool, client, request, user, auth_time,
                   sid=None):
    code = app.state.add_code({
        "pool": pool.pool_id, "client_id": client.client_id,
        "redirect_uri": request["redirect_uri"],
        "challenge": request["challenge"], "nonce": request.get("nonce"),
        "scopes": request["scopes"], "username": user.username,
        "auth_time": auth_time})
    params = {"code": code}
    if request.get("state"):
        params["state"] = request["state"]
    headers = [_session_cookie(req, sid)] if sid else []
    return redirect(add_query(request["redirect_uri"], params), headers)


def authorize(app, req):
    pool, client, request = _parse_authorize(app, req.query)
    if pool is None:
        return request
    session = app.state.session(req.cookie(SESSION_COOKIE))
    if session and session["pool"] == pool.pool_id \
            and req.query.get("prompt") != "login" \
            and request["provider"] in (None, session["provider"]):
        user = pool.user(session["username"])
        if user is not None and user.enabled:
            return _code_redirect(app, req, pool, client, request, user,
                                  session["auth_time"])
    return _login_form(request)


def _federated_user(pool, provider, login):
    """The pool's shadow user for an external identity, made on first
    login: `<Provider>_<digits>`, group `<pool>_<Provider>`."""
    digest = hashlib.sha256((provider + "\0" + login).encode()).digest()
    user_id = str(int.from_bytes(digest[:9], "big")).zfill(21)[:21]
    username = "%s_%s" % (provider, user_id)
    user = pool.user(username)
    if user is None:
        email = login if "@" in login else login + "@example.com"
        user = User(username, password=None,
                    groups=["%s_%s" % (pool.pool_id, provider)],
                    attributes={"email": email, "email_verified": False},
                    status="EXTERNAL_PROVIDER", identities=[{
                        "userId": user_id, "providerName": provider,
                        "providerType": PROVIDER_TYPES.get(provider, "OIDC"),
                        "issuer": None, "primary": "true",
                        "dateCreated": str(int(time.time() * 1000))}])
        pool.put_user(user)
    return user


def _check_login(pool, request, username, password):
    """(user, None) or (None, message shown on the form)."""
    if request["provider"]:
        if not username or password != PASSWORD:
            return None, "Incorrect username or password."
        return _federated_user(pool, request["provider"], username), None
    user = pool.user(username)
    if user is None or user.password is None \
            or not hmac.compare_digest(user.password.encode(),
                                       password.encode()):
        return None, "Incorrect username or password."
    if not user.enabled:
        return None, "User is disabled."
    messages = {"UNCONFIRMED": "User is not confirmed.",
                "RESET_REQUIRED": "Password reset required for the user.",
                "FORCE_CHANGE_PASSWORD": "Password change required "
                                         "(not emulated in the hosted UI)."}
    if user.status in messages:
        return None, messages[user.status]
    if user.mfa:
        return None, "MFA is required (not emulated in the hosted UI)."
    return user, None


def login(app, req):
    if req.method == "GET":
        pool, client, request = _parse_authorize(app, req.query)
        return request if pool is None else _login_form(request)
    if req.method != "POST":
        return error_page(405, "method_not_allowed")
    form = req.form()
    pool, client, request = _parse_authorize(app, form)
    if pool is None:
        return request
    user, error = _check_login(pool, request, form.get("username", ""),
                               form.get("password", ""))
    if user is None:
        return _login_form(request, error)
    auth_time = int(time.time())
    sid = app.state.new_session(pool.pool_id, user.username,
                                request["provider"])
    return _code_redirect(app, req, pool, client, request, user, auth_time,
                          sid)


def logout(app, req):
    q = req.query
    pool, client = app.state.find_client(q.get("client_id") or "")
    if client is None:
        return error_page(400, "invalid_request", "Client does not exist.")
    logout_uri = q.get("logout_uri")
    if logout_uri:
        if not client.logout_ok(logout_uri):
            return error_page(400, "invalid_request",
                              "logout_uri is not registered.")
        target = logout_uri
    elif q.get("redirect_uri") and q.get("response_type"):
        # Cognito's other logout form: sign out, then back to the login.
        pool, client, request = _parse_authorize(app, q)
        if pool is None:
            return request
        target = add_query(req.base_url + "/login",
                           {k: q[k] for k in AUTH_PARAMS if q.get(k)})
    else:
        return error_page(400, "invalid_request", "logout_uri is missing.")
    app.state.drop_session(req.cookie(SESSION_COOKIE))
    return redirect(target, [_session_cookie(req, None)])


# -- the token endpoint ----------------------------------------------------

def _oauth_error(error, status=400):
    return json_response({"error": error}, status, headers=NO_STORE)


def _client_auth(app, req, form):
    """(pool, client) of an authenticated client, or (None, Response)."""
    basic = req.basic_auth()
    if req.header("Authorization") and basic is None:
        return None, _oauth_error("invalid_client")
    client_id = basic[0] if basic else form.get("client_id")
    if basic and form.get("client_id") not in (None, basic[0]):
        return None, _oauth_error("invalid_client")
    pool, client = app.state.find_client(client_id or "")
    if client is None:
        return None, _oauth_error("invalid_client")
    if client.secret is not None:
        given = basic[1] if basic else form.get("client_secret")
        if given is None or not hmac.compare_digest(
                given.encode(), client.secret.encode()):
            return None, _oauth_error("invalid_client")
    return pool, client


def _token_answer(tokens):
    out = {}
    for k in ("id_token", "access_token", "refresh_token", "expires_in"):
        if k in tokens:
            out[k] = tokens[k]
    out["token_type"] = "Bearer"
    return json_response(out, headers=NO_STORE)


def _grant_code(app, pool, client, form):
    if "code" not in client.flows:
        return _oauth_error("unauthorized_client")
    code = form.get("code")
    if not code:
        return _oauth_error("invalid_request")
    rec = app.state.take_code(code)
    if rec is None or rec["client_id"] != client.client_id \
            or rec["pool"] != pool.pool_id \
            or form.get("redirect_uri") != rec["redirect_uri"]:
        return _oauth_error("invalid_grant")
    if rec["challenge"]:
        verifier = form.get("code_verifier") or ""
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not VERIFIER_RE.match(verifier) or not hmac.compare_digest(
                expected, rec["challenge"]):
            return _oauth_error("invalid_grant")
    user = pool.user(rec["username"])
    if user is None or not user.enabled:
        return _oauth_error("invalid_grant")
    refresh = "refresh" in client.flows
    tokens = issue_user_tokens(app.state, pool, client, user, rec["scopes"],
                               nonce=rec["nonce"], refresh=refresh,
                               auth_time=rec["auth_time"],
                               id_token="openid" in rec["scopes"])
    return _token_answer(tokens)


def _grant_refresh(app, pool, client, form):
    if "refresh" not in client.flows:
        return _oauth_error("unauthorized_client")
    rec = app.state.get_refresh(form.get("refresh_token") or "")
    if rec is None or rec["client_id"] != client.client_id \
            or rec["pool"] != pool.pool_id:
        return _oauth_error("invalid_grant")
    user = pool.user(rec["username"])
    if user is None or not user.enabled:
        return _oauth_error("invalid_grant")
    # No new refresh token, same origin_jti/auth_time as the login.
    tokens = issue_user_tokens(app.state, pool, client, user, rec["scopes"],
                               refresh=False, auth_time=rec["auth_time"],
                               origin=rec["origin"],
                               id_token="openid" in rec["scopes"])
    return _token_answer(tokens)


def _grant_client_credentials(app, pool, client, form):
    if client.secret is None or "client_credentials" not in client.flows:
        return _oauth_error("unauthorized_client")
    scopes = []
    for s in (form.get("scope") or "").split():
        if s not in scopes:
            scopes.append(s)
    scopes = scopes or list(client.scopes)
    if any(s not in client.scopes for s in scopes):
        return _oauth_error("invalid_scope")
    now = int(time.time())
    token = signed(pool, "access", m2m_claims(
        pool, client.client_id, scopes, now, client.access_lifetime))
    return json_response({"access_token": token,
                          "expires_in": client.access_lifetime,
                          "token_type": "Bearer"}, headers=NO_STORE)


GRANTS = {"authorization_code": _grant_code,
          "refresh_token": _grant_refresh,
          "client_credentials": _grant_client_credentials}


def token(app, req):
    if req.method != "POST":
        return json_response({"error": "invalid_request"}, 405,
                             headers=[("Allow", "POST")])
    ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request")
    form = req.form()
    pool, client = _client_auth(app, req, form)
    if pool is None:
        return client
    grant = form.get("grant_type")
    if not grant:
        return _oauth_error("invalid_request")
    if grant not in GRANTS:
        return _oauth_error("unsupported_grant_type")
    return GRANTS[grant](app, pool, client, form)


def revoke(app, req):
    if req.method != "POST":
        return json_response({"error": "invalid_request"}, 405,
                             headers=[("Allow", "POST")])
    form = req.form()
    pool, client = _client_auth(app, req, form)
    if pool is None:
        return client
    tok = form.get("token")
    if not tok:
        return _oauth_error("invalid_request")
    if tok.count(".") == 2:
        # An id/access token: Cognito only revokes refresh tokens.
        return _oauth_error("unsupported_token_type")
    app.state.revoke_refresh(tok, client.client_id)
    return Response(200, b"", None, NO_STORE)


# -- userInfo --------------------------------------------------------------

def _unauthorized(description):
    return json_response(
        {"error": "invalid_token", "error_description": description}, 401,
        headers=[("WWW-Authenticate",
                  'Bearer error="invalid_token", error_description="%s"'
                  % description)])


def _userinfo_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def userinfo(app, req):
    tok = req.bearer()
    if not tok:
        return _unauthorized("Access token is missing")
    try:
        claims = json.loads(unb64u(tok.split(".")[1]))
        iss = claims["iss"]
        pool = app.state.pool(iss.rsplit("/", 1)[-1], create=False)
        if pool is None or pool.issuer != iss:
            raise TokenError("unknown issuer")
        _, claims = verify_jws(tok, pool.keys_by_kid())
        check_times(claims)
        if claims.get("token_use") != "access" or "username" not in claims:
            raise TokenError("not a user access token")
        if app.state.origin_revoked(claims.get("origin_jti")):
            raise TokenError("Access token has been revoked")
        user = pool.user(claims["username"])
        if user is None or not user.enabled or user.sub != claims["sub"]:
            raise TokenError("User does not exist")
    except (TokenError, ValueError, KeyError, IndexError, TypeError,
            AttributeError) as exc:
        msg = str(exc) if isinstance(exc, TokenError) else "Invalid token"
        return _unauthorized(msg)
    out = {"sub": user.sub}
    attrs = user.attributes
    if "email_verified" in attrs:
        out["email_verified"] = _userinfo_value(attrs["email_verified"])
    for k, v in attrs.items():
        if k not in out:
            out[k] = _userinfo_value(v)
    if user.identities:
        out["identities"] = json.dumps(user.identities)
    out["username"] = user.username
    return json_response(out, headers=NO_STORE)
