/*
 * mod_cognito_env.c: the claim mirror on the httpd side.  Scrubs incoming
 * headers that could be mistaken for ours (header_parser, before any
 * authentication, so unauthenticated paths are covered too) and, once a
 * user is established, sets the variables and optional headers the backend
 * reads (fixups, so internal redirects and sub-requests get them as well).
 */
#include "mod_cognito.h"

#include <stdlib.h>

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

/* The claim variables, from the token cache's memo when this token was
 * mirrored with these settings before: serialising and hashing the claims
 * is most of what a cached request costs otherwise. */
static void mirror_vars(request_rec *r, const cognito_request_ctx *ctx,
                        const cg_mirror_conf_t *mc, const cg_var_t **vars,
                        int *count)
{
    cg_token_cache_t *cache = cognito_token_cache();
    const char *tag = NULL;
    const cg_var_list_t *memo = NULL;
    apr_array_header_t *made;

    if (ctx->jwt && ctx->jwt->cached) {
        tag = cg_mirror_tag(r->pool, mc);
        memo = cg_token_cache_memo(cache, ctx->jwt, tag);
    }
    if (memo) {
        *vars = memo->vars;
        *count = memo->count;
        return;
    }
    made = ctx->jwt && ctx->jwt->payload
           ? cg_mirror_vars_signed(r->pool, ctx->claims, ctx->jwt->payload,
                                   ctx->jwt->payload_len, mc)
           : cg_mirror_vars(r->pool, ctx->claims, mc);
    if (tag) {
        cg_var_list_t *frozen = cg_mirror_freeze(made);
        if (frozen) {
            cg_token_cache_keep(cache, ctx->jwt, tag, frozen, free);
        }
    }
    *vars = (const cg_var_t *)made->elts;
    *count = made->nelts;
}

static int has_prefix(void *data, const char *key, const char *val)
{
    const char *prefix = data;
    return strncmp(key, prefix, strlen(prefix)) != 0;  /* 0 stops the scan */
}

/* Whether the table already holds a variable with our prefix (a
 * sub-request inherits its parent's, SetEnv may have set one). */
static int table_has_prefix(apr_table_t *t, const char *prefix)
{
    return !apr_table_do(has_prefix, (void *)prefix, t, NULL);
}

int cognito_fixups(request_rec *r)
{
    cognito_request_ctx *ctx = cognito_ctx_find(r);
    cognito_dir_conf *d;
    cg_mirror_conf_t mc;
    const cg_var_t *vars;
    int mode, i, max, count, fresh;

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
    mirror_vars(r, ctx, &mc, &vars, &count);
    max = d->header_max_size == COGNITO_UNSET ? 4096 : d->header_max_size;
    /* The names are distinct, so when none is set yet adding is enough;
     * setting would compare each name with every one before it, and all
     * share the prefix. */
    fresh = (mode & COGNITO_PASS_ENV)
            && !table_has_prefix(r->subprocess_env, mc.prefix);

    for (i = 0; i < count; i++) {
        const cg_var_t *v = &vars[i];
        if (fresh) {
            apr_table_addn(r->subprocess_env, v->name, v->value);
        }
        else if (mode & COGNITO_PASS_ENV) {
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
