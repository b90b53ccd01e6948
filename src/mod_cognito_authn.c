/*
 * mod_cognito_authn.c: AuthType Cognito.  Finds the bearer token, has the
 * library judge it, and either establishes the user or answers 401/503 the
 * way RFC 6750 says.
 */
#include "mod_cognito.h"

#include <apr_strings.h>
#include <apr_time.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "lib/cg_claims.h"

APLOG_USE_MODULE(auth_cognito);

cognito_request_ctx *cognito_ctx(request_rec *r)
{
    return ap_get_module_config(r->request_config, &auth_cognito_module);
}

/* The context of this request, or of the request it was derived from when
 * httpd skipped authentication because the configuration was the same. */
cognito_request_ctx *cognito_ctx_find(request_rec *r)
{
    while (r) {
        cognito_request_ctx *ctx = cognito_ctx(r);
        if (ctx) {
            return ctx;
        }
        r = r->main ? r->main : r->prev;
    }
    return NULL;
}

static cognito_request_ctx *ctx_create(request_rec *r)
{
    cognito_request_ctx *ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ap_set_module_config(r->request_config, &auth_cognito_module, ctx);
    return ctx;
}

/* A realm as a quoted-string: escape '"' and '\'. */
static const char *quoted_realm(request_rec *r)
{
    const char *name = ap_auth_name(r);
    const char *s;
    char *out, *o;

    if (!name) {
        name = COGNITO_AUTH_TYPE;
    }
    o = out = apr_palloc(r->pool, strlen(name) * 2 + 1);
    for (s = name; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *o++ = '\\';
        }
        if ((unsigned char)*s >= 0x20 && *s != 0x7f) {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

/* 401 with an RFC 6750 challenge; error NULL when no token was sent. */
static int challenge(request_rec *r, const char *error, const char *desc)
{
    const char *h = apr_psprintf(r->pool, "Bearer realm=\"%s\"",
                                 quoted_realm(r));
    if (error) {
        h = apr_psprintf(r->pool, "%s, error=\"%s\", error_description=\"%s\"",
                         h, error, desc);
    }
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", h);
    return HTTP_UNAUTHORIZED;
}

cg_err_code_e cognito_validate(request_rec *r, const cognito_dir_conf *d,
                               const char *token, apr_size_t len,
                               int token_use_mask, const char *nonce,
                               cg_jwt_t **jwt, cg_error_t *err)
{
    cg_jwt_policy_t policy;
    cg_key_source_t keys;
    int hit = 0;
    cg_err_code_e rc;

    policy.issuer = d->issuer;
    policy.client_ids = d->client_ids;
    policy.token_use = token_use_mask;
    policy.clock_skew = cognito_clock_skew(d);
    policy.max_size = d->max_token_size == COGNITO_UNSET
                      ? CG_JWT_DEFAULT_MAX_SIZE : (apr_size_t)d->max_token_size;
    policy.nonce = nonce;
    cognito_key_source(r, d, &keys);
    rc = cg_jwt_validate_cached(cognito_token_cache(), r->pool, d->jwks_uri,
                                token, len, &policy, &keys,
                                apr_time_sec(apr_time_now()), jwt, &hit, err);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "token cache %s",
                  hit ? "hit" : "miss");
    return rc;
}

/* Split "Bearer <token>": returns the token, "" for an empty one, or NULL
 * when the scheme is something else.  The scheme is case-insensitive
 * (RFC 7235 section 2.1), so "bearer" works too. */
static const char *bearer_token(const char *header)
{
    while (*header == ' ' || *header == '\t') header++;
    if (strncasecmp(header, "Bearer", 6) != 0
        || (header[6] && header[6] != ' ' && header[6] != '\t')) {
        return NULL;
    }
    header += 6;
    while (*header == ' ' || *header == '\t') header++;
    return header;
}

/* No bearer token: a session, a login redirect, a pass, or a 401. */
static int no_token(request_rec *r, const cognito_dir_conf *d,
                    const char *hdr)
{
    int rc, action = cognito_unauth_action(d);

    if (d->sealer) {
        rc = cognito_authn_session(r, d);
        if (rc != DECLINED) {
            return rc;
        }
    }
    if (action == COGNITO_UNAUTH_PASS) {
        /* Let the request through without a user; "Require valid-user"
         * still passes (an empty user), Require cognito-* do not. */
        r->user = "";
        r->ap_auth_type = (char *)COGNITO_AUTH_TYPE;
        return OK;
    }
    if (action == COGNITO_UNAUTH_LOGIN && d->sealer
        && cognito_is_navigation(r)) {
        return cognito_start_login(r, d, r->unparsed_uri);
    }
    if (hdr) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Authorization header is not a Bearer token");
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "no credentials for %s", r->uri);
    }
    return challenge(r, NULL, NULL);
}

int cognito_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *hdr, *token, *user, *problem;
    cognito_dir_conf *d;
    cognito_request_ctx *ctx;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_jwt_t *jwt;
    int rc;

    if (!type || strcasecmp(type, COGNITO_AUTH_TYPE) != 0) {
        return DECLINED;
    }
    d = ap_get_module_config(r->per_dir_config, &auth_cognito_module);
    problem = cognito_conf_problem(d);
    if (problem) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AuthType Cognito for %s: %s", r->uri, problem);
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    /* The login callback and logout paths answer before anything else. */
    rc = cognito_login_endpoint(r, d);
    if (rc != DECLINED) {
        return rc;
    }

    hdr = apr_table_get(r->headers_in, "Authorization");
    token = hdr ? bearer_token(hdr) : NULL;
    if (!token) {
        return no_token(r, d, hdr);
    }
    if (!*token) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "token rejected: empty Bearer credentials");
        return challenge(r, "invalid_token", "malformed token");
    }

    rc = cognito_validate(r, d, token, strlen(token), cognito_token_use(d),
                          NULL, &jwt, &err);
    if (rc != CG_OK) {
        if (cg_error_is_server_side((cg_err_code_e)rc)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "cannot validate token: %s", err.detail);
            apr_table_setn(r->err_headers_out, "Retry-After", "10");
            return HTTP_SERVICE_UNAVAILABLE;
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "token rejected: %s",
                      err.detail);
        return challenge(r, "invalid_token", err.description);
    }

    user = cg_claims_username(jwt->claims, d->remote_user_claim);
    if (!user || !*user) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "token rejected: no %s claim to use as the user name",
                      d->remote_user_claim ? d->remote_user_claim
                                           : "username");
        return challenge(r, "invalid_token",
                         cg_error_description(CG_ERR_MISSING_CLAIM));
    }
    r->user = apr_pstrdup(r->pool, user);
    r->ap_auth_type = (char *)COGNITO_AUTH_TYPE;
    ctx = ctx_create(r);
    ctx->claims = jwt->claims;
    ctx->jwt = jwt;
    ctx->user = r->user;
    ctx->source = "bearer";
    ctx->bearer = 1;
    if (jwt->token_use == CG_TOKEN_USE_ID) {
        ctx->id_token = jwt->raw;
    }
    else {
        ctx->access_token = jwt->raw;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "token accepted for %s",
                  r->user);
    return OK;
}
