/*
 * mod_cognito_authz.c: Require cognito-group, cognito-scope, cognito-claim
 * and cognito-client.  Arguments are ap_expr strings parsed at config time
 * (so %{...} works, as with httpd's own providers) and split into words at
 * request time.  With no user yet a provider answers AUTHZ_DENIED_NO_USER
 * so httpd runs authentication first.
 */
#include "mod_cognito.h"

#include <apr_strings.h>
#include <ap_expr.h>
#include <ap_provider.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>

#include "lib/cg_claims.h"

APLOG_USE_MODULE(auth_cognito);

static const char *parse_expr(cmd_parms *cmd, const char *line,
                              const void **parsed)
{
    const char *err = NULL;
    ap_expr_info_t *expr;

    expr = ap_expr_parse_cmd(cmd, line, AP_EXPR_FLAG_STRING_RESULT, &err,
                             NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "Cannot parse expression in require "
                            "line '%s': %s", line, err);
    }
    *parsed = expr;
    return NULL;
}

/* Shared front half of every provider: user present, claims present,
 * expression evaluated.  Returns the words to match or NULL with *status
 * set to the answer to give. */
static const char *prepare(request_rec *r, const void *parsed,
                           const char *provider, cognito_request_ctx **ctx_out,
                           authz_status *status)
{
    cognito_request_ctx *ctx;
    const char *err = NULL, *words;

    if (!r->user) {
        *status = AUTHZ_DENIED_NO_USER;
        return NULL;
    }
    ctx = cognito_ctx_find(r);
    if (!ctx || !ctx->claims) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Require %s: user %s was not authenticated by Cognito",
                      provider, r->user);
        *status = AUTHZ_DENIED;
        return NULL;
    }
    words = ap_expr_str_exec(r, parsed, &err);
    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "Require %s: cannot evaluate the expression: %s",
                      provider, err);
        *status = AUTHZ_GENERAL_ERROR;
        return NULL;
    }
    *ctx_out = ctx;
    return words;
}

typedef int (*member_fn)(json_t *claims, const char *word);

static authz_status check_words(request_rec *r, const void *parsed,
                                const char *provider, const char *what,
                                member_fn member)
{
    cognito_request_ctx *ctx;
    authz_status status;
    const char *words = prepare(r, parsed, provider, &ctx, &status), *w;
    const char *all = words;

    if (!words) {
        return status;
    }
    while (*words) {
        w = ap_getword_conf(r->pool, &words);
        if (*w && member(ctx->claims, w)) {
            return AUTHZ_GRANTED;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "Require %s: user %s has none of the %s: %s", provider,
                  r->user, what, all);
    return AUTHZ_DENIED;
}

static authz_status group_check(request_rec *r, const char *line,
                                const void *parsed)
{
    return check_words(r, parsed, "cognito-group", "groups",
                       cg_claims_in_group);
}

static authz_status scope_check(request_rec *r, const char *line,
                                const void *parsed)
{
    authz_status st = check_words(r, parsed, "cognito-scope", "scopes",
                                  cg_claims_has_scope);
    cognito_request_ctx *ctx = cognito_ctx_find(r);

    /* Remember why, so a 403 for a bearer request can say
     * error="insufficient_scope" (added by the error filter hook). */
    if (st == AUTHZ_DENIED && ctx && ctx->bearer) {
        const char *err = NULL;
        ctx->insufficient_scope = ap_expr_str_exec(r, parsed, &err);
    }
    return st;
}

static int client_is(json_t *claims, const char *id)
{
    const char *c = cg_claims_client(claims);
    return c && !strcmp(c, id);
}

static authz_status client_check(request_rec *r, const char *line,
                                 const void *parsed)
{
    return check_words(r, parsed, "cognito-client", "clients", client_is);
}

static authz_status claim_check(request_rec *r, const char *line,
                                const void *parsed)
{
    cognito_request_ctx *ctx;
    authz_status status;
    const char *words = prepare(r, parsed, "cognito-claim", &ctx, &status);
    const char *name, *w;

    if (!words) {
        return status;
    }
    name = ap_getword_conf(r->pool, &words);
    if (!*name) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "Require cognito-claim: no claim name");
        return AUTHZ_GENERAL_ERROR;
    }
    while (*words) {
        w = ap_getword_conf(r->pool, &words);
        if (cg_claims_match(ctx->claims, name, w)) {
            return AUTHZ_GRANTED;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "Require cognito-claim: claim %s of user %s matches none "
                  "of the values", name, r->user);
    return AUTHZ_DENIED;
}

