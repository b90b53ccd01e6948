/*
 * cg_tokencache.h: tokens that already passed signature verification, so
 * the same token arriving again skips the RSA work.
 *
 * What is cached is only "this exact token verified against the keys of
 * this JWKS URL" plus its payload text.  Everything that depends on where
 * the request goes (issuer, token_use, client, nonce) and on the clock
 * (exp, nbf, iat) is checked again on every hit, and so is the presence of
 * the token's kid in the key source (a hash lookup, no RSA): a key
 * withdrawn from the JWKS stops its cached tokens too.  Entries are keyed
 * by a SHA-256 of the JWKS URL and the whole token, never outlive the
 * token's exp, and their number is bounded (oldest insertion evicted
 * first).
 *
 * The store is per process and thread-safe; after creation it allocates
 * with malloc only, never from the creation pool.  Entries are reference
 * counted: a hit hands out a hold that is given back when the request's
 * pool is cleaned up, so eviction never frees an entry (its memos) that a
 * request still reads.
 * A hit hands out claims of its own (parsed again from the kept payload
 * text; the header is not kept: jwt->header is NULL on a hit).
 */
#ifndef CG_TOKENCACHE_H
#define CG_TOKENCACHE_H

#include "cg_jwt.h"

typedef struct cg_token_cache_t cg_token_cache_t;

#define CG_TOKEN_CACHE_DEFAULT_SIZE 4096

/* NULL when out of memory.  The cache lives until p is cleaned up. */
cg_token_cache_t *cg_token_cache_create(apr_pool_t *p, int max_entries);

/*
 * cg_jwt_validate() with the cache in front: on a hit the signature step
 * is skipped (and the claims are the cached, shared ones); on a miss the
 * full validation runs and a success is remembered.  cache may be NULL.
 * The jwt handed back stays valid until pool p is cleaned up.
 */
cg_err_code_e cg_jwt_validate_cached(cg_token_cache_t *cache, apr_pool_t *p,
                                     const char *jwks_url, const char *token,
                                     apr_size_t len,
                                     const cg_jwt_policy_t *policy,
                                     const cg_key_source_t *keys,
                                     apr_int64_t now, cg_jwt_t **out,
                                     int *hit, cg_error_t *err);

/*
 * Memos: values derived from a cached token's claims (the claim mirror,
 * say) kept with the entry, so later hits of the same token reuse them
 * instead of deriving them again.  tag names the derivation, settings
 * included.  A memo is written once and never replaced while its entry
 * lives (a request may be reading it); it is freed with free_fn when the
 * entry goes.  An entry keeps at most CG_TOKEN_CACHE_MEMOS of them.
 */
#define CG_TOKEN_CACHE_MEMOS 2
typedef void cg_memo_free_fn(void *data);

/* The memo for tag kept with the entry jwt came from, or NULL (also when
 * jwt was not a cache hit).  Valid as long as jwt is. */
const void *cg_token_cache_memo(cg_token_cache_t *c, const cg_jwt_t *jwt,
                                const char *tag);

/* Keep data (which the cache now owns in every case) as jwt's memo for
 * tag.  When it cannot be kept (not a hit, already kept, slots full) it is
 * freed at once.  Returns the memo now kept for tag, or NULL. */
const void *cg_token_cache_keep(cg_token_cache_t *c, const cg_jwt_t *jwt,
                                const char *tag, void *data,
                                cg_memo_free_fn *free_fn);

typedef struct {
    unsigned long hits, misses, entries, evictions;
} cg_token_cache_stats_t;

void cg_token_cache_get_stats(cg_token_cache_t *c, cg_token_cache_stats_t *s);

#endif
