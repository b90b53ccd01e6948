/* cg_keystore.c: JWKS by URL, fetched single-flight, rate-limited, shared. */
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>
#include <openssl/evp.h>

#include "cg_claims.h"
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
    apr_int64_t synced_at;          /* last look at the shared record */
    char last_error[256];
} entry_t;

struct cg_keystore_t {
    apr_pool_t *pool;       /* own allocator; grows only under lock */
    apr_thread_mutex_t *lock;       /* entries hash, pool, stats */
    apr_hash_t *entries;
    cg_keystore_conf_t conf;
    cg_keystore_stats_t stats;
};

typedef enum { FOUND_FRESH, FOUND_STALE, UNKNOWN_KID, NO_KEYS } local_e;

/* The store's pool goes away with its parent: let go of every key set.
 * Nothing else can run then, so no locks (they may be gone already). */
static apr_status_t drop_snapshots(void *data)
{
    cg_keystore_t *ks = data;
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, ks->entries); hi; hi = apr_hash_next(hi)) {
        entry_t *e = apr_hash_this_val(hi);
        if (e->current && --e->current->refs == 0) {
            apr_pool_destroy(e->current->pool);
        }
        e->current = NULL;
    }
    return APR_SUCCESS;
}

cg_keystore_t *cg_keystore_create(apr_pool_t *p, const cg_keystore_conf_t *conf)
{
    apr_allocator_t *alloc;
    apr_pool_t *own;
    cg_keystore_t *ks;

    /* A pool with an allocator of its own: p (pconf, in httpd) is not
     * thread-safe, and the store allocates an entry the first time a
     * request names a URL. */
    if (apr_allocator_create(&alloc) != APR_SUCCESS) {
        return NULL;
    }
    if (apr_pool_create_ex(&own, p, NULL, alloc) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return NULL;
    }
    apr_allocator_owner_set(alloc, own);
    ks = apr_pcalloc(own, sizeof(*ks));
    ks->pool = own;
    ks->entries = apr_hash_make(own);
    apr_thread_mutex_create(&ks->lock, APR_THREAD_MUTEX_DEFAULT, own);
    apr_pool_cleanup_register(own, ks, drop_snapshots, apr_pool_cleanup_null);
    ks->conf = *conf;
    if (!ks->conf.http) {
        ks->conf.http = cg_http_curl;
    }
    if (ks->conf.min_refetch_interval < 0) {
        ks->conf.min_refetch_interval = 0;
    }
    if (ks->conf.refresh_interval < 0) {
        ks->conf.refresh_interval = 0;
    }
    return ks;
}

char *cg_keystore_record_key(apr_pool_t *p, const char *url)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char *key, *o;

    if (!EVP_Digest(url, strlen(url), md, &n, EVP_sha256(), NULL)) {
        /* Cannot happen short of a broken OpenSSL; the plain URL still
         * works with shmcb and with URLs short enough for the others. */
        return apr_pstrcat(p, "cg:jwks:", url, NULL);
    }
    o = key = apr_palloc(p, 8 + 2 * n + 1);
    memcpy(o, "cg:jwks:", 8);
    o += 8;
    for (i = 0; i < n; i++) {
        static const char hex[] = "0123456789abcdef";
        *o++ = hex[md[i] >> 4];
        *o++ = hex[md[i] & 15];
    }
    *o = '\0';
    return key;
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

static void bump_stat(cg_keystore_t *ks, unsigned long *counter)
{
    apr_thread_mutex_lock(ks->lock);
    (*counter)++;
    apr_thread_mutex_unlock(ks->lock);
}

