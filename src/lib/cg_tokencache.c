/* cg_tokencache.c: bounded, reference-counted cache of verified tokens. */

/* SHA256_Init() and friends, deprecated by OpenSSL 3 in favour of EVP,
 * whose digests allocate a context and look the algorithm up in a provider
 * on every call: the key is computed for every request.  Must come before
 * any OpenSSL header. */
#define OPENSSL_API_COMPAT 10101

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/sha.h>

#include "cg_json.h"
#include "cg_tokencache.h"

#define KEY_LEN 32

typedef struct {
    char *tag;
    void *data;
    cg_memo_free_fn *free_fn;
} memo_t;

/*
 * An entry is one block: the payload's JSON text and the kid follow the
 * struct.  A hit parses the text again (cg_json: about 1 us for a typical
 * access token) into claims that belong to the request.  Keeping the
 * parsed claims instead would save that, but then every entry would be
 * some fifty small allocations made by one thread and freed by another,
 * long after, which spreads the cache's memory over every malloc arena of
 * the process: the children's RSS kept creeping up under a stream of new
 * tokens.  One block per entry stays put.
 */
typedef struct entry_t {
    struct entry_t *next;   /* bucket chain */
    unsigned char key[KEY_LEN];
    const char *payload;    /* JSON text, in this block */
    apr_size_t payload_len;
    const char *kid;        /* in this block */
    int token_use;
    double exp;             /* as in the token: a JSON number may not fit
                             * an integer (1e300) */
    int refs;               /* +1 in the table, +1 in the ring, +1 a hold */
    int in_table;
    memo_t memos[CG_TOKEN_CACHE_MEMOS];
} entry_t;

/*
 * Everything the cache allocates after creation comes from malloc, under
 * the cache's own lock: the pool it was created from (pconf, in httpd) is
 * not thread-safe, and other code in the process allocates from it too.
 * The table is a fixed array of buckets sized at creation, so it never
 * grows; the ring remembers insertion order for eviction.
 */
struct cg_token_cache_t {
    apr_thread_mutex_t *lock;
    entry_t **buckets;
    apr_size_t mask;
    entry_t **ring;
    int max, head;
    cg_token_cache_stats_t stats;
};

typedef struct {
    cg_token_cache_t *cache;
    entry_t *entry;
} hold_t;

static void entry_free(entry_t *e)
{
    int i;

    for (i = 0; i < CG_TOKEN_CACHE_MEMOS && e->memos[i].tag; i++) {
        e->memos[i].free_fn(e->memos[i].data);
        free(e->memos[i].tag);
    }
    free(e);
}

/* Caller holds the lock.  Returns e when that was its last reference:
 * the caller frees it with entry_free() once the lock is released, so
 * other threads never wait behind the freeing of a claim set. */
static entry_t *unref_locked(entry_t *e)
{
    return --e->refs == 0 ? e : NULL;
}

static void entry_free_maybe(entry_t *e)
{
    if (e) {
        entry_free(e);
    }
}

static apr_status_t destroy_cache(void *data)
{
    cg_token_cache_t *c = data;
    int i;

    /* No request can hold an entry any more: the pool going away is the
     * process's configuration pool. */
    for (i = 0; i < c->max; i++) {
        if (c->ring[i]) {
            entry_free(c->ring[i]);
            c->ring[i] = NULL;
        }
    }
    free(c->ring);
    free(c->buckets);
    return APR_SUCCESS;
}

cg_token_cache_t *cg_token_cache_create(apr_pool_t *p, int max_entries)
{
    cg_token_cache_t *c = apr_pcalloc(p, sizeof(*c));
    apr_size_t nb = 16;

    c->max = max_entries > 0 ? max_entries : CG_TOKEN_CACHE_DEFAULT_SIZE;
    /* At least two buckets per entry keeps chains short. */
    while (nb < (apr_size_t)c->max * 2) {
        nb <<= 1;
    }
    c->mask = nb - 1;
    c->buckets = calloc(nb, sizeof(entry_t *));
    c->ring = calloc((apr_size_t)c->max, sizeof(entry_t *));
    if (!c->buckets || !c->ring) {
        free(c->buckets);
        free(c->ring);
        return NULL;
    }
    apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p);
    apr_pool_cleanup_register(p, c, destroy_cache, apr_pool_cleanup_null);
    return c;
}

