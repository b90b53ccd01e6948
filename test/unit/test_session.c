/* test_session.c: the session and login state formats (what sits sealed
 * in the browser's cookie or in the shared cache). */
#include "cg_session.h"
#include "unit.h"

static cg_err_code_e parse_session(const char *json, cg_session_t *s)
{
    cg_error_t err;
    return cg_session_parse(ut_pool, json, strlen(json), s, &err);
}

static cg_err_code_e parse_state(const char *json, cg_login_state_t *s)
{
    cg_error_t err;
    return cg_login_state_parse(ut_pool, json, strlen(json), s, &err);
}

START_TEST(session_round_trip)
{
    cg_session_t s = { "sid-1", UT_NOW, UT_NOW + 5, UT_NOW + 3600,
                       "i.d.t", "a.c.c", NULL }, t;
    const char *json = cg_session_serialize(ut_pool, &s);

    ut_assert_code(parse_session(json, &t), CG_OK, NULL);
    ck_assert_str_eq(t.id, "sid-1");
    ck_assert_int_eq(t.created, UT_NOW);
    ck_assert_int_eq(t.last_seen, UT_NOW + 5);
    ck_assert_int_eq(t.token_exp, UT_NOW + 3600);
    ck_assert_str_eq(t.id_token, "i.d.t");
    ck_assert_str_eq(t.access_token, "a.c.c");
    ck_assert_ptr_null(t.refresh_token);
    ck_assert_int_eq(cg_session_check(&t, UT_NOW + 10, 28800, 3600, 60),
                     CG_SESSION_VALID);
    ck_assert_int_eq(cg_session_check(&t, UT_NOW + 28800, 28800, 0, 60),
                     CG_SESSION_TOO_OLD);
}
END_TEST

/* Times no clock of ours wrote (INT64_MAX, negative) made
 * cg_session_check() overflow (created + max_age) and the login
 * callback's now - created too: undefined behaviour, seen while reviewing
 * what fuzz_session reaches and shown by UBSan on its regression inputs
 * (test/fuzz/corpus/fuzz_session/regress-*).  They are malformed now. */
START_TEST(times_out_of_range_are_malformed)
{
    static const char *const bad_sessions[] = {
        "{\"v\":1,\"sid\":\"s\",\"c\":9223372036854775807,\"l\":0,\"e\":0,"
        "\"it\":\"\",\"at\":\"\"}",
        "{\"v\":1,\"sid\":\"s\",\"c\":0,\"l\":-1,\"e\":0,"
        "\"it\":\"\",\"at\":\"\"}",
        "{\"v\":1,\"sid\":\"s\",\"c\":0,\"l\":0,\"e\":253402300800,"
        "\"it\":\"\",\"at\":\"\"}",
    };
    cg_session_t s;
    cg_login_state_t ls;
    size_t i;

    for (i = 0; i < sizeof(bad_sessions) / sizeof(*bad_sessions); i++) {
        ut_assert_code(parse_session(bad_sessions[i], &s), CG_ERR_MALFORMED,
                       NULL);
    }
    ut_assert_code(parse_session("{\"v\":1,\"sid\":\"s\",\"c\":0,\"l\":0,"
                                 "\"e\":253402300799,\"it\":\"\",\"at\":\"\"}",
                                 &s), CG_OK, NULL);
    ut_assert_code(parse_state("{\"s\":\"s\",\"n\":\"n\",\"v\":\"v\","
                               "\"t\":\"/\",\"c\":-9223372036854775808}", &ls),
                   CG_ERR_MALFORMED, NULL);
    ut_assert_code(parse_state("{\"s\":\"s\",\"n\":\"n\",\"v\":\"v\","
                               "\"t\":\"/\",\"c\":1700000000}", &ls),
                   CG_OK, NULL);
    ck_assert_int_eq(ls.created, 1700000000);
}
END_TEST

Suite *ut_session_suite(void)
{
    Suite *s = suite_create("session");
    TCase *tc = ut_tcase("format");

    tcase_add_test(tc, session_round_trip);
    tcase_add_test(tc, times_out_of_range_are_malformed);
    suite_add_tcase(s, tc);
    return s;
}
