/*
 * cg_error.h: why a token (or anything else the library judges) was refused.
 *
 * Every refusal carries a code (what class of problem, which decides the
 * HTTP answer), a short public description that is safe to put in an
 * RFC 6750 error_description, and a detail line for the admin's error log
 * ("expired 12s ago").  Details never contain a token or a secret.
 */
#ifndef CG_ERROR_H
#define CG_ERROR_H

#include <apr_pools.h>

typedef enum {
    CG_OK = 0,
    /* The client's fault: 401 invalid_token (or 403 for authz). */
    CG_ERR_MALFORMED,       /* not a compact JWS, bad base64, not JSON */
    CG_ERR_TOO_LARGE,       /* over the size cap, never parsed */
    CG_ERR_ALG,             /* alg other than RS256 */
    CG_ERR_CRIT,            /* crit header present */
    CG_ERR_CLAIM_TYPE,      /* a claim we rely on has the wrong JSON type */
    CG_ERR_ISSUER,
    CG_ERR_KID_UNKNOWN,     /* kid not in the JWKS, even after a refetch */
    CG_ERR_SIGNATURE,
    CG_ERR_EXPIRED,
    CG_ERR_NOT_YET_VALID,   /* nbf in the future */
    CG_ERR_IAT_FUTURE,      /* issued in the future */
    CG_ERR_TOKEN_USE,
    CG_ERR_CLIENT,          /* aud / client_id not an accepted app client */
    CG_ERR_NONCE,
    CG_ERR_MISSING_CLAIM,
    CG_ERR_REJECTED,        /* the identity provider said no (invalid_grant,
                             * NotAuthorizedException, ...) */
    /* Not the client's fault: 503. */
    CG_ERR_KEYS_UNAVAILABLE,/* no JWKS could be had at all */
    CG_ERR_UPSTREAM,        /* an upstream call failed (network, 5xx) */
    CG_ERR_INTERNAL
} cg_err_code_e;

typedef struct {
    cg_err_code_e code;
    const char *description;  /* public, fixed text, RFC 6750-safe */
    const char *detail;       /* for the log; may quote claim values */
} cg_error_t;

/* Set err (if non-NULL) and return the code, for one-line early returns. */
cg_err_code_e cg_error_set(cg_error_t *err, apr_pool_t *p, cg_err_code_e code,
                           const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The fixed public text for a code ("token expired"). */
const char *cg_error_description(cg_err_code_e code);

/* True for codes that mean "our side or upstream failed", i.e. 5xx. */
int cg_error_is_server_side(cg_err_code_e code);

#endif
