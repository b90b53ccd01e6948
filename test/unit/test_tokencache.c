/* test_tokencache.c: the verified-token cache and the memos kept with it. */
#include <stdlib.h>

#include "unit.h"
#include "cg_tokencache.h"

static cg_err_code_e run_in(apr_pool_t *p, cg_token_cache_t *c,
                            const char *tok, const cg_jwt_policy_t *pol,
                            ut_keysrc_t *ks, apr_int64_t now, cg_jwt_t **jwt,
                            int *hit)
{
    cg_error_t err;
    return cg_jwt_validate_cached(c, p, UT_JWKS_URL, tok, strlen(tok),
                                  pol, &ks->src, now, jwt, hit, &err);
}

static cg_err_code_e run(cg_token_cache_t *c, const char *tok,
                         const cg_jwt_policy_t *pol, ut_keysrc_t *ks,
                         apr_int64_t now, cg_jwt_t **jwt, int *hit)
{
    return run_in(ut_pool, c, tok, pol, ks, now, jwt, hit);
}

START_TEST(second_use_is_a_hit_that_skips_the_signature)
{
    cg_token_cache_t *c = cg_token_cache_create(ut_pool, 8);
    char *tok = ut_token(ut_pool, UT_KEY_A, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = ut_policy(ut_pool, CG_TOKEN_USE_ACCESS);
    ut_keysrc_t *good = ut_keysrc(ut_pool, UT_MASK(UT_KEY_A));
    ut_keysrc_t *wrong;
    cg_token_cache_stats_t st;
    cg_jwt_t *jwt;
    int hit;
    json_t *keys, *k;
    char *doc;

    ut_assert_code(run(c, tok, pol, good, UT_NOW, &jwt, &hit), CG_OK, NULL);
    ck_assert_int_eq(hit, 0);
    ck_assert_ptr_null(jwt->cached);

    /* A key source where the kid names key B: a full validation would
     * fail the signature, a hit does not verify again. */
    keys = json_array();
    k = ut_jwk(UT_KEY_B);
    json_object_set_new(k, "kid", json_string(ut_keys[UT_KEY_A].kid));
    json_array_append_new(keys, k);
    doc = ut_jwks_from(ut_pool, keys);
    wrong = apr_pcalloc(ut_pool, sizeof(*wrong));
    *wrong = *good;
    wrong->src.baton = wrong;
    wrong->lookups = 0;
    ut_assert_code(cg_keyset_parse(ut_pool, doc, strlen(doc), NULL,
                                   &wrong->ks, NULL), CG_OK, NULL);
    ut_assert_code(run(c, tok, pol, wrong, UT_NOW + 1, &jwt, &hit), CG_OK,
                   NULL);
    ck_assert_int_eq(hit, 1);
    ck_assert_ptr_nonnull(jwt->cached);
    ck_assert_str_eq(json_string_value(json_object_get(jwt->claims, "sub")),
                     UT_SUB);
    /* The kid is still looked up on a hit (a withdrawn key stops it). */
    ck_assert_int_ge(wrong->lookups, 1);

    /* Without the cache the same token and keys fail. */
    ut_assert_code(run(NULL, tok, pol, wrong, UT_NOW + 1, &jwt, &hit),
                   CG_ERR_SIGNATURE, NULL);
    cg_token_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.hits, 1);
    ck_assert_uint_eq(st.misses, 1);
    ck_assert_uint_eq(st.entries, 1);
}
END_TEST

/* A hit's claims belong to the request: rebuilt from the kept payload,
 * equal to what was verified, and independent of the request that
 * verified the token (its pool may be long gone), so no claim object is
 * ever shared between threads or outlives its request. */
