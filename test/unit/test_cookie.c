/* test_cookie.c: the Cookie header, Set-Cookie values, and values split
 * across numbered cookies (with a bound on their number). */
#include "unit.h"

#include "cg_cookie.h"

static cg_cookie_attrs_t attrs(void)
{
    cg_cookie_attrs_t a;

    a.path = "/";
    a.domain = NULL;
    a.same_site = "Lax";
    a.secure = 1;
    a.http_only = 1;
    a.max_age = -1;
    return a;
}

/* A value of n characters that shows where each part came from. */
static char *pattern(apr_size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *v = apr_palloc(ut_pool, n + 1);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        v[i] = alphabet[(i * 7 + i / 64) % 64];
    }
    v[n] = '\0';
    return v;
}

/* What a browser would send back after receiving these Set-Cookie values
 * (deletions remove the cookie). */
static apr_table_t *browser_after(apr_table_t *jar, apr_array_header_t *set)
{
    int i;

    for (i = 0; i < set->nelts; i++) {
        const char *v = APR_ARRAY_IDX(set, i, const char *);
        const char *eq = strchr(v, '='), *semi = strchr(v, ';');
        char *name = apr_pstrmemdup(ut_pool, v, (apr_size_t)(eq - v));
        char *value = apr_pstrmemdup(ut_pool, eq + 1,
                                     (apr_size_t)(semi - eq - 1));
        if (strstr(v, "Max-Age=0")) {
            apr_table_unset(jar, name);
        }
        else {
            apr_table_set(jar, name, value);
        }
    }
    return jar;
}

static int count_prefix(apr_array_header_t *set, const char *prefix)
{
    int i, n = 0;
    for (i = 0; i < set->nelts; i++) {
        if (!strncmp(APR_ARRAY_IDX(set, i, const char *), prefix,
                     strlen(prefix))) {
            n++;
        }
    }
    return n;
}

START_TEST(parse_header)
{
    apr_table_t *t = cg_cookie_parse(
        ut_pool, "a=1; b=two;c=3 ;  d = four ; e=\"quoted\"; f=x=y; g=; "
                 "noequals; =nameless; a=second");

    ck_assert_str_eq(apr_table_get(t, "a"), "1");   /* first one wins */
    ck_assert_str_eq(apr_table_get(t, "b"), "two");
    ck_assert_str_eq(apr_table_get(t, "c"), "3");
    ck_assert_str_eq(apr_table_get(t, "d"), "four");
    ck_assert_str_eq(apr_table_get(t, "e"), "quoted");
    ck_assert_str_eq(apr_table_get(t, "f"), "x=y");
    ck_assert_str_eq(apr_table_get(t, "g"), "");
    ck_assert_ptr_null(apr_table_get(t, "noequals"));
    ck_assert_ptr_null(apr_table_get(t, ""));
    ck_assert_int_eq(apr_table_elts(t)->nelts, 7);
}
END_TEST

START_TEST(parse_empty_and_odd)
{
    ck_assert_int_eq(apr_table_elts(cg_cookie_parse(ut_pool, ""))->nelts, 0);
    ck_assert_int_eq(apr_table_elts(cg_cookie_parse(ut_pool, NULL))->nelts,
                     0);
    ck_assert_int_eq(apr_table_elts(cg_cookie_parse(ut_pool, ";;; ;"))->nelts,
                     0);
    ck_assert_str_eq(apr_table_get(cg_cookie_parse(ut_pool, "x=\""), "x"),
                     "\"");
    ck_assert_str_eq(apr_table_get(cg_cookie_parse(ut_pool, "x=\"\""), "x"),
                     "");
}
END_TEST

START_TEST(format_attributes)
{
    cg_cookie_attrs_t a = attrs();

    ck_assert_str_eq(cg_cookie_format(ut_pool, "n", "v", &a),
                     "n=v; Path=/; HttpOnly; Secure; SameSite=Lax");
    a.path = "/app";
    a.domain = "example.com";
    a.same_site = "Strict";
    a.max_age = 600;
    ck_assert_str_eq(cg_cookie_format(ut_pool, "n", "v", &a),
                     "n=v; Path=/app; Domain=example.com; Max-Age=600; "
                     "HttpOnly; Secure; SameSite=Strict");
    a = attrs();
    a.secure = 0;
    a.same_site = NULL;
    a.max_age = 0;
    ck_assert_str_eq(cg_cookie_format(ut_pool, "n", "", &a),
                     "n=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 "
                     "00:00:00 GMT; HttpOnly");
    a = attrs();
    a.path = NULL;
    ck_assert_str_eq(cg_cookie_format(ut_pool, "n", "v", &a),
                     "n=v; Path=/; HttpOnly; Secure; SameSite=Lax");
}
END_TEST

