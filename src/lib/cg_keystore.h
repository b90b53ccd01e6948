/*
 * cg_keystore.h: signing keys by JWKS URL, fetched when needed, shared
 * between threads and (through a cg_shared_store_t) between processes.
 *
 * Rules:
 *  - a known kid with keys younger than refresh_interval is answered from
 *    memory, without locks held across anything slow;
 *  - an unknown kid, or no keys yet, cause one fetch, single-flight
 *    (threads wait for the one fetch; with a shared store, other processes
 *    wait on its lock and then adopt the result instead of fetching again);
 *  - keys older than refresh_interval are refreshed by one request at a
 *    time, across processes; everyone else keeps using them meanwhile and
 *    never waits for that refresh (nor for a hung upstream);
 *  - fetches of one URL are at least min_refetch_interval apart, across all
 *    processes sharing the store, so a flood of made-up kids costs at most
 *    one fetch per window; the window starts when an attempt ends, so a
 *    fetch that hangs until the timeout does not eat into it;
 *  - after a failed attempt, the next one is a probe: requests that need
 *    keys do not queue behind it but are answered at once from what is
 *    held (so a hung upstream ties up one worker per window, not all);
 *  - when a fetch fails the keys we had keep working (stale-if-error), and
 *    since a fetch happens at most once per window, the failure is logged
 *    at most once per window;
 *  - with no keys at all (never fetched, upstream down) the answer is
 *    CG_ERR_KEYS_UNAVAILABLE (a 503), not a token error.
 */
#ifndef CG_KEYSTORE_H
#define CG_KEYSTORE_H

#include "cg_error.h"
#include "cg_http.h"
#include "cg_jwks.h"
#include "cg_log.h"

/* What a cross-process cache offers the key store.  All calls are cheap
 * except lock(), which may wait for another process's fetch. */
typedef struct {
    /* CG_OK and the value when found. */
    cg_err_code_e (*get)(void *baton, apr_pool_t *p, const char *key,
                         const char **val, apr_size_t *len);
    void (*put)(void *baton, apr_pool_t *p, const char *key, const char *val,
                apr_size_t len, apr_int64_t expires);
    /* Cross-process mutual exclusion for single-flight fetching. */
    cg_err_code_e (*lock)(void *baton);
    void (*unlock)(void *baton);
    void *baton;
    /* Optional: CG_OK if the lock was free and is now ours, anything else
     * if another process holds it.  Lets a refresh of keys we still hold
     * step aside instead of queueing behind a slow fetch.  NULL: such
     * refreshes use lock(). */
    cg_err_code_e (*trylock)(void *baton);
} cg_shared_store_t;

typedef struct {
    cg_http_fn *http;               /* NULL: cg_http_curl */
    void *http_baton;
    cg_http_conf_t http_conf;
    int refresh_interval;           /* seconds; 0: only on unknown kid */
    int min_refetch_interval;       /* seconds between fetches of one URL */
    const cg_shared_store_t *shared;/* NULL: this process only */
} cg_keystore_conf_t;

typedef struct cg_keystore_t cg_keystore_t;

#define CG_KEYSTORE_DEFAULT_REFRESH 3600
#define CG_KEYSTORE_DEFAULT_MIN_REFETCH 10

/* conf is copied (its strings must live as long as p).  The store lives
 * until p is cleaned up, and after creation never allocates from p (it
 * has a pool of its own), so p may be one that other threads use.  NULL
 * when out of memory. */
cg_keystore_t *cg_keystore_create(apr_pool_t *p, const cg_keystore_conf_t *conf);

/* Find the key for kid in the JWKS at url, fetching as the rules allow.
 * On CG_OK the caller must cg_keystore_release(hold) when done with key. */
cg_err_code_e cg_keystore_lookup(cg_keystore_t *ks, const char *url,
                                 const char *kid, apr_int64_t now,
                                 const cg_log_t *log, apr_pool_t *p,
                                 const cg_key_t **key, void **hold,
                                 cg_error_t *err);

void cg_keystore_release(cg_keystore_t *ks, void *hold);

/* Make sure keys for url are held (startup prefetch): adopt them from the
 * shared store, or keep those held already, when they are younger than
 * refresh_interval; fetch otherwise, ignoring min_refetch_interval. */
cg_err_code_e cg_keystore_prefetch(cg_keystore_t *ks, const char *url,
                                   apr_int64_t now, const cg_log_t *log,
                                   apr_pool_t *p, cg_error_t *err);

/* Take newer keys (and fetch times) for url from the shared store, without
 * fetching; e.g. before a configuration reload, so that what child
 * processes fetched is not lost. */
void cg_keystore_sync(cg_keystore_t *ks, const char *url, const cg_log_t *log,
                      apr_pool_t *p);

/* Every URL's keys and fetch times as one string in p, and back into a
 * (new) store: a server reloading its configuration keeps the keys it had,
 * even while the JWKS cannot be fetched.  Plain text, because httpd
 * unloads and reloads the module's code in between.  restore takes only
 * what is newer than what ks holds and returns for how many URLs it took
 * something; a string it does not understand is ignored. */
char *cg_keystore_save(cg_keystore_t *ks, apr_pool_t *p);
int cg_keystore_restore(cg_keystore_t *ks, const char *saved,
                        const cg_log_t *log, apr_pool_t *p);

/* Counters for tests and the status output. */
typedef struct {
    unsigned long fetches;          /* HTTP fetches made by this process */
    unsigned long fetch_failures;
    unsigned long adopted;          /* key sets taken from the shared store */
} cg_keystore_stats_t;

void cg_keystore_get_stats(cg_keystore_t *ks, cg_keystore_stats_t *out);

/* The shared-store key for a URL's record: "cg:jwks:" and the SHA-256 of
 * the URL in hex, so that any URL fits memcache's and redis's key limits.
 * The record is "cgjwks1 <fetched_at> <attempt_at>\n<json>" (json may be
 * empty when no fetch has succeeded yet). */
char *cg_keystore_record_key(apr_pool_t *p, const char *url);

#endif
