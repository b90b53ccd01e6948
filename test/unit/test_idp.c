/* test_idp.c: the InitiateAuth request body (AuthBasicProvider cognito)
 * and the UTF-8 rule in front of it; identity pool answers. */
#include "cg_identity.h"
#include "cg_idp.h"
#include "unit.h"

START_TEST(utf8_rules)
{
    static const char *const good[] = {
        "", "alice", "j\xc3\xbcrgen", "\xe2\x82\xac", "\xf0\x9f\x94\x91",
        "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "p\xc3\xa4ss \"w\\rd\"\n"
    };
    static const char *const bad[] = {
        "j\xfcrgen",            /* ISO-8859-1 */
        "\xc3\xa9\xe5",         /* a lead byte at the end */
        "\x80", "\xbf",         /* continuation bytes alone */
        "\xc0\xaf", "\xc1\xbf", /* overlong two-byte forms */
        "\xe0\x80\xaf",         /* overlong three-byte form */
        "\xf0\x8f\xbf\xbf",     /* overlong four-byte form */
        "\xed\xa0\x80",         /* a UTF-16 surrogate */
        "\xf4\x90\x80\x80",     /* past U+10FFFF */
        "\xf5\x80\x80\x80", "\xff", "\xe2\x82"
    };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
        ck_assert_msg(cg_utf8_valid(good[i]), "good %zu refused", i);
    }
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        ck_assert_msg(!cg_utf8_valid(bad[i]), "bad %zu accepted", i);
    }
}
END_TEST

START_TEST(body_carries_what_was_given)
{
    const char *user = "j\xc3\xbcrgen", *pw = "p\xc3\xa4ss \"w\\rd\"\n";
    char *body = cg_initiate_auth_body(ut_pool, "client1", user, pw, "h=");
    json_t *doc, *ap;

    ck_assert_ptr_nonnull(body);
    doc = ut_json(ut_pool, body);
    ap = json_object_get(doc, "AuthParameters");
    ck_assert_str_eq(json_string_value(json_object_get(ap, "USERNAME")), user);
    ck_assert_str_eq(json_string_value(json_object_get(ap, "PASSWORD")), pw);
    ck_assert_str_eq(json_string_value(json_object_get(ap, "SECRET_HASH")),
                     "h=");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "ClientId")),
                     "client1");
}
END_TEST

/* A user name or password JSON cannot carry used to be dropped from the
 * body, and Cognito's InvalidParameterException became a 503 (found by
 * fuzz_idp).  Now there is no body at all, and the caller refuses the
 * login. */
START_TEST(body_refused_for_non_utf8)
{
    ck_assert_ptr_null(cg_initiate_auth_body(ut_pool, "client1",
                                             "j\xfcrgen", "pw", NULL));
    ck_assert_ptr_null(cg_initiate_auth_body(ut_pool, "client1", "alice",
                                             "p\xe4ss", NULL));
    ck_assert_ptr_nonnull(cg_initiate_auth_body(ut_pool, "client1", "alice",
                                                "pass", NULL));
}
END_TEST

static cg_err_code_e credentials(const char *expiration,
                                 cg_aws_credentials_t *c)
{
    const char *type = NULL;
    cg_error_t err;
    const char *body = apr_psprintf(
        ut_pool, "{\"IdentityId\":\"us-east-1:x\",\"Credentials\":{"
        "\"AccessKeyId\":\"ASIA1\",\"SecretKey\":\"s\","
        "\"SessionToken\":\"t\",\"Expiration\":%s}}", expiration);

    return cg_identity_parse_credentials(ut_pool, 200, body, strlen(body), c,
                                         &type, &err);
}

/* An Expiration no clock reaches (year 5693850, 1e300) used to be cast
 * to an integer, undefined behaviour, and then printed as a date of more
 * than four digits in the credential_process output (found by
 * fuzz_identity).  Now such an answer is malformed. */
START_TEST(credentials_expiration_range)
{
    cg_aws_credentials_t c;

    ut_assert_code(credentials("1700003600", &c), CG_OK, NULL);
    ck_assert_int_eq(c.expiration, 1700003600);
    ut_assert_code(credentials("1.7000036e9", &c), CG_OK, NULL);
    ck_assert_int_eq(c.expiration, 1700003600);
    ut_assert_code(credentials("1796184e8", &c), CG_ERR_UPSTREAM, NULL);
    ut_assert_code(credentials("1e300", &c), CG_ERR_UPSTREAM, NULL);
    ut_assert_code(credentials("-5", &c), CG_ERR_UPSTREAM, NULL);
    ut_assert_code(credentials("\"1700003600\"", &c), CG_ERR_UPSTREAM,
                   NULL);
}
END_TEST

START_TEST(iso8601_range)
{
    ck_assert_str_eq(cg_iso8601(ut_pool, 1700003600), "2023-11-14T23:13:20Z");
    ck_assert_str_eq(cg_iso8601(ut_pool, 0), "1970-01-01T00:00:00Z");
    ck_assert_str_eq(cg_iso8601(ut_pool, -1), "1970-01-01T00:00:00Z");
    ck_assert_str_eq(cg_iso8601(ut_pool, APR_INT64_MAX),
                     "9999-12-31T23:59:59Z");
}
END_TEST

Suite *ut_idp_suite(void)
{
    Suite *s = suite_create("idp");
    TCase *tc = ut_tcase("initiate_auth");

    tcase_add_test(tc, utf8_rules);
    tcase_add_test(tc, body_carries_what_was_given);
    tcase_add_test(tc, body_refused_for_non_utf8);
    suite_add_tcase(s, tc);
    tc = ut_tcase("identity");
    tcase_add_test(tc, credentials_expiration_range);
    tcase_add_test(tc, iso8601_range);
    suite_add_tcase(s, tc);
    return s;
}
