/*
 * mod_cognito_handlers.c: content handlers the module offers.
 *   SetHandler cognito-userinfo   the caller's claims as JSON ("/me")
 */
#include "mod_cognito.h"

#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>

APLOG_USE_MODULE(auth_cognito);

static int userinfo(request_rec *r)
{
    cognito_request_ctx *ctx;
    char *json;

    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ctx = cognito_ctx_find(r);
    if (!ctx || !ctx->claims) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "cognito-userinfo: no Cognito user on this request; "
                      "protect it with AuthType Cognito");
        return HTTP_FORBIDDEN;
    }
    json = json_dumps(ctx->claims, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!json) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    if (!r->header_only) {
        ap_rputs(json, r);
        ap_rputs("\n", r);
    }
    free(json);
    return OK;
}

int cognito_handler(request_rec *r)
{
    cognito_dir_conf *d = ap_get_module_config(r->per_dir_config,
                                               &auth_cognito_module);
    int rc;

    /* Login callback and logout paths outside AuthType Cognito sections:
     * authentication did not see them, so answer them here. */
    rc = cognito_login_endpoint(r, d);
    if (rc != DECLINED) {
        return rc;
    }
    if (!r->handler) {
        return DECLINED;
    }
    if (!strcmp(r->handler, "cognito-userinfo")) {
        return userinfo(r);
    }
    if (!strcmp(r->handler, "cognito-aws-credentials")) {
        return cognito_aws_handler(r);
    }
    return DECLINED;
}
