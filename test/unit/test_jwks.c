/* test_jwks.c: which keys of a JWKS document are kept, and when the
 * document as a whole is refused. */
#include "unit.h"

static ut_log_t *lg;
static cg_error_t err;

static void jwks_setup(void)
{
    lg = ut_log(ut_pool);
    memset(&err, 0, sizeof(err));
}

static cg_err_code_e parse(const char *doc, cg_keyset_t **ks)
{
    memset(&err, 0, sizeof(err));
    return cg_keyset_parse(ut_pool, doc, strlen(doc), &lg->log, ks, &err);
}

/* Key A (usable, the control) next to a variant of key B. */
static cg_keyset_t *with_variant(json_t *variant)
{
    json_t *keys = json_array();
    cg_keyset_t *ks = NULL;

    json_array_append_new(keys, ut_jwk(UT_KEY_A));
    json_array_append_new(keys, variant);
    ut_assert_code(parse(ut_jwks_from(ut_pool, keys), &ks), CG_OK, &err);
    ck_assert_ptr_nonnull(cg_keyset_find(ks, ut_keys[UT_KEY_A].kid));
    return ks;
}

static json_t *b_with(const char *name, json_t *v)
{
    json_t *k = ut_jwk(UT_KEY_B);
    if (v) {
        json_object_set_new(k, name, v);
    }
    else {
        json_object_del(k, name);
    }
    return k;
}

START_TEST(usable_keys_kept)
{
    cg_keyset_t *ks = NULL;
    const char *doc = ut_jwks(ut_pool, UT_MASK(UT_KEY_A) | UT_MASK(UT_KEY_B));
    const cg_key_t *a, *b;

    ut_assert_code(parse(doc, &ks), CG_OK, &err);
    ck_assert_int_eq(ks->count, 2);
    ck_assert_ptr_eq(ks->pool, ut_pool);
    ck_assert_uint_eq(ks->json_len, strlen(doc));
    ck_assert_str_eq(ks->json, doc);
    a = cg_keyset_find(ks, ut_keys[UT_KEY_A].kid);
    b = cg_keyset_find(ks, ut_keys[UT_KEY_B].kid);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(a->kid, ut_keys[UT_KEY_A].kid);
    ck_assert_ptr_nonnull(a->jwk);
    ck_assert_ptr_null(cg_keyset_find(ks, ut_keys[UT_KEY_C].kid));
    ck_assert_ptr_null(cg_keyset_find(ks, "kid-A"));
    ck_assert_ptr_null(cg_keyset_find(ks, NULL));
    ck_assert_ptr_null(cg_keyset_find(NULL, ut_keys[UT_KEY_A].kid));
    ck_assert_int_eq(ut_log_count(lg, -1, "skipped"), 0);
}
END_TEST

START_TEST(optional_use_and_alg)
{
    cg_keyset_t *ks;

    /* "use" and "alg" may be absent. */
    ks = with_variant(b_with("use", NULL));
    ck_assert_ptr_nonnull(cg_keyset_find(ks, ut_keys[UT_KEY_B].kid));
    ks = with_variant(b_with("alg", NULL));
    ck_assert_ptr_nonnull(cg_keyset_find(ks, ut_keys[UT_KEY_B].kid));
    ck_assert_int_eq(ks->count, 2);
    ck_assert_int_eq(ut_log_count(lg, -1, "skipped"), 0);
}
END_TEST