/* Parse json into a fresh snapshot and make it current. */
static cg_err_code_e install(cg_keystore_t *ks, entry_t *e, const char *json,
                             apr_size_t len, apr_int64_t fetched_at,
                             const cg_log_t *log, apr_pool_t *p,
                             cg_error_t *err)
{
    apr_pool_t *sp;
    cg_keyset_t *keys;
    cg_error_t perr = { CG_OK, NULL, NULL };
    snapshot_t *s, *old;
    cg_err_code_e rc;
    int count;

    if (apr_pool_create_unmanaged_ex(&sp, NULL, NULL) != APR_SUCCESS) {
        return cg_error_set(err, p, CG_ERR_INTERNAL, "out of memory");
    }
    rc = cg_keyset_parse(sp, json, len, log, &keys, &perr);
    if (rc != CG_OK) {
        /* The reason was allocated in sp, which goes now. */
        cg_error_set(err, p, rc, "%s", perr.detail ? perr.detail : "?");
        apr_pool_destroy(sp);
        return rc;
    }
    s = apr_pcalloc(sp, sizeof(*s));
    s->pool = sp;
    s->keys = keys;
    s->entry = e;
    s->refs = 1;
    /* Read now: once the lock is let go, another thread may install a
     * newer set and destroy this one (and its pool) at once. */
    count = keys->count;

    apr_thread_mutex_lock(e->lock);
    old = e->current;
    e->current = s;
    e->fetched_at = fetched_at;
    if (fetched_at > e->last_attempt) {
        e->last_attempt = fetched_at;
    }
    unref_locked(old);
    apr_thread_mutex_unlock(e->lock);
    cg_log(log, CG_LOG_DEBUG, "JWKS %s: %d key(s) in use", e->url, count);
    return CG_OK;
}

static int is_stale(cg_keystore_t *ks, entry_t *e, apr_int64_t now)
{
    return ks->conf.refresh_interval > 0
           && now - e->fetched_at >= ks->conf.refresh_interval;
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
        r = is_stale(ks, e, now) ? FOUND_STALE : FOUND_FRESH;
        e->current->refs++;
        *key = k;
        *hold = e->current;
    }
    apr_thread_mutex_unlock(e->lock);
    return r;
}

/* A decimal number of 1 to max_digits digits, then the byte sep; returns
 * what follows, or NULL.  Stricter than sscanf, which skips any amount of
 * whitespace, takes signs and has no defined result on overflow. */
static const char *read_decimal(const char *s, int max_digits,
                                apr_int64_t *out, char sep)
{
    apr_int64_t v = 0;
    int n = 0;

    while (*s >= '0' && *s <= '9' && n < max_digits) {
        v = v * 10 + (*s++ - '0');
        n++;
    }
    if (!n || *s != sep) {
        return NULL;
    }
    *out = v;
    return s + 1;
}

/* Take a newer key set, and a newer attempt time, from a record (see
 * cg_keystore_record_key; val is NUL-terminated).  Returns 1 if the local
 * state changed. */
static int apply_record(cg_keystore_t *ks, entry_t *e, const char *val,
                        apr_size_t len, const cg_log_t *log, apr_pool_t *p)
{
    const char *json = NULL;
    apr_size_t json_len;
    apr_int64_t fetched_at = 0, attempt_at = 0;
    int changed = 0, adopt;

    /* "cgjwks1 <fetched_at> <attempt_at>\n<json>", times in seconds up
     * to CG_MAX_SECONDS (12 digits). */
    if (len > 8 && !strncmp(val, "cgjwks1 ", 8)) {
        json = read_decimal(val + 8, 12, &fetched_at, ' ');
        json = json ? read_decimal(json, 12, &attempt_at, '\n') : NULL;
    }
    if (!json || fetched_at > CG_MAX_SECONDS || attempt_at > CG_MAX_SECONDS
        || (apr_size_t)(json - val) > len) {
        cg_log(log, CG_LOG_DEBUG, "JWKS %s: unreadable shared record", e->url);
        return 0;
    }
    json_len = len - (apr_size_t)(json - val);
    apr_thread_mutex_lock(e->lock);
    if (attempt_at > e->last_attempt) {
        e->last_attempt = attempt_at;
        changed = 1;
    }
    /* Newer keys, or keys fetched in the same second as ours but not the
     * same (times are in seconds, and two processes may fetch in one). */
    adopt = json_len > 0
            && (fetched_at > e->fetched_at
                || (fetched_at == e->fetched_at
                    && (!e->current || e->current->keys->json_len != json_len
                        || memcmp(e->current->keys->json, json, json_len)
                           != 0)));
    apr_thread_mutex_unlock(e->lock);
    if (adopt && install(ks, e, json, json_len, fetched_at, log, p,
                         NULL) == CG_OK) {
        bump_stat(ks, &ks->stats.adopted);
        changed = 1;
    }
    return changed;
}

