/*
 * mod_cognito_aws.c: temporary AWS credentials for the logged-in user from
 * a Cognito identity pool (CognitoIdentityPoolId).
 *
 * The user's id token (from the browser session, an id bearer token or a
 * Basic login) is presented to GetId and GetCredentialsForIdentity with
 * the Logins key named after the issuer.  Both answers are kept in the
 * shared cache, sealed, per identity pool, issuer and user: the identity
 * id for a day (it never changes, so renewals need one call, not two), the
 * credentials until shortly before they expire (cg_aws_renew_at).  Within
 * one request (sub-requests, internal redirects, a handler after the
 * fixups) they are looked up once.
 *
 *   CognitoPassAwsCredentials On|Headers   AWS_ACCESS_KEY_ID,
 *       AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION
 *       and COGNITO_IDENTITY_ID in the backend's environment (Headers: also
 *       as request headers, only when asked for explicitly).  Never logged.
 *       With either, the module owns those variable names: values set
 *       earlier (SetEnvIf from a request header, say) are removed first.
 *   SetHandler cognito-aws-credentials     the AWS CLI credential_process
 *       JSON for the caller.
 *
 * Refusals by the identity pool answer 403, an unreachable or throttling
 * identity service 503, and a caller without an id token (access token
 * only) a 403 that says an id token is needed.
 */
#include "mod_cognito.h"

#include <apr_strings.h>
#include <apr_time.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "lib/cg_claims.h"
#include "lib/cg_identity.h"

APLOG_USE_MODULE(auth_cognito);

#define CREDS_MAX (48 * 1024)       /* largest cache entry read back */
#define IDENTITY_TTL 86400          /* seconds an identity id is reused */
#define RETRY_AFTER "10"

static const char *const aws_vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION", NULL
};

/* What one request (with its sub-requests and internal redirects, which
 * share the top request's pool) learnt about one identity. */
typedef struct {
    int status;
    cg_aws_credentials_t c;
} aws_memo;

static apr_int64_t now_sec(void)
{
    return apr_time_sec(apr_time_now());
}

static apr_pool_t *top_pool(request_rec *r)
{
    while (r->main) {
        r = r->main;
    }
    return r->pool;
}

static cg_err_code_e call(request_rec *r, const cognito_dir_conf *d,
                          const char *target, const char *body,
                          cg_http_response_t *resp, cg_error_t *err)
{
    cognito_server_conf *sc = ap_get_module_config(r->server->module_config,
                                                   &auth_cognito_module);
    cg_http_request_t req;

    memset(resp, 0, sizeof(*resp));
    if (!body) {
        return cg_error_set(err, r->pool, CG_ERR_INTERNAL,
                            "cannot build the %s request", target);
    }
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = d->identity_endpoint
              ? d->identity_endpoint
              : cg_identity_endpoint(r->pool, d->identity_pool);
    req.body = body;
    req.body_len = strlen(body);
    req.headers = apr_table_make(r->pool, 2);
    apr_table_setn(req.headers, "Content-Type", "application/x-amz-json-1.1");
    apr_table_setn(req.headers, "X-Amz-Target",
                   apr_pstrcat(r->pool, "AWSCognitoIdentityService.", target,
                               NULL));
    return cg_http_curl(NULL, r->pool, &sc->http, &req, resp, err);
}

static int refused(request_rec *r, const char *msg)
{
    ap_custom_response(r, HTTP_FORBIDDEN, apr_psprintf(
        r->pool, "<!DOCTYPE html>\n<html><head><title>403 Forbidden</title>"
        "</head><body><h1>Forbidden</h1><p>%s</p></body></html>\n",
        ap_escape_html(r->pool, msg)));
    return HTTP_FORBIDDEN;
}

static int unavailable(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
    return HTTP_SERVICE_UNAVAILABLE;
}

/* ---- the identity id (GetId), cached ---- */

