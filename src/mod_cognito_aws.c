/*
 * mod_cognito_aws.c: temporary AWS credentials for the logged-in user from
 * a Cognito identity pool (CognitoIdentityPoolId).
 *
 * The user's id token (from the browser session, an id bearer token or a
 * Basic login) is presented to GetId and GetCredentialsForIdentity.  The
 * credentials are cached in the shared cache, sealed (they are secrets),
 * per identity pool and user, until five minutes before they expire.
 *
 *   CognitoPassAwsCredentials On|Headers   AWS_ACCESS_KEY_ID,
 *       AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION
 *       in the backend's environment (Headers: also as request headers,
 *       only when asked for explicitly).  Never logged.
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

#define RENEW_BEFORE 300        /* seconds before expiry we fetch anew */
#define CREDS_MAX (16 * 1024)

static apr_int64_t now_sec(void)
{
    return apr_time_sec(apr_time_now());
}

static const char *endpoint(request_rec *r, const cognito_dir_conf *d)
{
    const char *colon;

    if (d->identity_endpoint) {
        return d->identity_endpoint;
    }
    colon = strchr(d->identity_pool, ':');
    return apr_psprintf(r->pool, "https://cognito-identity.%.*s.amazonaws.com/",
                        (int)(colon - d->identity_pool), d->identity_pool);
}

static cg_err_code_e call(request_rec *r, const cognito_dir_conf *d,
                          const char *target, const char *body,
                          cg_http_response_t *resp, cg_error_t *err)
{
    cognito_server_conf *sc = ap_get_module_config(r->server->module_config,
                                                   &auth_cognito_module);
    cg_http_request_t req;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = endpoint(r, d);
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

static int fetch(request_rec *r, const cognito_dir_conf *d,
                 const char *provider, const char *id_token,
                 cg_aws_credentials_t *out)
{
    cg_http_response_t resp;
    cg_error_t err = { CG_OK, NULL, NULL };
    const char *identity = NULL, *type = NULL;
    cg_err_code_e rc;

    rc = call(r, d, "GetId", cg_identity_get_id_body(
                  r->pool, d->identity_pool, provider, id_token),
              &resp, &err);
    if (rc == CG_OK) {
        rc = cg_identity_parse_get_id(r->pool, resp.status, resp.body,
                                      resp.body_len, &identity, &type, &err);
    }
    if (rc == CG_OK) {
        rc = call(r, d, "GetCredentialsForIdentity",
                  cg_identity_credentials_body(r->pool, identity, provider,
                                               id_token), &resp, &err);
        if (rc == CG_OK) {
            rc = cg_identity_parse_credentials(r->pool, resp.status,
                                               resp.body, resp.body_len, out,
                                               &type, &err);
        }
    }
    if (rc == CG_ERR_REJECTED) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "AWS credentials for %s refused by the identity pool: "
                      "%s", r->user, err.detail);
        return refused(r, "The identity pool refused to issue credentials.");
    }
    if (rc != CG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AWS credentials for %s unavailable: %s", r->user,
                      err.detail);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (!out->identity_id) {
        out->identity_id = identity;
    }
    return OK;
}

static int credentials(request_rec *r, const cognito_dir_conf *d,
                       cognito_request_ctx *ctx, cg_aws_credentials_t *out)
{
    const char *sub, *key, *val, *provider;
    const cg_sealer_t *sealer = cognito_internal_sealer(d);
    unsigned char *plain;
    apr_size_t len;
    char *sealed, *text;
    int status;

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
                          "through the browser, or send an id token as the "
                          "bearer token.");
    }
    sub = cg_claims_string(ctx->claims, "sub");
    key = apr_pstrcat(r->pool, "cg:aws:", cognito_sha256_hex(
        r->pool, apr_pstrcat(r->pool, d->identity_pool, "|", d->issuer, "|",
                             sub ? sub : "", NULL)), NULL);
    if (cognito_cache_get(r->pool, key, CREDS_MAX, &val, &len) == APR_SUCCESS
        && (plain = cg_unseal(r->pool, sealer, "aws-credentials", val, &len))
        && cg_aws_credentials_parse(r->pool, (const char *)plain, len, out)
           == CG_OK
        && out->expiration - now_sec() > RENEW_BEFORE) {
        return OK;
    }

    cognito_stripe_lock(key);
    if (cognito_cache_get(r->pool, key, CREDS_MAX, &val, &len) == APR_SUCCESS
        && (plain = cg_unseal(r->pool, sealer, "aws-credentials", val, &len))
        && cg_aws_credentials_parse(r->pool, (const char *)plain, len, out)
           == CG_OK
        && out->expiration - now_sec() > RENEW_BEFORE) {
        cognito_stripe_unlock(key);
        return OK;
    }
    provider = cg_identity_provider_name(r->pool, d->issuer);
    status = fetch(r, d, provider, ctx->id_token, out);
    if (status == OK) {
        text = cg_aws_credentials_serialize(r->pool, out);
        sealed = text ? cg_seal(r->pool, sealer, "aws-credentials",
                                (const unsigned char *)text, strlen(text))
                      : NULL;
        if (sealed && out->expiration - RENEW_BEFORE > now_sec()) {
            cognito_cache_put(r->pool, key, sealed, strlen(sealed),
                              apr_time_from_sec(out->expiration
                                                - RENEW_BEFORE));
        }
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "AWS credentials issued for %s, expiring %s", r->user,
                      cg_iso8601(r->pool, out->expiration));
    }
    cognito_stripe_unlock(key);
    return status;
}

int cognito_aws_fixups(request_rec *r, const cognito_dir_conf *d,
                       cognito_request_ctx *ctx)
{
    cg_aws_credentials_t c;
    const char *prefix = cognito_claim_prefix(d);
    int status, i;
    const char *vars[4][2];

    if (d->pass_aws == COGNITO_UNSET || !d->pass_aws || !r->user
        || !*r->user) {
        return DECLINED;
    }
    status = credentials(r, d, ctx, &c);
    if (status != OK) {
        return status;
    }
    vars[0][0] = "AWS_ACCESS_KEY_ID";          vars[0][1] = c.access_key_id;
    vars[1][0] = "AWS_SECRET_ACCESS_KEY";      vars[1][1] = c.secret_key;
    vars[2][0] = "AWS_SESSION_TOKEN";          vars[2][1] = c.session_token;
    vars[3][0] = "AWS_CREDENTIAL_EXPIRATION";
    vars[3][1] = cg_iso8601(r->pool, c.expiration);
    for (i = 0; i < 4; i++) {
        apr_table_setn(r->subprocess_env, vars[i][0], vars[i][1]);
        if (d->pass_aws & COGNITO_AWS_HEADERS) {
            /* Under the claim prefix, so incoming copies are scrubbed. */
            apr_table_setn(r->headers_in, cg_mirror_header_name(
                r->pool, apr_pstrcat(r->pool, prefix, vars[i][0], NULL)),
                vars[i][1]);
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
    int status;

    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ctx = cognito_ctx_find(r);
    if (!ctx || !ctx->claims || !r->user || !*r->user) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "cognito-aws-credentials: no Cognito user on this "
                      "request");
        return refused(r, "No Cognito user on this request.");
    }
    status = credentials(r, d, ctx, &c);
    if (status != OK) {
        return status;
    }
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    if (!r->header_only) {
        ap_rputs(cg_credential_process_json(r->pool, &c), r);
        ap_rputs("\n", r);
    }
    return OK;
}
