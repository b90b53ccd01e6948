/*
 * mod_cognito_env.c: the claim mirror on the httpd side.  Scrubs incoming
 * headers that could be mistaken for ours (header_parser, before any
 * authentication, so unauthenticated paths are covered too) and, once a
 * user is established, sets the variables and optional headers the backend
 * reads (fixups, so internal redirects and sub-requests get them as well).
 */
#include "mod_cognito.h"

#include <apr_strings.h>
#include <http_request.h>

APLOG_USE_MODULE(auth_cognito);

typedef struct {
    const char *prefix;
    apr_array_header_t *doomed;
} scrub_ctx;

static int collect(void *data, const char *key, const char *val)
{
    scrub_ctx *c = data;
    if (cg_mirror_header_is_ours(key, c->prefix)) {
        APR_ARRAY_PUSH(c->doomed, const char *) = key;
    }
    return 1;
}

int cognito_scrub_headers(request_rec *r)
{
    cognito_dir_conf *d = ap_get_module_config(r->per_dir_config,
                                               &auth_cognito_module);
    scrub_ctx c;
    int i;

    if (d->scrub_headers == 0) {
        return DECLINED;
    }
    c.prefix = cognito_claim_prefix(d);
    c.doomed = NULL;
    if (apr_is_empty_table(r->headers_in)) {
        return DECLINED;
    }
    c.doomed = apr_array_make(r->pool, 2, sizeof(const char *));
    apr_table_do(collect, &c, r->headers_in, NULL);
    for (i = 0; i < c.doomed->nelts; i++) {
        const char *name = APR_ARRAY_IDX(c.doomed, i, const char *);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "removed incoming header %.64s: it could be mistaken "
                      "for one this module sets", name);
        apr_table_unset(r->headers_in, name);
    }
    return DECLINED;
}

int cognito_fixups(request_rec *r)
{
    cognito_request_ctx *ctx = cognito_ctx_find(r);
    cognito_dir_conf *d;
    cg_mirror_conf_t mc;
    apr_array_header_t *vars;
    int mode, i, max;

    d = ap_get_module_config(r->per_dir_config, &auth_cognito_module);
    if (!ctx || !ctx->claims) {
        /* Still clears look-alike AWS_* variables on anonymous requests. */
        return cognito_aws_fixups(r, d, ctx);
    }
    mode = cognito_pass_claims_as(d);
    if (ctx->access_token && d->pass_access_token == 1
        && ctx->source && strcmp(ctx->source, "bearer") != 0) {
        /* Opt-in: apps that call other APIs on the user's behalf. */
        if (mode & COGNITO_PASS_HEADERS) {
            apr_table_setn(r->headers_in, cg_mirror_header_name(
                r->pool, apr_pstrcat(r->pool, cognito_claim_prefix(d),
                                     "ACCESS_TOKEN", NULL)),
                ctx->access_token);
        }
        apr_table_setn(r->subprocess_env,
                       apr_pstrcat(r->pool, cognito_claim_prefix(d),
                                   "ACCESS_TOKEN", NULL), ctx->access_token);
    }
    i = cognito_aws_fixups(r, d, ctx);
    if (i != DECLINED) {
        return i;
    }
    if (!mode) {
        return DECLINED;
    }
    mc.prefix = cognito_claim_prefix(d);
    mc.delimiter = d->claim_delimiter;
    mc.per_claim = 1;
    vars = cg_mirror_vars(r->pool, ctx->claims, &mc);
    max = d->header_max_size == COGNITO_UNSET ? 4096 : d->header_max_size;

    for (i = 0; i < vars->nelts; i++) {
        const cg_var_t *v = &APR_ARRAY_IDX(vars, i, cg_var_t);
        if (mode & COGNITO_PASS_ENV) {
            apr_table_setn(r->subprocess_env, v->name, v->value);
        }
        if (mode & COGNITO_PASS_HEADERS) {
            const char *value = cg_mirror_header_value(r->pool, v->value);
            if (strlen(value) > (size_t)max) {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                              "not passing %s as a header: %" APR_SIZE_T_FMT
                              " bytes is over CognitoClaimHeaderMaxSize",
                              v->name, strlen(value));
                continue;
            }
            apr_table_setn(r->headers_in,
                           cg_mirror_header_name(r->pool, v->name), value);
        }
    }
    return DECLINED;
}