static const char *cached_identity(request_rec *r, const cg_sealer_t *s,
                                   const char *key)
{
    const char *val, *iid;
    apr_size_t len;

    if (cognito_cache_get(r->pool, key, 1024, &val, &len) != APR_SUCCESS) {
        return NULL;
    }
    iid = (const char *)cg_unseal(r->pool, s, apr_pstrcat(
        r->pool, "aws-identity:", key, NULL), val, &len);
    return iid && !cg_identity_pool_problem(iid) ? iid : NULL;
}

static void remember_identity(request_rec *r, const cg_sealer_t *s,
                              const char *key, const char *iid)
{
    char *sealed = cg_seal(r->pool, s, apr_pstrcat(r->pool, "aws-identity:",
                                                   key, NULL),
                           (const unsigned char *)iid, strlen(iid));
    if (sealed) {
        cognito_cache_put(r->pool, key, sealed, strlen(sealed),
                          apr_time_now() + apr_time_from_sec(IDENTITY_TTL));
    }
}

static cg_err_code_e get_id(request_rec *r, const cognito_dir_conf *d,
                            const char *provider, const char *id_token,
                            const char **iid, cg_identity_fault_t *fault,
                            cg_error_t *err)
{
    cg_http_response_t resp;
    cg_err_code_e rc;

    rc = call(r, d, "GetId", cg_identity_get_id_body(
                  r->pool, d->identity_pool, provider, id_token), &resp, err);
    if (rc == CG_OK) {
        rc = cg_identity_parse_get_id(r->pool, resp.status, resp.body,
                                      resp.body_len, iid, fault, err);
    }
    return rc;
}

static cg_err_code_e get_credentials(request_rec *r,
                                     const cognito_dir_conf *d,
                                     const char *provider,
                                     const char *id_token, const char *iid,
                                     cg_aws_credentials_t *out,
                                     cg_identity_fault_t *fault,
                                     cg_error_t *err)
{
    cg_http_response_t resp;
    cg_err_code_e rc;

    rc = call(r, d, "GetCredentialsForIdentity", cg_identity_credentials_body(
                  r->pool, iid, provider, id_token), &resp, err);
    if (rc == CG_OK) {
        rc = cg_identity_parse_credentials(r->pool, resp.status, resp.body,
                                           resp.body_len, out, fault, err);
    }
    if (rc == CG_OK && !out->identity_id) {
        out->identity_id = iid;
    }
    return rc;
}

/* GetId (unless the identity id is cached) and GetCredentialsForIdentity.
 * A cached identity id the service no longer accepts is forgotten and the
 * pair is tried once more from the start. */
static int fetch(request_rec *r, const cognito_dir_conf *d, const char *hash,
                 const char *id_token, cg_aws_credentials_t *out)
{
    const cg_sealer_t *sealer = cognito_internal_sealer(d);
    const char *provider = cg_identity_provider_name(r->pool, d->issuer);
    const char *id_key = apr_pstrcat(r->pool, "cg:aid:", hash, NULL);
    const char *iid = cached_identity(r, sealer, id_key);
    cg_identity_fault_t fault = { NULL, NULL, 0 };
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc = CG_OK;
    int from_cache = iid != NULL;

    if (!iid) {
        rc = get_id(r, d, provider, id_token, &iid, &fault, &err);
        if (rc == CG_OK) {
            remember_identity(r, sealer, id_key, iid);
        }
    }
    if (rc == CG_OK) {
        rc = get_credentials(r, d, provider, id_token, iid, out, &fault,
                             &err);
    }
    if (rc == CG_ERR_REJECTED && from_cache) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "cached identity id refused (%s); asking GetId again",
                      fault.type);
        cognito_cache_remove(r->pool, id_key);
        rc = get_id(r, d, provider, id_token, &iid, &fault, &err);
        if (rc == CG_OK) {
            remember_identity(r, sealer, id_key, iid);
            rc = get_credentials(r, d, provider, id_token, iid, out, &fault,
                                 &err);
        }
    }
    if (rc != CG_OK && fault.message) {
        /* AWS messages may quote request values: debug only. */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "identity pool said: %s", fault.message);
    }
    if (rc == CG_ERR_REJECTED) {
        ap_log_rerror(APLOG_MARK, fault.config ? APLOG_ERR : APLOG_INFO, 0, r,
                      "AWS credentials for %s refused by identity pool %s: "
                      "%s%s", r->user, d->identity_pool, fault.type,
                      fault.config ? " (check the identity pool's roles and "
                                     "authentication providers)" : "");
        return refused(r, "The identity pool refused to issue AWS "
                          "credentials for this user.");
    }
    if (rc != CG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AWS credentials for %s unavailable: %s", r->user,
                      err.detail ? err.detail : "identity pool call failed");
        return unavailable(r);
    }
    return OK;
}

