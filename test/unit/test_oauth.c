/* test_oauth.c: Hosted UI endpoints, PKCE, the authorize redirect, token
 * endpoint requests and the judging of its answers. */
#include "unit.h"

#include "cg_oauth.h"
#include "cg_url.h"

#define DOMAIN "https://myapp.auth.us-east-1.amazoncognito.com"

START_TEST(endpoints_from_domain)
{
    cg_endpoints_t e;

    cg_endpoints_from_domain(ut_pool, DOMAIN, &e);
    ck_assert_str_eq(e.authorize, DOMAIN "/oauth2/authorize");
    ck_assert_str_eq(e.token, DOMAIN "/oauth2/token");
    ck_assert_str_eq(e.userinfo, DOMAIN "/oauth2/userInfo");
    ck_assert_str_eq(e.revoke, DOMAIN "/oauth2/revoke");
    ck_assert_str_eq(e.logout, DOMAIN "/logout");
    /* Trailing slashes do not double up. */
    cg_endpoints_from_domain(ut_pool, "https://login.example.com//", &e);
    ck_assert_str_eq(e.token, "https://login.example.com/oauth2/token");
}
END_TEST

START_TEST(endpoints_from_discovery)
{
    cg_endpoints_t e;
    cg_error_t err = { CG_OK, NULL, NULL };
    const char *doc =
        "{\"issuer\":\"" UT_ISSUER "\","
        "\"authorization_endpoint\":\"" DOMAIN "/oauth2/authorize\","
        "\"token_endpoint\":\"" DOMAIN "/oauth2/token\","
        "\"userinfo_endpoint\":\"" DOMAIN "/oauth2/userInfo\","
        "\"revocation_endpoint\":\"" DOMAIN "/oauth2/revoke\","
        "\"end_session_endpoint\":\"" DOMAIN "/logout\"}";

    ut_assert_code(cg_endpoints_from_discovery(ut_pool, doc, strlen(doc), &e,
                                               &err), CG_OK, &err);
    ck_assert_str_eq(e.authorize, DOMAIN "/oauth2/authorize");
    ck_assert_str_eq(e.token, DOMAIN "/oauth2/token");
    ck_assert_str_eq(e.revoke, DOMAIN "/oauth2/revoke");
    ck_assert_str_eq(e.logout, DOMAIN "/logout");

    /* Optional ones may be missing. */
    doc = "{\"authorization_endpoint\":\"https://a/x\","
          "\"token_endpoint\":\"https://a/t\",\"revocation_endpoint\":7}";
    ut_assert_code(cg_endpoints_from_discovery(ut_pool, doc, strlen(doc), &e,
                                               &err), CG_OK, &err);
    ck_assert_ptr_null(e.revoke);
    ck_assert_ptr_null(e.logout);
}
END_TEST

START_TEST(discovery_refused)
{
    static const char *const bad[] = {
        "", "<html>", "[]", "{\"token_endpoint\":\"https://a/t\"}",
        "{\"authorization_endpoint\":\"https://a/x\"}",
        "{\"authorization_endpoint\":1,\"token_endpoint\":\"https://a/t\"}",
        "{\"authorization_endpoint\":\"https://a/x\",", NULL
    };
    const char *const *d;

    for (d = bad; *d; d++) {
        cg_endpoints_t e;
        cg_error_t err = { CG_OK, NULL, NULL };
        ck_assert_msg(cg_endpoints_from_discovery(ut_pool, *d, strlen(*d), &e,
                                                  &err) == CG_ERR_UPSTREAM,
                      "accepted %s", *d);
    }
}
END_TEST