/* Take a newer key set, and the newest attempt time, from the shared
 * store.  Returns 1 if the local state changed. */
static int sync_from_shared(cg_keystore_t *ks, entry_t *e, apr_int64_t now,
                            const cg_log_t *log, apr_pool_t *p)
{
    const cg_shared_store_t *sh = ks->conf.shared;
    const char *val;
    apr_size_t len;

    if (!sh) {
        return 0;
    }
    apr_thread_mutex_lock(e->lock);
    e->synced_at = now;
    apr_thread_mutex_unlock(e->lock);
    if (sh->get(sh->baton, p, e->record_key, &val, &len) != CG_OK) {
        return 0;
    }
    return apply_record(ks, e, val, len, log, p);
}

/* The record for e, as put in the shared store. */
static char *make_record(entry_t *e, apr_pool_t *p)
{
    const char *json = "";
    apr_int64_t fetched_at, attempt;

    apr_thread_mutex_lock(e->lock);
    if (e->current) {
        json = apr_pstrmemdup(p, e->current->keys->json,
                              e->current->keys->json_len);
    }
    fetched_at = e->fetched_at;
    attempt = e->last_attempt;
    apr_thread_mutex_unlock(e->lock);
    return apr_psprintf(p, "cgjwks1 %" APR_INT64_T_FMT " %" APR_INT64_T_FMT
                        "\n%s", fetched_at, attempt, json);
}

