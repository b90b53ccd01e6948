/*
 * mod_cognito_cache.c: the module's shared cache, through httpd's socache
 * providers (shmcb by default; memcache or redis when several servers
 * should share), plus two global mutexes:
 *   cognito-cache  guards the socache when the provider is not MP/MT-safe
 *                  (shmcb), as mod_ssl does for its session cache;
 *   cognito-fetch  makes JWKS fetching single-flight across children.
 * Both are registered with ap_mutex_register, so the admin's Mutex
 * directive applies to them.
 */
#include "mod_cognito.h"

#include <ap_provider.h>
#include <ap_socache.h>
#include <apr_strings.h>
#include <http_core.h>
#include <mpm_common.h>
#include <util_mutex.h>

APLOG_USE_MODULE(auth_cognito);

#define CACHE_MUTEX "cognito-cache"
#define FETCH_MUTEX "cognito-fetch"

static const ap_socache_provider_t *provider;
static ap_socache_instance_t *instance;
static apr_global_mutex_t *cache_mutex;
static apr_global_mutex_t *fetch_mutex;
static server_rec *cache_server;
static const char *provider_label;
/* Set in child_init.  A provider that needs no mutex of ours (memcache,
 * redis) keeps a pool of connections in the instance; one the parent
 * opened would be inherited by every child, which would then talk over
 * the same socket at once.  So the parent leaves those providers alone. */
static int in_child;

const char *cognito_set_cache(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_server_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                   &auth_cognito_module);
    const char *colon = strchr(arg, ':');
    const char *name = colon ? apr_pstrmemdup(cmd->pool, arg,
                                              (apr_size_t)(colon - arg))
                             : arg;

    if (cmd->server->is_virtual) {
        return "CognitoCache applies to the whole server and must be outside "
               "<VirtualHost>";
    }
    if (!strcasecmp(name, "none")) {
        sc->cache_name = "none";
        return NULL;
    }
    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                            AP_SOCACHE_PROVIDER_VERSION)) {
        return apr_psprintf(cmd->pool, "CognitoCache: unknown socache provider "
                            "'%s' (is mod_socache_%s loaded, before this "
                            "line?)", name, name);
    }
    sc->cache_name = name;
    sc->cache_args = colon ? colon + 1 : NULL;
    return NULL;
}

int cognito_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    ap_mutex_register(pconf, CACHE_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
    ap_mutex_register(pconf, FETCH_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
    provider = NULL;
    instance = NULL;
    cache_mutex = NULL;
    fetch_mutex = NULL;
    return OK;
}

static apr_status_t destroy_instance(void *data)
{
    if (provider && instance) {
        provider->destroy(instance, cache_server);
    }
    provider = NULL;
    instance = NULL;
    return APR_SUCCESS;
}

int cognito_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                              server_rec *s)
{
    cognito_server_conf *sc = ap_get_module_config(s->module_config,
                                                   &auth_cognito_module);
    /* Many records are small (leases, failure counts, key-fetch state):
     * shmcb sizes its index by avg_obj_size, so a smaller average gives
     * more slots for the same memory. */
    struct ap_socache_hints hints = { 72, 1024, 600 };
    const char *name = sc->cache_name ? sc->cache_name : "shmcb";
    const char *err;
    apr_status_t rv;

    cache_server = s;
    if (!strcmp(name, "none")) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "CognitoCache none: caches are per process");
        return OK;
    }
    provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                  AP_SOCACHE_PROVIDER_VERSION);
    if (!provider) {
        /* Only reachable for the default: an explicit CognitoCache was
         * checked when it was read. */
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "mod_socache_shmcb is not loaded, so keys and logins "
                     "are cached per process; load it or set CognitoCache");
        return OK;
    }
    err = provider->create(&instance, sc->cache_args, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "CognitoCache %s: %s",
                     name, err);
        provider = NULL;
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* The socache API wants a namespace of at most 15 characters
     * (memcache and redis prefix every key with it). */
    rv = provider->init(instance, "cognito", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "CognitoCache %s: cannot initialise the cache", name);
        provider = NULL;
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, destroy_instance,
                              apr_pool_cleanup_null);
    if (provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&cache_mutex, NULL, CACHE_MUTEX, NULL, s,
                                    pconf, 0);
        if (rv != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    rv = ap_global_mutex_create(&fetch_mutex, NULL, FETCH_MUTEX, NULL, s,
                                pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    provider_label = apr_pstrcat(pconf, name, sc->cache_args ? ":" : "",
                                 sc->cache_args ? sc->cache_args : "", NULL);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "shared cache: %s",
                 provider_label);
    return OK;
}

void cognito_cache_child_init(apr_pool_t *pchild, server_rec *s)
{
    in_child = 1;
    if (cache_mutex) {
        apr_global_mutex_child_init(&cache_mutex,
                                    apr_global_mutex_lockfile(cache_mutex),
                                    pchild);
    }
    if (fetch_mutex) {
        apr_global_mutex_child_init(&fetch_mutex,
                                    apr_global_mutex_lockfile(fetch_mutex),
                                    pchild);
    }
}

int cognito_cache_available(void)
{
    return provider && instance;
}

