/*
 * mod_cognito_keys.c: the process's key store and token cache, and the key
 * source a request validates against.
 *
 * Both are created in post_config, in the parent, so children inherit
 * them (and any keys prefetched at startup) when they fork.  The key store
 * talks to the shared cache (mod_cognito_cache.c) so that one fetch serves
 * every child and, with memcache or redis, every server.
 */
#include "mod_cognito.h"

#include <apr_time.h>
#include <http_core.h>

APLOG_USE_MODULE(auth_cognito);

static cg_keystore_t *keystore;
static cg_token_cache_t *token_cache;
static cg_shared_store_t shared;

/* Largest JWKS record we read back from the shared cache. */
#define RECORD_MAX (64 * 1024)

static cg_err_code_e shared_get(void *baton, apr_pool_t *p, const char *key,
                                const char **val, apr_size_t *len)
{
    return cognito_cache_get(p, key, RECORD_MAX, val, len) == APR_SUCCESS
           ? CG_OK : CG_ERR_INTERNAL;
}

static void shared_put(void *baton, apr_pool_t *p, const char *key,
                       const char *val, apr_size_t len, apr_int64_t expires)
{
    cognito_cache_put(p, key, val, len, apr_time_from_sec(expires));
}

static cg_err_code_e shared_lock(void *baton)
{
    return cognito_fetch_lock() == APR_SUCCESS ? CG_OK : CG_ERR_INTERNAL;
}

static void shared_unlock(void *baton)
{
    cognito_fetch_unlock();
}

typedef struct {
    apr_pool_t *ptemp;
    apr_hash_t *urls;
} prefetch_ctx;

static void collect_url(void *baton, server_rec *s,
                        const cognito_dir_conf *d)
{
    prefetch_ctx *c = baton;
    if (d->jwks_uri) {
        apr_hash_set(c->urls, d->jwks_uri, APR_HASH_KEY_STRING, d->jwks_uri);
    }
}

static void prefetch(apr_pool_t *ptemp, server_rec *s)
{
    prefetch_ctx c = { ptemp, apr_hash_make(ptemp) };
    apr_hash_index_t *hi;
    cg_log_t log;

    cognito_log_for_server(s, &log);
    cognito_foreach_section(s, ptemp, collect_url, &c);
    for (hi = apr_hash_first(ptemp, c.urls); hi; hi = apr_hash_next(hi)) {
        const char *url = apr_hash_this_key(hi);
        cg_error_t err = { CG_OK, NULL, NULL };
        if (cg_keystore_prefetch(keystore, url, apr_time_sec(apr_time_now()),
                                 &log, ptemp, &err) != CG_OK) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "CognitoJwksPrefetch: %s; will retry on demand",
                         err.detail ? err.detail : url);
        }
    }
}

int cognito_keys_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                             server_rec *s)
{
    cognito_server_conf *sc = ap_get_module_config(s->module_config,
                                                   &auth_cognito_module);
    cg_keystore_conf_t kc;

    memset(&kc, 0, sizeof(kc));
    kc.http = cg_http_curl;
    kc.http_conf = sc->http;
    kc.refresh_interval = sc->jwks_refresh;
    kc.min_refetch_interval = sc->jwks_min_refetch;
    if (cognito_cache_available()) {
        shared.get = shared_get;
        shared.put = shared_put;
        shared.lock = shared_lock;
        shared.unlock = shared_unlock;
        shared.baton = NULL;
        kc.shared = &shared;
    }
    keystore = cg_keystore_create(pconf, &kc);
    token_cache = sc->token_cache
                  ? cg_token_cache_create(pconf, sc->token_cache_size) : NULL;
    if (sc->jwks_prefetch) {
        prefetch(ptemp, s);
    }
    return OK;
}

cg_keystore_t *cognito_keystore(void)
{
    return keystore;
}

cg_token_cache_t *cognito_token_cache(void)
{
    return token_cache;
}

typedef struct {
    const char *url;
    cg_log_t log;
} source_baton;

static cg_err_code_e lookup(void *baton, const char *kid, apr_pool_t *p,
                            const cg_key_t **key, void **hold,
                            cg_error_t *err)
{
    source_baton *b = baton;
    return cg_keystore_lookup(keystore, b->url, kid,
                              apr_time_sec(apr_time_now()), &b->log, p, key,
                              hold, err);
}

static void release(void *baton, void *hold)
{
    cg_keystore_release(keystore, hold);
}

void cognito_key_source(request_rec *r, const cognito_dir_conf *d,
                        cg_key_source_t *src)
{
    source_baton *b = apr_palloc(r->pool, sizeof(*b));

    b->url = d->jwks_uri;
    cognito_log_for_request(r, &b->log);
    src->lookup = lookup;
    src->release = release;
    src->baton = b;
}
