/*
 * cg_idp.h: the Cognito user pool API call behind AuthBasicProvider
 * cognito: InitiateAuth with USER_PASSWORD_AUTH, and how to read its
 * answers.  Plus the salted password verifier the login cache keeps
 * instead of the password.
 *
 * Everything here is pure: the glue sends the body with cg_http and hands
 * the answer back to cg_initiate_auth_parse(), which decides what it
 * means.  Nothing here ever logs, and no field of the parse result can
 * hold the password (the request body is the only place it appears).
 */
#ifndef CG_IDP_H
#define CG_IDP_H

#include <apr_pools.h>

#include "cg_error.h"

/* Cognito's limits: usernames are 1-128 characters, passwords at most 256. */
#define CG_IDP_MAX_USERNAME 128
#define CG_IDP_MAX_PASSWORD 256

/*
 * Could this be a Cognito username at all?  Valid UTF-8, 1-128
 * characters, no ASCII control characters and no space (Cognito's pattern
 * is [\p{L}\p{M}\p{S}\p{N}\p{P}]+).  A name that fails is a user that
 * cannot exist, so the caller answers "user not found" without asking.
 */
int cg_idp_username_ok(const char *username);

/* Valid UTF-8 and 1-256 characters: anything else cannot be a password. */
int cg_idp_password_ok(const char *password);

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
    CG_AUTH_CHALLENGE,      /* NEW_PASSWORD_REQUIRED, MFA, ...: the password
                             * was right but Cognito wants more */
    CG_AUTH_DENIED,         /* wrong password (or unknown user hidden by
                             * PreventUserExistenceErrors), lockout,
                             * pre-authentication trigger refusal */
    CG_AUTH_DISABLED,       /* NotAuthorizedException "User is disabled." */
    CG_AUTH_NO_USER,        /* UserNotFoundException */
    CG_AUTH_UNCONFIRMED,    /* UserNotConfirmedException */
    CG_AUTH_RESET,          /* PasswordResetRequiredException */
    CG_AUTH_THROTTLED,      /* TooManyRequestsException, 429 */
    CG_AUTH_CONFIG,         /* our configuration is wrong: client secret,
                             * flow not enabled, unknown client, ... */
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
    const char *message;        /* for the log: printable ASCII, at most
                                 * 200 characters; never the password */
} cg_auth_result_t;

/* Classify an InitiateAuth answer.  Every field but outcome may be NULL;
 * message is set for every outcome but CG_AUTH_OK. */
void cg_initiate_auth_parse(apr_pool_t *p, int status, const char *body,
                            apr_size_t len, cg_auth_result_t *out);

/* A short name for an outcome, for logs and tests ("challenge"). */
const char *cg_auth_outcome_name(cg_auth_outcome_e outcome);

#define CG_VERIFIER_ITERATIONS 10000

/* PBKDF2-HMAC-SHA256(password, salt) as base64url; salt as given. */
char *cg_password_verifier(apr_pool_t *p, const char *password,
                           const char *salt, int iterations);

#endif