static void put_shared(cg_keystore_t *ks, entry_t *e, apr_int64_t now,
                       apr_pool_t *p)
{
    const cg_shared_store_t *sh = ks->conf.shared;
    char *rec;

    if (!sh) {
        return;
    }
    rec = make_record(e, p);
    /* Keys are useful long after refresh_interval (stale-if-error), so the
     * record is kept for a week; the socache may evict it earlier. */
    sh->put(sh->baton, p, e->record_key, rec, strlen(rec), now + 7 * 86400);
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
    apr_time_t started;
    apr_int64_t done;

    apr_thread_mutex_lock(e->lock);
    have_keys = e->current != NULL;
    apr_thread_mutex_unlock(e->lock);
    bump_stat(ks, &ks->stats.fetches);

    started = apr_time_now();
    rc = ks->conf.http(ks->conf.http_baton, p, &ks->conf.http_conf, &req,
                       &resp, &ferr);
    /* The attempt is dated when it ended: a fetch that hung for the whole
     * timeout must not leave the next window half over already (with a
     * timeout as long as the window, one fetch would follow another and
     * the upstream would never rest).  `now` is the caller's clock; only
     * the time the call took is measured here. */
    done = now + apr_time_sec(apr_time_now() - started);
    if (done < now) {
        done = now;         /* the wall clock stepped back meanwhile */
    }
    if (rc == CG_OK && resp.status != 200) {
        rc = cg_error_set(&ferr, p, CG_ERR_UPSTREAM, "%s answered HTTP %d",
                          e->url, resp.status);
    }
    else if (rc == CG_OK) {
        rc = install(ks, e, resp.body, resp.body_len, done, log, p, &ferr);
        if (rc != CG_OK) {
            ferr.detail = apr_psprintf(p, "%s: %s", e->url, ferr.detail);
        }
    }
    if (rc != CG_OK) {
        bump_stat(ks, &ks->stats.fetch_failures);
        apr_thread_mutex_lock(e->lock);
        apr_cpystrn(e->last_error, ferr.detail ? ferr.detail : "?",
                    sizeof(e->last_error));
        apr_thread_mutex_unlock(e->lock);
        /* Fetches are at most one per window, so this is too. */
        cg_log(log, have_keys ? CG_LOG_WARNING : CG_LOG_ERR,
               "JWKS fetch failed (%s); %s", ferr.detail ? ferr.detail : "?",
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
    /* The attempt is recorded once it is over, keys installed or error
     * noted, not before: a thread that needs keys and sees an older
     * attempt queues on the fetch lock and then uses this result.  Seeing
     * this attempt any earlier, it would be told "not before the next
     * window" while the keys were still being installed. */
    apr_thread_mutex_lock(e->lock);
    if (done > e->last_attempt) {
        e->last_attempt = done;
    }
    apr_thread_mutex_unlock(e->lock);
    /* Failures too: the attempt time is what rate-limits every process. */
    put_shared(ks, e, done, p);
    return rc;
}

typedef enum { WAIT, DONT_WAIT } wait_e;

/* Fetch unless someone (thread or process) made an attempt after the one
 * we observed, in which case their result is what we use.  With DONT_WAIT
 * nothing is done when another thread or process is already fetching.
 * Returns 1 if it took the locks. */
static int fetch_single_flight(cg_keystore_t *ks, entry_t *e,
                               apr_int64_t observed, apr_int64_t now,
                               wait_e wait, int (*skip)(cg_keystore_t *,
                                                        entry_t *,
                                                        apr_int64_t),
                               const cg_log_t *log, apr_pool_t *p,
                               cg_error_t *err)
{
    const cg_shared_store_t *sh = ks->conf.shared;
    int shared_locked = 0;
    apr_int64_t latest;

    if (wait == DONT_WAIT) {
        if (apr_thread_mutex_trylock(e->fetch_lock) != APR_SUCCESS) {
            return 0;
        }
    }
    else {
        apr_thread_mutex_lock(e->fetch_lock);
    }
    if (sh) {
        cg_err_code_e lrc = wait == DONT_WAIT && sh->trylock
                            ? sh->trylock(sh->baton) : sh->lock(sh->baton);
        if (lrc != CG_OK && wait == DONT_WAIT && sh->trylock) {
            apr_thread_mutex_unlock(e->fetch_lock);
            return 0;
        }
        /* A lock that cannot be had at all (not a busy one) must not stop
         * fetching: we fetch without it, as with no shared store. */
        shared_locked = lrc == CG_OK;
        sync_from_shared(ks, e, now, log, p);
    }
    apr_thread_mutex_lock(e->lock);
    latest = e->last_attempt;
    apr_thread_mutex_unlock(e->lock);
    if (latest <= observed && !(skip && skip(ks, e, now))) {
        fetch(ks, e, now, log, p, err);
    }
    if (shared_locked) {
        sh->unlock(sh->baton);
    }
    apr_thread_mutex_unlock(e->fetch_lock);
    return 1;
}

static apr_int64_t last_attempt(entry_t *e)
{
    apr_int64_t t;

    apr_thread_mutex_lock(e->lock);
    t = e->last_attempt;
    apr_thread_mutex_unlock(e->lock);
    return t;
}

/* The newest attempt we know of did not give us the keys we hold: the
 * upstream is failing (or was, at its last try). */
static int failing(entry_t *e)
{
    int r;

    apr_thread_mutex_lock(e->lock);
    r = e->last_attempt > e->fetched_at;
    apr_thread_mutex_unlock(e->lock);
    return r;
}

static int may_fetch(cg_keystore_t *ks, apr_int64_t observed, apr_int64_t now)
{
    return observed == 0 || now - observed >= ks->conf.min_refetch_interval;
}

static int fresh(cg_keystore_t *ks, entry_t *e, apr_int64_t now)
{
    int r;

    apr_thread_mutex_lock(e->lock);
    r = e->current && !is_stale(ks, e, now);
    apr_thread_mutex_unlock(e->lock);
    return r;
}

/* Keys are held but old: refresh them if this window allows and nobody
 * else is at it, without ever waiting.  Returns 1 if the keys changed. */
static int refresh_stale(cg_keystore_t *ks, entry_t *e, apr_int64_t now,
                         const cg_log_t *log, apr_pool_t *p)
{
    apr_int64_t observed;
    snapshot_t *before;
    int synced;

    apr_thread_mutex_lock(e->lock);
    before = e->current;
    /* While the upstream is down every request comes here; one look at
     * the shared record per second per process is plenty. */
    synced = e->synced_at == now;
    apr_thread_mutex_unlock(e->lock);
    if (!synced) {
        sync_from_shared(ks, e, now, log, p);
    }
    observed = last_attempt(e);
    if (!fresh(ks, e, now) && may_fetch(ks, observed, now)) {
        fetch_single_flight(ks, e, observed, now, DONT_WAIT, fresh, log, p,
                            NULL);
    }
    apr_thread_mutex_lock(e->lock);
    synced = e->current != before;
    apr_thread_mutex_unlock(e->lock);
    return synced;
}

static cg_err_code_e no_key(entry_t *e, const char *url, const char *kid,
                            local_e r, apr_pool_t *p, cg_error_t *err)
{
    if (r == UNKNOWN_KID) {
        return cg_error_set(err, p, CG_ERR_KID_UNKNOWN,
                            "kid %.64s not in JWKS", kid);
    }
    apr_thread_mutex_lock(e->lock);
    cg_error_set(err, p, CG_ERR_KEYS_UNAVAILABLE,
                 "no signing keys for %s: %s", url,
                 e->last_error[0] ? e->last_error : "not fetched yet");
    apr_thread_mutex_unlock(e->lock);
    return CG_ERR_KEYS_UNAVAILABLE;
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
        /* Whatever happens to the refresh, the key we hold is good. */
        if (refresh_stale(ks, e, now, log, p)) {
            cg_keystore_release(ks, *hold);
            *key = NULL;
            *hold = NULL;
            r = try_local(ks, e, kid, now, key, hold);
            if (r == FOUND_FRESH || r == FOUND_STALE) {
                return CG_OK;
            }
            /* The refreshed set no longer has this kid: the key was
             * withdrawn, and its tokens go with it. */
            return no_key(e, url, kid, r, p, err);
        }
        return CG_OK;
    }

    /* No key for this kid: another process may have fetched it. */
    if (sync_from_shared(ks, e, now, log, p)) {
        r = try_local(ks, e, kid, now, key, hold);
        if (r == FOUND_FRESH || r == FOUND_STALE) {
            return CG_OK;
        }
    }
    observed = last_attempt(e);
    if (may_fetch(ks, observed, now)) {
        /* Normally a request that needs keys waits for the fetch under way
         * (the first requests after startup, a rotation).  But once the
         * upstream has failed, the fetch under way is a probe that may
         * well hang for the whole timeout: one request doing it is
         * enough, the others are answered with what we hold now (401 for
         * an unknown kid, 503 without keys) instead of piling up. */
        wait_e wait = failing(e) ? DONT_WAIT : WAIT;
        if (!fetch_single_flight(ks, e, observed, now, wait, NULL, log, p,
                                 NULL)) {
            cg_log(log, CG_LOG_DEBUG, "JWKS %s: the last fetch failed and "
                   "another is under way; not waiting for it", url);
        }
    }
    else {
        cg_log(log, CG_LOG_DEBUG, "JWKS %s: not refetching for kid %.64s, "
               "last attempt %" APR_INT64_T_FMT "s ago", url, kid,
               now - observed);
    }
    r = try_local(ks, e, kid, now, key, hold);
    if (r == FOUND_FRESH || r == FOUND_STALE) {
        return CG_OK;
    }
    return no_key(e, url, kid, r, p, err);
}

cg_err_code_e cg_keystore_prefetch(cg_keystore_t *ks, const char *url,
                                   apr_int64_t now, const cg_log_t *log,
                                   apr_pool_t *p, cg_error_t *err)
{
    entry_t *e = get_entry(ks, url);
    cg_error_t ferr = { CG_OK, NULL, NULL };
    int have;

    if (!fresh(ks, e, now)) {
        /* observed = now: any attempt made before this one is not a reason
         * to skip it, only fresh keys (ours or adopted under the lock). */
        fetch_single_flight(ks, e, now, now, WAIT, fresh, log, p, &ferr);
    }
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

void cg_keystore_sync(cg_keystore_t *ks, const char *url, const cg_log_t *log,
                      apr_pool_t *p)
{
    sync_from_shared(ks, get_entry(ks, url), 0, log, p);
}

/* "cgkeys1\n", then per URL "<url length> <record length>\n<url><record>". */
#define SAVED_MAGIC "cgkeys1\n"

char *cg_keystore_save(cg_keystore_t *ks, apr_pool_t *p)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(char *));
    apr_hash_index_t *hi;

    APR_ARRAY_PUSH(parts, char *) = SAVED_MAGIC;
    apr_thread_mutex_lock(ks->lock);
    for (hi = apr_hash_first(p, ks->entries); hi; hi = apr_hash_next(hi)) {
        entry_t *e = apr_hash_this_val(hi);
        char *rec = make_record(e, p);
        APR_ARRAY_PUSH(parts, char *) = apr_psprintf(
            p, "%" APR_SIZE_T_FMT " %" APR_SIZE_T_FMT "\n%s%s",
            strlen(e->url), strlen(rec), e->url, rec);
    }
    apr_thread_mutex_unlock(ks->lock);
    return apr_array_pstrcat(p, parts, 0);
}

