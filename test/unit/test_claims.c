/* test_claims.c: who is the caller, groups, scopes, client, claim match. */
#include "unit.h"

START_TEST(username_by_token_kind)
{
    json_t *id = ut_id_claims(ut_pool, UT_NOW);
    json_t *acc = ut_access_claims(ut_pool, UT_NOW);
    json_t *m2m = ut_m2m_claims(ut_pool, UT_NOW);

    /* Make the three candidate claims differ so the choice shows. */
    json_object_set_new(id, "username", json_string("from-username"));
    json_object_set_new(acc, "cognito:username", json_string("from-cognito"));
    json_object_set_new(acc, "username", json_string("bob"));

    ck_assert_str_eq(cg_claims_username(id, NULL), "alice");
    ck_assert_str_eq(cg_claims_username(acc, NULL), "bob");
    ck_assert_str_eq(cg_claims_username(m2m, NULL), UT_M2M);
    /* An empty override means no override. */
    ck_assert_str_eq(cg_claims_username(id, ""), "alice");
}
END_TEST

START_TEST(username_missing)
{
    json_t *id = ut_id_claims(ut_pool, UT_NOW);

    /* An id token without cognito:username has no user name; it does
     * not fall back to another claim. */
    json_object_del(id, "cognito:username");
    ck_assert_ptr_null(cg_claims_username(id, NULL));
    /* Non-string usernames are no usernames. */
    json_object_set_new(id, "cognito:username", json_integer(7));
    ck_assert_ptr_null(cg_claims_username(id, NULL));
}
END_TEST

START_TEST(username_override)
{
    json_t *id = ut_id_claims(ut_pool, UT_NOW);
    json_t *m2m = ut_m2m_claims(ut_pool, UT_NOW);

    ck_assert_str_eq(cg_claims_username(id, "email"), "alice@example.com");
    ck_assert_str_eq(cg_claims_username(id, "sub"), UT_SUB);
    ck_assert_str_eq(cg_claims_username(id, "custom:tenant"), "acme");
    /* A missing or non-string override claim: no user, no fallback. */
    ck_assert_ptr_null(cg_claims_username(m2m, "email"));
    ck_assert_ptr_null(cg_claims_username(id, "email_verified"));
    ck_assert_ptr_null(cg_claims_username(id, "cognito:groups"));
}
END_TEST

START_TEST(string_claims)
{
    json_t *id = ut_id_claims(ut_pool, UT_NOW);

    ck_assert_str_eq(cg_claims_string(id, "email"), "alice@example.com");
    ck_assert_ptr_null(cg_claims_string(id, "exp"));
    ck_assert_ptr_null(cg_claims_string(id, "email_verified"));
    ck_assert_ptr_null(cg_claims_string(id, "nope"));
}
END_TEST

START_TEST(groups)
{
    json_t *acc = ut_access_claims(ut_pool, UT_NOW);
    json_t *m2m = ut_m2m_claims(ut_pool, UT_NOW);

    ck_assert(cg_claims_in_group(acc, "admins"));
    ck_assert(cg_claims_in_group(acc, "dev"));
    ck_assert(!cg_claims_in_group(acc, "Admins"));
    ck_assert(!cg_claims_in_group(acc, "admin"));
    ck_assert(!cg_claims_in_group(acc, "admins "));
    ck_assert(!cg_claims_in_group(acc, ""));
    ck_assert(!cg_claims_in_group(m2m, "admins"));
    /* A string claim is not a list of one. */
    json_object_set_new(acc, "cognito:groups", json_string("admins"));
    ck_assert(!cg_claims_in_group(acc, "admins"));
}
END_TEST

START_TEST(scopes)
{
    json_t *m2m = ut_m2m_claims(ut_pool, UT_NOW);
    json_t *id = ut_id_claims(ut_pool, UT_NOW);

    ck_assert(cg_claims_has_scope(m2m, "veda/read"));
    ck_assert(cg_claims_has_scope(m2m, "veda/write"));
    /* Whole words only: no prefixes, suffixes or substrings. */
    ck_assert(!cg_claims_has_scope(m2m, "veda"));
    ck_assert(!cg_claims_has_scope(m2m, "veda/"));
    ck_assert(!cg_claims_has_scope(m2m, "veda/rea"));
    ck_assert(!cg_claims_has_scope(m2m, "eda/read"));
    ck_assert(!cg_claims_has_scope(m2m, "read"));
    ck_assert(!cg_claims_has_scope(m2m, "veda/read veda/write"));
    ck_assert(!cg_claims_has_scope(m2m, "VEDA/READ"));
    ck_assert(!cg_claims_has_scope(m2m, ""));
    ck_assert(!cg_claims_has_scope(m2m, " "));
    /* Extra spaces around and between scopes. */
    json_object_set_new(m2m, "scope",
                        json_string("  openid   https://api.example.com/read "));
    ck_assert(cg_claims_has_scope(m2m, "openid"));
    ck_assert(cg_claims_has_scope(m2m, "https://api.example.com/read"));
    ck_assert(!cg_claims_has_scope(m2m, "https://api.example.com/readwrite"));
    ck_assert(!cg_claims_has_scope(m2m, "https://api.example.com"));
    /* No scope claim, or a scope claim that is not a string. */
    ck_assert(!cg_claims_has_scope(id, "openid"));
    json_object_set_new(m2m, "scope", json_pack("[s]", "openid"));
    ck_assert(!cg_claims_has_scope(m2m, "openid"));
}
END_TEST