START_TEST(hit_claims_are_the_requests_own)
{
    cg_token_cache_t *c = cg_token_cache_create(ut_pool, 8);
    json_t *claims = ut_id_claims(ut_pool, UT_NOW);
    char *tok = ut_token(ut_pool, UT_KEY_A, claims);
    cg_jwt_policy_t *pol = ut_policy(ut_pool, CG_TOKEN_USE_ID);
    ut_keysrc_t *good = ut_keysrc(ut_pool, UT_MASK(UT_KEY_A));
    apr_pool_t *first, *later, *other;
    cg_jwt_t *jwt, *again, *third;
    json_t *verified;
    int hit;

    apr_pool_create(&first, ut_pool);
    ut_assert_code(run_in(first, c, tok, pol, good, UT_NOW, &jwt, &hit),
                   CG_OK, NULL);
    ck_assert_int_eq(hit, 0);
    verified = json_deep_copy(jwt->claims);
    apr_pool_destroy(first);

    apr_pool_create(&later, ut_pool);
    ut_assert_code(run_in(later, c, tok, pol, good, UT_NOW + 1, &again,
                          &hit), CG_OK, NULL);
    ck_assert_int_eq(hit, 1);
    ck_assert(json_equal(again->claims, verified));
    ck_assert(json_equal(again->claims, claims));
    /* Two hits at once: each has its own, held only by its request. */
    apr_pool_create(&other, ut_pool);
    ut_assert_code(run_in(other, c, tok, pol, good, UT_NOW + 2, &third,
                          &hit), CG_OK, NULL);
    ck_assert_int_eq(hit, 1);
    ck_assert_ptr_ne(third->claims, again->claims);
    ck_assert_int_eq((int)again->claims->refcount, 1);
    apr_pool_destroy(other);
    ck_assert_str_eq(again->kid, ut_keys[UT_KEY_A].kid);
    ck_assert_int_eq(again->token_use, CG_TOKEN_USE_ID);
    apr_pool_destroy(later);
    json_decref(verified);
}
END_TEST

START_TEST(hits_still_check_time_and_policy)
{
    cg_token_cache_t *c = cg_token_cache_create(ut_pool, 8);
    json_t *claims = ut_access_claims(ut_pool, UT_NOW);
    char *tok = ut_token(ut_pool, UT_KEY_A, claims);
    apr_int64_t exp = (apr_int64_t)json_integer_value(
        json_object_get(claims, "exp"));
    cg_jwt_policy_t *pol = ut_policy(ut_pool, CG_TOKEN_USE_ACCESS);
    cg_jwt_policy_t *id_only = ut_policy(ut_pool, CG_TOKEN_USE_ID);
    cg_jwt_policy_t *other_client = ut_policy(ut_pool, CG_TOKEN_USE_ACCESS);
    cg_jwt_policy_t *other_iss = ut_policy(ut_pool, CG_TOKEN_USE_ACCESS);
    ut_keysrc_t *ks = ut_keysrc(ut_pool, UT_MASK(UT_KEY_A));
    cg_token_cache_stats_t st;
    cg_jwt_t *jwt;
    int hit;

    ut_assert_code(run(c, tok, pol, ks, UT_NOW, &jwt, &hit), CG_OK, NULL);
    ut_assert_code(run(c, tok, id_only, ks, UT_NOW, &jwt, &hit),
                   CG_ERR_TOKEN_USE, NULL);
    ck_assert_int_eq(hit, 1);
    APR_ARRAY_IDX(other_client->client_ids, 0, const char *) = UT_CLIENT2;
    ut_assert_code(run(c, tok, other_client, ks, UT_NOW, &jwt, &hit),
                   CG_ERR_CLIENT, NULL);
    other_iss->issuer = "https://cognito-idp.us-east-1.amazonaws.com/x_Y";
    ut_assert_code(run(c, tok, other_iss, ks, UT_NOW, &jwt, &hit),
                   CG_ERR_ISSUER, NULL);
    /* Past exp plus the skew: refused, and the entry is gone. */
    ut_assert_code(run(c, tok, pol, ks, exp + 31, &jwt, &hit),
                   CG_ERR_EXPIRED, NULL);
    cg_token_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.entries, 0);
}
END_TEST

