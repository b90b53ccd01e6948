/*
 * mod_cognito_keys.c: the process's key store and token cache, and the key
 * source a request validates against.
 *
 * Both are set up in post_config, in the parent, so children inherit them
 * (and any keys prefetched at startup) when they fork.  The key store
 * talks to the shared cache (mod_cognito_cache.c) so that one fetch serves
 * every child and, with memcache or redis, every server.
 *
 * Keys outlive configuration reloads (graceful restarts, log rotation):
 * just before a reload the parent takes from the shared cache the keys its
 * children fetched and saves them, as text, in the process pool; the next
 * generation's store starts from them.  So a reload neither refetches
 * every JWKS nor, while Cognito cannot be reached, loses the keys and
 * answers 503.  (Text, because httpd unloads and reloads this module's
 * code in between: nothing pointing into it may survive.)
 */
#include "mod_cognito.h"

#include <apr_time.h>
#include <http_core.h>

APLOG_USE_MODULE(auth_cognito);

/* In mod_cognito_cache.c.  TODO(lead): declare it in mod_cognito.h next to
 * cognito_fetch_lock() and drop this line. */
apr_status_t cognito_fetch_trylock(void);

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

static cg_err_code_e shared_trylock(void *baton)
{
    return cognito_fetch_trylock() == APR_SUCCESS ? CG_OK : CG_ERR_INTERNAL;
}

static void collect_url(void *baton, server_rec *s,
                        const cognito_dir_conf *d)
{
    apr_hash_t *urls = baton;
    if (d->jwks_uri) {
        apr_hash_set(urls, d->jwks_uri, APR_HASH_KEY_STRING, d->jwks_uri);
    }
}

static void prefetch(apr_pool_t *ptemp, server_rec *s, apr_hash_t *urls)
{
    apr_hash_index_t *hi;
    cg_log_t log;

    cognito_log_for_server(s, &log);
    for (hi = apr_hash_first(ptemp, urls); hi; hi = apr_hash_next(hi)) {
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

#define SAVED_KEYS "mod_auth_cognito:saved-keys"

typedef struct {
    server_rec *s;
    apr_hash_t *urls;       /* every JWKS URL of this generation */
} generation_t;

/* What one generation hands the next; lives in a pool of its own under
 * the process pool, destroyed once taken. */
typedef struct {
    apr_pool_t *pool;
    char *keys;
} saved_keys_t;

/* A pre-cleanup of pconf: it runs in the parent when the configuration is
 * about to be reloaded, before anything of this generation is torn down,
 * so the shared cache can still be read. */
static apr_status_t save_keys(void *data)
{
    generation_t *g = data;
    apr_pool_t *process = g->s->process->pool;
    apr_hash_index_t *hi;
    saved_keys_t *saved;
    apr_pool_t *sp;
    void *old = NULL;
    cg_log_t log;

    /* Only for a reload: at exit the process pool is going away too. */
    if (!keystore
        || ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_DESTROY_CONFIG
        || apr_pool_create(&sp, process) != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    cognito_log_for_server(g->s, &log);
    for (hi = apr_hash_first(sp, g->urls); hi; hi = apr_hash_next(hi)) {
        cg_keystore_sync(keystore, apr_hash_this_key(hi), &log, sp);
    }
    saved = apr_palloc(sp, sizeof(*saved));
    saved->pool = sp;
    saved->keys = cg_keystore_save(keystore, sp);
    apr_pool_userdata_get(&old, SAVED_KEYS, process);
    if (old) {
        apr_pool_destroy(((saved_keys_t *)old)->pool);
    }
    apr_pool_userdata_set(saved, SAVED_KEYS, apr_pool_cleanup_null, process);
    return APR_SUCCESS;
}

/* Start from the keys the previous generation saved, if any. */
static void restore_keys(server_rec *s, apr_pool_t *ptemp)
{
    apr_pool_t *process = s->process->pool;
    void *data = NULL;
    saved_keys_t *saved;
    cg_log_t log;
    int n;

    apr_pool_userdata_get(&data, SAVED_KEYS, process);
    if (!data) {
        return;
    }
    saved = data;
    cognito_log_for_server(s, &log);
    n = cg_keystore_restore(keystore, saved->keys, &log, ptemp);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "kept the keys of %d JWKS URL(s) over the reload", n);
    apr_pool_userdata_set(NULL, SAVED_KEYS, apr_pool_cleanup_null, process);
    apr_pool_destroy(saved->pool);
}

int cognito_keys_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                             server_rec *s)
{
    cognito_server_conf *sc = ap_get_module_config(s->module_config,
                                                   &auth_cognito_module);
    generation_t *g = apr_palloc(pconf, sizeof(*g));
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
        shared.trylock = shared_trylock;
        shared.baton = NULL;
        kc.shared = &shared;
    }
    keystore = cg_keystore_create(pconf, &kc);
    if (!keystore) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "cannot create the JWKS key store");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    restore_keys(s, ptemp);
    g->s = s;
    g->urls = apr_hash_make(pconf);
    cognito_foreach_section(s, pconf, collect_url, g->urls);
    apr_pool_pre_cleanup_register(pconf, g, save_keys);
    token_cache = NULL;
    if (sc->token_cache) {
        token_cache = cg_token_cache_create(pconf, sc->token_cache_size);
        if (!token_cache) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "out of memory for the token cache; every token "
                         "will be verified in full");
        }
    }
    if (sc->jwks_prefetch) {
        prefetch(ptemp, s, g->urls);
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
