/* unit_util.c: keys, signers, claim sets and fakes shared by the suites. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <apr_time.h>

#include "unit.h"

ut_key_t ut_keys[UT_NKEYS];
apr_pool_t *ut_pool;

/* ---- keys ---- */

static char *bn_b64url(const BIGNUM *bn)
{
    apr_pool_t *p;
    int n = BN_num_bytes(bn);
    unsigned char *buf = malloc((size_t)n);
    char *enc, *out;

    if (!buf) abort();
    BN_bn2bin(bn, buf);
    apr_pool_create(&p, NULL);
    enc = cg_b64url_encode(p, buf, (apr_size_t)n);
    out = strdup(enc);
    apr_pool_destroy(p);
    free(buf);
    return out;
}

void ut_keys_init(void)
{
    static const char *const kids[UT_NKEYS] = {
        "kid-A-1234567890abcdef=", "kid-B-fedcba0987654321=", "kid-C-attacker"
    };
    int i;

    for (i = 0; i < UT_NKEYS; i++) {
        ut_key_t *k = &ut_keys[i];
        BIGNUM *n = NULL, *e = NULL;
        BIO *bio;
        char *data;
        long len;

        k->pkey = EVP_RSA_gen(2048);
        if (!k->pkey
            || !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n)
            || !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
            fprintf(stderr, "RSA key generation failed\n");
            ERR_print_errors_fp(stderr);
            exit(2);
        }
        k->kid = kids[i];
        k->n = bn_b64url(n);
        k->e = bn_b64url(e);
        BN_free(n);
        BN_free(e);
        bio = BIO_new(BIO_s_mem());
        PEM_write_bio_PUBKEY(bio, k->pkey);
        len = BIO_get_mem_data(bio, &data);
        k->pem = strndup(data, (size_t)len);
        BIO_free(bio);
    }
}

void ut_keys_free(void)
{
    int i;
    for (i = 0; i < UT_NKEYS; i++) {
        EVP_PKEY_free(ut_keys[i].pkey);
        free(ut_keys[i].n);
        free(ut_keys[i].e);
        free(ut_keys[i].pem);
        memset(&ut_keys[i], 0, sizeof(ut_keys[i]));
    }
}

/* ---- per-test pool ---- */

void ut_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&ut_pool, NULL), APR_SUCCESS);
}

void ut_teardown(void)
{
    apr_pool_destroy(ut_pool);
    ut_pool = NULL;
}

TCase *ut_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, ut_setup, ut_teardown);
    return tc;
}

/* ---- JSON and base64 ---- */

static apr_status_t decref(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *ut_own(apr_pool_t *p, json_t *j)
{
    ck_assert_ptr_nonnull(j);
    apr_pool_cleanup_register(p, j, decref, apr_pool_cleanup_null);
    return j;
}

json_t *ut_json(apr_pool_t *p, const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    ck_assert_msg(j != NULL, "bad test JSON: %s: %s", jerr.text, text);
    return ut_own(p, j);
}

char *ut_dump(apr_pool_t *p, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY), *out;
    ck_assert_ptr_nonnull(s);
    out = apr_pstrdup(p, s);
    free(s);
    return out;
}

char *ut_b64(apr_pool_t *p, const char *text)
{
    return cg_b64url_encode(p, (const unsigned char *)text, strlen(text));
}

json_t *ut_jwk(int key)
{
    const ut_key_t *k = &ut_keys[key];
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "alg", "RS256",
                     "e", k->e, "kid", k->kid, "kty", "RSA", "n", k->n,
                     "use", "sig");
}

char *ut_jwks_from(apr_pool_t *p, json_t *keys)
{
    json_t *doc = json_pack("{s:o}", "keys", keys);
    char *out = ut_dump(p, doc);
    json_decref(doc);
    return out;
}

char *ut_jwks(apr_pool_t *p, unsigned mask)
{
    json_t *keys = json_array();
    int i;

    for (i = 0; i < UT_NKEYS; i++) {
        if (mask & UT_MASK(i)) {
            json_array_append_new(keys, ut_jwk(i));
        }
    }
    return ut_jwks_from(p, keys);
}

/* ---- signing ---- */

static unsigned char *rsa_sign(int key, int pss, const char *input,
                               size_t *siglen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig;

    ck_assert_ptr_nonnull(md);
    ck_assert_int_eq(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL,
                                        ut_keys[key].pkey), 1);
    if (pss) {
        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx,
                                                      RSA_PKCS1_PSS_PADDING), 1);
        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(
                             pctx, RSA_PSS_SALTLEN_DIGEST), 1);
    }
    else {
        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx,
                                                      RSA_PKCS1_PADDING), 1);
    }
    ck_assert_int_eq(EVP_DigestSign(md, NULL, siglen,
                                    (const unsigned char *)input,
                                    strlen(input)), 1);
    sig = malloc(*siglen);
    ck_assert_ptr_nonnull(sig);
    ck_assert_int_eq(EVP_DigestSign(md, sig, siglen,
                                    (const unsigned char *)input,
                                    strlen(input)), 1);
    EVP_MD_CTX_free(md);
    return sig;
}