static apr_status_t decref_claims(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

static apr_status_t release_hold(void *data)
{
    hold_t *h = data;
    entry_t *dead;

    apr_thread_mutex_lock(h->cache->lock);
    dead = unref_locked(h->entry);
    apr_thread_mutex_unlock(h->cache->lock);
    entry_free_maybe(dead);
    return APR_SUCCESS;
}

/* The key is a SHA-256, so any of its bytes are as good as a hash. */
static entry_t **bucket(cg_token_cache_t *c, const unsigned char *key)
{
    apr_size_t h;
    memcpy(&h, key, sizeof(h));
    return &c->buckets[h & c->mask];
}

/* Caller holds the lock. */
static entry_t *find_locked(cg_token_cache_t *c, const unsigned char *key)
{
    entry_t *e;
    for (e = *bucket(c, key); e; e = e->next) {
        if (!memcmp(e->key, key, KEY_LEN)) {
            return e;
        }
    }
    return NULL;
}

/* Caller holds the lock.  Takes e out of the table (its ring slot stays
 * until it is reused, so memory stays bounded by max).  Returns e when it
 * must be freed (see unref_locked()). */
static entry_t *remove_locked(cg_token_cache_t *c, entry_t *e)
{
    entry_t **pp;

    if (!e->in_table) {
        return NULL;
    }
    for (pp = bucket(c, e->key); *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    e->next = NULL;
    e->in_table = 0;
    c->stats.entries--;
    return unref_locked(e);
}

static int make_key(const char *url, const char *token, apr_size_t len,
                    unsigned char *out)
{
    SHA256_CTX sha;

    /* the NUL separates the URL from the token */
    return SHA256_Init(&sha)
           && SHA256_Update(&sha, url ? url : "", url ? strlen(url) + 1 : 1)
           && SHA256_Update(&sha, token, len)
           && SHA256_Final(out, &sha);
}

/* A held entry for key, or NULL.  Expired entries are dropped here, so an
 * entry never outlives its token. */
static entry_t *lookup(cg_token_cache_t *c, const unsigned char *key,
                       apr_int64_t now, double skew, apr_pool_t *p)
{
    entry_t *e, *dead = NULL;
    hold_t *h;

    apr_thread_mutex_lock(c->lock);
    e = find_locked(c, key);
    if (e && (double)now > e->exp + skew) {
        dead = remove_locked(c, e);
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
    entry_free_maybe(dead);
    if (e) {
        h = apr_palloc(p, sizeof(*h));
        h->cache = c;
        h->entry = e;
        apr_pool_cleanup_register(p, h, release_hold, apr_pool_cleanup_null);
    }
    return e;
}

static void forget(cg_token_cache_t *c, entry_t *e)
{
    entry_t *dead;

    apr_thread_mutex_lock(c->lock);
    dead = remove_locked(c, e);
    apr_thread_mutex_unlock(c->lock);
    entry_free_maybe(dead);
}

static void insert(cg_token_cache_t *c, const unsigned char *key,
                   const cg_jwt_t *jwt)
{
    json_t *exp = json_object_get(jwt->claims, "exp");
    apr_size_t kid_len;
    entry_t *e, *victim, **b, *dead = NULL;
    char *text;

    /* Only what cg_jwt_validate() accepted gets here, so exp is a number
     * and kid and the payload text are there; checking again costs
     * nothing and keeps "never outlives the token" true even if that
     * contract changed. */
    if (!json_is_number(exp) || !jwt->kid || !jwt->payload) {
        return;
    }
    kid_len = strlen(jwt->kid);
    e = calloc(1, sizeof(*e) + jwt->payload_len + kid_len + 2);
    if (!e) {
        return;
    }
    memcpy(e->key, key, KEY_LEN);
    text = (char *)(e + 1);
    memcpy(text, jwt->payload, jwt->payload_len);
    e->payload = text;
    e->payload_len = jwt->payload_len;
    text += jwt->payload_len + 1;
    memcpy(text, jwt->kid, kid_len);
    e->kid = text;
    e->token_use = jwt->token_use;
    e->exp = json_number_value(exp);

    apr_thread_mutex_lock(c->lock);
    if (find_locked(c, key)) {
        /* Another thread verified the same token meanwhile. */
        apr_thread_mutex_unlock(c->lock);
        entry_free(e);
        return;
    }
    victim = c->ring[c->head];
    if (victim) {
        if (victim->in_table) {
            c->stats.evictions++;
        }
        /* Never the last reference: the ring still holds one. */
        dead = remove_locked(c, victim);
        if (!dead) {
            dead = unref_locked(victim);    /* the ring's own reference */
        }
    }
    e->refs = 2;                /* one for the table, one for the ring */
    c->ring[c->head] = e;
    c->head = (c->head + 1) % c->max;
    b = bucket(c, key);
    e->next = *b;
    *b = e;
    e->in_table = 1;
    c->stats.entries++;
    apr_thread_mutex_unlock(c->lock);
    entry_free_maybe(dead);
}

/* The key the token was verified with must still be published: a key
 * withdrawn from the JWKS takes the tokens it signed with it.  This costs
 * a hash lookup, not an RSA operation, and it lets the key source run its
 * periodic refresh even when every request is a cache hit. */
static cg_err_code_e key_still_there(const cg_key_source_t *keys,
                                     const char *kid, apr_pool_t *p,
                                     cg_error_t *err)
{
    const cg_key_t *key = NULL;
    void *hold = NULL;
    cg_err_code_e rc;

    if (!keys || !keys->lookup) {
        return CG_OK;
    }
    rc = keys->lookup(keys->baton, kid, p, &key, &hold, err);
    if (rc == CG_OK && keys->release) {
        keys->release(keys->baton, hold);
    }
    return rc;
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
    json_t *claims;
    cg_err_code_e rc;

    *hit = 0;
    if (!cache || len > max || !make_key(jwks_url, token, len, key)) {
        return cg_jwt_validate(p, token, len, policy, keys, now, out, err);
    }
    e = lookup(cache, key, now, policy->clock_skew, p);
    if (!e) {
        rc = cg_jwt_validate(p, token, len, policy, keys, now, out, err);
        if (rc == CG_OK) {
            insert(cache, key, *out);
        }
        return rc;
    }

    /* Hit: the signature was verified before; everything else again. */
    claims = cg_json_read_object(e->payload, e->payload_len, NULL);
    if (!claims) {
        /* It parsed when it was verified, so this is out of memory:
         * nothing is lost by doing it all again. */
        return cg_jwt_validate(p, token, len, policy, keys, now, out, err);
    }
    apr_pool_cleanup_register(p, claims, decref_claims,
                              apr_pool_cleanup_null);
    *hit = 1;
    *out = NULL;
    jwt = apr_pcalloc(p, sizeof(*jwt));
    jwt->raw = token;
    jwt->raw_len = len;
    jwt->claims = claims;
    jwt->header = NULL;
    jwt->payload = e->payload;
    jwt->payload_len = e->payload_len;
    jwt->token_use = e->token_use;
    jwt->alg = "RS256";
    jwt->kid = e->kid;
    jwt->cached = e;
    rc = cg_jwt_check_times(jwt, policy->clock_skew, now, p, err);
    if (rc == CG_OK) {
        rc = cg_jwt_check_policy(jwt, policy, p, err);
    }
    /* Keys last, as in cg_jwt_validate(): the issuer is checked first so
     * that a token for another pool never makes us fetch anything. */
    if (rc == CG_OK) {
        rc = key_still_there(keys, e->kid, p, err);
        if (rc == CG_ERR_KID_UNKNOWN) {
            forget(cache, e);
        }
    }
    if (rc == CG_OK) {
        *out = jwt;
    }
    return rc;
}

/* Caller holds the lock. */
static memo_t *memo_locked(entry_t *e, const char *tag)
{
    int i;

    for (i = 0; i < CG_TOKEN_CACHE_MEMOS && e->memos[i].tag; i++) {
        if (!strcmp(e->memos[i].tag, tag)) {
            return &e->memos[i];
        }
    }
    return NULL;
}

const void *cg_token_cache_memo(cg_token_cache_t *c, const cg_jwt_t *jwt,
                                const char *tag)
{
    memo_t *m;
    const void *data;

    if (!c || !jwt || !jwt->cached) {
        return NULL;
    }
    apr_thread_mutex_lock(c->lock);
    m = memo_locked((entry_t *)jwt->cached, tag);
    data = m ? m->data : NULL;
    apr_thread_mutex_unlock(c->lock);
    return data;
}

const void *cg_token_cache_keep(cg_token_cache_t *c, const cg_jwt_t *jwt,
                                const char *tag, void *data,
                                cg_memo_free_fn *free_fn)
{
    entry_t *e = jwt ? (entry_t *)jwt->cached : NULL;
    memo_t *m;
    const void *kept = NULL;
    char *tag_copy;
    int i;

    if (!c || !e || !data) {
        if (data) {
            free_fn(data);
        }
        return NULL;
    }
    tag_copy = strdup(tag);
    apr_thread_mutex_lock(c->lock);
    m = memo_locked(e, tag);
    if (m) {
        kept = m->data;         /* another request was quicker */
    }
    else if (tag_copy) {
        i = 0;
        while (i < CG_TOKEN_CACHE_MEMOS && e->memos[i].tag) {
            i++;
        }
        if (i < CG_TOKEN_CACHE_MEMOS) {
            e->memos[i].tag = tag_copy;
            e->memos[i].data = data;
            e->memos[i].free_fn = free_fn;
            kept = data;
            tag_copy = NULL;
            data = NULL;
        }
    }
    apr_thread_mutex_unlock(c->lock);
    free(tag_copy);
    if (data) {
        free_fn(data);
    }
    return kept;
}

void cg_token_cache_get_stats(cg_token_cache_t *c, cg_token_cache_stats_t *s)
{
    apr_thread_mutex_lock(c->lock);
    *s = c->stats;
    apr_thread_mutex_unlock(c->lock);
}