START_TEST(unusable_keys_skipped)
{
    struct { const char *why; json_t *key; } cases[] = {
        { "kty EC", b_with("kty", json_string("EC")) },
        { "kty oct", json_pack("{s:s,s:s,s:s}", "kty", "oct", "kid",
                               ut_keys[UT_KEY_B].kid, "k", "c2VjcmV0") },
        { "kty missing", b_with("kty", NULL) },
        { "use enc", b_with("use", json_string("enc")) },
        { "alg RS512", b_with("alg", json_string("RS512")) },
        { "alg HS256", b_with("alg", json_string("HS256")) },
        { "kid missing", b_with("kid", NULL) },
        { "kid empty", b_with("kid", json_string("")) },
        { "kid number", b_with("kid", json_integer(1)) },
        { "n number", b_with("n", json_integer(65537)) },
        { "n missing", b_with("n", NULL) },
        { "e missing", b_with("e", NULL) },
        { "e empty", b_with("e", json_string("")) },
        { "n not base64url", b_with("n", json_string("not*base64")) },
        /* Padding after an odd character: cjose's decoder aborts the
         * process on these (an assert), so they must never reach it
         * (found by fuzz_jwks). */
        { "n padded odd", b_with("n", json_string("AAAAA=")) },
        { "e padded odd", b_with("e", json_string("A==")) },
        { "e padded", b_with("e", json_string("AQAB=")) },
        { "e trailing bits", b_with("e", json_string("AR")) },
        { "not an object", json_string("RSA") },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int before = ut_log_count(lg, CG_LOG_DEBUG, "skipped");
        cg_keyset_t *ks = with_variant(cases[i].key);

        ck_assert_msg(ks->count == 1, "%s: %d keys kept", cases[i].why,
                      ks->count);
        ck_assert_msg(cg_keyset_find(ks, ut_keys[UT_KEY_B].kid) == NULL,
                      "%s: key kept", cases[i].why);
        /* Skipping is said once, at debug level. */
        ck_assert_msg(ut_log_count(lg, CG_LOG_DEBUG, "skipped") == before + 1,
                      "%s: not logged", cases[i].why);
    }
}
END_TEST

START_TEST(duplicate_kid_keeps_the_first)
{
    json_t *keys = json_array(), *dup = ut_jwk(UT_KEY_B);
    cg_keyset_t *ks = NULL;
    cg_jwt_t *j;
    const char *kid = ut_keys[UT_KEY_A].kid;
    const char *tok_a = ut_token(ut_pool, UT_KEY_A,
                                 ut_access_claims(ut_pool, UT_NOW));
    const char *tok_b = ut_token_kid(ut_pool, UT_KEY_B, kid,
                                     ut_access_claims(ut_pool, UT_NOW));

    /* B's key material published under A's kid, after A. */
    json_object_set_new(dup, "kid", json_string(kid));
    json_array_append_new(keys, ut_jwk(UT_KEY_A));
    json_array_append_new(keys, dup);
    ut_assert_code(parse(ut_jwks_from(ut_pool, keys), &ks), CG_OK, &err);
    ck_assert_int_eq(ks->count, 1);
    ck_assert_int_eq(ut_log_count(lg, CG_LOG_DEBUG, "duplicate"), 1);
    /* The kept key is A's: it verifies A's token and not B's. */
    ut_assert_code(cg_jwt_parse(ut_pool, tok_a, strlen(tok_a), 0, &j, &err),
                   CG_OK, &err);
    ut_assert_code(cg_jwt_verify_signature(j, cg_keyset_find(ks, kid), ut_pool,
                                           &err), CG_OK, &err);
    ut_assert_code(cg_jwt_parse(ut_pool, tok_b, strlen(tok_b), 0, &j, &err),
                   CG_OK, &err);
    ut_assert_code(cg_jwt_verify_signature(j, cg_keyset_find(ks, kid), ut_pool,
                                           &err), CG_ERR_SIGNATURE, &err);
}
END_TEST