char *ut_sign(apr_pool_t *p, ut_sig_e how, int key, const char *header,
              const char *payload)
{
    char *input = apr_pstrcat(p, ut_b64(p, header), ".", ut_b64(p, payload),
                              NULL);
    unsigned char mac[EVP_MAX_MD_SIZE], junk[64], *sig = NULL;
    unsigned int maclen = 0;
    size_t siglen = 0;
    char *b64sig;

    switch (how) {
    case UT_RS256:
    case UT_PS256:
        sig = rsa_sign(key, how == UT_PS256, input, &siglen);
        b64sig = cg_b64url_encode(p, sig, siglen);
        free(sig);
        break;
    case UT_HS256_PEM:
    case UT_HS256_JWK: {
        const char *secret;
        if (how == UT_HS256_PEM) {
            secret = ut_keys[key].pem;
        }
        else {
            json_t *jwk = ut_jwk(key);
            secret = ut_dump(p, jwk);
            json_decref(jwk);
        }
        ck_assert_ptr_nonnull(HMAC(EVP_sha256(), secret, (int)strlen(secret),
                                   (const unsigned char *)input,
                                   strlen(input), mac, &maclen));
        b64sig = cg_b64url_encode(p, mac, maclen);
        break;
    }
    case UT_NONE:
        b64sig = "";
        break;
    case UT_JUNK_SIG:
    default:
        memset(junk, 0x5a, sizeof(junk));
        b64sig = cg_b64url_encode(p, junk, sizeof(junk));
        break;
    }
    return apr_pstrcat(p, input, ".", b64sig, NULL);
}

char *ut_header(apr_pool_t *p, const char *alg, const char *kid)
{
    json_t *h = json_pack("{s:s, s:s}", "kid", kid, "alg", alg);
    char *out = ut_dump(p, h);
    json_decref(h);
    return out;
}

char *ut_token_kid(apr_pool_t *p, int key, const char *kid, json_t *claims)
{
    return ut_sign(p, UT_RS256, key, ut_header(p, "RS256", kid),
                   ut_dump(p, claims));
}

char *ut_token(apr_pool_t *p, int key, json_t *claims)
{
    return ut_token_kid(p, key, ut_keys[key].kid, claims);
}

/* Shapes from the Cognito developer guide (see COGNITO.md). */
json_t *ut_access_claims(apr_pool_t *p, apr_int64_t now)
{
    return ut_own(p, json_pack(
        "{s:s, s:[s,s], s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s,"
        " s:s, s:i}",
        "sub", UT_SUB,
        "cognito:groups", "admins", "dev",
        "iss", UT_ISSUER,
        "client_id", UT_CLIENT,
        "origin_jti", "0b6c2b6e-7c1f-4a47-9d3c-6a1f1f0e9a11",
        "event_id", "e3c7a0f2-2a7e-4b1d-8f4e-6c2d9b1a0c33",
        "token_use", "access",
        "scope", "openid profile aws.cognito.signin.user.admin",
        "auth_time", (json_int_t)(now - 60),
        "exp", (json_int_t)(now + 3600),
        "iat", (json_int_t)(now - 60),
        "jti", "5b3a7c2d-1e4f-4a6b-9c8d-7e6f5a4b3c2d",
        "username", "alice",
        "version", 2));
}

json_t *ut_id_claims(apr_pool_t *p, apr_int64_t now)
{
    return ut_own(p, json_pack(
        "{s:s, s:[s,s], s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I,"
        " s:s, s:s, s:s}",
        "sub", UT_SUB,
        "cognito:groups", "admins", "dev",
        "email_verified", 1,
        "iss", UT_ISSUER,
        "cognito:username", "alice",
        "origin_jti", "0b6c2b6e-7c1f-4a47-9d3c-6a1f1f0e9a11",
        "aud", UT_CLIENT,
        "event_id", "e3c7a0f2-2a7e-4b1d-8f4e-6c2d9b1a0c33",
        "token_use", "id",
        "auth_time", (json_int_t)(now - 60),
        "exp", (json_int_t)(now + 3600),
        "iat", (json_int_t)(now - 60),
        "jti", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "email", "alice@example.com",
        "custom:tenant", "acme"));
}

