/*
 * cg_session.h: what a browser session holds and when it is still good.
 *
 * A session is created after a successful Hosted UI login and kept either
 * sealed in the browser's cookie or sealed in the shared cache (then the
 * cookie holds only a random id).  It keeps the tokens themselves: the id
 * token re-derives the user and claims on each request (no signature work:
 * we sealed it ourselves after verifying it), the refresh token renews the
 * tokens before they expire, the access token is available to the backend
 * on request.
 *
 * The login state (PKCE verifier, nonce, state, where to return) travels
 * in a short-lived sealed cookie of its own.
 */
#ifndef CG_SESSION_H
#define CG_SESSION_H

#include <apr_pools.h>

#include "cg_error.h"

typedef struct {
    const char *id;             /* random; renewed at every login */
    apr_int64_t created;        /* login time (seconds) */
    apr_int64_t last_seen;      /* last activity recorded */
    apr_int64_t token_exp;      /* earliest exp of the id/access token */
    const char *id_token;
    const char *access_token;
    const char *refresh_token;  /* may be NULL */
} cg_session_t;

typedef enum {
    CG_SESSION_VALID,
    CG_SESSION_TOO_OLD,         /* past the maximum lifetime */
    CG_SESSION_IDLE,            /* past the inactivity timeout */
    CG_SESSION_REFRESH          /* valid, but tokens (nearly) expired */
} cg_session_state_e;

/* Parsing refuses times outside 0 .. CG_MAX_SECONDS (cg_claims.h) as
 * malformed: they are none we wrote. */
char *cg_session_serialize(apr_pool_t *p, const cg_session_t *s);
cg_err_code_e cg_session_parse(apr_pool_t *p, const char *json,
                               apr_size_t len, cg_session_t *s,
                               cg_error_t *err);

/* max_age, idle, margin in seconds; idle 0 disables the inactivity check. */
cg_session_state_e cg_session_check(const cg_session_t *s, apr_int64_t now,
                                    int max_age, int idle, int margin);

typedef struct {
    const char *state;
    const char *nonce;
    const char *verifier;
    const char *target;         /* same-origin path to return to */
    apr_int64_t created;
} cg_login_state_t;

char *cg_login_state_serialize(apr_pool_t *p, const cg_login_state_t *s);
cg_err_code_e cg_login_state_parse(apr_pool_t *p, const char *json,
                                   apr_size_t len, cg_login_state_t *s,
                                   cg_error_t *err);

#endif
