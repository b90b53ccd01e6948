/*
 * fuzz_oauth.c: the Hosted UI login's upstream answers and URLs: token
 * endpoint responses (cg_oauth_parse_token_response), OpenID discovery
 * documents (cg_endpoints_from_discovery), and the authorize redirect
 * built from them (cg_oauth_authorize_url, cg_pkce_challenge,
 * cg_endpoints_from_domain).
 *
 * Input: one flag byte, then by mode (flags bits 0-1):
 *   0  an HTTP status byte (index into a table), then a token endpoint
 *      answer;
 *   1  a discovery document;
 *   2, 3  NUL-separated: a domain or endpoint, client id, redirect URI,
 *      scope, state, nonce, PKCE verifier, identity provider.
 *
 * Invariants: tokens only from a 200 whose access_token is a string, and
 * exactly the strings sent; a refusal (the grant is bad) only for a 4xx
 * other than 429, with a bounded error name; everything else an upstream
 * fault; discovery yields the documents' own URLs and insists on the
 * authorize and token endpoints; an authorize URL is a single header-safe
 * line from which every parameter reads back as given.
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "cg_oauth.h"
#include "cg_url.h"
#include "fuzz.h"

static const int statuses[] = { 200, 400, 401, 429, 500, 503, 403, 302,
                                0, 404, 504, 201, 204, 499, 599, 100 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_init();
    return 0;
}

static void token_answer(apr_pool_t *p, int status, const char *body,
                         size_t len)
{
    cg_token_response_t t;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc = cg_oauth_parse_token_response(p, status, body, len,
                                                     &t, &err);
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);

    if (rc == CG_OK) {
        FZ_ASSERT(status == 200 && json_is_object(doc),
                  "tokens from HTTP %d", status);
        FZ_ASSERT(t.access_token, "accepted without an access token");
        fz_same(t.access_token, fz_doc_str(doc, "access_token"), "access_token");
        fz_same(t.id_token, fz_doc_str(doc, "id_token"), "id_token");
        fz_same(t.refresh_token, fz_doc_str(doc, "refresh_token"),
             "refresh_token");
    }
    else if (rc == CG_ERR_REJECTED) {
        FZ_ASSERT(status >= 400 && status < 500 && status != 429,
                  "HTTP %d taken for a refused grant", status);
        FZ_ASSERT(t.error && strlen(t.error) <= 64, "error name");
        FZ_ASSERT(err.detail && err.code == rc, "refusal without reason");
    }
    else {
        FZ_ASSERT(rc == CG_ERR_UPSTREAM && err.detail && err.code == rc,
                  "token answer judged %d", rc);
        FZ_ASSERT(!(status >= 400 && status < 500 && status != 429
                    && json_is_object(doc)),
                  "a 4xx JSON answer judged an upstream fault");
    }
    json_decref(doc);
}

static void discovery(apr_pool_t *p, const char *body, size_t len)
{
    cg_endpoints_t e;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc;
    json_t *doc = json_loadb(body, len, 0, NULL);

    memset(&e, 0, sizeof(e));
    rc = cg_endpoints_from_discovery(p, body, len, &e, &err);
    if (rc == CG_OK) {
        FZ_ASSERT(json_is_object(doc) && e.authorize && e.token,
                  "discovery accepted without its endpoints");
        fz_same(e.authorize, fz_doc_str(doc, "authorization_endpoint"),
             "authorization_endpoint");
        fz_same(e.token, fz_doc_str(doc, "token_endpoint"), "token_endpoint");
        fz_same(e.userinfo, fz_doc_str(doc, "userinfo_endpoint"), "userinfo");
        fz_same(e.revoke, fz_doc_str(doc, "revocation_endpoint"), "revoke");
        fz_same(e.logout, fz_doc_str(doc, "end_session_endpoint"), "logout");
    }
    else {
        FZ_ASSERT(rc == CG_ERR_UPSTREAM && err.detail,
                  "discovery refused with %d", rc);
        FZ_ASSERT(!json_is_object(doc)
                  || !fz_doc_str(doc, "authorization_endpoint")
                  || !fz_doc_str(doc, "token_endpoint"),
                  "a complete discovery document refused");
    }
    json_decref(doc);
}

static void reads_back(apr_pool_t *p, const char *q, const char *name,
                       const char *want)
{
    int dup = 0;
    const char *got = cg_url_query_param(p, q, name, &dup);

    FZ_ASSERT(got && !strcmp(got, want), "%s reads back as %s, not %s",
              name, got ? got : dup ? "(twice)" : "(nothing)", want);
}

static void authorize(apr_pool_t *p, fz_in_t *in)
{
    const char *domain = fz_take(in, p, '\0', NULL);
    cg_authorize_t a;
    cg_endpoints_t e;
    const char *url, *q, *c;
    size_t n = strlen(domain);

    a.client_id = fz_take(in, p, '\0', NULL);
    a.redirect_uri = fz_take(in, p, '\0', NULL);
    a.scope = fz_take(in, p, '\0', NULL);
    a.state = fz_take(in, p, '\0', NULL);
    a.nonce = fz_take(in, p, '\0', NULL);
    a.code_challenge = cg_pkce_challenge(p, fz_take(in, p, '\0', NULL));
    a.identity_provider = fz_take(in, p, '\0', NULL);
    FZ_ASSERT(strlen(a.code_challenge) == 43, "PKCE challenge %s",
              a.code_challenge);

    cg_endpoints_from_domain(p, domain, &e);
    while (n && domain[n - 1] == '/') {
        n--;
    }
    FZ_ASSERT(!strncmp(e.authorize, domain, n)
              && !strcmp(e.authorize + n, "/oauth2/authorize")
              && !strcmp(e.token + n, "/oauth2/token")
              && !strcmp(e.logout + n, "/logout"),
              "endpoints of %s", domain);

    /* Only the parameters are ours to make safe; the endpoint comes from
     * the configuration, which accepts no spaces or controls in URLs
     * (cg_url_problem). */
    for (c = e.authorize; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f
            || strchr("?#&", *c)) {
            return;
        }
    }
    url = cg_oauth_authorize_url(p, e.authorize, &a);
    for (c = url; *c; c++) {
        FZ_ASSERT((unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f,
                  "authorize URL with byte 0x%02x", (unsigned char)*c);
    }
    q = strchr(url, '?') + 1;
    reads_back(p, q, "client_id", a.client_id);
    reads_back(p, q, "redirect_uri", a.redirect_uri);
    reads_back(p, q, "scope", a.scope);
    reads_back(p, q, "state", a.state);
    reads_back(p, q, "nonce", a.nonce);
    reads_back(p, q, "code_challenge", a.code_challenge);
    if (*a.identity_provider) {
        reads_back(p, q, "identity_provider", a.identity_provider);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in_t in = { data, size };
    apr_pool_t *p = fz_pool();
    uint8_t flags = fz_byte(&in);
    const char *body;
    size_t len;

    switch (flags & 3) {
    case 0: {
        int status = statuses[fz_byte(&in) % 16];
        body = fz_rest(&in, p, &len);
        token_answer(p, status, body, len);
        break;
    }
    case 1:
        body = fz_rest(&in, p, &len);
        discovery(p, body, len);
        break;
    default:
        authorize(p, &in);
        break;
    }
    apr_pool_destroy(p);
    return 0;
}
