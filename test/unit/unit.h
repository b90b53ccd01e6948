/*
 * unit.h: shared helpers for the Check unit tests of src/lib.
 *
 * Keys: three RSA-2048 keys are generated once in main(), before the suites
 * run; Check forks per test and the children inherit them.  Everything a
 * test allocates comes from ut_pool, which a checked fixture creates and
 * destroys around every test (so CK_FORK=no under valgrind stays clean).
 */
#ifndef UNIT_H
#define UNIT_H

#include <string.h>

#include <check.h>

#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "cg_b64.h"
#include "cg_claims.h"
#include "cg_error.h"
#include "cg_http.h"
#include "cg_jwks.h"
#include "cg_jwt.h"
#include "cg_keystore.h"
#include "cg_log.h"
#include "cg_mirror.h"
#include "cg_pool.h"

/* A fixed "now" (2023-11-14); tests pass times, nobody sleeps. */
#define UT_NOW ((apr_int64_t)1700000000)

#define UT_POOL_ID   "us-east-1_AbC123xyz"
#define UT_ISSUER    "https://cognito-idp.us-east-1.amazonaws.com/" UT_POOL_ID
#define UT_JWKS_URL  UT_ISSUER "/.well-known/jwks.json"
#define UT_CLIENT    "4pqrst1uvw2xyz3abc4def5gh"
#define UT_CLIENT2   "7second8client9abc0def1gh"
#define UT_M2M       "6m2mclient7abc8def9ghi0jk"
#define UT_SUB       "8f4e2a1c-0b7d-4c3e-9a6f-1d2b3c4d5e6f"

/* ---- keys ---- */

enum { UT_KEY_A = 0, UT_KEY_B = 1, UT_KEY_C = 2, UT_NKEYS = 3 };
#define UT_MASK(i) (1u << (i))

typedef struct {
    EVP_PKEY *pkey;
    const char *kid;
    char *n;        /* base64url modulus (malloc'd) */
    char *e;        /* base64url exponent */
    char *pem;      /* SubjectPublicKeyInfo PEM of the public key */
} ut_key_t;

extern ut_key_t ut_keys[UT_NKEYS];

void ut_keys_init(void);
void ut_keys_free(void);

/* ---- per-test pool ---- */

extern apr_pool_t *ut_pool;
void ut_setup(void);
void ut_teardown(void);
/* A TCase with the pool fixture. */
TCase *ut_tcase(const char *name);

/* ---- JSON and base64 ---- */

/* Registers a json_decref of j on p; returns j. */
json_t *ut_own(apr_pool_t *p, json_t *j);
/* Parse text into an owned object; fails the test on bad JSON. */
json_t *ut_json(apr_pool_t *p, const char *text);
/* Compact dump into p. */
char *ut_dump(apr_pool_t *p, json_t *j);
/* base64url of a string. */
char *ut_b64(apr_pool_t *p, const char *text);

/* The public JWK of a key (new reference), with kid, alg RS256, use sig. */
json_t *ut_jwk(int key);
/* A JWKS document of the keys in mask. */
char *ut_jwks(apr_pool_t *p, unsigned mask);
/* {"keys": keys} (keys is stolen). */
char *ut_jwks_from(apr_pool_t *p, json_t *keys);

/* ---- signing ---- */

typedef enum {
    UT_RS256,       /* RSASSA-PKCS1-v1_5 SHA-256 with the key */
    UT_PS256,       /* RSASSA-PSS SHA-256 with the key */
    UT_HS256_PEM,   /* HMAC-SHA256 keyed with the public key's PEM */
    UT_HS256_JWK,   /* HMAC-SHA256 keyed with the public JWK's JSON */
    UT_NONE,        /* empty signature */
    UT_JUNK_SIG     /* 64 bytes that sign nothing (ES256 stand-in) */
} ut_sig_e;

/* b64(header).b64(payload).b64(signature over the first two parts). */
char *ut_sign(apr_pool_t *p, ut_sig_e how, int key, const char *header,
              const char *payload);
/* {"kid": kid, "alg": alg} as text. */
char *ut_header(apr_pool_t *p, const char *alg, const char *kid);
/* RS256 with the key's own kid. */
char *ut_token(apr_pool_t *p, int key, json_t *claims);
/* RS256 with the key but another kid in the header. */
char *ut_token_kid(apr_pool_t *p, int key, const char *kid, json_t *claims);