int cg_keystore_restore(cg_keystore_t *ks, const char *saved,
                        const cg_log_t *log, apr_pool_t *p)
{
    const char *at;
    int restored = 0;

    if (!saved || strncmp(saved, SAVED_MAGIC, strlen(SAVED_MAGIC)) != 0) {
        return 0;
    }
    at = saved + strlen(SAVED_MAGIC);
    while (*at) {
        apr_int64_t ul = 0, rl = 0;
        apr_size_t url_len, rec_len, avail;
        const char *url, *rec, *body;

        /* Sizes (at most 9 digits: records are far smaller) are checked
         * one at a time: their sum could wrap (a saved string of
         * "18446744073709551615 2" once did). */
        body = read_decimal(at, 9, &ul, ' ');
        body = body ? read_decimal(body, 9, &rl, '\n') : NULL;
        url_len = (apr_size_t)ul;
        rec_len = (apr_size_t)rl;
        avail = body ? strlen(body) : 0;
        if (!body || url_len > avail || rec_len > avail - url_len) {
            cg_log(log, CG_LOG_DEBUG, "saved keys: unreadable, ignored");
            break;
        }
        url = apr_pstrmemdup(p, body, url_len);
        rec = apr_pstrmemdup(p, body + url_len, rec_len);
        restored += apply_record(ks, get_entry(ks, url), rec, rec_len, log, p);
        at = body + url_len + rec_len;
    }
    return restored;
}

void cg_keystore_get_stats(cg_keystore_t *ks, cg_keystore_stats_t *out)
{
    apr_thread_mutex_lock(ks->lock);
    *out = ks->stats;
    apr_thread_mutex_unlock(ks->lock);
}