START_TEST(small_value_one_cookie)
{
    cg_cookie_attrs_t a = attrs();
    apr_table_t *none = apr_table_make(ut_pool, 1);
    apr_array_header_t *set = cg_cookie_store(ut_pool, none, "sess",
                                              pattern(CG_COOKIE_CHUNK), &a);
    apr_table_t *jar;

    ck_assert_ptr_nonnull(set);
    ck_assert_int_eq(set->nelts, 1);
    jar = browser_after(apr_table_make(ut_pool, 4), set);
    ck_assert_str_eq(cg_cookie_load(ut_pool, jar, "sess"),
                     pattern(CG_COOKIE_CHUNK));
}
END_TEST

START_TEST(large_value_chunked)
{
    cg_cookie_attrs_t a = attrs();
    apr_size_t len = 3 * CG_COOKIE_CHUNK + 17;
    char *value = pattern(len);
    apr_array_header_t *set = cg_cookie_store(ut_pool, NULL, "sess", value,
                                              &a);
    apr_table_t *jar;
    int i;

    ck_assert_ptr_nonnull(set);
    ck_assert_int_eq(set->nelts, 5);
    ck_assert_str_eq(APR_ARRAY_IDX(set, 0, const char *),
                     "sess=4; Path=/; HttpOnly; Secure; SameSite=Lax");
    for (i = 1; i <= 4; i++) {
        const char *c = APR_ARRAY_IDX(set, i, const char *);
        ck_assert(!strncmp(c, apr_psprintf(ut_pool, "sess_%d=", i),
                           strlen("sess_1=")));
        /* every chunk carries the same attributes */
        ck_assert(strstr(c, "; Path=/; HttpOnly; Secure; SameSite=Lax"));
        ck_assert(strlen(c) < 4096);
    }
    jar = browser_after(apr_table_make(ut_pool, 8), set);
    ck_assert_str_eq(cg_cookie_load(ut_pool, jar, "sess"), value);
}
END_TEST

START_TEST(chunk_count_is_bounded)
{
    cg_cookie_attrs_t a = attrs();
    apr_size_t most = (apr_size_t)CG_COOKIE_MAX_CHUNKS * CG_COOKIE_CHUNK;
    apr_array_header_t *set;
    apr_table_t *jar;

    set = cg_cookie_store(ut_pool, NULL, "sess", pattern(most), &a);
    ck_assert_ptr_nonnull(set);
    ck_assert_int_eq(set->nelts, 1 + CG_COOKIE_MAX_CHUNKS);
    jar = browser_after(apr_table_make(ut_pool, 8), set);
    ck_assert_str_eq(cg_cookie_load(ut_pool, jar, "sess"), pattern(most));

    /* One byte more would need one cookie more than allowed. */
    ck_assert_ptr_null(cg_cookie_store(ut_pool, NULL, "sess",
                                       pattern(most + 1), &a));
    ck_assert_ptr_null(cg_cookie_store(ut_pool, NULL, "sess",
                                       pattern(10 * most), &a));
}
END_TEST