json_t *ut_m2m_claims(apr_pool_t *p, apr_int64_t now)
{
    return ut_own(p, json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:i, s:s, s:s}",
        "sub", UT_M2M,
        "token_use", "access",
        "scope", "veda/read veda/write",
        "iss", UT_ISSUER,
        "auth_time", (json_int_t)(now - 5),
        "client_id", UT_M2M,
        "exp", (json_int_t)(now + 3600),
        "iat", (json_int_t)(now - 5),
        "version", 2,
        "jti", "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
        "event_id", "c0ffee00-1234-4567-89ab-cdef01234567"));
}

cg_jwt_policy_t *ut_policy(apr_pool_t *p, int token_use)
{
    cg_jwt_policy_t *pol = apr_pcalloc(p, sizeof(*pol));
    apr_array_header_t *ids = apr_array_make(p, 2, sizeof(const char *));

    APR_ARRAY_PUSH(ids, const char *) = UT_CLIENT;
    pol->issuer = UT_ISSUER;
    pol->client_ids = ids;
    pol->token_use = token_use;
    pol->clock_skew = CG_JWT_DEFAULT_CLOCK_SKEW;
    pol->max_size = 0;
    pol->nonce = NULL;
    return pol;
}

void ut_policy_add_client(apr_pool_t *p, cg_jwt_policy_t *pol, const char *id)
{
    apr_array_header_t *ids = apr_array_copy(p, pol->client_ids);
    APR_ARRAY_PUSH(ids, const char *) = id;
    pol->client_ids = ids;
}

/* ---- key source ---- */

static cg_err_code_e keysrc_lookup(void *baton, const char *kid, apr_pool_t *p,
                                   const cg_key_t **key, void **hold,
                                   cg_error_t *err)
{
    ut_keysrc_t *s = baton;

    s->lookups++;
    s->last_kid = kid ? apr_pstrdup(p, kid) : NULL;
    *key = cg_keyset_find(s->ks, kid);
    *hold = NULL;
    if (!*key) {
        return cg_error_set(err, p, CG_ERR_KID_UNKNOWN, "kid %s unknown (test)",
                            kid ? kid : "-");
    }
    *hold = s;
    return CG_OK;
}

static void keysrc_release(void *baton, void *hold)
{
    ut_keysrc_t *s = baton;
    ck_assert_ptr_eq(hold, s);
    s->releases++;
}

ut_keysrc_t *ut_keysrc(apr_pool_t *p, unsigned mask)
{
    ut_keysrc_t *s = apr_pcalloc(p, sizeof(*s));
    const char *doc = ut_jwks(p, mask);
    cg_error_t err = { CG_OK, NULL, NULL };

    ut_assert_code(cg_keyset_parse(p, doc, strlen(doc), NULL, &s->ks, &err),
                   CG_OK, &err);
    s->src.lookup = keysrc_lookup;
    s->src.release = keysrc_release;
    s->src.baton = s;
    return s;
}

/* ---- fake HTTP ---- */

ut_http_t *ut_http(apr_pool_t *p, int status, const char *body)
{
    ut_http_t *h = apr_pcalloc(p, sizeof(*h));
    h->status = status;
    h->body = body;
    h->content_type = "application/json";
    return h;
}

cg_err_code_e ut_http_fn(void *baton, apr_pool_t *p,
                         const cg_http_conf_t *conf,
                         const cg_http_request_t *req,
                         cg_http_response_t *resp, cg_error_t *err)
{
    ut_http_t *h = baton;
    void (*hook)(void *) = h->during;

    h->calls++;
    h->last_url = apr_pstrdup(p, req->url);
    h->last_method = apr_pstrdup(p, req->method);
    if (h->delay_ms) {
        apr_sleep(apr_time_from_msec(h->delay_ms));
    }
    if (hook) {
        h->during = NULL;
        hook(h->during_arg);
    }
    if (h->fail) {
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "connection refused (fake %d)", h->calls);
    }
    resp->status = h->status;
    resp->body = apr_pstrdup(p, h->body ? h->body : "");
    resp->body_len = strlen(resp->body);
    resp->content_type = h->content_type;
    return CG_OK;
}

/* ---- fake shared store ---- */

static cg_err_code_e shared_get(void *baton, apr_pool_t *p, const char *key,
                                const char **val, apr_size_t *len)
{
    ut_shared_t *s = baton;
    const char *v = apr_hash_get(s->data, key, APR_HASH_KEY_STRING);

    s->gets++;
    if (!v) {
        return CG_ERR_INTERNAL;
    }
    *val = apr_pstrdup(p, v);
    *len = strlen(v);
    return CG_OK;
}

static void shared_put(void *baton, apr_pool_t *p, const char *key,
                       const char *val, apr_size_t len, apr_int64_t expires)
{
    ut_shared_t *s = baton;

    s->puts++;
    apr_hash_set(s->data, apr_pstrdup(s->pool, key), APR_HASH_KEY_STRING,
                 apr_pstrmemdup(s->pool, val, len));
}