static int cached(request_rec *r, const cg_sealer_t *sealer, const char *key,
                  cg_aws_credentials_t *out)
{
    const char *val;
    apr_size_t len;

    return cognito_cache_get(r->pool, key, CREDS_MAX, &val, &len)
               == APR_SUCCESS
           && cg_aws_credentials_unseal(r->pool, sealer, key, val, out)
               == CG_OK
           && now_sec() < out->renew_at;
}

static int lookup(request_rec *r, const cognito_dir_conf *d,
                  cognito_request_ctx *ctx, const char *hash,
                  cg_aws_credentials_t *out)
{
    const cg_sealer_t *sealer = cognito_internal_sealer(d);
    const char *key = apr_pstrcat(r->pool, "cg:aws:", hash, NULL);
    char *sealed;
    int status;

    if (cached(r, sealer, key, out)) {
        return OK;
    }
    /* One fetch per identity in this process; other children may fetch
     * too, which costs a call, never a wrong answer. */
    cognito_stripe_lock(key);
    if (cached(r, sealer, key, out)) {
        cognito_stripe_unlock(key);
        return OK;
    }
    status = fetch(r, d, hash, ctx->id_token, out);
    if (status == OK) {
        apr_int64_t now = now_sec();
        out->renew_at = cg_aws_renew_at(now, out->expiration);
        sealed = cg_aws_credentials_seal(r->pool, sealer, key, out);
        if (sealed && out->renew_at > now) {
            cognito_cache_put(r->pool, key, sealed, strlen(sealed),
                              apr_time_from_sec(out->renew_at));
        }
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "AWS credentials issued for %s, expiring %s", r->user,
                      cg_iso8601(r->pool, out->expiration));
    }
    cognito_stripe_unlock(key);
    return status;
}

static int credentials(request_rec *r, const cognito_dir_conf *d,
                       cognito_request_ctx *ctx, cg_aws_credentials_t *out)
{
    const char *sub, *hash, *name;
    apr_pool_t *top = top_pool(r);
    aws_memo *memo;
    void *v = NULL;

    if (!d->identity_pool) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AWS credentials requested for %s but no "
                      "CognitoIdentityPoolId is configured", r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!ctx->id_token) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "AWS credentials for %s need an id token; the request "
                      "authenticated with an access token", r->user);
        return refused(r, "AWS credentials need a Cognito id token: log in "
                          "through the browser, or send an id token (not an "
                          "access token) as the bearer token.");
    }
    sub = cg_claims_string(ctx->claims, "sub");
    if (!sub || !*sub) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "AWS credentials for %s: the id token has no sub",
                      r->user);
        return refused(r, "The id token names no user (no sub).");
    }
    hash = cognito_sha256_hex(r->pool, apr_pstrcat(
        r->pool, d->identity_pool, "|", d->issuer, "|", sub, NULL));
    name = apr_pstrcat(r->pool, "cognito-aws:", hash, NULL);
    apr_pool_userdata_get(&v, name, top);
    memo = v;
    if (!memo) {
        memo = apr_pcalloc(top, sizeof(*memo));
        memo->status = lookup(r, d, ctx, hash, &memo->c);
        if (memo->status == OK) {
            /* The strings live in this request's pool, which may be a
             * sub-request's: copy them to the top request's. */
            memo->c.identity_id = memo->c.identity_id
                ? apr_pstrdup(top, memo->c.identity_id) : NULL;
            memo->c.access_key_id = apr_pstrdup(top, memo->c.access_key_id);
            memo->c.secret_key = apr_pstrdup(top, memo->c.secret_key);
            memo->c.session_token = apr_pstrdup(top, memo->c.session_token);
        }
        apr_pool_userdata_setn(memo, apr_pstrdup(top, name), NULL, top);
    }
    else if (memo->status == HTTP_FORBIDDEN) {
        refused(r, "The identity pool refused to issue AWS credentials for "
                   "this user.");
    }
    else if (memo->status == HTTP_SERVICE_UNAVAILABLE) {
        unavailable(r);
    }
    *out = memo->c;
    return memo->status;
}