static const char *claim_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    if (!line || !*line) {
        return "Require cognito-claim needs a claim name and at least one "
               "value";
    }
    return parse_expr(cmd, line, parsed);
}

static const char *words_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    if (!line || !*line) {
        return "Require cognito-group, cognito-scope and cognito-client "
               "need at least one value";
    }
    return parse_expr(cmd, line, parsed);
}

static const authz_provider group_provider = { group_check, words_parse };
static const authz_provider scope_provider = { scope_check, words_parse };
static const authz_provider claim_provider = { claim_check, claim_parse };
static const authz_provider client_provider = { client_check, words_parse };

void cognito_register_authz(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "cognito-group",
                              AUTHZ_PROVIDER_VERSION, &group_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "cognito-scope",
                              AUTHZ_PROVIDER_VERSION, &scope_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "cognito-claim",
                              AUTHZ_PROVIDER_VERSION, &claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "cognito-client",
                              AUTHZ_PROVIDER_VERSION, &client_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}

/*
 * httpd answers an authorization failure of an authenticated user with 401
 * (so a browser asks for a password again) unless AuthzSendForbiddenOnFailure
 * is on.  For tokens and sessions that is wrong: the credentials were fine,
 * asking again cannot help, and RFC 6750 wants 403 for missing scope.
 * mod_authz_core tells the auth type about such a failure through
 * note_auth_failure just before it returns 401; we mark the request there,
 * give the 401 a 403 body, and turn the status into 403 when the error
 * response is built.  The result is an ordinary 403.
 */
static const char forbidden_body[] =
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
    "<html><head>\n<title>403 Forbidden</title>\n</head><body>\n"
    "<h1>Forbidden</h1>\n<p>You don't have permission to access this "
    "resource.</p>\n</body></html>\n";

int cognito_note_auth_failure(request_rec *r, const char *auth_type)
{
    cognito_request_ctx *ctx;

    if (!auth_type || strcasecmp(auth_type, COGNITO_AUTH_TYPE) != 0) {
        return DECLINED;
    }
    ctx = cognito_ctx_find(r);
    if (r->user && ctx && ctx->claims) {
        ctx->forbidden = 1;
        ap_custom_response(r, HTTP_UNAUTHORIZED, forbidden_body);
    }
    else {
        const char *realm = ap_auth_name(r);
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       apr_psprintf(r->pool, "Bearer realm=\"%s\"",
                                    realm ? ap_escape_quotes(r->pool, realm)
                                          : COGNITO_AUTH_TYPE));
    }
    return OK;
}

/* Headers set during authz would leak onto a 200 when another Require
 * line grants, so the insufficient_scope challenge is added here, on the
 * error response only. */
void cognito_insert_error_filter(request_rec *r)
{
    cognito_request_ctx *ctx;
    const char *realm;

    if (r->status != HTTP_FORBIDDEN && r->status != HTTP_UNAUTHORIZED
        && r->status != HTTP_INTERNAL_SERVER_ERROR) {
        return;
    }
    ctx = cognito_ctx_find(r);
    if (ctx && ctx->upstream_down && r->status == HTTP_INTERNAL_SERVER_ERROR) {
        /* An authn provider can only say "general error" (500); ours means
         * Cognito could not be reached, which is a 503. */
        r->status = HTTP_SERVICE_UNAVAILABLE;
        r->status_line = NULL;
        return;
    }
    if (!ctx || !ctx->claims || r->status == HTTP_INTERNAL_SERVER_ERROR) {
        return;
    }
    if (r->status == HTTP_UNAUTHORIZED) {
        if (!ctx->forbidden) {
            return;
        }
        r->status = HTTP_FORBIDDEN;
        r->status_line = NULL;
    }
    if (!ctx->insufficient_scope || !ctx->bearer) {
        return;
    }
    realm = ap_auth_name(r);
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   apr_psprintf(r->pool, "Bearer realm=\"%s\", "
                                "error=\"insufficient_scope\", "
                                "error_description=\"insufficient scope\", "
                                "scope=\"%s\"",
                                realm ? ap_escape_quotes(r->pool, realm)
                                      : COGNITO_AUTH_TYPE,
                                ap_escape_quotes(r->pool,
                                                 ctx->insufficient_scope)));
}
