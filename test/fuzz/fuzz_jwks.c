/*
 * fuzz_jwks.c: JWKS documents, and the key store that fetches, shares and
 * saves them (cg_keyset_parse, cg_keystore_*).
 *
 * Input: one flag byte, then by mode (flags bits 0-1):
 *   0  a JWKS document for cg_keyset_parse;
 *   1  "<kid>\n<document>": the document is what the JWKS URL answers
 *      (HTTP status 200, or 500 when flags bit 2 is set); three lookups;
 *   2  "<kid>\n<record>": the record is what the shared cache holds for
 *      the URL ("cgjwks1 <fetched> <attempt>\n<json>"); the URL itself
 *      answers 503;
 *   3  a saved key store (cg_keystore_save format) for
 *      cg_keystore_restore.
 *
 * Invariants: a parsed set holds only keys that follow the documented
 * rules (RSA, use sig, alg RS256, a kid, n and e), each findable by its
 * kid, and never more than the document lists; a refused document is an
 * upstream error; the key store answers a kid exactly when the set parsed
 * on its own holds it, fetches at most once per window however many kids
 * are asked for, gives back every hold and balances its shared lock; a
 * restored store saves back to what it was given (same length).
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "cg_jwks.h"
#include "cg_keystore.h"
#include "fuzz.h"

#define URL "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EmuPool01" \
            "/.well-known/jwks.json"
#define NOW ((apr_int64_t)1700000000)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_init();
    return 0;
}

/* ---- the documented rules, for one element of "keys" ---- */

static int member_ok(json_t *k, const char *name, int required)
{
    json_t *v = json_object_get(k, name);
    if (!v) {
        return !required;
    }
    return json_is_string(v) && (!required || *json_string_value(v));
}

static int follows_rules(json_t *k)
{
    static const char *const names[] = { "kty", "kid", "use", "alg", "n",
                                         "e", NULL };
    const char *const *n;
    const char *use, *alg;

    if (!json_is_object(k)) {
        return 0;
    }
    for (n = names; *n; n++) {
        if (!member_ok(k, *n, 0)) {
            return 0;
        }
    }
    use = json_string_value(json_object_get(k, "use"));
    alg = json_string_value(json_object_get(k, "alg"));
    return member_ok(k, "kid", 1) && member_ok(k, "n", 1)
           && member_ok(k, "e", 1)
           && !strcmp(json_string_value(json_object_get(k, "kty")) ?
                      json_string_value(json_object_get(k, "kty")) : "",
                      "RSA")
           && (!use || !strcmp(use, "sig"))
           && (!alg || !strcmp(alg, "RS256"));
}

static void check_keyset(apr_pool_t *p, const char *doc, size_t len)
{
    cg_keyset_t *ks = NULL;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc = cg_keyset_parse(p, doc, len, NULL, &ks, &err);
    apr_hash_index_t *hi;
    json_t *j, *keys;

    if (rc != CG_OK) {
        FZ_ASSERT(rc == CG_ERR_UPSTREAM && err.code == rc && err.detail,
                  "a bad JWKS refused with code %d", rc);
        FZ_ASSERT(ks == NULL, "a refused JWKS handed out");
        return;
    }
    FZ_ASSERT(len <= CG_JWKS_MAX_SIZE, "a %zu-byte JWKS accepted", len);
    FZ_ASSERT(ks && ks->count > 0, "an empty key set accepted");
    FZ_ASSERT((int)apr_hash_count(ks->keys) == ks->count,
              "count %d but %u keys", ks->count, apr_hash_count(ks->keys));
    FZ_ASSERT(ks->json_len == len && !memcmp(ks->json, doc, len),
              "the kept document differs from the one received");
    j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
    keys = json_object_get(j, "keys");
    FZ_ASSERT(json_is_array(keys), "accepted without a keys array");
    FZ_ASSERT((size_t)ks->count <= json_array_size(keys),
              "%d keys from %zu elements", ks->count, json_array_size(keys));
    for (hi = apr_hash_first(p, ks->keys); hi; hi = apr_hash_next(hi)) {
        const cg_key_t *key = apr_hash_this_val(hi);
        size_t i;
        int found = 0;
        cjose_err cerr;

        FZ_ASSERT(key->kid && *key->kid && key->jwk, "a key without kid");
        FZ_ASSERT(cg_keyset_find(ks, key->kid) == key, "kid %s not found",
                  key->kid);
        FZ_ASSERT(cjose_jwk_get_kty(key->jwk, &cerr) == CJOSE_JWK_KTY_RSA,
                  "kept a non-RSA key");
        for (i = 0; i < json_array_size(keys) && !found; i++) {
            json_t *k = json_array_get(keys, i);
            const char *kid = json_string_value(json_object_get(k, "kid"));
            found = kid && !strcmp(kid, key->kid) && follows_rules(k);
        }
        FZ_ASSERT(found, "kept kid %s, which no element allows", key->kid);
    }
    json_decref(j);
}

