/*
 * cg_jwks.h: a parsed JSON Web Key Set, reduced to what we can use.
 *
 * Only RSA keys that may sign with RS256 are kept (kty "RSA"; "use", when
 * present, "sig"; "alg", when present, "RS256").  Anything else in the set
 * is skipped with a debug line rather than failing the whole set, because
 * a provider may publish other keys next to ours.  A set with no usable key
 * is an error.
 */
#ifndef CG_JWKS_H
#define CG_JWKS_H

#include <apr_hash.h>
#include <cjose/jwk.h>

#include "cg_error.h"
#include "cg_log.h"

typedef struct {
    const char *kid;
    cjose_jwk_t *jwk;   /* released by the keyset's pool cleanup */
} cg_key_t;

typedef struct {
    apr_pool_t *pool;       /* the pool it was parsed into */
    apr_hash_t *keys;       /* kid -> cg_key_t* */
    int count;
    const char *json;       /* the document as received, for sharing */
    apr_size_t json_len;
} cg_keyset_t;

/* Largest JWKS document we accept; Cognito's is about 1 KB. */
/* Kept under the 64 KB records the shared cache reads back. */
#define CG_JWKS_MAX_SIZE (60 * 1024)

cg_err_code_e cg_keyset_parse(apr_pool_t *p, const char *json, apr_size_t len,
                              const cg_log_t *log, cg_keyset_t **out,
                              cg_error_t *err);

const cg_key_t *cg_keyset_find(const cg_keyset_t *ks, const char *kid);

#endif
