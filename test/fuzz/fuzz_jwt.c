/*
 * fuzz_jwt.c: cg_jwt_validate() and cg_jwt_validate_cached() against a
 * fixed key set (the emulator's two signing keys, fuzz_keys.h).
 *
 * Input: one flag byte, four bytes of "now" (seconds, big-endian), then
 * the token.
 *   flags bits 0-1  policy token_use: 0 any, 1 access, 2 id, 3 any
 *         bit  2    the policy demands nonce FZ_NONCE
 *         bits 3-4  0: the rest is a compact token, used as it is;
 *                   1, 2, 3: the rest is header JSON, a NUL byte, payload
 *                   JSON; the harness encodes them and signs with key 0,
 *                   key 1 or a key outside the set (so the fuzzer picks
 *                   the claims and still reaches every check after the
 *                   signature);
 *         bit  5    go through the token cache, twice;
 *         bits 6-7  clock skew 0, 30, 300 or 86400 s.
 *
 * Invariants: the library's verdict equals that of an independent
 * reference written here from cg_jwt.h (OpenSSL for base64 and RS256, not
 * cjose nor cg_b64), so nothing is accepted that should not be (forged or
 * foreign signature, alg confusion, wrong issuer, client, token_use,
 * nonce, times) and nothing valid is refused; a cached second look gives
 * the same verdict and is a hit; every key hold is given back; a refusal
 * is a client error with a bounded detail that does not quote the
 * signature.
 */
#include <string.h>

#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cg_b64.h"
#include "cg_jwt.h"
#include "cg_tokencache.h"
#include "fuzz.h"
#include "fuzz_keys.h"

#define FZ_NONCE "n-0S6_WzA2Mj"
#define FZ_JWKS_URL FZ_ISSUER "/.well-known/jwks.json"

static cg_keyset_t *keyset;
static EVP_PKEY *pkeys[FZ_NKEYS];
static cg_token_cache_t *cache;
/* FZ_VERBOSE=1: print both verdicts for each input (for seed work). */
static int verbose;
static const char *const clients[] = { "emuclient1", "emuclient2",
                                       "emusvc1" };

typedef struct {
    int holds, releases;        /* keys handed out, and given back */
} keysrc_t;

static cg_err_code_e lookup(void *baton, const char *kid, apr_pool_t *p,
                            const cg_key_t **key, void **hold,
                            cg_error_t *err)
{
    keysrc_t *k = baton;

    *key = cg_keyset_find(keyset, kid);
    *hold = NULL;
    if (!*key) {
        return cg_error_set(err, p, CG_ERR_KID_UNKNOWN, "kid not in JWKS");
    }
    k->holds++;
    *hold = k;
    return CG_OK;
}

static void release(void *baton, void *hold)
{
    keysrc_t *k = baton;
    FZ_ASSERT(hold == k, "release of a hold that lookup did not give");
    k->releases++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    cg_error_t err;
    int i;

    fz_init();
    verbose = getenv("FZ_VERBOSE") != NULL;
    if (cg_keyset_parse(fz_root, fz_jwks, strlen(fz_jwks), NULL, &keyset,
                        &err) != CG_OK) {
        fprintf(stderr, "fuzz_jwt: bad built-in JWKS: %s\n", err.detail);
        abort();
    }
    for (i = 0; i < FZ_NKEYS; i++) {
        BIO *bio = BIO_new_mem_buf(fz_private_pem[i], -1);
        pkeys[i] = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!pkeys[i]) {
            abort();
        }
    }
    /* Small, so that eviction is exercised too. */
    cache = cg_token_cache_create(fz_root, 16);
    return 0;
}

/* ---- the reference ---- */

/* Strict base64url through OpenSSL's decoder: alphabet, no padding, and
 * the canonical encoding only (re-encoding gives the input back). */
