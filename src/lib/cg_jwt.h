/*
 * cg_jwt.h: the whole contract for "is this Cognito token good".
 *
 * cg_jwt_validate() runs the checks in this order, stopping at the first
 * failure (the order keeps cheap, key-free checks ahead of anything that
 * could make us fetch keys or spend an RSA verification):
 *
 *   1. size cap, before any parsing;
 *   2. compact JWS: exactly three base64url parts (strict alphabet, no
 *      padding), header and payload are JSON objects without duplicate
 *      members;
 *   3. header: alg is exactly "RS256" (none, HS*, PS*, ES* ... refused), no
 *      "crit", a string "kid"; jku, x5u, jwk and x5c are never looked at;
 *   4. claim types: iss, token_use, sub, client_id, username,
 *      cognito:username, scope, email, nonce are strings when present;
 *      exp, nbf, iat, auth_time are numbers; cognito:groups is an array of
 *      strings; aud is a string or an array of strings;
 *   5. iss equals the configured issuer exactly;
 *   6. key by kid from the key source (which may refetch the JWKS once);
 *   7. RS256 signature (cjose);
 *   8. exp present and not passed, nbf and iat not in the future, each with
 *      the clock skew;
 *   9. token_use present and allowed by the policy;
 *  10. client: an id token's aud, an access token's client_id, is one of the
 *      policy's client ids;
 *  11. nonce equals the policy's nonce when the policy names one.
 */
#ifndef CG_JWT_H
#define CG_JWT_H

#include <apr_tables.h>
#include <jansson.h>

#include "cg_error.h"
#include "cg_jwks.h"
#include "cg_log.h"

/* Cognito tokens are 1-2 KB; big group lists can push id tokens higher. */
#define CG_JWT_DEFAULT_MAX_SIZE 8192
#define CG_JWT_DEFAULT_CLOCK_SKEW 30

/* token_use values, as a mask so "any" is both. */
#define CG_TOKEN_USE_ACCESS 1
#define CG_TOKEN_USE_ID     2
#define CG_TOKEN_USE_ANY    (CG_TOKEN_USE_ACCESS | CG_TOKEN_USE_ID)

typedef struct {
    const char *raw;            /* the compact token */
    apr_size_t raw_len;
    json_t *header;             /* decref'd by a cleanup on the parse pool;
                                 * NULL on a token cache hit */
    json_t *claims;
    const char *payload;        /* decoded payload JSON text */
    apr_size_t payload_len;
    apr_size_t signed_len;      /* raw[0..signed_len) is the signing input */
    const unsigned char *signature;     /* decoded; may be empty */
    apr_size_t signature_len;
    const char *alg;
    const char *kid;
    int token_use;              /* CG_TOKEN_USE_*, 0 when absent/other */
    const void *cached;         /* the token cache entry on a hit, or NULL */
} cg_jwt_t;

typedef struct {
    const char *issuer;                     /* required */
    const apr_array_header_t *client_ids;   /* const char *; required */
    int token_use;                          /* mask of allowed uses */
    int clock_skew;                         /* seconds */
    apr_size_t max_size;                    /* bytes; 0 = default */
    const char *nonce;                      /* NULL: not checked */
} cg_jwt_policy_t;

/*
 * Where keys come from.  lookup() finds the key for a kid (it may fetch)
 * and returns a hold that release() gives back after verification, so a
 * key set can be replaced while a request still uses the old one.
 */
typedef struct {
    cg_err_code_e (*lookup)(void *baton, const char *kid, apr_pool_t *p,
                            const cg_key_t **key, void **hold,
                            cg_error_t *err);
    void (*release)(void *baton, void *hold);
    void *baton;
} cg_key_source_t;

/* Steps 1-4. */
cg_err_code_e cg_jwt_parse(apr_pool_t *p, const char *token, apr_size_t len,
                           apr_size_t max_size, cg_jwt_t **out,
                           cg_error_t *err);

/* Step 7 alone. */
cg_err_code_e cg_jwt_verify_signature(const cg_jwt_t *jwt, const cg_key_t *key,
                                      apr_pool_t *p, cg_error_t *err);

/* Step 8 alone: exp, nbf, iat against now (seconds since the epoch). */
cg_err_code_e cg_jwt_check_times(const cg_jwt_t *jwt, int clock_skew,
                                 apr_int64_t now, apr_pool_t *p,
                                 cg_error_t *err);

/* Steps 5, 9, 10 and 11: everything the policy says about claims. */
cg_err_code_e cg_jwt_check_policy(const cg_jwt_t *jwt,
                                  const cg_jwt_policy_t *policy,
                                  apr_pool_t *p, cg_error_t *err);

/* All steps in order.  now is seconds since the epoch. */
cg_err_code_e cg_jwt_validate(apr_pool_t *p, const char *token, apr_size_t len,
                              const cg_jwt_policy_t *policy,
                              const cg_key_source_t *keys, apr_int64_t now,
                              cg_jwt_t **out, cg_error_t *err);

/* Parse a token_use word list ("access", "id", "any"). 0 if unknown. */
int cg_token_use_from_string(const char *s);

#endif
