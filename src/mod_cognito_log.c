/* mod_cognito_log.c: route the library's log lines to httpd's error log. */
#include "mod_cognito.h"

APLOG_USE_MODULE(auth_cognito);

static void to_request(void *baton, cg_log_level_e level, const char *msg)
{
    request_rec *r = baton;
    ap_log_rerror(APLOG_MARK, (int)level, 0, r, "%s", msg);
}

static void to_server(void *baton, cg_log_level_e level, const char *msg)
{
    server_rec *s = baton;
    ap_log_error(APLOG_MARK, (int)level, 0, s, "%s", msg);
}

void cognito_log_for_request(request_rec *r, cg_log_t *log)
{
    log->fn = to_request;
    log->baton = r;
    log->max_level = (cg_log_level_e)ap_get_request_module_loglevel(
        r, APLOG_MODULE_INDEX);
}

void cognito_log_for_server(server_rec *s, cg_log_t *log)
{
    log->fn = to_server;
    log->baton = s;
    log->max_level = (cg_log_level_e)ap_get_server_module_loglevel(
        s, APLOG_MODULE_INDEX);
}
