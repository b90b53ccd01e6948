/*
 * cg_idp.h: the Cognito user pool API call behind AuthBasicProvider
 * cognito: InitiateAuth with USER_PASSWORD_AUTH, and how to read its
 * answers.  Plus the salted password verifier the login cache keeps
 * instead of the password.
 */
#ifndef CG_IDP_H
#define CG_IDP_H

#include <apr_pools.h>

#include "cg_error.h"

/* base64(HMAC-SHA256(key = client secret, msg = username + client id)) */
char *cg_secret_hash(apr_pool_t *p, const char *username,
                     const char *client_id, const char *secret);

/* Is s valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF)?  Cognito's API is JSON, which carries nothing else, so a
 * user name or password that is not (a client sending ISO-8859-1 in
 * Basic) cannot be checked at all: the caller refuses it. */
int cg_utf8_valid(const char *s);

/* The JSON request body; secret_hash may be NULL.  NULL when a value is
 * not valid UTF-8 (see above). */
char *cg_initiate_auth_body(apr_pool_t *p, const char *client_id,
                            const char *username, const char *password,
                            const char *secret_hash);

typedef enum {
    CG_AUTH_OK,             /* tokens issued */
    CG_AUTH_CHALLENGE,      /* NEW_PASSWORD_REQUIRED, MFA, ... */
    CG_AUTH_DENIED,         /* wrong password, disabled, ... */
    CG_AUTH_NO_USER,        /* UserNotFoundException */
    CG_AUTH_UNCONFIRMED,    /* UserNotConfirmedException */
    CG_AUTH_RESET,          /* PasswordResetRequiredException */
    CG_AUTH_THROTTLED,      /* TooManyRequestsException, 429 */
    CG_AUTH_UPSTREAM        /* 5xx, HTML, truncated, anything else */
} cg_auth_outcome_e;

typedef struct {
    cg_auth_outcome_e outcome;
    const char *id_token;
    const char *access_token;
    const char *refresh_token;
    long expires_in;
    const char *challenge;      /* ChallengeName */
    const char *error_type;     /* __type without the namespace */
    const char *message;        /* for the log; never holds the password */
} cg_auth_result_t;

void cg_initiate_auth_parse(apr_pool_t *p, int status, const char *body,
                            apr_size_t len, cg_auth_result_t *out);

#define CG_VERIFIER_ITERATIONS 10000

/* PBKDF2-HMAC-SHA256(password, salt) as base64url; salt as given. */
char *cg_password_verifier(apr_pool_t *p, const char *password,
                           const char *salt, int iterations);

#endif
