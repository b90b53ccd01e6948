/* cg_keystore.c: JWKS by URL, fetched single-flight, rate-limited, shared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "cg_keystore.h"

/* One parsed key set.  It lives in its own pool and dies when the last
 * request using it lets go after a newer set replaced it. */
typedef struct snapshot_t {
    apr_pool_t *pool;
    cg_keyset_t *keys;
    struct entry_t *entry;
    int refs;               /* guarded by entry->lock; +1 while current */
} snapshot_t;

typedef struct entry_t {
    const char *url;
    const char *record_key;
    apr_thread_mutex_t *lock;       /* fields below; never held while slow */
    apr_thread_mutex_t *fetch_lock; /* single flight within this process */
    snapshot_t *current;
    apr_int64_t fetched_at;         /* when current was fetched, by anyone */
    apr_int64_t last_attempt;       /* newest fetch attempt we know of */
    char last_error[256];
} entry_t;

struct cg_keystore_t {
    apr_pool_t *pool;
    apr_thread_mutex_t *lock;       /* entries hash, pool, stats */
    apr_hash_t *entries;
    cg_keystore_conf_t conf;
    cg_keystore_stats_t stats;
};

typedef enum { FOUND_FRESH, FOUND_STALE, UNKNOWN_KID, NO_KEYS } local_e;

cg_keystore_t *cg_keystore_create(apr_pool_t *p, const cg_keystore_conf_t *conf)
{
    cg_keystore_t *ks = apr_pcalloc(p, sizeof(*ks));

    ks->pool = p;
    ks->conf = *conf;
    if (!ks->conf.http) {
        ks->conf.http = cg_http_curl;
    }
    if (ks->conf.min_refetch_interval < 0) {
        ks->conf.min_refetch_interval = 0;
    }
    ks->entries = apr_hash_make(p);
    apr_thread_mutex_create(&ks->lock, APR_THREAD_MUTEX_DEFAULT, p);
    return ks;
}

char *cg_keystore_record_key(apr_pool_t *p, const char *url)
{
    return apr_pstrcat(p, "cg:jwks:", url, NULL);
}

static entry_t *get_entry(cg_keystore_t *ks, const char *url)
{
    entry_t *e;

    apr_thread_mutex_lock(ks->lock);
    e = apr_hash_get(ks->entries, url, APR_HASH_KEY_STRING);
    if (!e) {
        e = apr_pcalloc(ks->pool, sizeof(*e));
        e->url = apr_pstrdup(ks->pool, url);
        e->record_key = cg_keystore_record_key(ks->pool, url);
        apr_thread_mutex_create(&e->lock, APR_THREAD_MUTEX_DEFAULT, ks->pool);
        apr_thread_mutex_create(&e->fetch_lock, APR_THREAD_MUTEX_DEFAULT,
                                ks->pool);
        apr_hash_set(ks->entries, e->url, APR_HASH_KEY_STRING, e);
    }
    apr_thread_mutex_unlock(ks->lock);
    return e;
}

/* Caller holds e->lock. */
static void unref_locked(snapshot_t *s)
{
    if (s && --s->refs == 0) {
        apr_pool_destroy(s->pool);
    }
}

void cg_keystore_release(cg_keystore_t *ks, void *hold)
{
    snapshot_t *s = hold;
    entry_t *e;

    if (!s) {
        return;
    }
    e = s->entry;
    apr_thread_mutex_lock(e->lock);
    unref_locked(s);
    apr_thread_mutex_unlock(e->lock);
}

/* Parse json into a fresh snapshot and make it current. */
static cg_err_code_e install(cg_keystore_t *ks, entry_t *e, const char *json,
                             apr_size_t len, apr_int64_t fetched_at,
                             const cg_log_t *log, apr_pool_t *p,
                             cg_error_t *err)
{
    apr_pool_t *sp;
    cg_keyset_t *keys;
    snapshot_t *s, *old;
    cg_err_code_e rc;

    if (apr_pool_create_unmanaged_ex(&sp, NULL, NULL) != APR_SUCCESS) {
        return cg_error_set(err, p, CG_ERR_INTERNAL, "out of memory");
    }
    rc = cg_keyset_parse(sp, json, len, log, &keys, err);
    if (rc != CG_OK) {
        apr_pool_destroy(sp);
        return rc;
    }
    s = apr_pcalloc(sp, sizeof(*s));
    s->pool = sp;
    s->keys = keys;
    s->entry = e;
    s->refs = 1;

    apr_thread_mutex_lock(e->lock);
    old = e->current;
    e->current = s;
    e->fetched_at = fetched_at;
    if (fetched_at > e->last_attempt) {
        e->last_attempt = fetched_at;
    }
    unref_locked(old);
    apr_thread_mutex_unlock(e->lock);
    cg_log(log, CG_LOG_DEBUG, "JWKS %s: %d key(s) in use", e->url,
           keys->count);
    return CG_OK;
}

