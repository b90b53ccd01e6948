/* cg_oauth.c: endpoints, PKCE, authorize URLs and token responses. */
#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "cg_b64.h"
#include "cg_http.h"
#include "cg_oauth.h"

void cg_endpoints_from_domain(apr_pool_t *p, const char *domain,
                              cg_endpoints_t *e)
{
    apr_size_t n = strlen(domain);

    while (n && domain[n - 1] == '/') {
        n--;
    }
    domain = apr_pstrmemdup(p, domain, n);
    e->authorize = apr_pstrcat(p, domain, "/oauth2/authorize", NULL);
    e->token = apr_pstrcat(p, domain, "/oauth2/token", NULL);
    e->userinfo = apr_pstrcat(p, domain, "/oauth2/userInfo", NULL);
    e->revoke = apr_pstrcat(p, domain, "/oauth2/revoke", NULL);
    e->logout = apr_pstrcat(p, domain, "/logout", NULL);
}

static const char *doc_string(apr_pool_t *p, json_t *doc, const char *name)
{
    json_t *v = json_object_get(doc, name);
    return json_is_string(v) ? apr_pstrdup(p, json_string_value(v)) : NULL;
}

cg_err_code_e cg_endpoints_from_discovery(apr_pool_t *p, const char *json,
                                          apr_size_t len, cg_endpoints_t *e,
                                          cg_error_t *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, 0, &jerr);

    if (!json_is_object(doc)) {
        json_decref(doc);
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "discovery document is not a JSON object");
    }
    e->authorize = doc_string(p, doc, "authorization_endpoint");
    e->token = doc_string(p, doc, "token_endpoint");
    e->userinfo = doc_string(p, doc, "userinfo_endpoint");
    e->revoke = doc_string(p, doc, "revocation_endpoint");
    e->logout = doc_string(p, doc, "end_session_endpoint");
    json_decref(doc);
    if (!e->authorize || !e->token) {
        return cg_error_set(err, p, CG_ERR_UPSTREAM, "discovery document "
                            "lacks authorization_endpoint or token_endpoint");
    }
    return CG_OK;
}

char *cg_pkce_challenge(apr_pool_t *p, const char *verifier)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    EVP_Digest(verifier, strlen(verifier), md, &n, EVP_sha256(), NULL);
    return cg_b64url_encode(p, md, n);
}

char *cg_oauth_authorize_url(apr_pool_t *p, const char *endpoint,
                             const cg_authorize_t *a)
{
    char *url = apr_pstrcat(
        p, endpoint, strchr(endpoint, '?') ? "&" : "?",
        "response_type=code",
        "&client_id=", cg_http_form_escape(p, a->client_id),
        "&redirect_uri=", cg_http_form_escape(p, a->redirect_uri),
        "&scope=", cg_http_form_escape(p, a->scope),
        "&state=", cg_http_form_escape(p, a->state),
        "&nonce=", cg_http_form_escape(p, a->nonce),
        "&code_challenge=", cg_http_form_escape(p, a->code_challenge),
        "&code_challenge_method=S256", NULL);

    if (a->identity_provider && *a->identity_provider) {
        url = apr_pstrcat(p, url, "&identity_provider=",
                          cg_http_form_escape(p, a->identity_provider), NULL);
    }
    return url;
}

char *cg_oauth_form(apr_pool_t *p, ...)
{
    va_list ap;
    const char *name, *value;
    char *out = "";

    va_start(ap, p);
    while ((name = va_arg(ap, const char *)) != NULL) {
        value = va_arg(ap, const char *);
        if (!value) {
            continue;
        }
        out = apr_pstrcat(p, out, *out ? "&" : "", name, "=",
                          cg_http_form_escape(p, value), NULL);
    }
    va_end(ap);
    return out;
}

cg_err_code_e cg_oauth_parse_token_response(apr_pool_t *p, int status,
                                            const char *body, apr_size_t len,
                                            cg_token_response_t *out,
                                            cg_error_t *err)
{
    json_error_t jerr;
    json_t *doc, *v;
    cg_err_code_e rc = CG_OK;

    memset(out, 0, sizeof(*out));
    doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "token endpoint answered HTTP %d without a JSON "
                            "object", status);
    }
    if (status >= 400 && status < 500 && status != 429) {
        v = json_object_get(doc, "error");
        out->error = json_is_string(v)
                     ? apr_pstrndup(p, json_string_value(v), 64)
                     : "unknown";
        rc = cg_error_set(err, p, CG_ERR_REJECTED,
                          "token endpoint refused: %s", out->error);
    }
    else if (status != 200) {
        rc = cg_error_set(err, p, CG_ERR_UPSTREAM,
                          "token endpoint answered HTTP %d", status);
    }
    else {
        const char *names[] = { "id_token", "access_token", "refresh_token" };
        const char **slots[] = { &out->id_token, &out->access_token,
                                 &out->refresh_token };
        int i;

        for (i = 0; i < 3; i++) {
            v = json_object_get(doc, names[i]);
            if (v && !json_is_string(v)) {
                rc = cg_error_set(err, p, CG_ERR_UPSTREAM,
                                  "token endpoint: %s is not a string",
                                  names[i]);
                break;
            }
            *slots[i] = v ? apr_pstrdup(p, json_string_value(v)) : NULL;
        }
        v = json_object_get(doc, "expires_in");
        out->expires_in = json_is_integer(v) ? (long)json_integer_value(v)
                                             : 0;
        if (rc == CG_OK && !out->access_token) {
            rc = cg_error_set(err, p, CG_ERR_UPSTREAM,
                              "token endpoint answer has no access_token");
        }
    }
    json_decref(doc);
    return rc;
}
