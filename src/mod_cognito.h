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

#include "lib/cg_cookie.h"
#include "lib/cg_error.h"
#include "lib/cg_http.h"
#include "lib/cg_jwt.h"
#include "lib/cg_keystore.h"
#include "lib/cg_log.h"
#include "lib/cg_mirror.h"
#include "lib/cg_oauth.h"
#include "lib/cg_seal.h"
#include "lib/cg_session.h"
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

    /* Browser login (Hosted UI) */
    const char *domain;
    const char *client_secret;
    const char *redirect_uri;       /* path or absolute URL */
    const char *logout_uri;         /* path */
    apr_array_header_t *post_logout;/* const char *, first is default */
    const char *scope;
    const char *identity_provider;
    cg_sealer_t *sealer;
    int session_max_age;
    int session_idle;
    const char *cookie_name;
    const char *cookie_path;
    const char *cookie_domain;
    const char *cookie_same_site;
    int cookie_secure;
    int unauth_action;
    int session_store;
    int pass_access_token;

    /* AuthBasicProvider cognito */
    const char *idp_endpoint;
    int basic_cache_time;

    /* Identity pool credentials */
    const char *identity_pool;
    const char *identity_endpoint;
    int pass_aws;

    const char *section;            /* "<Location /api>", for messages */
} cognito_dir_conf;

#define COGNITO_UNAUTH_LOGIN 1
#define COGNITO_UNAUTH_401   2
#define COGNITO_UNAUTH_PASS  3

#define COGNITO_STORE_COOKIE 1
#define COGNITO_STORE_CACHE  2

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
    const cg_jwt_t *jwt;    /* the bearer token, when there was one */
    const char *user;
    const char *source;     /* "bearer" */
    int bearer;             /* the request carried a bearer token */
    const char *insufficient_scope; /* set by cognito-scope on denial */
    const char *id_token;   /* raw, when known (session, id bearer) */
    const char *access_token;
    int forbidden;          /* authz denied this authenticated user */
    int upstream_down;      /* a provider's 500 is really a 503 */
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
apr_status_t cognito_cache_add(apr_pool_t *p, const char *key,
                               const char *val, apr_size_t len,
                               apr_time_t expiry, apr_size_t max,
                               const char **existing);
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

/* mod_cognito_session.c */
typedef struct {
    cg_session_t s;
    int dirty;              /* must be written back */
} cognito_session;
int cognito_login_enabled(const cognito_dir_conf *d);
int cognito_unauth_action(const cognito_dir_conf *d);
const char *cognito_cookie_name(const cognito_dir_conf *d);
void cognito_cookie_attrs(const cognito_dir_conf *d, cg_cookie_attrs_t *a);
apr_table_t *cognito_request_cookies(request_rec *r);
cognito_session *cognito_session_load(request_rec *r,
                                      const cognito_dir_conf *d);
int cognito_session_save(request_rec *r, const cognito_dir_conf *d,
                         cognito_session *cs);
void cognito_session_destroy(request_rec *r, const cognito_dir_conf *d,
                             cognito_session *cs);
/* At login: the stored session the request still carries is removed
 * (CognitoSessionStore cache); its cookies are left to be overwritten. */
void cognito_session_discard(request_rec *r, const cognito_dir_conf *d);
void cognito_set_cookie(request_rec *r, const char *value);

/* mod_cognito_login.c */
void cognito_login_post_config(apr_pool_t *pconf);
int cognito_login_endpoint(request_rec *r, const cognito_dir_conf *d);
int cognito_authn_session(request_rec *r, const cognito_dir_conf *d);
int cognito_start_login(request_rec *r, const cognito_dir_conf *d,
                        const char *target);
int cognito_is_navigation(request_rec *r);
const char *cognito_origin(request_rec *r);

/* mod_cognito_basic.c */
void cognito_basic_post_config(apr_pool_t *pconf);
void cognito_register_basic(apr_pool_t *p);
const cg_sealer_t *cognito_internal_sealer(const cognito_dir_conf *d);
void cognito_stripe_lock(const char *key);
void cognito_stripe_unlock(const char *key);
char *cognito_sha256_hex(apr_pool_t *p, const char *s);
cognito_request_ctx *cognito_ctx_make(request_rec *r);

/* mod_cognito_aws.c */
#define COGNITO_AWS_ENV     1
#define COGNITO_AWS_HEADERS 2
int cognito_aws_fixups(request_rec *r, const cognito_dir_conf *d,
                       cognito_request_ctx *ctx);
int cognito_aws_handler(request_rec *r);

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