static unsigned char *ref_b64(apr_pool_t *p, const char *in, size_t len,
                              size_t *out_len)
{
    size_t padded = len + (4 - len % 4) % 4, i;
    unsigned char *std, *out;
    char *again;
    int n;

    if (len % 4 == 1) {
        return NULL;
    }
    std = apr_palloc(p, padded + 1);
    for (i = 0; i < len; i++) {
        char c = in[i];
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
        else if (c == '+' || c == '/' || c == '=') return NULL;
        std[i] = (unsigned char)c;
    }
    for (; i < padded; i++) {
        std[i] = '=';
    }
    std[padded] = '\0';
    out = apr_palloc(p, padded / 4 * 3 + 1);
    n = padded ? EVP_DecodeBlock(out, std, (int)padded) : 0;
    if (n < 0) {
        return NULL;
    }
    n -= (int)(padded - len);   /* DecodeBlock counts the padding */
    again = cg_b64url_encode(p, out, (apr_size_t)n);
    if (strlen(again) != len || memcmp(again, in, len) != 0) {
        return NULL;
    }
    out[n] = '\0';
    *out_len = (size_t)n;
    return out;
}

static json_t *ref_object(apr_pool_t *p, const char *part, size_t len)
{
    size_t n;
    unsigned char *raw = ref_b64(p, part, len, &n);
    json_t *j;

    if (!raw) {
        return NULL;
    }
    j = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int listed(const char *id)
{
    size_t i;
    for (i = 0; id && i < sizeof(clients) / sizeof(*clients); i++) {
        if (!strcmp(clients[i], id)) {
            return 1;
        }
    }
    return 0;
}

static int string_array(json_t *v)
{
    size_t i;
    if (!json_is_array(v)) {
        return 0;
    }
    for (i = 0; i < json_array_size(v); i++) {
        if (!json_is_string(json_array_get(v, i))) {
            return 0;
        }
    }
    return 1;
}

/* Why the token must be refused, or NULL when it must be accepted. */
static const char *reference(apr_pool_t *p, const char *tok, size_t len,
                             int use_mask, const char *nonce, int skew,
                             double now)
{
    static const char *const strings[] = {
        "iss", "token_use", "sub", "client_id", "username",
        "cognito:username", "scope", "email", "nonce", "jti", NULL };
    static const char *const numbers[] = {
        "exp", "nbf", "iat", "auth_time", NULL };
    const char *d1, *d2, *why = NULL, *kid, *use;
    json_t *h = NULL, *c = NULL, *v;
    unsigned char *sig;
    size_t siglen, i;
    EVP_MD_CTX *md;
    int k, ok;

    if (len == 0 || len > CG_JWT_DEFAULT_MAX_SIZE) return "size";
    if (memchr(tok, '\0', len)) return "NUL";
    d1 = memchr(tok, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok))) {
        return "parts";
    }
    h = ref_object(p, tok, (size_t)(d1 - tok));
    c = ref_object(p, d1 + 1, (size_t)(d2 - d1 - 1));
    sig = ref_b64(p, d2 + 1, len - (size_t)(d2 + 1 - tok), &siglen);
    if (!h || !c || !sig) { why = "encoding"; goto done; }

    v = json_object_get(h, "alg");
    if (!json_is_string(v) || strcmp(json_string_value(v), "RS256")) {
        why = "alg"; goto done;
    }
    if (json_object_get(h, "crit")) { why = "crit"; goto done; }
    v = json_object_get(h, "kid");
    if (!json_is_string(v) || !*json_string_value(v)) {
        why = "kid"; goto done;
    }
    kid = json_string_value(v);
    for (i = 0; strings[i]; i++) {
        v = json_object_get(c, strings[i]);
        if (v && !json_is_string(v)) { why = "string type"; goto done; }
    }
    for (i = 0; numbers[i]; i++) {
        v = json_object_get(c, numbers[i]);
        if (v && !json_is_number(v)) { why = "number type"; goto done; }
    }
    v = json_object_get(c, "cognito:groups");
    if (v && !string_array(v)) { why = "groups type"; goto done; }
    v = json_object_get(c, "aud");
    if (v && !json_is_string(v) && !string_array(v)) {
        why = "aud type"; goto done;
    }
    v = json_object_get(c, "iss");
    if (!v || strcmp(json_string_value(v), FZ_ISSUER)) {
        why = "iss"; goto done;
    }
    /* The signature, with the published key of that kid. */
    for (k = 0; k < FZ_NPUBLISHED; k++) {
        if (!strcmp(fz_kid[k], kid)) break;
    }
    if (k == FZ_NPUBLISHED) { why = "kid unknown"; goto done; }
    md = EVP_MD_CTX_new();
    ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkeys[k])
         == 1 && EVP_DigestVerify(md, sig, siglen, (const unsigned char *)tok,
                                  (size_t)(d2 - tok)) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) { why = "signature"; goto done; }

    v = json_object_get(c, "exp");
    if (!v || !(now < json_number_value(v) + skew)) {
        why = "exp"; goto done;
    }
    v = json_object_get(c, "nbf");
    if (v && json_number_value(v) > now + skew) { why = "nbf"; goto done; }
    v = json_object_get(c, "iat");
    if (v && json_number_value(v) > now + skew) { why = "iat"; goto done; }
    use = json_string_value(json_object_get(c, "token_use"));
    if (!use || (strcmp(use, "id") && strcmp(use, "access"))) {
        why = "token_use"; goto done;
    }
    if (!(use_mask & (!strcmp(use, "id") ? CG_TOKEN_USE_ID
                                         : CG_TOKEN_USE_ACCESS))) {
        why = "token_use policy"; goto done;
    }
    if (!json_is_string(json_object_get(c, "sub"))) { why = "sub"; goto done; }
    if (!strcmp(use, "id")) {
        v = json_object_get(c, "aud");
        ok = 0;
        if (json_is_string(v)) {
            ok = listed(json_string_value(v));
        }
        for (i = 0; !ok && i < json_array_size(v); i++) {
            ok = listed(json_string_value(json_array_get(v, i)));
        }
    }
    else {
        ok = listed(json_string_value(json_object_get(c, "client_id")));
    }
    if (!ok) { why = "client"; goto done; }
    if (nonce) {
        v = json_object_get(c, "nonce");
        if (!v || strcmp(json_string_value(v), nonce)) {
            why = "nonce"; goto done;
        }
    }