/*
 * The key as stored.  shmcb picks a subcache by the key's first byte
 * (it expects random SSL session ids), and every key of ours starts with
 * "cg:", so without this the whole cache would live in one subcache of
 * eight: a thirtieth of its slots.  A character from a hash of the key in
 * front spreads them; it is printable, for memcache's text protocol.
 */
static const char *stored_key(apr_pool_t *p, const char *key,
                              unsigned int *len)
{
    static const char spread[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    apr_uint32_t h = 2166136261u;       /* FNV-1a */
    const char *k;
    char *out;
    apr_size_t n = strlen(key);

    for (k = key; *k; k++) {
        h = (h ^ (unsigned char)*k) * 16777619u;
    }
    out = apr_palloc(p, n + 2);
    out[0] = spread[(h ^ (h >> 16)) & 63];
    memcpy(out + 1, key, n + 1);
    *len = (unsigned int)(n + 1);
    return out;
}

/* Whether this process may talk to the cache now (see in_child). */
static int usable(void)
{
    return provider && instance
           && (in_child || (provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE));
}

static void lock_cache(void)
{
    if (cache_mutex) {
        apr_global_mutex_lock(cache_mutex);
    }
}

static void unlock_cache(void)
{
    if (cache_mutex) {
        apr_global_mutex_unlock(cache_mutex);
    }
}

/* Caller holds the cache lock.  On success *val is the value (up to max
 * bytes, NUL-terminated, from p). */
static apr_status_t retrieve_locked(apr_pool_t *p, const char *key,
                                    unsigned int klen, apr_size_t max,
                                    const char **val, apr_size_t *len)
{
    unsigned char *buf = apr_palloc(p, max + 1);
    unsigned int n = (unsigned int)max;
    apr_status_t rv;

    rv = provider->retrieve(instance, cache_server, (const unsigned char *)key,
                            klen, buf, &n, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    buf[n] = '\0';
    *val = (const char *)buf;
    *len = n;
    return APR_SUCCESS;
}

apr_status_t cognito_cache_get(apr_pool_t *p, const char *key,
                               apr_size_t max, const char **val,
                               apr_size_t *len)
{
    unsigned int klen;
    apr_status_t rv;

    if (!usable()) {
        return APR_ENOTIMPL;
    }
    key = stored_key(p, key, &klen);
    lock_cache();
    rv = retrieve_locked(p, key, klen, max, val, len);
    unlock_cache();
    return rv;
}

apr_status_t cognito_cache_put(apr_pool_t *p, const char *key,
                               const char *val, apr_size_t len,
                               apr_time_t expiry)
{
    apr_status_t rv;
    unsigned int klen;

    if (!usable()) {
        return APR_ENOTIMPL;
    }
    key = stored_key(p, key, &klen);
    lock_cache();
    rv = provider->store(instance, cache_server, (const unsigned char *)key,
                         klen, expiry, (unsigned char *)val,
                         (unsigned int)len, p);
    unlock_cache();
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, rv, cache_server,
                     "shared cache: cannot store %" APR_SIZE_T_FMT " bytes",
                     len);
    }
    return rv;
}

/* Store only when the key holds nothing yet: APR_SUCCESS when stored,
 * APR_EEXIST (with the value held, up to max bytes, in *existing) when
 * not.  Atomic where the cognito-cache mutex guards the provider (shmcb);
 * with memcache or redis two processes may both win a close race, which
 * costs a duplicate upstream call, nothing worse.  For leases such as the
 * single-flight of Basic logins. */
apr_status_t cognito_cache_add(apr_pool_t *p, const char *key,
                               const char *val, apr_size_t len,
                               apr_time_t expiry, apr_size_t max,
                               const char **existing)
{
    const char *held;
    apr_size_t held_len;
    unsigned int klen;
    apr_status_t rv;

    if (!usable()) {
        return APR_ENOTIMPL;
    }
    key = stored_key(p, key, &klen);
    lock_cache();
    if (retrieve_locked(p, key, klen, max, &held, &held_len) == APR_SUCCESS) {
        unlock_cache();
        if (existing) {
            *existing = held;
        }
        return APR_EEXIST;
    }
    rv = provider->store(instance, cache_server, (const unsigned char *)key,
                         klen, expiry, (unsigned char *)val,
                         (unsigned int)len, p);
    unlock_cache();
    return rv;
}

apr_status_t cognito_cache_remove(apr_pool_t *p, const char *key)
{
    apr_status_t rv;
    unsigned int klen;

    if (!usable()) {
        return APR_ENOTIMPL;
    }
    key = stored_key(p, key, &klen);
    lock_cache();
    rv = provider->remove(instance, cache_server, (const unsigned char *)key,
                          klen, p);
    unlock_cache();
    return rv;
}

apr_status_t cognito_fetch_lock(void)
{
    return fetch_mutex ? apr_global_mutex_lock(fetch_mutex) : APR_ENOTIMPL;
}

/* APR_SUCCESS when the lock was free and is now ours; APR_EBUSY (or
 * another error) when not.  A refresh of keys still in use steps aside
 * rather than queue behind another process's slow fetch. */
apr_status_t cognito_fetch_trylock(void)
{
    return fetch_mutex ? apr_global_mutex_trylock(fetch_mutex) : APR_ENOTIMPL;
}

void cognito_fetch_unlock(void)
{
    if (fetch_mutex) {
        apr_global_mutex_unlock(fetch_mutex);
    }
}
