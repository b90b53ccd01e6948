/* cg_jwks.c: turn a JWKS document into verification keys. */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "cg_b64.h"
#include "cg_jwks.h"

static apr_status_t release_jwk(void *data)
{
    cjose_jwk_release((cjose_jwk_t *)data);
    return APR_SUCCESS;
}

static const char *member_string(json_t *obj, const char *name, int *bad_type)
{
    json_t *v = json_object_get(obj, name);
    if (!v) {
        return NULL;
    }
    if (!json_is_string(v)) {
        *bad_type = 1;
        return NULL;
    }
    return json_string_value(v);
}

/* Returns a reason the key is unusable, or NULL if it is a usable key. */
static const char *key_unusable(apr_pool_t *p, json_t *k,
                                const char **kid_out)
{
    int bad = 0;
    const char *kty, *kid, *use, *alg, *n, *e;

    if (!json_is_object(k)) {
        return "not an object";
    }
    kty = member_string(k, "kty", &bad);
    kid = member_string(k, "kid", &bad);
    use = member_string(k, "use", &bad);
    alg = member_string(k, "alg", &bad);
    n = member_string(k, "n", &bad);
    e = member_string(k, "e", &bad);
    *kid_out = kid;
    if (bad) {
        return "a member has the wrong type";
    }
    if (!kid || !*kid) {
        return "no kid";
    }
    if (!kty || strcmp(kty, "RSA") != 0) {
        return "kty is not RSA";
    }
    if (use && strcmp(use, "sig") != 0) {
        return "use is not sig";
    }
    if (alg && strcmp(alg, "RS256") != 0) {
        return "alg is not RS256";
    }
    if (!n || !*n || !e || !*e) {
        return "missing n or e";
    }
    /* Strict base64url before cjose sees them: its decoder aborts the
     * process (an assert) on a length that leaves one odd character. */
    if (!cg_b64url_decode(p, n, strlen(n), NULL)
        || !cg_b64url_decode(p, e, strlen(e), NULL)) {
        return "n or e is not base64url";
    }
    return NULL;
}

cg_err_code_e cg_keyset_parse(apr_pool_t *p, const char *json, apr_size_t len,
                              const cg_log_t *log, cg_keyset_t **out,
                              cg_error_t *err)
{
    json_error_t jerr;
    json_t *doc, *keys;
    cg_keyset_t *ks;
    size_t i;

    *out = NULL;
    if (len > CG_JWKS_MAX_SIZE) {
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "JWKS document too large (%" APR_SIZE_T_FMT
                            " bytes)", len);
    }
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "JWKS is not valid JSON: %s (line %d)", jerr.text,
                            jerr.line);
    }
    keys = json_object_get(doc, "keys");
    if (!json_is_object(doc) || !json_is_array(keys)) {
        json_decref(doc);
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "JWKS has no \"keys\" array");
    }

    ks = apr_pcalloc(p, sizeof(*ks));
    ks->pool = p;
    ks->keys = apr_hash_make(p);
    ks->json = apr_pstrmemdup(p, json, len);
    ks->json_len = len;

    for (i = 0; i < json_array_size(keys); i++) {
        json_t *k = json_array_get(keys, i);
        const char *kid = NULL, *why = key_unusable(p, k, &kid);
        cjose_err cerr;
        cjose_jwk_t *jwk;
        char *text;
        cg_key_t *key;

        if (why) {
            cg_log(log, CG_LOG_DEBUG, "JWKS key %d (kid %s) skipped: %s",
                   (int)i, kid ? kid : "-", why);
            continue;
        }
        if (apr_hash_get(ks->keys, kid, APR_HASH_KEY_STRING)) {
            cg_log(log, CG_LOG_DEBUG, "JWKS key %d skipped: duplicate kid %s",
                   (int)i, kid);
            continue;
        }
        text = json_dumps(k, JSON_COMPACT);
        jwk = text ? cjose_jwk_import(text, strlen(text), &cerr) : NULL;
        free(text);
        if (!jwk || cjose_jwk_get_kty(jwk, &cerr) != CJOSE_JWK_KTY_RSA) {
            if (jwk) {
                cjose_jwk_release(jwk);
            }
            cg_log(log, CG_LOG_DEBUG, "JWKS key %s skipped: not a valid RSA "
                   "public key", kid);
            continue;
        }
        key = apr_pcalloc(p, sizeof(*key));
        key->kid = apr_pstrdup(p, kid);
        key->jwk = jwk;
        apr_pool_cleanup_register(p, jwk, release_jwk, apr_pool_cleanup_null);
        apr_hash_set(ks->keys, key->kid, APR_HASH_KEY_STRING, key);
        ks->count++;
    }
    json_decref(doc);

    if (ks->count == 0) {
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "JWKS holds no usable RS256 signing key");
    }
    *out = ks;
    return CG_OK;
}

const cg_key_t *cg_keyset_find(const cg_keyset_t *ks, const char *kid)
{
    if (!ks || !kid) {
        return NULL;
    }
    return apr_hash_get(ks->keys, kid, APR_HASH_KEY_STRING);
}
