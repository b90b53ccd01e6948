/*
 * mod_auth_cognito.c: AWS Cognito for Apache httpd 2.4.  The module record
 * and hook registration only; the work is in mod_cognito_*.c (httpd glue)
 * and lib/ (everything that decides whether a token is good).
 */
#include "mod_cognito.h"

#include <http_config.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>

static int cognito_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    int rc;

    /* httpd reads its configuration twice at startup; resources are made
     * on the second, real pass only. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    /* Before any thread exists: libcurl's global init is not thread-safe. */
    cg_http_global_init();
    cognito_login_post_config(pconf);
    cognito_basic_post_config(pconf);
    rc = cognito_cache_post_config(pconf, ptemp, s);
    if (rc != OK) {
        return rc;
    }
    return cognito_keys_post_config(pconf, ptemp, s);
}

static void cognito_child_init(apr_pool_t *pchild, server_rec *s)
{
    cognito_cache_child_init(pchild, s);
}

static void register_hooks(apr_pool_t *p)
{
    /* check_config runs for "apachectl -t" too, so a configuration that
     * cannot work fails the syntax check, not just the start. */
    ap_hook_check_config(cognito_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_config(cognito_cache_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(cognito_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(cognito_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(cognito_scrub_headers, NULL, NULL,
                          APR_HOOK_REALLY_FIRST);
    ap_hook_check_authn(cognito_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_fixups(cognito_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_note_auth_failure(cognito_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(cognito_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_handler(cognito_handler, NULL, NULL, APR_HOOK_MIDDLE);
    cognito_register_authz(p);
    cognito_register_basic(p);
}

AP_DECLARE_MODULE(auth_cognito) = {
    STANDARD20_MODULE_STUFF,
    cognito_create_dir_conf,
    cognito_merge_dir_conf,
    cognito_create_server_conf,
    cognito_merge_server_conf,
    cognito_cmds,
    register_hooks
};
