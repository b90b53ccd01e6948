/* cg_error.c: error codes, their public descriptions, and setters. */
#include <stdarg.h>

#include <apr_strings.h>

#include "cg_error.h"

const char *cg_error_description(cg_err_code_e code)
{
    /* Only characters RFC 6750 allows in error_description: no '"', no
     * backslash, printable ASCII. */
    switch (code) {
    case CG_OK:                   return "ok";
    case CG_ERR_MALFORMED:        return "malformed token";
    case CG_ERR_TOO_LARGE:        return "token too large";
    case CG_ERR_ALG:              return "unsupported signing algorithm";
    case CG_ERR_CRIT:             return "unsupported critical header";
    case CG_ERR_CLAIM_TYPE:       return "claim has the wrong type";
    case CG_ERR_ISSUER:           return "wrong issuer";
    case CG_ERR_KID_UNKNOWN:      return "unknown signing key";
    case CG_ERR_SIGNATURE:        return "invalid signature";
    case CG_ERR_EXPIRED:          return "token expired";
    case CG_ERR_NOT_YET_VALID:    return "token not yet valid";
    case CG_ERR_IAT_FUTURE:       return "token issued in the future";
    case CG_ERR_TOKEN_USE:        return "wrong token_use";
    case CG_ERR_CLIENT:           return "token not issued for this client";
    case CG_ERR_NONCE:            return "nonce mismatch";
    case CG_ERR_MISSING_CLAIM:    return "required claim missing";
    case CG_ERR_REJECTED:         return "rejected by the identity provider";
    case CG_ERR_KEYS_UNAVAILABLE: return "signing keys unavailable";
    case CG_ERR_UPSTREAM:         return "identity provider unavailable";
    case CG_ERR_INTERNAL:         return "internal error";
    }
    return "invalid token";
}

int cg_error_is_server_side(cg_err_code_e code)
{
    return code == CG_ERR_KEYS_UNAVAILABLE || code == CG_ERR_UPSTREAM
           || code == CG_ERR_INTERNAL;
}

cg_err_code_e cg_error_set(cg_error_t *err, apr_pool_t *p, cg_err_code_e code,
                           const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->description = cg_error_description(code);
        va_start(ap, fmt);
        err->detail = apr_pvsprintf(p, fmt, ap);
        va_end(ap);
    }
    return code;
}