int cognito_aws_fixups(request_rec *r, const cognito_dir_conf *d,
                       cognito_request_ctx *ctx)
{
    cg_aws_credentials_t c;
    const char *prefix = cognito_claim_prefix(d), *vals[5], *id_var;
    int status, i;

    if (d->pass_aws == COGNITO_UNSET || !d->pass_aws) {
        return DECLINED;
    }
    /* These names are ours here: nothing set before us may pose as
     * credentials, in particular not on a request without a user. */
    id_var = apr_pstrcat(r->pool, prefix, "IDENTITY_ID", NULL);
    for (i = 0; aws_vars[i]; i++) {
        apr_table_unset(r->subprocess_env, aws_vars[i]);
    }
    apr_table_unset(r->subprocess_env, id_var);
    if (!ctx || !ctx->claims || !r->user || !*r->user) {
        return DECLINED;
    }
    status = credentials(r, d, ctx, &c);
    if (status != OK) {
        return status;
    }
    vals[0] = c.access_key_id;
    vals[1] = c.secret_key;
    vals[2] = c.session_token;
    vals[3] = cg_iso8601(r->pool, c.expiration);
    for (i = 0; aws_vars[i]; i++) {
        apr_table_setn(r->subprocess_env, aws_vars[i], vals[i]);
        if (d->pass_aws & COGNITO_AWS_HEADERS) {
            /* Under the claim prefix, so incoming copies are scrubbed. */
            apr_table_setn(r->headers_in, cg_mirror_header_name(
                r->pool, apr_pstrcat(r->pool, prefix, aws_vars[i], NULL)),
                vals[i]);
        }
    }
    if (c.identity_id) {
        apr_table_setn(r->subprocess_env, id_var, c.identity_id);
        if (d->pass_aws & COGNITO_AWS_HEADERS) {
            apr_table_setn(r->headers_in,
                           cg_mirror_header_name(r->pool, id_var),
                           c.identity_id);
        }
    }
    return DECLINED;
}

int cognito_aws_handler(request_rec *r)
{
    cognito_dir_conf *d = ap_get_module_config(r->per_dir_config,
                                               &auth_cognito_module);
    cognito_request_ctx *ctx;
    cg_aws_credentials_t c;
    const char *json;
    int status;

    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ctx = cognito_ctx_find(r);
    if (!ctx || !ctx->claims || !r->user || !*r->user) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "cognito-aws-credentials: no Cognito user on this "
                      "request; protect it with AuthType Cognito");
        return refused(r, "No Cognito user on this request.");
    }
    status = credentials(r, d, ctx, &c);
    if (status != OK) {
        return status;
    }
    json = cg_credential_process_json(r->pool, &c);
    if (!json) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    if (!r->header_only) {
        ap_rputs(json, r);
        ap_rputs("\n", r);
    }
    return OK;
}