/* Cognito-shaped claim sets relative to now (owned by p). */
json_t *ut_access_claims(apr_pool_t *p, apr_int64_t now);
json_t *ut_id_claims(apr_pool_t *p, apr_int64_t now);
json_t *ut_m2m_claims(apr_pool_t *p, apr_int64_t now);

/* issuer UT_ISSUER, client ids { UT_CLIENT }, skew 30, default size. */
cg_jwt_policy_t *ut_policy(apr_pool_t *p, int token_use);
void ut_policy_add_client(apr_pool_t *p, cg_jwt_policy_t *pol, const char *id);

/* ---- a key source over a parsed key set ---- */

typedef struct {
    cg_keyset_t *ks;
    int lookups;
    int releases;
    const char *last_kid;
    cg_key_source_t src;
} ut_keysrc_t;

ut_keysrc_t *ut_keysrc(apr_pool_t *p, unsigned mask);

/* ---- a fake HTTP client ---- */

typedef struct {
    int calls;
    int fail;               /* answer CG_ERR_UPSTREAM (no HTTP answer) */
    int status;
    const char *body;
    const char *content_type;
    const char *last_url;
    const char *last_method;
    int delay_ms;           /* each call takes this long */
    /* One-shot: called from inside a call (another thread looking up while
     * this fetch is under way). */
    void (*during)(void *arg);
    void *during_arg;
} ut_http_t;

ut_http_t *ut_http(apr_pool_t *p, int status, const char *body);
cg_err_code_e ut_http_fn(void *baton, apr_pool_t *p,
                         const cg_http_conf_t *conf,
                         const cg_http_request_t *req,
                         cg_http_response_t *resp, cg_error_t *err);

/* ---- a fake cross-process store ---- */

typedef struct {
    apr_pool_t *pool;
    apr_hash_t *data;
    int gets, puts, locks, unlocks, depth;
    /* One-shot: called from inside lock() (another process fetching
     * while we wait for the lock). */
    void (*on_lock)(void *arg);
    void *on_lock_arg;
    cg_shared_store_t store;
} ut_shared_t;

ut_shared_t *ut_shared(apr_pool_t *p);
const char *ut_shared_value(ut_shared_t *s, const char *key);

/* A key store talking to the fakes. */
cg_keystore_t *ut_keystore(apr_pool_t *p, ut_http_t *http, int refresh,
                           int min_refetch, ut_shared_t *shared);

/* ---- a log collector ---- */

typedef struct {
    apr_pool_t *pool;
    apr_array_header_t *lines;  /* char *, "<level> text" */
    int at[9];
    cg_log_t log;
} ut_log_t;

ut_log_t *ut_log(apr_pool_t *p);
/* Lines at level (-1: any) containing substr (NULL: any). */
int ut_log_count(const ut_log_t *l, int level, const char *substr);

/* ---- assertions ---- */

const char *ut_code_name(cg_err_code_e c);
/* err->detail, or "-". */
const char *ut_detail(const cg_error_t *err);

#define ut_assert_code(got, want, errp) do {                                \
        cg_err_code_e ut_g_ = (got), ut_w_ = (want);                        \
        ck_assert_msg(ut_g_ == ut_w_, "got %s, want %s (detail: %s)",       \
                      ut_code_name(ut_g_), ut_code_name(ut_w_),             \
                      ut_detail(errp));                                     \
    } while (0)

/* ---- suites ---- */

Suite *ut_b64_suite(void);
Suite *ut_json_suite(void);
Suite *ut_jwt_suite(void);
Suite *ut_jwks_suite(void);
Suite *ut_keystore_suite(void);
Suite *ut_claims_suite(void);
Suite *ut_mirror_suite(void);
Suite *ut_pool_suite(void);
Suite *ut_tokencache_suite(void);
Suite *ut_identity_suite(void);
Suite *ut_seal_suite(void);
Suite *ut_session_suite(void);
Suite *ut_cookie_suite(void);
Suite *ut_url_suite(void);
Suite *ut_oauth_suite(void);
Suite *ut_idp_suite(void);

#endif
