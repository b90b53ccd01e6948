"""The pool's published metadata: JWKS and OpenID discovery document."""
from emu_http import json_response


def _pool_or_404(app, pool_id):
    pool = app.state.pool(pool_id)
    if pool is None:
        return None, json_response(
            {"message": "User pool %s does not exist." % pool_id}, 404)
    return pool, None


def jwks(app, req, pool_id):
    pool, err = _pool_or_404(app, pool_id)
    return err or json_response(pool.jwks())


def openid_configuration(app, req, pool_id):
    pool, err = _pool_or_404(app, pool_id)
    if err:
        return err
    # Endpoints point at the listener that was asked (http or https), so a
    # client that discovered over TLS stays on TLS.  jwks_uri derives from
    # the issuer, as Cognito's does.
    base = req.base_url
    return json_response({
        "authorization_endpoint": base + "/oauth2/authorize",
        "end_session_endpoint": base + "/logout",
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": pool.issuer,
        "jwks_uri": pool.issuer + "/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "revocation_endpoint": base + "/oauth2/revoke",
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": base + "/oauth2/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": base + "/oauth2/userInfo",
    })
