/*
 * cg_identity.h: temporary AWS credentials from a Cognito identity pool:
 * GetId, then GetCredentialsForIdentity, both with a Logins map that
 * presents the user pool's id token.  Also the AWS CLI credential_process
 * output.
 */
#ifndef CG_IDENTITY_H
#define CG_IDENTITY_H

#include <apr_pools.h>

#include "cg_error.h"

/* "cognito-idp.us-east-1.amazonaws.com/us-east-1_X" from the issuer URL
 * (the issuer without its scheme and trailing slash). */
char *cg_identity_provider_name(apr_pool_t *p, const char *issuer);

/* NULL when valid, else why not: <region>:<guid>. */
const char *cg_identity_pool_problem(const char *id);

char *cg_identity_get_id_body(apr_pool_t *p, const char *pool_id,
                              const char *provider, const char *id_token);
char *cg_identity_credentials_body(apr_pool_t *p, const char *identity_id,
                                   const char *provider,
                                   const char *id_token);

typedef struct {
    const char *identity_id;
    const char *access_key_id;
    const char *secret_key;
    const char *session_token;
    apr_int64_t expiration;     /* seconds since the epoch */
} cg_aws_credentials_t;

/*
 * Read an identity API answer.  CG_OK; CG_ERR_REJECTED for refusals the
 * caller should answer with 403 (NotAuthorizedException, missing role,
 * ResourceNotFoundException, ...), error_type set; CG_ERR_UPSTREAM for
 * throttling, 5xx and malformed answers.
 */
cg_err_code_e cg_identity_parse_get_id(apr_pool_t *p, int status,
                                       const char *body, apr_size_t len,
                                       const char **identity_id,
                                       const char **error_type,
                                       cg_error_t *err);
cg_err_code_e cg_identity_parse_credentials(apr_pool_t *p, int status,
                                            const char *body, apr_size_t len,
                                            cg_aws_credentials_t *out,
                                            const char **error_type,
                                            cg_error_t *err);

/* Serialise and read back (for the cache). */
char *cg_aws_credentials_serialize(apr_pool_t *p,
                                   const cg_aws_credentials_t *c);
cg_err_code_e cg_aws_credentials_parse(apr_pool_t *p, const char *json,
                                       apr_size_t len,
                                       cg_aws_credentials_t *out);

/* ISO 8601 UTC, "2026-11-22T23:59:59Z". */
char *cg_iso8601(apr_pool_t *p, apr_int64_t t);

/* {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
 *  "SessionToken": ..., "Expiration": "<ISO 8601>"} */
char *cg_credential_process_json(apr_pool_t *p,
                                 const cg_aws_credentials_t *c);

#endif