START_TEST(withdrawn_key_ends_the_entry)
{
    cg_token_cache_t *c = cg_token_cache_create(ut_pool, 8);
    char *tok = ut_token(ut_pool, UT_KEY_A, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = ut_policy(ut_pool, CG_TOKEN_USE_ACCESS);
    ut_keysrc_t *a = ut_keysrc(ut_pool, UT_MASK(UT_KEY_A));
    ut_keysrc_t *b = ut_keysrc(ut_pool, UT_MASK(UT_KEY_B));
    cg_token_cache_stats_t st;
    cg_jwt_t *jwt;
    int hit;

    ut_assert_code(run(c, tok, pol, a, UT_NOW, &jwt, &hit), CG_OK, NULL);
    ut_assert_code(run(c, tok, pol, b, UT_NOW, &jwt, &hit),
                   CG_ERR_KID_UNKNOWN, NULL);
    cg_token_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.entries, 0);
}
END_TEST

START_TEST(size_is_bounded)
{
    cg_token_cache_t *c = cg_token_cache_create(ut_pool, 4);
    cg_jwt_policy_t *pol = ut_policy(ut_pool, CG_TOKEN_USE_ACCESS);
    ut_keysrc_t *ks = ut_keysrc(ut_pool, UT_MASK(UT_KEY_A));
    cg_token_cache_stats_t st;
    char *toks[6];
    cg_jwt_t *jwt;
    int hit, i;

    for (i = 0; i < 6; i++) {
        json_t *cl = ut_access_claims(ut_pool, UT_NOW);
        json_object_set_new(cl, "jti", json_string(apr_itoa(ut_pool, i)));
        toks[i] = ut_token(ut_pool, UT_KEY_A, cl);
        ut_assert_code(run(c, toks[i], pol, ks, UT_NOW, &jwt, &hit), CG_OK,
                       NULL);
    }
    cg_token_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.entries, 4);
    ck_assert_uint_eq(st.evictions, 2);
    /* The oldest went first. */
    run(c, toks[0], pol, ks, UT_NOW, &jwt, &hit);
    ck_assert_int_eq(hit, 0);
    run(c, toks[5], pol, ks, UT_NOW, &jwt, &hit);
    ck_assert_int_eq(hit, 1);
}
END_TEST

static int freed;
static void count_free(void *data)
{
    freed++;
    free(data);
}

