/* test_url.c: where the module may send a browser after login and logout
 * (never an open redirector), and query string parsing. */
#include "unit.h"

#include "cg_url.h"

#define ORIGIN "https://app.example.com"

static const char *safe(const char *target, const apr_array_header_t *ok)
{
    const char *why = NULL;
    const char *out = cg_url_safe_target(ut_pool, target, ORIGIN, ok, &why);

    if (!out) {
        ck_assert_ptr_nonnull(why);
        ck_assert(*why);
    }
    return out;
}

static apr_array_header_t *allowed(void)
{
    apr_array_header_t *a = apr_array_make(ut_pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(a, const char *) = "https://www.example.com/";
    APR_ARRAY_PUSH(a, const char *) = "https://signout.example.org/bye?x=1";
    return a;
}

START_TEST(same_origin_paths_accepted)
{
    static const char *const ok[] = {
        "/", "/app", "/app/", "/app/page.html", "/a/b/c?x=1&y=2",
        "/search?q=a%20b", "/p#frag", "/%7Euser/", "/a;b", "/a:b",
        "/.well-known/x", "/a/./b", "/a/../b", "/?next=//evil",
        "/a?u=http://x", "/@evil.example", "/a%2Eb", NULL
    };
    const char *const *t;

    for (t = ok; *t; t++) {
        const char *out = safe(*t, NULL);
        ck_assert_msg(out != NULL, "refused %s", *t);
        ck_assert_str_eq(out, *t);
    }
}
END_TEST

START_TEST(own_absolute_urls_become_paths)
{
    ck_assert_str_eq(safe(ORIGIN "/app?x=1", NULL), "/app?x=1");
    ck_assert_str_eq(safe(ORIGIN, NULL), "/");
    ck_assert_str_eq(safe(ORIGIN "/", NULL), "/");
    ck_assert_str_eq(safe(ORIGIN "?x=1", NULL), "/?x=1");
    ck_assert_str_eq(safe(ORIGIN "#top", NULL), "/#top");
    /* Scheme and host compare case-insensitively. */
    ck_assert_str_eq(safe("HTTPS://APP.EXAMPLE.COM/x", NULL), "/x");
}
END_TEST

START_TEST(configured_urls_accepted_verbatim)
{
    apr_array_header_t *a = allowed();

    ck_assert_str_eq(safe("https://www.example.com/", a),
                     "https://www.example.com/");
    ck_assert_str_eq(safe("https://signout.example.org/bye?x=1", a),
                     "https://signout.example.org/bye?x=1");
    /* Only verbatim: no prefix, suffix or case games. */
    ck_assert_ptr_null(safe("https://www.example.com/x", a));
    ck_assert_ptr_null(safe("https://www.example.com", a));
    ck_assert_ptr_null(safe("https://WWW.example.com/", a));
    ck_assert_ptr_null(safe("https://signout.example.org/bye?x=12", a));
    ck_assert_ptr_null(safe("https://www.example.com/", NULL));
}
END_TEST

START_TEST(hostile_targets_refused)
{
    static const char *const bad[] = {
        "//evil.example", "//evil.example/", "///evil.example",
        "////evil.example", "/\\evil.example", "\\\\evil.example",
        "\\/evil.example", "/\\/evil.example", "https:evil.example",
        "https:/evil.example", "https:\\\\evil.example", "http://evil.example",
        "https://evil.example/", "HTTPS://EVIL.EXAMPLE",
        "//evil.example@app.example.com",
        "https://app.example.com@evil.example",
        "https://app.example.com@evil.example/",
        "https://app.example.com:@evil.example",
        "https://app.example.com:443@evil.example",
        "https://user:pass@app.example.com/",
        "https://app.example.com.evil.example",
        "https://app.example.com.evil.example/",
        "https://app.example.comevil.example",
        "https://app.example.com:8443/", "https://app.example.com:/",
        "http://app.example.com/", "ftp://app.example.com/",
        "https://app.example.com\\@evil.example",
        "https://app.example.com%2f@evil.example",
        "https://app.example.com%40evil.example",
        "https://evil.example#@app.example.com",
        "https://evil.example?@app.example.com",
        "javascript:alert(1)", "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)", "evil.example", "app", ".", "?x", "#x",
        "%2f%2fevil.example", "%2F%2Fevil.example", "/%2f/evil.example",
        "/%2F%2Fevil.example", "/%5cevil.example", "/%5Cevil.example",
        "/%252f%252fevil.example", "/%25%32%66evil", "/%0d%0aSet-Cookie:x",
        "/%0aLocation:evil", "/%09/evil.example", "/%00", "/%7f",
        "/%e2%80%a8", "/%zz", "/%4", "/%",
        "/\t/evil.example", "/\r\nLocation: https://evil.example",
        "/\n/evil.example", "/ /evil.example", " /evil", "/evil ",
        "\t//evil.example", "/\xe3\x80\x82" "evil", "/\x7f",
        "https://app.example.com//evil.example",
        "https://app.example.com/\\evil.example",
        "", NULL
    };
    const char *const *t;

    for (t = bad; *t; t++) {
        ck_assert_msg(safe(*t, NULL) == NULL, "accepted \"%s\"", *t);
        ck_assert_msg(safe(*t, allowed()) == NULL, "accepted \"%s\"", *t);
    }
}
END_TEST

START_TEST(long_targets_refused)
{
    char *t = apr_palloc(ut_pool, 5000);

    memset(t, 'a', 4999);
    t[0] = '/';
    t[4999] = '\0';
    ck_assert_ptr_null(safe(t, NULL));
    t[4096] = '\0';
    ck_assert_ptr_nonnull(safe(t, NULL));
    ck_assert_ptr_null(safe(NULL, NULL));
}
END_TEST

START_TEST(unescape)
{
    ck_assert_str_eq(cg_url_unescape(ut_pool, "a+b%20c%2Fd%2fe"), "a b c/d/e");
    ck_assert_str_eq(cg_url_unescape(ut_pool, ""), "");
    ck_assert_str_eq(cg_url_unescape(ut_pool, "%41%42%43"), "ABC");
    ck_assert_str_eq(cg_url_unescape(ut_pool, "%25252f"), "%252f");
    ck_assert_ptr_null(cg_url_unescape(ut_pool, "%"));
    ck_assert_ptr_null(cg_url_unescape(ut_pool, "%4"));
    ck_assert_ptr_null(cg_url_unescape(ut_pool, "%zz"));
    ck_assert_ptr_null(cg_url_unescape(ut_pool, "%g1"));
    ck_assert_ptr_null(cg_url_unescape(ut_pool, "a%00b"));
}
END_TEST

START_TEST(query_params)
{
    int dup = 7;
    const char *q = "code=abc%2Bdef&state=s1&empty=&bare&target=%2Fapp%3Fx%3D1"
                    "&codex=no";

    ck_assert_str_eq(cg_url_query_param(ut_pool, q, "code", &dup), "abc+def");
    ck_assert_int_eq(dup, 0);
    ck_assert_str_eq(cg_url_query_param(ut_pool, q, "state", &dup), "s1");
    ck_assert_str_eq(cg_url_query_param(ut_pool, q, "empty", &dup), "");
    ck_assert_str_eq(cg_url_query_param(ut_pool, q, "bare", &dup), "");
    ck_assert_str_eq(cg_url_query_param(ut_pool, q, "target", &dup),
                     "/app?x=1");
    ck_assert_ptr_null(cg_url_query_param(ut_pool, q, "cod", &dup));
    ck_assert_ptr_null(cg_url_query_param(ut_pool, q, "missing", &dup));
    ck_assert_int_eq(dup, 0);
    ck_assert_ptr_null(cg_url_query_param(ut_pool, "", "code", &dup));

    /* Given twice is ambiguous: refused, and said so. */
    ck_assert_ptr_null(cg_url_query_param(ut_pool, "state=a&state=b",
                                          "state", &dup));
    ck_assert_int_eq(dup, 1);
    ck_assert_ptr_null(cg_url_query_param(ut_pool, "state=a&state",
                                          "state", &dup));
    ck_assert_int_eq(dup, 1);
    /* A malformed escape is no value. */
    ck_assert_ptr_null(cg_url_query_param(ut_pool, "state=%zz", "state",
                                          &dup));
}
END_TEST

/* Present at all, even when the value is refused: so a refused value is
 * not mistaken for an absent one. */
START_TEST(query_has)
{
    ck_assert(cg_url_query_has("a=1&target=%00", "target"));
    ck_assert(cg_url_query_has("target", "target"));
    ck_assert(cg_url_query_has("target=", "target"));
    ck_assert(cg_url_query_has("x=1&target=a&target=b", "target"));
    ck_assert(!cg_url_query_has("targets=1&xtarget=2", "target"));
    ck_assert(!cg_url_query_has("", "target"));
    ck_assert(!cg_url_query_has("tar=1", "target"));
}
END_TEST

Suite *ut_url_suite(void)
{
    Suite *s = suite_create("url");
    TCase *tc = ut_tcase("url");

    tcase_add_test(tc, same_origin_paths_accepted);
    tcase_add_test(tc, own_absolute_urls_become_paths);
    tcase_add_test(tc, configured_urls_accepted_verbatim);
    tcase_add_test(tc, hostile_targets_refused);
    tcase_add_test(tc, long_targets_refused);
    tcase_add_test(tc, unescape);
    tcase_add_test(tc, query_params);
    tcase_add_test(tc, query_has);
    suite_add_tcase(s, tc);
    return s;
}