START_TEST(shrinking_deletes_old_chunks)
{
    cg_cookie_attrs_t a = attrs();
    apr_table_t *jar = apr_table_make(ut_pool, 8);
    apr_array_header_t *set;

    browser_after(jar, cg_cookie_store(ut_pool, NULL, "sess",
                                       pattern(4 * CG_COOKIE_CHUNK), &a));
    ck_assert_ptr_nonnull(apr_table_get(jar, "sess_4"));

    /* From four chunks to two: sess_3 and sess_4 are deleted. */
    set = cg_cookie_store(ut_pool, jar, "sess",
                          pattern(2 * CG_COOKIE_CHUNK), &a);
    ck_assert_int_eq(count_prefix(set, "sess_3=; Path=/; Max-Age=0"), 1);
    ck_assert_int_eq(count_prefix(set, "sess_4=; Path=/; Max-Age=0"), 1);
    browser_after(jar, set);
    ck_assert_ptr_null(apr_table_get(jar, "sess_3"));
    ck_assert_str_eq(cg_cookie_load(ut_pool, jar, "sess"),
                     pattern(2 * CG_COOKIE_CHUNK));

    /* From two chunks to one plain cookie: both chunks go. */
    set = cg_cookie_store(ut_pool, jar, "sess", "small", &a);
    ck_assert_int_eq(set->nelts, 3);
    browser_after(jar, set);
    ck_assert_int_eq(apr_table_elts(jar)->nelts, 1);
    ck_assert_str_eq(cg_cookie_load(ut_pool, jar, "sess"), "small");
}
END_TEST

START_TEST(load_refuses_incomplete)
{
    apr_table_t *t = cg_cookie_parse(ut_pool,
                                     "sess=3; sess_1=aaa; sess_3=ccc");

    ck_assert_ptr_null(cg_cookie_load(ut_pool, t, "sess"));
    t = cg_cookie_parse(ut_pool, "sess=2; sess_1=aaa; sess_2=");
    ck_assert_ptr_null(cg_cookie_load(ut_pool, t, "sess"));
    t = cg_cookie_parse(ut_pool, "sess=2; sess_1=aaa; sess_2=bbb; "
                                 "sess_3=ignored");
    ck_assert_str_eq(cg_cookie_load(ut_pool, t, "sess"), "aaabbb");
    ck_assert_ptr_null(cg_cookie_load(ut_pool, t, "other"));
    ck_assert_ptr_null(cg_cookie_load(ut_pool, cg_cookie_parse(ut_pool,
                                                               "sess="),
                                      "sess"));
    ck_assert_ptr_null(cg_cookie_load(ut_pool, NULL, "sess"));
    /* A count beyond the bound is not a chunk count: the value is taken
     * as it is (and will not open as a sealed session). */
    t = cg_cookie_parse(ut_pool, "sess=9; sess_1=a");
    ck_assert_str_eq(cg_cookie_load(ut_pool, t, "sess"), "9");
    t = cg_cookie_parse(ut_pool, "sess=0");
    ck_assert_str_eq(cg_cookie_load(ut_pool, t, "sess"), "0");
}
END_TEST

START_TEST(delete_everything)
{
    cg_cookie_attrs_t a = attrs();
    apr_table_t *jar = cg_cookie_parse(ut_pool, "sess=2; sess_1=a; sess_2=b; "
                                                "other=keep");
    apr_array_header_t *set = cg_cookie_delete(ut_pool, jar, "sess", &a);
    int i;

    ck_assert_int_eq(set->nelts, 3);
    for (i = 0; i < set->nelts; i++) {
        ck_assert(strstr(APR_ARRAY_IDX(set, i, const char *),
                         "=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970"));
    }
    browser_after(jar, set);
    ck_assert_int_eq(apr_table_elts(jar)->nelts, 1);
    ck_assert_str_eq(apr_table_get(jar, "other"), "keep");

    /* Without chunks: just the cookie itself. */
    set = cg_cookie_delete(ut_pool, cg_cookie_parse(ut_pool, "sess=x"),
                           "sess", &a);
    ck_assert_int_eq(set->nelts, 1);
}
END_TEST

Suite *ut_cookie_suite(void)
{
    Suite *s = suite_create("cookie");
    TCase *tc = ut_tcase("cookie");

    tcase_add_test(tc, parse_header);
    tcase_add_test(tc, parse_empty_and_odd);
    tcase_add_test(tc, format_attributes);
    tcase_add_test(tc, small_value_one_cookie);
    tcase_add_test(tc, large_value_chunked);
    tcase_add_test(tc, chunk_count_is_bounded);
    tcase_add_test(tc, shrinking_deletes_old_chunks);
    tcase_add_test(tc, load_refuses_incomplete);
    tcase_add_test(tc, delete_everything);
    suite_add_tcase(s, tc);
    return s;
}