START_TEST(memos_are_kept_with_the_entry)
{
    apr_pool_t *p, *rp;
    cg_token_cache_t *c;
    char *tok = ut_token(ut_pool, UT_KEY_A, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = ut_policy(ut_pool, CG_TOKEN_USE_ACCESS);
    ut_keysrc_t *ks = ut_keysrc(ut_pool, UT_MASK(UT_KEY_A));
    cg_jwt_t *miss, *hit1, *hit2;
    const void *kept;
    char *one = strdup("one"), *two = strdup("two");
    int hit;

    apr_pool_create(&p, ut_pool);
    c = cg_token_cache_create(p, 8);
    /* Requests come and go inside the cache's lifetime, as in httpd. */
    apr_pool_create(&rp, p);
    freed = 0;
    ut_assert_code(run_in(rp, c, tok, pol, ks, UT_NOW, &miss, &hit), CG_OK, NULL);
    /* Not a hit: nothing to keep it with, so it is freed at once. */
    ck_assert_ptr_null(cg_token_cache_keep(c, miss, "t", strdup("x"),
                                           count_free));
    ck_assert_int_eq(freed, 1);
    ck_assert_ptr_null(cg_token_cache_memo(c, miss, "t"));

    ut_assert_code(run_in(rp, c, tok, pol, ks, UT_NOW, &hit1, &hit), CG_OK, NULL);
    ck_assert_ptr_null(cg_token_cache_memo(c, hit1, "t"));
    kept = cg_token_cache_keep(c, hit1, "t", one, count_free);
    ck_assert_ptr_eq(kept, one);
    ut_assert_code(run_in(rp, c, tok, pol, ks, UT_NOW, &hit2, &hit), CG_OK, NULL);
    ck_assert_ptr_eq(cg_token_cache_memo(c, hit2, "t"), one);
    ck_assert_ptr_null(cg_token_cache_memo(c, hit2, "other"));

    /* A second keep of the same tag keeps the first and frees the new. */
    kept = cg_token_cache_keep(c, hit2, "t", strdup("late"), count_free);
    ck_assert_ptr_eq(kept, one);
    ck_assert_int_eq(freed, 2);
    /* A second tag fits; a third does not (slots are never reused while
     * the entry lives, since a request may be reading them). */
    ck_assert_ptr_eq(cg_token_cache_keep(c, hit2, "u", two, count_free), two);
    ck_assert_ptr_null(cg_token_cache_keep(c, hit2, "v", strdup("v"),
                                           count_free));
    ck_assert_int_eq(freed, 3);
    ck_assert_ptr_eq(cg_token_cache_memo(c, hit2, "u"), two);

    /* The memos go with the cache. */
    apr_pool_destroy(p);
    ck_assert_int_eq(freed, 5);
}
END_TEST

START_TEST(frozen_mirror_equals_the_original)
{
    json_t *claims = ut_id_claims(ut_pool, UT_NOW);
    cg_mirror_conf_t mc = { "COGNITO_", ";", 1 };
    apr_array_header_t *vars = cg_mirror_vars(ut_pool, claims, &mc);
    cg_var_list_t *f = cg_mirror_freeze(vars);
    int i;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->count, vars->nelts);
    ck_assert_int_gt(f->count, 10);
    for (i = 0; i < vars->nelts; i++) {
        const cg_var_t *v = &APR_ARRAY_IDX(vars, i, cg_var_t);
        ck_assert_str_eq(f->vars[i].name, v->name);
        ck_assert_str_eq(f->vars[i].value, v->value);
        ck_assert_ptr_ne(f->vars[i].value, v->value);
    }
    free(f);
}
END_TEST

START_TEST(mirror_tags_follow_the_settings)
{
    cg_mirror_conf_t a = { "COGNITO_", ",", 1 }, b = { "AUTH_", ",", 1 };
    cg_mirror_conf_t c = { "COGNITO_", ";", 1 }, d = { "COGNITO_", ",", 0 };

    ck_assert_str_eq(cg_mirror_tag(ut_pool, &a), cg_mirror_tag(ut_pool, NULL));
    ck_assert_str_ne(cg_mirror_tag(ut_pool, &a), cg_mirror_tag(ut_pool, &b));
    ck_assert_str_ne(cg_mirror_tag(ut_pool, &a), cg_mirror_tag(ut_pool, &c));
    ck_assert_str_ne(cg_mirror_tag(ut_pool, &a), cg_mirror_tag(ut_pool, &d));
}
END_TEST

Suite *ut_tokencache_suite(void)
{
    Suite *s = suite_create("tokencache");
    TCase *tc = ut_tcase("cache");

    tcase_add_test(tc, second_use_is_a_hit_that_skips_the_signature);
    tcase_add_test(tc, hit_claims_are_the_requests_own);
    tcase_add_test(tc, hits_still_check_time_and_policy);
    tcase_add_test(tc, withdrawn_key_ends_the_entry);
    tcase_add_test(tc, size_is_bounded);
    suite_add_tcase(s, tc);

    tc = ut_tcase("memos");
    tcase_add_test(tc, memos_are_kept_with_the_entry);
    tcase_add_test(tc, frozen_mirror_equals_the_original);
    tcase_add_test(tc, mirror_tags_follow_the_settings);
    suite_add_tcase(s, tc);
    return s;
}
