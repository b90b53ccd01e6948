/*
 * cg_oauth.h: the OAuth 2.0 pieces of the Hosted UI login: endpoint URLs,
 * PKCE, the authorize redirect, token endpoint requests and answers.
 */
#ifndef CG_OAUTH_H
#define CG_OAUTH_H

#include <apr_tables.h>

#include "cg_error.h"

typedef struct {
    const char *authorize;
    const char *token;
    const char *userinfo;
    const char *revoke;
    const char *logout;
} cg_endpoints_t;

/* Cognito's fixed paths under a Hosted UI (or custom) domain. */
void cg_endpoints_from_domain(apr_pool_t *p, const char *domain,
                              cg_endpoints_t *e);

/* From an OpenID discovery document (authorization_endpoint, ...). */
cg_err_code_e cg_endpoints_from_discovery(apr_pool_t *p, const char *json,
                                          apr_size_t len, cg_endpoints_t *e,
                                          cg_error_t *err);

/* S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
char *cg_pkce_challenge(apr_pool_t *p, const char *verifier);

typedef struct {
    const char *client_id;
    const char *redirect_uri;
    const char *scope;
    const char *state;
    const char *nonce;
    const char *code_challenge;
    const char *identity_provider;  /* may be NULL */
} cg_authorize_t;

char *cg_oauth_authorize_url(apr_pool_t *p, const char *endpoint,
                             const cg_authorize_t *a);

/* application/x-www-form-urlencoded body from name/value pairs,
 * NULL-terminated: "grant_type", "refresh_token", ..., NULL. */
char *cg_oauth_form(apr_pool_t *p, ...);

typedef struct {
    const char *id_token;
    const char *access_token;
    const char *refresh_token;
    long expires_in;
    const char *error;              /* set with CG_ERR_REJECTED */
} cg_token_response_t;

/*
 * Judge a token endpoint answer.  200 with a JSON object holding a string
 * access_token: CG_OK.  4xx with {"error": ...}: CG_ERR_REJECTED (the
 * grant or client was refused).  Anything else (5xx, 429, HTML, truncated
 * JSON, wrong types): CG_ERR_UPSTREAM.
 */
cg_err_code_e cg_oauth_parse_token_response(apr_pool_t *p, int status,
                                            const char *body, apr_size_t len,
                                            cg_token_response_t *out,
                                            cg_error_t *err);

#endif