/* ---- fakes for the key store ---- */

typedef struct {
    int status;
    const char *body;
    size_t len;
    int calls;
} http_t;

static cg_err_code_e fake_http(void *baton, apr_pool_t *p,
                               const cg_http_conf_t *conf,
                               const cg_http_request_t *req,
                               cg_http_response_t *resp, cg_error_t *err)
{
    http_t *h = baton;

    h->calls++;
    FZ_ASSERT(!strcmp(req->url, URL), "fetched %s", req->url);
    resp->status = h->status;
    resp->body = h->body;
    resp->body_len = h->len;
    resp->content_type = "application/json";
    return CG_OK;
}

typedef struct {
    const char *record;     /* NUL-terminated */
    size_t len;
    int locks, unlocks, puts;
} shared_t;

static cg_err_code_e sh_get(void *baton, apr_pool_t *p, const char *key,
                            const char **val, apr_size_t *len)
{
    shared_t *s = baton;
    if (!s->record) {
        return CG_ERR_INTERNAL;
    }
    *val = s->record;
    *len = s->len;
    return CG_OK;
}

static void sh_put(void *baton, apr_pool_t *p, const char *key,
                   const char *val, apr_size_t len, apr_int64_t expires)
{
    shared_t *s = baton;
    FZ_ASSERT(strlen(val) == len, "a record with an inner NUL");
    FZ_ASSERT(!strncmp(val, "cgjwks1 ", 8), "a record without its magic");
    s->puts++;
}

static cg_err_code_e sh_lock(void *baton)
{
    ((shared_t *)baton)->locks++;
    return CG_OK;
}

static void sh_unlock(void *baton)
{
    ((shared_t *)baton)->unlocks++;
}

static cg_keystore_t *store(apr_pool_t *p, http_t *h, shared_t *s,
                            cg_shared_store_t *sh)
{
    cg_keystore_conf_t conf;

    memset(&conf, 0, sizeof(conf));
    cg_http_conf_defaults(&conf.http_conf);
    conf.http = fake_http;
    conf.http_baton = h;
    conf.refresh_interval = CG_KEYSTORE_DEFAULT_REFRESH;
    conf.min_refetch_interval = CG_KEYSTORE_DEFAULT_MIN_REFETCH;
    if (s) {
        sh->get = sh_get;
        sh->put = sh_put;
        sh->lock = sh_lock;
        sh->unlock = sh_unlock;
        sh->trylock = NULL;
        sh->baton = s;
        conf.shared = sh;
    }
    return cg_keystore_create(p, &conf);
}

/* Does the document, parsed on its own, hold kid? */
static int holds(const char *json, size_t len, const char *kid)
{
    apr_pool_t *q = fz_pool();
    cg_keyset_t *ks;
    int r = cg_keyset_parse(q, json, len, NULL, &ks, NULL) == CG_OK
            && cg_keyset_find(ks, kid) != NULL;
    apr_pool_destroy(q);
    return r;
}

static cg_err_code_e look(cg_keystore_t *ks, const char *kid, apr_pool_t *p,
                          apr_int64_t now)
{
    const cg_key_t *key = NULL;
    void *hold = NULL;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc = cg_keystore_lookup(ks, URL, kid, now, NULL, p, &key,
                                          &hold, &err);

    if (rc == CG_OK) {
        FZ_ASSERT(key && hold && !strcmp(key->kid, kid),
                  "asked for kid %s, got %s", kid, key ? key->kid : "none");
        cg_keystore_release(ks, hold);
    }
    else {
        FZ_ASSERT(!key && !hold, "a refusal with a key");
        FZ_ASSERT(rc == CG_ERR_KID_UNKNOWN || rc == CG_ERR_KEYS_UNAVAILABLE,
                  "lookup answered %d", rc);
        FZ_ASSERT(err.code == rc && err.detail, "a refusal without reason");
    }
    return rc;
}