static local_e try_local(cg_keystore_t *ks, entry_t *e, const char *kid,
                         apr_int64_t now, const cg_key_t **key, void **hold)
{
    const cg_key_t *k;
    local_e r;

    apr_thread_mutex_lock(e->lock);
    if (!e->current) {
        r = NO_KEYS;
    }
    else if (!(k = cg_keyset_find(e->current->keys, kid))) {
        r = UNKNOWN_KID;
    }
    else {
        int stale = ks->conf.refresh_interval > 0
                    && now - e->fetched_at >= ks->conf.refresh_interval;
        r = stale ? FOUND_STALE : FOUND_FRESH;
        e->current->refs++;
        *key = k;
        *hold = e->current;
    }
    apr_thread_mutex_unlock(e->lock);
    return r;
}

/* Take a newer key set, and the newest attempt time, from the shared
 * store.  Returns 1 if the local state changed. */
static int sync_from_shared(cg_keystore_t *ks, entry_t *e, const cg_log_t *log,
                            apr_pool_t *p)
{
    const cg_shared_store_t *sh = ks->conf.shared;
    const char *val, *json;
    apr_size_t len;
    long long fetched_at, attempt_at;
    int changed = 0, n = 0;

    if (!sh || sh->get(sh->baton, p, e->record_key, &val, &len) != CG_OK) {
        return 0;
    }
    if (sscanf(val, "cgjwks1 %lld %lld\n%n", &fetched_at, &attempt_at, &n) < 2
        || n <= 0 || (apr_size_t)n > len) {
        cg_log(log, CG_LOG_DEBUG, "JWKS %s: unreadable shared record", e->url);
        return 0;
    }
    json = val + n;
    apr_thread_mutex_lock(e->lock);
    if (attempt_at > e->last_attempt) {
        e->last_attempt = attempt_at;
        changed = 1;
    }
    if (fetched_at > e->fetched_at && len > (apr_size_t)n) {
        apr_thread_mutex_unlock(e->lock);
        if (install(ks, e, json, len - (apr_size_t)n, fetched_at, log, p,
                    NULL) == CG_OK) {
            apr_thread_mutex_lock(ks->lock);
            ks->stats.adopted++;
            apr_thread_mutex_unlock(ks->lock);
            return 1;
        }
        return changed;
    }
    apr_thread_mutex_unlock(e->lock);
    return changed;
}

static void put_shared(cg_keystore_t *ks, entry_t *e, apr_pool_t *p,
                       apr_int64_t now)
{
    const cg_shared_store_t *sh = ks->conf.shared;
    const char *json = "";
    apr_int64_t fetched_at;
    char *rec;
    apr_size_t len;

    if (!sh) {
        return;
    }
    apr_thread_mutex_lock(e->lock);
    if (e->current) {
        json = apr_pstrmemdup(p, e->current->keys->json,
                              e->current->keys->json_len);
    }
    fetched_at = e->fetched_at;
    apr_thread_mutex_unlock(e->lock);
    rec = apr_psprintf(p, "cgjwks1 %" APR_INT64_T_FMT " %" APR_INT64_T_FMT
                       "\n%s", fetched_at, now, json);
    len = strlen(rec);
    /* Keys are useful long after refresh_interval (stale-if-error), so the
     * record is kept for a week; the socache may evict it earlier. */
    sh->put(sh->baton, p, e->record_key, rec, len, now + 7 * 86400);
}

/* One HTTP fetch and install.  Caller holds the single-flight locks. */
static cg_err_code_e fetch(cg_keystore_t *ks, entry_t *e, apr_int64_t now,
                           const cg_log_t *log, apr_pool_t *p, cg_error_t *err)
{
    cg_http_request_t req = { "GET", e->url, NULL, 0, NULL, NULL, NULL };
    cg_http_response_t resp;
    cg_error_t ferr = { CG_OK, NULL, NULL };
    cg_err_code_e rc;
    int have_keys;

    apr_thread_mutex_lock(e->lock);
    e->last_attempt = now;
    have_keys = e->current != NULL;
    apr_thread_mutex_unlock(e->lock);

    apr_thread_mutex_lock(ks->lock);
    ks->stats.fetches++;
    apr_thread_mutex_unlock(ks->lock);

    rc = ks->conf.http(ks->conf.http_baton, p, &ks->conf.http_conf, &req,
                       &resp, &ferr);
    if (rc == CG_OK && resp.status != 200) {
        rc = cg_error_set(&ferr, p, CG_ERR_UPSTREAM, "%s answered HTTP %d",
                          e->url, resp.status);
    }
    if (rc == CG_OK) {
        rc = install(ks, e, resp.body, resp.body_len, now, log, p, &ferr);
        if (rc != CG_OK) {
            ferr.detail = apr_psprintf(p, "%s: %s", e->url, ferr.detail);
        }
    }
    if (rc != CG_OK) {
        apr_thread_mutex_lock(ks->lock);
        ks->stats.fetch_failures++;
        apr_thread_mutex_unlock(ks->lock);
        apr_thread_mutex_lock(e->lock);
        apr_cpystrn(e->last_error, ferr.detail ? ferr.detail : "?",
                    sizeof(e->last_error));
        apr_thread_mutex_unlock(e->lock);
        /* Fetches are at most one per window, so this is too. */
        cg_log(log, have_keys ? CG_LOG_WARNING : CG_LOG_ERR,
               "JWKS fetch failed (%s); %s", ferr.detail,
               have_keys ? "keeping the keys fetched earlier"
                         : "no keys available");
        if (err) {
            *err = ferr;
        }
        if (rc != CG_ERR_INTERNAL) {
            rc = CG_ERR_UPSTREAM;
        }
    }
    else {
        cg_log(log, CG_LOG_INFO, "JWKS fetched from %s", e->url);
    }
    put_shared(ks, e, p, now);
    return rc;
}