START_TEST(client)
{
    json_t *acc = ut_access_claims(ut_pool, UT_NOW);
    json_t *id = ut_id_claims(ut_pool, UT_NOW);
    json_t *m2m = ut_m2m_claims(ut_pool, UT_NOW);

    ck_assert_str_eq(cg_claims_client(acc), UT_CLIENT);
    ck_assert_str_eq(cg_claims_client(id), UT_CLIENT);
    ck_assert_str_eq(cg_claims_client(m2m), UT_M2M);
    json_object_set_new(id, "aud", json_pack("[s,s]", UT_CLIENT2, UT_CLIENT));
    ck_assert_str_eq(cg_claims_client(id), UT_CLIENT2);
    json_object_del(id, "aud");
    ck_assert_ptr_null(cg_claims_client(id));
    json_object_set_new(id, "aud", json_array());
    ck_assert_ptr_null(cg_claims_client(id));
}
END_TEST

START_TEST(match_strings_numbers_booleans)
{
    json_t *c = ut_json(ut_pool,
        "{\"custom:tenant\":\"acme\",\"custom:level\":42,\"neg\":-7,"
        "\"ratio\":1.5,\"email_verified\":true,\"mfa\":false,\"gone\":null,"
        "\"empty\":\"\"}");

    ck_assert(cg_claims_match(c, "custom:tenant", "acme"));
    ck_assert(!cg_claims_match(c, "custom:tenant", "Acme"));
    ck_assert(!cg_claims_match(c, "custom:tenant", "acm"));
    ck_assert(!cg_claims_match(c, "custom:tenant", "acme "));
    ck_assert(cg_claims_match(c, "custom:level", "42"));
    ck_assert(!cg_claims_match(c, "custom:level", "42.0"));
    ck_assert(!cg_claims_match(c, "custom:level", "042"));
    ck_assert(!cg_claims_match(c, "custom:level", "4"));
    ck_assert(cg_claims_match(c, "neg", "-7"));
    ck_assert(cg_claims_match(c, "ratio", "1.5"));
    ck_assert(!cg_claims_match(c, "ratio", "1"));
    ck_assert(cg_claims_match(c, "email_verified", "true"));
    ck_assert(!cg_claims_match(c, "email_verified", "false"));
    ck_assert(!cg_claims_match(c, "email_verified", "1"));
    ck_assert(!cg_claims_match(c, "email_verified", "True"));
    ck_assert(cg_claims_match(c, "mfa", "false"));
    ck_assert(cg_claims_match(c, "gone", "null"));
    ck_assert(!cg_claims_match(c, "gone", ""));
    ck_assert(cg_claims_match(c, "empty", ""));
    ck_assert(!cg_claims_match(c, "missing", ""));
    ck_assert(!cg_claims_match(c, "missing", "null"));
}
END_TEST

START_TEST(match_arrays)
{
    json_t *c = ut_json(ut_pool,
        "{\"cognito:groups\":[\"admins\",\"dev\"],\"levels\":[1,2,3],"
        "\"nested\":[[\"deep\"]],\"none\":[]}");

    ck_assert(cg_claims_match(c, "cognito:groups", "admins"));
    ck_assert(cg_claims_match(c, "cognito:groups", "dev"));
    ck_assert(!cg_claims_match(c, "cognito:groups", "ops"));
    ck_assert(!cg_claims_match(c, "cognito:groups", "admins,dev"));
    ck_assert(!cg_claims_match(c, "cognito:groups", "[\"admins\",\"dev\"]"));
    ck_assert(cg_claims_match(c, "levels", "2"));
    ck_assert(!cg_claims_match(c, "levels", "4"));
    ck_assert(cg_claims_match(c, "nested", "deep"));
    ck_assert(!cg_claims_match(c, "none", ""));
}
END_TEST