static void fetched(apr_pool_t *p, const char *kid, const char *doc,
                    size_t len, int status)
{
    http_t h = { status, doc, len, 0 };
    cg_keystore_t *ks = store(p, &h, NULL, NULL);
    int ok = status == 200 && holds(doc, len, kid), parses;
    cg_keystore_stats_t st;
    cg_keyset_t *set;
    cg_err_code_e rc;

    rc = look(ks, kid, p, NOW);
    FZ_ASSERT((rc == CG_OK) == ok, "lookup %d, but the set %s kid %s", rc,
              ok ? "holds" : "lacks", kid);
    parses = status == 200
             && cg_keyset_parse(p, doc, len, NULL, &set, NULL) == CG_OK;
    FZ_ASSERT(rc != CG_ERR_KEYS_UNAVAILABLE || !parses,
              "keys unavailable although the document parses");
    /* Made-up kids within the window: no further fetch. */
    look(ks, "made-up-kid-1", p, NOW + 1);
    look(ks, "made-up-kid-2", p, NOW + 2);
    cg_keystore_get_stats(ks, &st);
    FZ_ASSERT(st.fetches == 1 && h.calls == 1, "%lu fetches in one window",
              st.fetches);
    FZ_ASSERT(st.fetch_failures == (unsigned long)!parses,
              "%lu failures for a document that %s", st.fetch_failures,
              parses ? "parses" : "does not parse");
}

static void shared_record(apr_pool_t *p, const char *kid, const char *rec,
                          size_t len)
{
    http_t h = { 503, "", 0, 0 };
    shared_t s = { rec, len, 0, 0, 0 };
    cg_shared_store_t sh;
    cg_keystore_t *ks = store(p, &h, &s, &sh);
    const char *nl = memchr(rec, '\n', len);
    cg_err_code_e rc;

    rc = look(ks, kid, p, NOW);
    if (rc == CG_OK) {
        FZ_ASSERT(nl && holds(nl + 1, len - (size_t)(nl + 1 - rec), kid),
                  "kid %s from a record that does not hold it", kid);
    }
    look(ks, kid, p, NOW + 5);
    look(ks, "made-up-kid", p, NOW + 5000);
    cg_keystore_sync(ks, URL, NULL, p);
    FZ_ASSERT(s.locks == s.unlocks, "%d locks, %d unlocks", s.locks,
              s.unlocks);
    FZ_ASSERT(h.calls <= 2, "%d fetches", h.calls);
}

static void restored(apr_pool_t *p, const char *saved)
{
    http_t h = { 503, "", 0, 0 };
    cg_keystore_t *ks1 = store(p, &h, NULL, NULL), *ks2;
    const char *s1, *s2;

    cg_keystore_restore(ks1, saved, NULL, p);
    s1 = cg_keystore_save(ks1, p);
    ks2 = store(p, &h, NULL, NULL);
    cg_keystore_restore(ks2, s1, NULL, p);
    s2 = cg_keystore_save(ks2, p);
    FZ_ASSERT(strlen(s1) == strlen(s2), "saved %zu bytes, after a restore "
              "%zu:\n%s\n---\n%s", strlen(s1), strlen(s2), s1, s2);
    FZ_ASSERT(h.calls == 0, "a restore fetched");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in_t in = { data, size };
    apr_pool_t *p = fz_pool();
    uint8_t flags = fz_byte(&in);
    const char *kid, *rest;
    size_t len;

    switch (flags & 3) {
    case 0:
        rest = fz_rest(&in, p, &len);
        check_keyset(p, rest, len);
        break;
    case 1:
        kid = fz_take(&in, p, '\n', NULL);
        rest = fz_rest(&in, p, &len);
        fetched(p, kid, rest, len, flags & 4 ? 500 : 200);
        break;
    case 2:
        kid = fz_take(&in, p, '\n', NULL);
        rest = fz_rest(&in, p, &len);
        shared_record(p, kid, rest, len);
        break;
    default:
        rest = fz_rest(&in, p, &len);
        restored(p, rest);
        break;
    }
    apr_pool_destroy(p);
    return 0;
}