done:
    json_decref(h);
    json_decref(c);
    return why;
}

/* ---- building signed tokens from fuzzed JSON ---- */

static char *sign_token(apr_pool_t *p, int key, const char *header,
                        size_t hlen, const char *payload, size_t plen)
{
    char *input = apr_pstrcat(
        p, cg_b64url_encode(p, (const unsigned char *)header, hlen), ".",
        cg_b64url_encode(p, (const unsigned char *)payload, plen), NULL);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t siglen = sizeof(sig);

    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkeys[key])
               != 1
        || EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input,
                          strlen(input)) != 1) {
        abort();
    }
    EVP_MD_CTX_free(md);
    return apr_pstrcat(p, input, ".", cg_b64url_encode(p, sig, siglen),
                       NULL);
}

static void check_refusal(cg_err_code_e rc, const cg_error_t *err,
                          const char *tok, size_t len)
{
    const char *d2;

    FZ_ASSERT(err->code == rc, "err.code %d, returned %d", err->code, rc);
    FZ_ASSERT(err->detail && err->description, "refusal without a reason");
    FZ_ASSERT(!strcmp(err->description, cg_error_description(rc)),
              "description is not the fixed text");
    FZ_ASSERT(!cg_error_is_server_side(rc),
              "a token refused as a server fault (%d: %s)", rc, err->detail);
    FZ_ASSERT(strlen(err->detail) < 600, "a %zu-byte log detail",
              strlen(err->detail));
    d2 = len ? memchr(tok, '.', len) : NULL;
    d2 = d2 ? memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) : NULL;
    if (d2 && strlen(d2 + 1) >= 16) {
        FZ_ASSERT(!strstr(err->detail, d2 + 1),
                  "the detail quotes the signature: %s", err->detail);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int skews[] = { 0, 30, 300, 86400 };
    static const int uses[] = { CG_TOKEN_USE_ANY, CG_TOKEN_USE_ACCESS,
                                CG_TOKEN_USE_ID, CG_TOKEN_USE_ANY };
    fz_in_t in = { data, size };
    apr_pool_t *p = fz_pool();
    uint8_t flags = fz_byte(&in);
    apr_int64_t now = fz_u32(&in);
    int mode = (flags >> 3) & 3, i;
    apr_array_header_t *ids = apr_array_make(p, 3, sizeof(const char *));
    cg_jwt_policy_t pol;
    keysrc_t ks = { 0, 0 };
    cg_key_source_t src = { lookup, release, &ks };
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_jwt_t *jwt = NULL;
    const char *tok, *why;
    size_t len;
    cg_err_code_e rc;

    for (i = 0; i < 3; i++) {
        APR_ARRAY_PUSH(ids, const char *) = clients[i];
    }
    memset(&pol, 0, sizeof(pol));
    pol.issuer = FZ_ISSUER;
    pol.client_ids = ids;
    pol.token_use = uses[flags & 3];
    pol.clock_skew = skews[flags >> 6];
    pol.nonce = (flags & 4) ? FZ_NONCE : NULL;

    if (mode == 0) {
        tok = fz_rest(&in, p, &len);
    }
    else {
        size_t hlen, plen;
        const char *h = fz_take(&in, p, '\0', &hlen);
        const char *c = fz_rest(&in, p, &plen);
        tok = sign_token(p, mode - 1, h, hlen, c, plen);
        len = strlen(tok);
    }
    why = reference(p, tok, len, pol.token_use, pol.nonce, pol.clock_skew,
                    (double)now);

    if (flags & 0x20) {
        int hit = 0, again;
        rc = cg_jwt_validate_cached(cache, p, FZ_JWKS_URL, tok, len, &pol,
                                    &src, now, &jwt, &hit, &err);
        FZ_ASSERT((rc == CG_OK) == (why == NULL),
                  "cached: library says %d (%s), reference says %s", rc,
                  err.detail ? err.detail : "-", why ? why : "accept");
        if (rc != CG_OK) {
            check_refusal(rc, &err, tok, len);
        }
        again = cg_jwt_validate_cached(cache, p, FZ_JWKS_URL, tok, len, &pol,
                                       &src, now, &jwt, &hit, &err);
        FZ_ASSERT((again == CG_OK) == (rc == CG_OK),
                  "the second look says %d, the first %d", again, rc);
        FZ_ASSERT(rc != CG_OK || hit, "an accepted token is not cached");
    }
    else {
        rc = cg_jwt_validate(p, tok, len, &pol, &src, now, &jwt, &err);
        FZ_ASSERT((rc == CG_OK) == (why == NULL),
                  "library says %d (%s), reference says %s", rc,
                  err.detail ? err.detail : "-", why ? why : "accept");
        if (rc != CG_OK) {
            check_refusal(rc, &err, tok, len);
        }
    }
    if (verbose) {
        fprintf(stderr, "fuzz_jwt: mode %d, library %d (%s), reference %s\n",
                mode, rc, rc == CG_OK ? "accepted" : err.detail,
                why ? why : "accept");
    }
    FZ_ASSERT(ks.holds == ks.releases, "%d keys handed out, %d given back",
              ks.holds, ks.releases);
    if (rc == CG_OK) {
        FZ_ASSERT(jwt && jwt->claims && jwt->kid, "accepted without claims");
        FZ_ASSERT(jwt->token_use & pol.token_use, "token_use not allowed");
    }
    else {
        FZ_ASSERT(jwt == NULL, "a refused token handed out");
    }
    apr_pool_destroy(p);
    return 0;
}