/* RFC 7636 appendix B. */
START_TEST(pkce_rfc7636_vector)
{
    ck_assert_str_eq(cg_pkce_challenge(
                         ut_pool, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    /* 43 characters of base64url, no padding, for any verifier. */
    ck_assert_uint_eq(strlen(cg_pkce_challenge(ut_pool, "x")), 43);
}
END_TEST

static const char *param(const char *url, const char *name)
{
    int dup = 0;
    const char *q = strchr(url, '?');
    const char *v;

    ck_assert_ptr_nonnull(q);
    v = cg_url_query_param(ut_pool, q + 1, name, &dup);
    ck_assert_int_eq(dup, 0);
    return v;
}

static cg_authorize_t request(void)
{
    cg_authorize_t a;

    a.client_id = UT_CLIENT;
    a.redirect_uri = "https://app.example.com/oauth2/callback?x=1&y=2";
    a.scope = "openid email profile orders/read";
    a.state = "st4te_-0123456789";
    a.nonce = "n0nce_-0123456789";
    a.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    a.identity_provider = NULL;
    return a;
}

START_TEST(authorize_url)
{
    cg_authorize_t a = request();
    char *url = cg_oauth_authorize_url(ut_pool, DOMAIN "/oauth2/authorize",
                                       &a);

    ck_assert(!strncmp(url, DOMAIN "/oauth2/authorize?response_type=code&",
                       strlen(DOMAIN "/oauth2/authorize?response_type=") + 5));
    ck_assert_str_eq(param(url, "response_type"), "code");
    ck_assert_str_eq(param(url, "client_id"), UT_CLIENT);
    ck_assert_str_eq(param(url, "redirect_uri"), a.redirect_uri);
    ck_assert_str_eq(param(url, "scope"), a.scope);
    ck_assert_str_eq(param(url, "state"), a.state);
    ck_assert_str_eq(param(url, "nonce"), a.nonce);
    ck_assert_str_eq(param(url, "code_challenge"), a.code_challenge);
    ck_assert_str_eq(param(url, "code_challenge_method"), "S256");
    ck_assert_ptr_null(param(url, "identity_provider"));
    /* The callback's own query is escaped, not spliced in. */
    ck_assert_ptr_null(strstr(url, "?x=1&y=2"));
    ck_assert_ptr_null(strchr(url, ' '));
}
END_TEST

START_TEST(authorize_url_identity_provider)
{
    cg_authorize_t a = request();
    char *url;

    a.identity_provider = "My SAML&Co";
    url = cg_oauth_authorize_url(ut_pool, DOMAIN "/oauth2/authorize", &a);
    ck_assert_str_eq(param(url, "identity_provider"), "My SAML&Co");
    a.identity_provider = "";
    url = cg_oauth_authorize_url(ut_pool, DOMAIN "/oauth2/authorize", &a);
    ck_assert_ptr_null(param(url, "identity_provider"));
    /* An endpoint that already has a query gets '&'. */
    url = cg_oauth_authorize_url(ut_pool, "https://idp.example/auth?tenant=1",
                                 &a);
    ck_assert(!strncmp(url, "https://idp.example/auth?tenant=1&response_type=",
                       48));
}
END_TEST

START_TEST(form_bodies)
{
    char *f = cg_oauth_form(ut_pool, "grant_type", "authorization_code",
                            "code", "a b&c=d", "skipped", NULL,
                            "redirect_uri", "https://x/cb?y=1", NULL);
    int dup;

    ck_assert_str_eq(cg_url_query_param(ut_pool, f, "grant_type", &dup),
                     "authorization_code");
    ck_assert_str_eq(cg_url_query_param(ut_pool, f, "code", &dup), "a b&c=d");
    ck_assert_str_eq(cg_url_query_param(ut_pool, f, "redirect_uri", &dup),
                     "https://x/cb?y=1");
    ck_assert_ptr_null(strstr(f, "skipped"));
    ck_assert_str_eq(cg_oauth_form(ut_pool, NULL), "");
}
END_TEST

static cg_err_code_e judge(int status, const char *body,
                           cg_token_response_t *t, cg_error_t *err)
{
    return cg_oauth_parse_token_response(ut_pool, status, body, strlen(body),
                                         t, err);
}

START_TEST(token_answer_ok)
{
    cg_token_response_t t;
    cg_error_t err = { CG_OK, NULL, NULL };

    ut_assert_code(judge(200, "{\"id_token\":\"i.i.i\",\"access_token\":"
                              "\"a.a.a\",\"refresh_token\":\"r.r.r.r.r\","
                              "\"expires_in\":3600,\"token_type\":\"Bearer\"}",
                         &t, &err), CG_OK, &err);
    ck_assert_str_eq(t.id_token, "i.i.i");
    ck_assert_str_eq(t.access_token, "a.a.a");
    ck_assert_str_eq(t.refresh_token, "r.r.r.r.r");
    ck_assert_int_eq(t.expires_in, 3600);
    ck_assert_ptr_null(t.error);

    /* A refresh answer: no new refresh token. */
    ut_assert_code(judge(200, "{\"id_token\":\"i\",\"access_token\":\"a\"}",
                         &t, &err), CG_OK, &err);
    ck_assert_ptr_null(t.refresh_token);
    ck_assert_int_eq(t.expires_in, 0);
}
END_TEST

START_TEST(token_answer_refused)
{
    cg_token_response_t t;
    cg_error_t err = { CG_OK, NULL, NULL };
    char body[300];

    ut_assert_code(judge(400, "{\"error\":\"invalid_grant\"}", &t, &err),
                   CG_ERR_REJECTED, &err);
    ck_assert_str_eq(t.error, "invalid_grant");
    ut_assert_code(judge(401, "{\"error\":\"invalid_client\"}", &t, &err),
                   CG_ERR_REJECTED, &err);
    ck_assert_str_eq(t.error, "invalid_client");
    ut_assert_code(judge(400, "{\"message\":\"no error field\"}", &t, &err),
                   CG_ERR_REJECTED, &err);
    ck_assert_str_eq(t.error, "unknown");
    ut_assert_code(judge(400, "{\"error\":42}", &t, &err), CG_ERR_REJECTED,
                   &err);
    ck_assert_str_eq(t.error, "unknown");
    /* A long error is cut, so it cannot flood the log. */
    memset(body, 0, sizeof(body));
    strcpy(body, "{\"error\":\"");
    memset(body + 10, 'x', 200);
    strcat(body, "\"}");
    ut_assert_code(judge(400, body, &t, &err), CG_ERR_REJECTED, &err);
    ck_assert_uint_eq(strlen(t.error), 64);
}
END_TEST

/* Whatever is not a proper answer is Cognito's fault: 503, not 401. */
START_TEST(token_answer_upstream_faults)
{
    static const struct { int status; const char *body; } bad[] = {
        { 500, "{\"error\":\"internal\"}" },
        { 503, "{\"error\":\"unavailable\"}" },
        { 429, "{\"error\":\"slow_down\"}" },
        { 302, "" },
        { 200, "" },
        { 200, "<html><body>Service Unavailable</body></html>" },
        { 200, "{\"id_token\":\"i\",\"access_token\":\"a\"" },
        { 200, "{\"id_token\":\"i\"}" },
        { 200, "{\"access_token\":7}" },
        { 200, "{\"access_token\":\"a\",\"id_token\":[]}" },
        { 200, "{\"access_token\":\"a\",\"refresh_token\":null}" },
        { 200, "{\"access_token\":\"a\",\"access_token\":\"b\"}" },
        { 200, "[\"access_token\"]" },
        { 400, "<html>Bad Request</html>" },
        { 400, "" },
        { 0, "" },
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cg_token_response_t t;
        cg_error_t err = { CG_OK, NULL, NULL };
        cg_err_code_e rc = judge(bad[i].status, bad[i].body, &t, &err);
        ck_assert_msg(rc == CG_ERR_UPSTREAM, "%d %s: got %s", bad[i].status,
                      bad[i].body, ut_code_name(rc));
        ck_assert_ptr_nonnull(err.detail);
    }
}
END_TEST

Suite *ut_oauth_suite(void)
{
    Suite *s = suite_create("oauth");
    TCase *tc = ut_tcase("oauth");

    tcase_add_test(tc, endpoints_from_domain);
    tcase_add_test(tc, endpoints_from_discovery);
    tcase_add_test(tc, discovery_refused);
    tcase_add_test(tc, pkce_rfc7636_vector);
    tcase_add_test(tc, authorize_url);
    tcase_add_test(tc, authorize_url_identity_provider);
    tcase_add_test(tc, form_bodies);
    tcase_add_test(tc, token_answer_ok);
    tcase_add_test(tc, token_answer_refused);
    tcase_add_test(tc, token_answer_upstream_faults);
    suite_add_tcase(s, tc);
    return s;
}
