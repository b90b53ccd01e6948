/*
 * cg_identity.h: temporary AWS credentials from a Cognito identity pool:
 * GetId, then GetCredentialsForIdentity, both with a Logins map that
 * presents the user pool's id token.  Also how the credentials are kept in
 * the shared cache (sealed: they are secrets) and the AWS CLI
 * credential_process output.
 *
 * Nothing here talks to the network; the glue posts the bodies built here
 * and hands the answers back to be judged.
 */
#ifndef CG_IDENTITY_H
#define CG_IDENTITY_H

#include <apr_pools.h>

#include "cg_error.h"
#include "cg_seal.h"

/* ---- identity pool ids and URLs ---- */

/* NULL when valid, else why not: <region>:<guid>, the guid 8-4-4-4-12
 * hexadecimal digits ("us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d").
 * Identity ids (GetId's answer) have the same shape. */
const char *cg_identity_pool_problem(const char *id);

/* https://cognito-identity.<region>.amazonaws.com/ for a valid pool id. */
char *cg_identity_endpoint(apr_pool_t *p, const char *pool_id);

/* The Logins key that names the user pool: the issuer without its scheme
 * and trailing slashes, so "cognito-idp.us-east-1.amazonaws.com/
 * us-east-1_X" for a pool's own issuer and "<host>[:port]/<path>" for a
 * CognitoIssuer override. */
char *cg_identity_provider_name(apr_pool_t *p, const char *issuer);

/* ---- request bodies (AWS JSON 1.1) ---- */

char *cg_identity_get_id_body(apr_pool_t *p, const char *pool_id,
                              const char *provider, const char *id_token);
char *cg_identity_credentials_body(apr_pool_t *p, const char *identity_id,
                                   const char *provider,
                                   const char *id_token);

/* ---- answers ---- */

typedef struct {
    const char *identity_id;
    const char *access_key_id;
    const char *secret_key;
    const char *session_token;
    apr_int64_t expiration;     /* seconds since the epoch */
    apr_int64_t renew_at;       /* cache only: when to fetch anew; 0 unset */
} cg_aws_credentials_t;

/* Why the identity service said no. */
typedef struct {
    const char *type;           /* __type without its namespace; "unknown"
                                 * when there is none; NULL on success */
    const char *message;        /* AWS's message (may echo request values:
                                 * log it at debug only), or NULL */
    int config;                 /* 1 when it means the identity pool is set
                                 * up wrongly (no role, unknown pool), which
                                 * the admin, not the user, must fix */
} cg_identity_fault_t;

/*
 * How an error answer is treated: CG_ERR_REJECTED for refusals the caller
 * answers with 403 (NotAuthorizedException, no role for the user
 * (InvalidIdentityPoolConfigurationException), ResourceNotFoundException,
 * InvalidParameterException, any other 4xx that names a type);
 * CG_ERR_UPSTREAM for throttling (TooManyRequestsException,
 * LimitExceededException, HTTP 429), the service's own failures
 * (InternalErrorException, ExternalServiceException, any 5xx) and
 * anything without a type.
 */
cg_err_code_e cg_identity_classify(int status, const char *type);

/*
 * Read an identity API answer.  CG_OK; CG_ERR_REJECTED or CG_ERR_UPSTREAM
 * as above, fault filled in; CG_ERR_UPSTREAM as well for answers that are
 * not what a 200 must be (not JSON, a field missing or of the wrong type,
 * an expiration that is not a plausible time).  fault may be NULL.
 */
cg_err_code_e cg_identity_parse_get_id(apr_pool_t *p, int status,
                                       const char *body, apr_size_t len,
                                       const char **identity_id,
                                       cg_identity_fault_t *fault,
                                       cg_error_t *err);
cg_err_code_e cg_identity_parse_credentials(apr_pool_t *p, int status,
                                            const char *body, apr_size_t len,
                                            cg_aws_credentials_t *out,
                                            cg_identity_fault_t *fault,
                                            cg_error_t *err);

/* ---- caching ---- */

#define CG_AWS_RENEW_MARGIN 300   /* seconds, at most */

/* When credentials fetched at `now` should be replaced: CG_AWS_RENEW_MARGIN
 * before they expire, or after four fifths of their lifetime when that is
 * sooner (short-lived credentials are still reused for a while).  `now`
 * when they are already expired. */
apr_int64_t cg_aws_renew_at(apr_int64_t now, apr_int64_t expiration);

/* Serialise and read back (the plaintext of a cache entry). */
char *cg_aws_credentials_serialize(apr_pool_t *p,
                                   const cg_aws_credentials_t *c);
cg_err_code_e cg_aws_credentials_parse(apr_pool_t *p, const char *json,
                                       apr_size_t len,
                                       cg_aws_credentials_t *out);

/* A cache entry: the serialised credentials sealed with AES-256-GCM under
 * a context that names the cache key, so an entry copied to another
 * user's key does not open.  NULL when sealing fails. */
char *cg_aws_credentials_seal(apr_pool_t *p, const cg_sealer_t *s,
                              const char *cache_key,
                              const cg_aws_credentials_t *c);
/* CG_OK, or CG_ERR_MALFORMED for an entry that does not open under this
 * key (tampered, moved, sealed by a key no longer configured) or does not
 * hold credentials. */
cg_err_code_e cg_aws_credentials_unseal(apr_pool_t *p, const cg_sealer_t *s,
                                        const char *cache_key,
                                        const char *sealed,
                                        cg_aws_credentials_t *out);

/* ---- output ---- */

/* ISO 8601 UTC, "2026-11-22T23:59:59Z"; NULL for a time gmtime cannot
 * represent. */
char *cg_iso8601(apr_pool_t *p, apr_int64_t t);

/* {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
 *  "SessionToken": ..., "Expiration": "<ISO 8601>"} */
char *cg_credential_process_json(apr_pool_t *p,
                                 const cg_aws_credentials_t *c);

#endif