START_TEST(no_usable_keys_is_an_error)
{
    json_t *keys = json_array();
    cg_keyset_t *ks = (cg_keyset_t *)&err;

    json_array_append_new(keys, b_with("kty", json_string("EC")));
    json_array_append_new(keys, b_with("use", json_string("enc")));
    ck_assert_int_ne(parse(ut_jwks_from(ut_pool, keys), &ks), CG_OK);
    ck_assert_ptr_null(ks);
    ck_assert(cg_error_is_server_side(err.code));
    ck_assert_ptr_nonnull(err.detail);

    ks = (cg_keyset_t *)&err;
    ck_assert_int_ne(parse("{\"keys\":[]}", &ks), CG_OK);
    ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(document_shape)
{
    static const char *const bad[] = {
        "", "not json", "<html><body>Service Unavailable</body></html>",
        "{\"keys\":[", "[]", "{}", "{\"keys\":{}}", "{\"keys\":null}",
        "{\"Keys\":[]}", "\"keys\"", "null", NULL
    };
    const char *const *d;
    cg_keyset_t *ks;
    const char *good = ut_jwks(ut_pool, UT_MASK(UT_KEY_A));

    for (d = bad; *d; d++) {
        ks = (cg_keyset_t *)&err;
        ck_assert_msg(parse(*d, &ks) != CG_OK, "accepted %s", *d);
        ck_assert_ptr_null(ks);
        ck_assert_msg(cg_error_is_server_side(err.code), "%s: %s", *d,
                      ut_code_name(err.code));
    }
    /* A truncated good document. */
    ck_assert_int_ne(cg_keyset_parse(ut_pool, good, strlen(good) - 1, NULL, &ks,
                                     &err), CG_OK);
    ut_assert_code(cg_keyset_parse(ut_pool, good, strlen(good), NULL, &ks, &err),
                   CG_OK, &err);
    /* Other top-level members are fine. */
    ut_assert_code(parse(apr_pstrcat(ut_pool, "{\"x\":1,", good + 1, NULL), &ks),
                   CG_OK, &err);
}
END_TEST

START_TEST(size_cap)
{
    const char *good = ut_jwks(ut_pool, UT_MASK(UT_KEY_A));
    apr_size_t glen = strlen(good);
    char *big = apr_palloc(ut_pool, CG_JWKS_MAX_SIZE + 2);
    cg_keyset_t *ks;

    /* The good document padded with trailing whitespace to the cap. */
    memcpy(big, good, glen);
    memset(big + glen, ' ', CG_JWKS_MAX_SIZE + 1 - glen);
    big[CG_JWKS_MAX_SIZE + 1] = '\0';
    ut_assert_code(cg_keyset_parse(ut_pool, big, CG_JWKS_MAX_SIZE, NULL, &ks,
                                   &err), CG_OK, &err);
    ks = (cg_keyset_t *)&err;
    ck_assert_int_ne(cg_keyset_parse(ut_pool, big, CG_JWKS_MAX_SIZE + 1, NULL,
                                     &ks, &err), CG_OK);
    ck_assert_ptr_null(ks);
    ck_assert(cg_error_is_server_side(err.code));
}
END_TEST

START_TEST(keys_outlive_the_document)
{
    /* The parsed keys belong to the pool, not to the input buffer. */
    char *doc = apr_pstrdup(ut_pool, ut_jwks(ut_pool, UT_MASK(UT_KEY_A)));
    cg_keyset_t *ks;
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    char kid[64];
    cg_jwt_t *j;

    ut_assert_code(parse(doc, &ks), CG_OK, &err);
    memset(doc, 'x', strlen(doc));
    ck_assert_int_eq(ks->json[0], '{');
    apr_cpystrn(kid, ut_keys[UT_KEY_A].kid, sizeof(kid));
    ck_assert_ptr_nonnull(cg_keyset_find(ks, kid));
    ut_assert_code(cg_jwt_parse(ut_pool, tok, strlen(tok), 0, &j, &err), CG_OK,
                   &err);
    ut_assert_code(cg_jwt_verify_signature(j, cg_keyset_find(ks, kid), ut_pool,
                                           &err), CG_OK, &err);
}
END_TEST

Suite *ut_jwks_suite(void)
{
    Suite *s = suite_create("jwks");
    TCase *tc = ut_tcase("keyset");

    tcase_add_checked_fixture(tc, jwks_setup, NULL);
    tcase_add_test(tc, usable_keys_kept);
    tcase_add_test(tc, optional_use_and_alg);
    tcase_add_test(tc, unusable_keys_skipped);
    tcase_add_test(tc, duplicate_kid_keeps_the_first);
    tcase_add_test(tc, no_usable_keys_is_an_error);
    tcase_add_test(tc, document_shape);
    tcase_add_test(tc, size_cap);
    tcase_add_test(tc, keys_outlive_the_document);
    suite_add_tcase(s, tc);
    return s;
}
