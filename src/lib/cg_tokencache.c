/* cg_tokencache.c: bounded, reference-counted cache of verified tokens. */
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/evp.h>

#include "cg_tokencache.h"

#define KEY_LEN 32

typedef struct entry_t {
    unsigned char key[KEY_LEN];
    json_t *claims;         /* private deep copy, read-only once published */
    json_t *header;
    int token_use;
    apr_int64_t exp;
    int refs;               /* +1 while in the table */
} entry_t;

struct cg_token_cache_t {
    apr_thread_mutex_t *lock;
    apr_hash_t *table;      /* key -> entry_t* */
    entry_t **ring;         /* insertion order, for eviction */
    int max, head, count;
    cg_token_cache_stats_t stats;
};

typedef struct {
    cg_token_cache_t *cache;
    entry_t *entry;
} hold_t;

cg_token_cache_t *cg_token_cache_create(apr_pool_t *p, int max_entries)
{
    cg_token_cache_t *c = apr_pcalloc(p, sizeof(*c));

    c->max = max_entries > 0 ? max_entries : CG_TOKEN_CACHE_DEFAULT_SIZE;
    c->ring = apr_pcalloc(p, sizeof(entry_t *) * (apr_size_t)c->max);
    /* The hash only ever holds c->max keys; its own array growth is done
     * at creation-time sizes, so allocate it from a private pool that only
     * this cache (under its lock) touches. */
    c->table = apr_hash_make(p);
    apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p);
    return c;
}

static void entry_free(entry_t *e)
{
    json_decref(e->claims);
    json_decref(e->header);
    free(e);
}

/* Caller holds the lock. */
static void unref_locked(entry_t *e)
{
    if (--e->refs == 0) {
        entry_free(e);
    }
}

static apr_status_t release_hold(void *data)
{
    hold_t *h = data;
    apr_thread_mutex_lock(h->cache->lock);
    unref_locked(h->entry);
    apr_thread_mutex_unlock(h->cache->lock);
    return APR_SUCCESS;
}

/* Caller holds the lock.  Removes e from the table (not from the ring; a
 * ring slot whose entry is gone from the table is simply skipped). */
static void remove_locked(cg_token_cache_t *c, entry_t *e)
{
    if (apr_hash_get(c->table, e->key, KEY_LEN) == e) {
        apr_hash_set(c->table, e->key, KEY_LEN, NULL);
        c->stats.entries--;
        unref_locked(e);
    }
}

static void make_key(const char *url, const char *token, apr_size_t len,
                     unsigned char *out)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;

    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, url, strlen(url) + 1);   /* + NUL as separator */
    EVP_DigestUpdate(md, token, len);
    EVP_DigestFinal_ex(md, out, &n);
    EVP_MD_CTX_free(md);
}

static entry_t *lookup(cg_token_cache_t *c, const unsigned char *key,
                       apr_int64_t now, double skew, apr_pool_t *p)
{
    entry_t *e;
    hold_t *h;

    apr_thread_mutex_lock(c->lock);
    e = apr_hash_get(c->table, key, KEY_LEN);
    if (e && (double)now > (double)e->exp + skew) {
        remove_locked(c, e);    /* expired: never served again */
        e = NULL;
    }
    if (e) {
        e->refs++;
        c->stats.hits++;
    }
    else {
        c->stats.misses++;
    }
    apr_thread_mutex_unlock(c->lock);
    if (e) {
        h = apr_palloc(p, sizeof(*h));
        h->cache = c;
        h->entry = e;
        apr_pool_cleanup_register(p, h, release_hold, apr_pool_cleanup_null);
    }
    return e;
}

static void insert(cg_token_cache_t *c, const unsigned char *key,
                   const cg_jwt_t *jwt)
{
    entry_t *e = calloc(1, sizeof(*e)), *old;
    json_t *exp = json_object_get(jwt->claims, "exp");

    if (!e) {
        return;
    }
    memcpy(e->key, key, KEY_LEN);
    e->claims = json_deep_copy(jwt->claims);
    e->header = json_deep_copy(jwt->header);
    e->token_use = jwt->token_use;
    e->exp = (apr_int64_t)json_number_value(exp);
    e->refs = 1;
    if (!e->claims || !e->header) {
        entry_free(e);
        return;
    }

    apr_thread_mutex_lock(c->lock);
    old = apr_hash_get(c->table, key, KEY_LEN);
    if (old) {
        /* Another thread verified the same token meanwhile. */
        apr_thread_mutex_unlock(c->lock);
        entry_free(e);
        return;
    }
    if (c->ring[c->head]) {
        entry_t *victim = c->ring[c->head];
        if (apr_hash_get(c->table, victim->key, KEY_LEN) == victim) {
            c->stats.evictions++;
        }
        remove_locked(c, victim);
        unref_locked(victim);   /* the ring's own reference */
    }
    e->refs++;                  /* one for the table, one for the ring */
    c->ring[c->head] = e;
    c->head = (c->head + 1) % c->max;
    apr_hash_set(c->table, e->key, KEY_LEN, e);
    c->stats.entries++;
    apr_thread_mutex_unlock(c->lock);
}

cg_err_code_e cg_jwt_validate_cached(cg_token_cache_t *cache, apr_pool_t *p,
                                     const char *jwks_url, const char *token,
                                     apr_size_t len,
                                     const cg_jwt_policy_t *policy,
                                     const cg_key_source_t *keys,
                                     apr_int64_t now, cg_jwt_t **out,
                                     int *hit, cg_error_t *err)
{
    apr_size_t max = policy->max_size ? policy->max_size
                                      : CG_JWT_DEFAULT_MAX_SIZE;
    unsigned char key[KEY_LEN];
    entry_t *e;
    cg_jwt_t *jwt;
    cg_err_code_e rc;

    *hit = 0;
    if (!cache || len > max) {
        return cg_jwt_validate(p, token, len, policy, keys, now, out, err);
    }
    make_key(jwks_url, token, len, key);
    e = lookup(cache, key, now, policy->clock_skew, p);
    if (!e) {
        rc = cg_jwt_validate(p, token, len, policy, keys, now, out, err);
        if (rc == CG_OK) {
            insert(cache, key, *out);
        }
        return rc;
    }

    /* Hit: the signature was verified before; everything else again. */
    *hit = 1;
    *out = NULL;
    jwt = apr_pcalloc(p, sizeof(*jwt));
    jwt->raw = token;
    jwt->raw_len = len;
    jwt->claims = e->claims;
    jwt->header = e->header;
    jwt->token_use = e->token_use;
    jwt->alg = "RS256";
    jwt->kid = json_string_value(json_object_get(e->header, "kid"));
    rc = cg_jwt_check_times(jwt, policy->clock_skew, now, p, err);
    if (rc == CG_OK) {
        rc = cg_jwt_check_policy(jwt, policy, p, err);
    }
    if (rc == CG_OK) {
        *out = jwt;
    }
    return rc;
}

void cg_token_cache_get_stats(cg_token_cache_t *c, cg_token_cache_stats_t *s)
{
    apr_thread_mutex_lock(c->lock);
    *s = c->stats;
    apr_thread_mutex_unlock(c->lock);
}
