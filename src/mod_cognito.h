/*
 * mod_cognito.h: what the httpd glue files share: the module record, the
 * configuration structures and the per-request context.  The glue stays
 * thin; every decision about tokens lives in src/lib.
 */
#ifndef MOD_COGNITO_H
#define MOD_COGNITO_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <jansson.h>

#include "lib/cg_error.h"
#include "lib/cg_http.h"
#include "lib/cg_jwt.h"
#include "lib/cg_keystore.h"
#include "lib/cg_log.h"
#include "lib/cg_mirror.h"
#include "lib/cg_tokencache.h"

extern module AP_MODULE_DECLARE_DATA auth_cognito_module;

#define COGNITO_AUTH_TYPE "Cognito"

/* How claims reach the backend (CognitoPassClaimsAs). */
#define COGNITO_PASS_ENV     1
#define COGNITO_PASS_HEADERS 2

#define COGNITO_UNSET -1

/* Per-directory configuration.  Fields left unset (NULL / COGNITO_UNSET)
 * inherit from the enclosing scope when merged. */
typedef struct {
    /* The pool identity is one unit: a section that names any of these
     * takes all three from itself, so a <Location> pointing at another pool
     * never inherits the outer pool's JWKS URL. */
    int pool_set;
    const char *pool_id;
    const char *issuer_override;
    const char *jwks_override;
    const char *issuer;             /* effective, derived */
    const char *jwks_uri;           /* effective, derived */

    apr_array_header_t *client_ids; /* const char * */
    int token_use;
    int clock_skew;
    int max_token_size;
    const char *remote_user_claim;

    int pass_claims_as;
    const char *claim_prefix;
    const char *claim_delimiter;
    int scrub_headers;
    int header_max_size;

    const char *section;            /* "<Location /api>", for messages */
} cognito_dir_conf;

/* Per-server configuration; only the main server's is used for the
 * process-wide key store. */
typedef struct {
    cg_http_conf_t http;
    int http_set;
    int jwks_refresh;
    int jwks_min_refetch;
    int jwks_prefetch;
    const char *cache_name;         /* socache provider, "none", NULL */
    const char *cache_args;
    int token_cache;                /* On by default */
    int token_cache_size;
} cognito_server_conf;

/* What authentication established, for authz, the mirror and handlers. */
typedef struct {
    json_t *claims;         /* validated claims; lives as long as r->pool */
    const char *user;
    const char *source;     /* "bearer" */
    int bearer;             /* the request carried a bearer token */
    const char *insufficient_scope; /* set by cognito-scope on denial */
    int forbidden;          /* authz denied this authenticated user */
} cognito_request_ctx;

/* mod_cognito_config.c */
extern const command_rec cognito_cmds[];
void *cognito_create_dir_conf(apr_pool_t *p, char *dir);
void *cognito_merge_dir_conf(apr_pool_t *p, void *base, void *add);
void *cognito_create_server_conf(apr_pool_t *p, server_rec *s);
void *cognito_merge_server_conf(apr_pool_t *p, void *base, void *add);
int cognito_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s);
typedef void cognito_section_fn(void *baton, server_rec *s,
                                const cognito_dir_conf *merged);
void cognito_foreach_section(server_rec *s, apr_pool_t *ptemp,
                             cognito_section_fn *fn, void *baton);
const char *cognito_conf_problem(const cognito_dir_conf *d);
int cognito_token_use(const cognito_dir_conf *d);
int cognito_clock_skew(const cognito_dir_conf *d);
int cognito_pass_claims_as(const cognito_dir_conf *d);
const char *cognito_claim_prefix(const cognito_dir_conf *d);

/* mod_cognito_log.c */
void cognito_log_for_request(request_rec *r, cg_log_t *log);
void cognito_log_for_server(server_rec *s, cg_log_t *log);

/* mod_cognito_cache.c */
const char *cognito_set_cache(cmd_parms *cmd, void *dv, const char *arg);
int cognito_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp);
int cognito_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                              server_rec *s);
void cognito_cache_child_init(apr_pool_t *pchild, server_rec *s);
int cognito_cache_available(void);
apr_status_t cognito_cache_get(apr_pool_t *p, const char *key,
                               apr_size_t max, const char **val,
                               apr_size_t *len);
apr_status_t cognito_cache_put(apr_pool_t *p, const char *key,
                               const char *val, apr_size_t len,
                               apr_time_t expiry);
apr_status_t cognito_cache_remove(apr_pool_t *p, const char *key);
apr_status_t cognito_fetch_lock(void);
void cognito_fetch_unlock(void);

/* mod_cognito_keys.c */
int cognito_keys_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                             server_rec *s);
cg_keystore_t *cognito_keystore(void);
cg_token_cache_t *cognito_token_cache(void);
void cognito_key_source(request_rec *r, const cognito_dir_conf *d,
                        cg_key_source_t *src);

/* mod_cognito_authn.c */
int cognito_check_authn(request_rec *r);
cognito_request_ctx *cognito_ctx(request_rec *r);
cognito_request_ctx *cognito_ctx_find(request_rec *r);
cg_err_code_e cognito_validate(request_rec *r, const cognito_dir_conf *d,
                               const char *token, apr_size_t len,
                               int token_use_mask, const char *nonce,
                               cg_jwt_t **jwt, cg_error_t *err);

/* mod_cognito_env.c */
int cognito_scrub_headers(request_rec *r);
int cognito_fixups(request_rec *r);

/* mod_cognito_authz.c */
void cognito_register_authz(apr_pool_t *p);
void cognito_insert_error_filter(request_rec *r);
int cognito_note_auth_failure(request_rec *r, const char *auth_type);

/* mod_cognito_handlers.c */
int cognito_handler(request_rec *r);

#endif
