/*
 * cg_pool.h: user pool ids and the URLs derived from them.
 *   us-east-1_AbC123xyz -> https://cognito-idp.us-east-1.amazonaws.com/
 *                          us-east-1_AbC123xyz (+ /.well-known/jwks.json)
 */
#ifndef CG_POOL_H
#define CG_POOL_H

#include <apr_pools.h>

/* NULL when valid, else why not (for the config error message). */
const char *cg_pool_id_problem(const char *pool_id);

/* The region part ("us-east-1"); pool_id must be valid. */
char *cg_pool_region(apr_pool_t *p, const char *pool_id);

char *cg_pool_issuer(apr_pool_t *p, const char *pool_id);

/* <issuer>/.well-known/jwks.json (one slash, whatever the issuer ends in). */
char *cg_issuer_jwks_uri(apr_pool_t *p, const char *issuer);

/* <issuer>/.well-known/openid-configuration */
char *cg_issuer_discovery_uri(apr_pool_t *p, const char *issuer);

/* NULL when url is an absolute http(s) URL with a host, else why not. */
const char *cg_url_problem(const char *url);

#endif