static cg_err_code_e shared_lock(void *baton)
{
    ut_shared_t *s = baton;
    void (*hook)(void *) = s->on_lock;

    s->locks++;
    s->depth++;
    if (hook) {
        s->on_lock = NULL;
        hook(s->on_lock_arg);
    }
    return CG_OK;
}

static void shared_unlock(void *baton)
{
    ut_shared_t *s = baton;
    s->unlocks++;
    s->depth--;
}

ut_shared_t *ut_shared(apr_pool_t *p)
{
    ut_shared_t *s = apr_pcalloc(p, sizeof(*s));

    s->pool = p;
    s->data = apr_hash_make(p);
    s->store.get = shared_get;
    s->store.put = shared_put;
    s->store.lock = shared_lock;
    s->store.unlock = shared_unlock;
    s->store.baton = s;
    return s;
}

const char *ut_shared_value(ut_shared_t *s, const char *key)
{
    return apr_hash_get(s->data, key, APR_HASH_KEY_STRING);
}

cg_keystore_t *ut_keystore(apr_pool_t *p, ut_http_t *http, int refresh,
                           int min_refetch, ut_shared_t *shared)
{
    cg_keystore_conf_t kc;

    memset(&kc, 0, sizeof(kc));
    kc.http = ut_http_fn;
    kc.http_baton = http;
    cg_http_conf_defaults(&kc.http_conf);
    kc.refresh_interval = refresh;
    kc.min_refetch_interval = min_refetch;
    kc.shared = shared ? &shared->store : NULL;
    return cg_keystore_create(p, &kc);
}

/* ---- log collector ---- */

static void log_fn(void *baton, cg_log_level_e level, const char *msg)
{
    ut_log_t *l = baton;

    ck_assert_msg(level >= CG_LOG_ERR && level <= CG_LOG_TRACE,
                  "bad log level %d", (int)level);
    l->at[level]++;
    APR_ARRAY_PUSH(l->lines, char *) = apr_psprintf(l->pool, "%d %s",
                                                    (int)level, msg);
}

ut_log_t *ut_log(apr_pool_t *p)
{
    ut_log_t *l = apr_pcalloc(p, sizeof(*l));

    l->pool = p;
    l->lines = apr_array_make(p, 16, sizeof(char *));
    l->log.fn = log_fn;
    l->log.baton = l;
    l->log.max_level = CG_LOG_TRACE;
    return l;
}

int ut_log_count(const ut_log_t *l, int level, const char *substr)
{
    int i, n = 0;

    for (i = 0; i < l->lines->nelts; i++) {
        const char *line = APR_ARRAY_IDX(l->lines, i, const char *);
        int lv = atoi(line);
        if ((level < 0 || lv == level) && (!substr || strstr(line, substr))) {
            n++;
        }
    }
    return n;
}

/* ---- names ---- */

const char *ut_detail(const cg_error_t *err)
{
    return err && err->detail ? err->detail : "-";
}

const char *ut_code_name(cg_err_code_e c)
{
    switch (c) {
    case CG_OK: return "CG_OK";
    case CG_ERR_MALFORMED: return "CG_ERR_MALFORMED";
    case CG_ERR_TOO_LARGE: return "CG_ERR_TOO_LARGE";
    case CG_ERR_ALG: return "CG_ERR_ALG";
    case CG_ERR_CRIT: return "CG_ERR_CRIT";
    case CG_ERR_CLAIM_TYPE: return "CG_ERR_CLAIM_TYPE";
    case CG_ERR_ISSUER: return "CG_ERR_ISSUER";
    case CG_ERR_KID_UNKNOWN: return "CG_ERR_KID_UNKNOWN";
    case CG_ERR_SIGNATURE: return "CG_ERR_SIGNATURE";
    case CG_ERR_EXPIRED: return "CG_ERR_EXPIRED";
    case CG_ERR_NOT_YET_VALID: return "CG_ERR_NOT_YET_VALID";
    case CG_ERR_IAT_FUTURE: return "CG_ERR_IAT_FUTURE";
    case CG_ERR_TOKEN_USE: return "CG_ERR_TOKEN_USE";
    case CG_ERR_CLIENT: return "CG_ERR_CLIENT";
    case CG_ERR_NONCE: return "CG_ERR_NONCE";
    case CG_ERR_MISSING_CLAIM: return "CG_ERR_MISSING_CLAIM";
    case CG_ERR_REJECTED: return "CG_ERR_REJECTED";
    case CG_ERR_KEYS_UNAVAILABLE: return "CG_ERR_KEYS_UNAVAILABLE";
    case CG_ERR_UPSTREAM: return "CG_ERR_UPSTREAM";
    case CG_ERR_INTERNAL: return "CG_ERR_INTERNAL";
    }
    return "CG_ERR_<unknown>";
}