/* Fetch unless someone (thread or process) made an attempt after the one
 * we observed, in which case their result is what we use. */
static void fetch_single_flight(cg_keystore_t *ks, entry_t *e,
                                apr_int64_t observed, apr_int64_t now,
                                int force, const cg_log_t *log,
                                apr_pool_t *p, cg_error_t *err)
{
    const cg_shared_store_t *sh = ks->conf.shared;
    int shared_locked = 0;
    apr_int64_t latest;

    apr_thread_mutex_lock(e->fetch_lock);
    if (sh && sh->lock(sh->baton) == CG_OK) {
        shared_locked = 1;
        sync_from_shared(ks, e, log, p);
    }
    apr_thread_mutex_lock(e->lock);
    latest = e->last_attempt;
    apr_thread_mutex_unlock(e->lock);
    if (force || latest <= observed) {
        fetch(ks, e, now, log, p, err);
    }
    if (shared_locked) {
        sh->unlock(sh->baton);
    }
    apr_thread_mutex_unlock(e->fetch_lock);
}

cg_err_code_e cg_keystore_lookup(cg_keystore_t *ks, const char *url,
                                 const char *kid, apr_int64_t now,
                                 const cg_log_t *log, apr_pool_t *p,
                                 const cg_key_t **key, void **hold,
                                 cg_error_t *err)
{
    entry_t *e = get_entry(ks, url);
    apr_int64_t observed;
    local_e r;

    *key = NULL;
    *hold = NULL;
    r = try_local(ks, e, kid, now, key, hold);
    if (r == FOUND_FRESH) {
        return CG_OK;
    }
    if (r == FOUND_STALE) {
        cg_keystore_release(ks, *hold);
        *hold = NULL;
    }
    if (ks->conf.shared && sync_from_shared(ks, e, log, p)) {
        r = try_local(ks, e, kid, now, key, hold);
        if (r == FOUND_FRESH) {
            return CG_OK;
        }
        if (r == FOUND_STALE) {
            cg_keystore_release(ks, *hold);
            *hold = NULL;
        }
    }

    apr_thread_mutex_lock(e->lock);
    observed = e->last_attempt;
    apr_thread_mutex_unlock(e->lock);
    if (observed == 0 || now - observed >= ks->conf.min_refetch_interval) {
        fetch_single_flight(ks, e, observed, now, 0, log, p, NULL);
    }
    else if (r != FOUND_STALE) {
        cg_log(log, CG_LOG_DEBUG, "JWKS %s: not refetching for kid %.64s, "
               "last attempt %" APR_INT64_T_FMT "s ago", url, kid,
               now - observed);
    }

    r = try_local(ks, e, kid, now, key, hold);
    switch (r) {
    case FOUND_FRESH:
    case FOUND_STALE:
        return CG_OK;
    case UNKNOWN_KID:
        return cg_error_set(err, p, CG_ERR_KID_UNKNOWN,
                            "kid %.64s not in JWKS", kid);
    case NO_KEYS:
    default:
        apr_thread_mutex_lock(e->lock);
        cg_error_set(err, p, CG_ERR_KEYS_UNAVAILABLE,
                     "no signing keys for %s: %s", url,
                     e->last_error[0] ? e->last_error : "not fetched yet");
        apr_thread_mutex_unlock(e->lock);
        return CG_ERR_KEYS_UNAVAILABLE;
    }
}

cg_err_code_e cg_keystore_prefetch(cg_keystore_t *ks, const char *url,
                                   apr_int64_t now, const cg_log_t *log,
                                   apr_pool_t *p, cg_error_t *err)
{
    entry_t *e = get_entry(ks, url);
    cg_error_t ferr = { CG_OK, NULL, NULL };
    int have;

    fetch_single_flight(ks, e, 0, now, 1, log, p, &ferr);
    apr_thread_mutex_lock(e->lock);
    have = e->current != NULL;
    apr_thread_mutex_unlock(e->lock);
    if (!have) {
        if (err) {
            *err = ferr;
        }
        return ferr.code != CG_OK ? ferr.code : CG_ERR_KEYS_UNAVAILABLE;
    }
    return CG_OK;
}

void cg_keystore_get_stats(cg_keystore_t *ks, cg_keystore_stats_t *out)
{
    apr_thread_mutex_lock(ks->lock);
    *out = ks->stats;
    apr_thread_mutex_unlock(ks->lock);
}
