/* test_pool.c: user pool ids, the URLs derived from them, URL sanity. */
#include "unit.h"

START_TEST(valid_pool_ids)
{
    static const char *const ok[] = {
        "us-east-1_AbC123xyz", "us-gov-west-1_x1", "ap-southeast-2_Q",
        "eu-central-1_9", "ca-central-1_abcdefghi", "il-central-1_Z9z9Z9z9",
        NULL
    };
    const char *const *id;

    for (id = ok; *id; id++) {
        const char *why = cg_pool_id_problem(*id);
        ck_assert_msg(why == NULL, "%s refused: %s", *id, why);
    }
}
END_TEST

START_TEST(invalid_pool_ids)
{
    static const char *const bad[] = {
        "useast1AbC123",            /* no underscore */
        "us-east-1AbC123",
        "US-east-1_AbC123",         /* uppercase region */
        "us-EAST-1_AbC123",
        "us-east-1_",               /* missing id */
        "_AbC123",                  /* missing region */
        "us-east-1_AbC-123",        /* punctuation in the id */
        "us-east-1_AbC.123",
        "us-east-1_AbC 123",
        "us-east-1_AbC/123",
        "us-east-1_AbC_123",
        "us-east-1_AbC123\n",
        "us-east-1_\xc3\xa9",
        "us-east_AbC",              /* region without its number */
        "useast-1_AbC",
        "us--east-1_AbC",
        "-us-east-1_AbC",
        "us-east-1-_AbC",
        "us.east.1_AbC",
        "us-east-1 _AbC",
        "",
        NULL
    };
    const char *const *id;

    for (id = bad; *id; id++) {
        const char *why = cg_pool_id_problem(*id);
        ck_assert_msg(why != NULL, "\"%s\" accepted", *id);
        ck_assert(*why);
    }
}
END_TEST

START_TEST(pool_id_length)
{
    /* 55 characters is the most Cognito allows. */
    char id[80];

    apr_cpystrn(id, "us-east-1_", sizeof(id));
    memset(id + 10, 'a', 45);
    id[55] = '\0';
    ck_assert_ptr_null(cg_pool_id_problem(id));
    id[55] = 'a';
    id[56] = '\0';
    ck_assert_ptr_nonnull(cg_pool_id_problem(id));
}
END_TEST

START_TEST(derived_urls)
{
    ck_assert_str_eq(cg_pool_region(ut_pool, "us-gov-west-1_x1"),
                     "us-gov-west-1");
    ck_assert_str_eq(cg_pool_issuer(ut_pool, UT_POOL_ID), UT_ISSUER);
    ck_assert_str_eq(cg_pool_issuer(ut_pool, "ap-southeast-2_Q"),
                     "https://cognito-idp.ap-southeast-2.amazonaws.com/"
                     "ap-southeast-2_Q");
    ck_assert_str_eq(cg_issuer_jwks_uri(ut_pool, UT_ISSUER), UT_JWKS_URL);
    ck_assert_str_eq(cg_issuer_discovery_uri(ut_pool, UT_ISSUER),
                     UT_ISSUER "/.well-known/openid-configuration");
}
END_TEST

START_TEST(trailing_slashes)
{
    ck_assert_str_eq(cg_issuer_jwks_uri(ut_pool, UT_ISSUER "/"), UT_JWKS_URL);
    ck_assert_str_eq(cg_issuer_jwks_uri(ut_pool, UT_ISSUER "///"),
                     UT_JWKS_URL);
    ck_assert_str_eq(cg_issuer_discovery_uri(ut_pool, UT_ISSUER "/"),
                     UT_ISSUER "/.well-known/openid-configuration");
    ck_assert_str_eq(cg_issuer_jwks_uri(ut_pool, "http://localhost:9229/"
                                        "us-east-1_Local"),
                     "http://localhost:9229/us-east-1_Local/.well-known/"
                     "jwks.json");
    ck_assert_str_eq(cg_issuer_jwks_uri(ut_pool, "http://localhost:9229/"),
                     "http://localhost:9229/.well-known/jwks.json");
}
END_TEST

START_TEST(url_problems)
{
    static const char *const ok[] = {
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz",
        "http://localhost:9229/pool/.well-known/jwks.json",
        "HTTPS://EXAMPLE.COM", "https://x", "http://[::1]:8080/", NULL
    };
    static const char *const bad[] = {
        "ftp://example.com/jwks", "file:///etc/passwd", "//example.com/x",
        "example.com/jwks", "https://", "http://", "https:///path",
        "https://?q=1", "https://#frag", "https://exa mple.com/",
        "https://example.com/\tx", "https://example.com/\r\nX: y",
        "https://example.com/\x7f", "", " https://example.com",
        "javascript:alert(1)", NULL
    };
    const char *const *u;

    for (u = ok; *u; u++) {
        const char *why = cg_url_problem(*u);
        ck_assert_msg(why == NULL, "%s refused: %s", *u, why);
    }
    for (u = bad; *u; u++) {
        ck_assert_msg(cg_url_problem(*u) != NULL, "\"%s\" accepted", *u);
    }
}
END_TEST

Suite *ut_pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = ut_tcase("pool");

    tcase_add_test(tc, valid_pool_ids);
    tcase_add_test(tc, invalid_pool_ids);
    tcase_add_test(tc, pool_id_length);
    tcase_add_test(tc, derived_urls);
    tcase_add_test(tc, trailing_slashes);
    tcase_add_test(tc, url_problems);
    suite_add_tcase(s, tc);
    return s;
}