START_TEST(match_dotted_paths)
{
    json_t *c = ut_json(ut_pool,
        "{\"identities\":[{\"providerName\":\"Google\",\"userId\":\"123\","
        "\"primary\":true},{\"providerName\":\"SAML\",\"userId\":456}],"
        "\"address\":{\"country\":\"DE\",\"geo\":{\"zone\":\"eu\"}},"
        "\"a.b\":\"exact\",\"a\":{\"b\":\"nested\"}}");

    ck_assert(cg_claims_match(c, "identities.providerName", "Google"));
    ck_assert(cg_claims_match(c, "identities.providerName", "SAML"));
    ck_assert(!cg_claims_match(c, "identities.providerName", "Facebook"));
    ck_assert(cg_claims_match(c, "identities.userId", "123"));
    ck_assert(cg_claims_match(c, "identities.userId", "456"));
    ck_assert(cg_claims_match(c, "identities.primary", "true"));
    ck_assert(!cg_claims_match(c, "identities.missing", "Google"));
    ck_assert(!cg_claims_match(c, "identities", "Google"));
    ck_assert(cg_claims_match(c, "address.country", "DE"));
    ck_assert(cg_claims_match(c, "address.geo.zone", "eu"));
    ck_assert(!cg_claims_match(c, "address.geo", "eu"));
    ck_assert(!cg_claims_match(c, "address.country.x", "DE"));
    ck_assert(!cg_claims_match(c, "address.", "DE"));
    ck_assert(!cg_claims_match(c, ".address", "DE"));
    /* A claim whose name has a dot wins over the path. */
    ck_assert(cg_claims_match(c, "a.b", "exact"));
    ck_assert(!cg_claims_match(c, "a.b", "nested"));
}
END_TEST

START_TEST(scalar_text)
{
    json_t *c = ut_json(ut_pool,
        "{\"s\":\"x y\",\"i\":1700000000,\"n\":-3,\"r\":2.5,\"t\":true,"
        "\"f\":false,\"z\":null,\"o\":{\"k\":[1]}}");

    ck_assert_str_eq(cg_json_scalar_text(ut_pool, json_object_get(c, "s")),
                     "x y");
    ck_assert_str_eq(cg_json_scalar_text(ut_pool, json_object_get(c, "i")),
                     "1700000000");
    ck_assert_str_eq(cg_json_scalar_text(ut_pool, json_object_get(c, "n")),
                     "-3");
    ck_assert_str_eq(cg_json_scalar_text(ut_pool, json_object_get(c, "r")),
                     "2.5");
    ck_assert_str_eq(cg_json_scalar_text(ut_pool, json_object_get(c, "t")),
                     "true");
    ck_assert_str_eq(cg_json_scalar_text(ut_pool, json_object_get(c, "f")),
                     "false");
    ck_assert_str_eq(cg_json_scalar_text(ut_pool, json_object_get(c, "z")),
                     "");
    ck_assert_str_eq(cg_json_scalar_text(ut_pool, json_object_get(c, "o")),
                     "{\"k\":[1]}");
    ck_assert_str_eq(cg_json_scalar_text(ut_pool, NULL), "");
}
END_TEST

/* Seconds from JSON numbers, whatever their size (a double beyond an
 * integer's range used to be cast, which is undefined behaviour: found by
 * fuzz_identity under UBSan). */
START_TEST(json_seconds)
{
    json_t *v;

    v = ut_own(ut_pool, json_integer(1700000000));
    ck_assert_int_eq(cg_json_seconds(v), 1700000000);
    v = ut_own(ut_pool, json_real(1700000000.9));
    ck_assert_int_eq(cg_json_seconds(v), 1700000000);
    v = ut_own(ut_pool, json_real(1e300));
    ck_assert_int_eq(cg_json_seconds(v), CG_MAX_SECONDS);
    v = ut_own(ut_pool, json_real(-1e300));
    ck_assert_int_eq(cg_json_seconds(v), 0);
    v = ut_own(ut_pool, json_string("1700000000"));
    ck_assert_int_eq(cg_json_seconds(v), 0);
    ck_assert_int_eq(cg_json_seconds(NULL), 0);
}
END_TEST

Suite *ut_claims_suite(void)
{
    Suite *s = suite_create("claims");
    TCase *tc = ut_tcase("claims");

    tcase_add_test(tc, username_by_token_kind);
    tcase_add_test(tc, username_missing);
    tcase_add_test(tc, username_override);
    tcase_add_test(tc, string_claims);
    tcase_add_test(tc, groups);
    tcase_add_test(tc, scopes);
    tcase_add_test(tc, client);
    tcase_add_test(tc, match_strings_numbers_booleans);
    tcase_add_test(tc, match_arrays);
    tcase_add_test(tc, match_dotted_paths);
    tcase_add_test(tc, scalar_text);
    tcase_add_test(tc, json_seconds);
    suite_add_tcase(s, tc);
    return s;
}
