/* test_seal.c: AES-256-GCM sealing of cookies: round trip, tampering,
 * wrong keys, passphrase rotation, context binding, and a vector made with
 * an independent implementation (Python's cryptography). */
#include "unit.h"

#include "cg_seal.h"

#define PASS_A "correct horse battery staple"
#define PASS_B "a second passphrase, rotated in"
#define CTX "session-cookie:cognito_session"

static cg_sealer_t *sealer(const char *first, const char *second)
{
    cg_sealer_t *s = cg_sealer_make(ut_pool);
    if (first) {
        cg_sealer_add_passphrase(s, first);
    }
    if (second) {
        cg_sealer_add_passphrase(s, second);
    }
    return s;
}

static const char *opened(const cg_sealer_t *s, const char *ctx,
                          const char *sealed)
{
    apr_size_t len = 0;
    unsigned char *out = cg_unseal(ut_pool, s, ctx, sealed, &len);
    if (out) {
        ck_assert_uint_eq(len, strlen((char *)out));
    }
    return (const char *)out;
}

static char *seal_str(const cg_sealer_t *s, const char *ctx, const char *p)
{
    char *out = cg_seal(ut_pool, s, ctx, (const unsigned char *)p,
                        strlen(p));
    ck_assert_ptr_nonnull(out);
    return out;
}

START_TEST(round_trip)
{
    cg_sealer_t *s = sealer(PASS_A, NULL);
    const char *plain = "{\"sid\":\"abc\",\"it\":\"x.y.z\"}";
    char *sealed = seal_str(s, CTX, plain);
    apr_size_t raw_len;
    unsigned char *raw;

    ck_assert_str_eq(opened(s, CTX, sealed), plain);
    /* base64url without padding: safe in a cookie as it is */
    ck_assert(strspn(sealed, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                             "qrstuvwxyz0123456789-_") == strlen(sealed));
    raw = cg_b64url_decode(ut_pool, sealed, strlen(sealed), &raw_len);
    ck_assert_ptr_nonnull(raw);
    ck_assert_uint_eq(raw_len, 1 + 12 + strlen(plain) + 16);
    ck_assert_uint_eq(raw[0], 0x01);
}
END_TEST

START_TEST(empty_and_binary_plaintext)
{
    cg_sealer_t *s = sealer(PASS_A, NULL);
    static const unsigned char bin[] = { 0, 1, 2, 0xff, 0, 'x' };
    apr_size_t len = 99;
    char *sealed = cg_seal(ut_pool, s, CTX, (const unsigned char *)"", 0);
    unsigned char *out;

    ck_assert_ptr_nonnull(sealed);
    out = cg_unseal(ut_pool, s, CTX, sealed, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(out[0], 0);

    sealed = cg_seal(ut_pool, s, CTX, bin, sizeof(bin));
    out = cg_unseal(ut_pool, s, CTX, sealed, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(len, sizeof(bin));
    ck_assert(memcmp(out, bin, sizeof(bin)) == 0);
    ck_assert_uint_eq(out[len], 0);     /* NUL-terminated for callers */
}
END_TEST

START_TEST(fresh_nonce_every_time)
{
    cg_sealer_t *s = sealer(PASS_A, NULL);
    char *one = seal_str(s, CTX, "same");
    char *two = seal_str(s, CTX, "same");

    ck_assert_str_ne(one, two);
    /* The 12-byte nonces (characters 1..16 of the encoding) differ. */
    ck_assert(strncmp(one, two, 18) != 0);
}
END_TEST

/* Every single-bit change anywhere (version, nonce, ciphertext, tag)
 * makes the value unopenable. */
START_TEST(tampering_is_detected)
{
    cg_sealer_t *s = sealer(PASS_A, NULL);
    char *sealed = seal_str(s, CTX, "user=alice;admin=no");
    apr_size_t raw_len, i;
    unsigned char *raw = cg_b64url_decode(ut_pool, sealed, strlen(sealed),
                                          &raw_len);
    int bit;

    for (i = 0; i < raw_len; i++) {
        for (bit = 0; bit < 8; bit += 3) {
            char *forged;
            raw[i] ^= (unsigned char)(1u << bit);
            forged = cg_b64url_encode(ut_pool, raw, raw_len);
            ck_assert_msg(opened(s, CTX, forged) == NULL,
                          "byte %d bit %d flipped and still opened", (int)i,
                          bit);
            raw[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* Unchanged, it still opens. */
    ck_assert_str_eq(opened(s, CTX, cg_b64url_encode(ut_pool, raw, raw_len)),
                     "user=alice;admin=no");
}
END_TEST

START_TEST(malformed_values)
{
    cg_sealer_t *s = sealer(PASS_A, NULL);
    char *sealed = seal_str(s, CTX, "hello");
    size_t n = strlen(sealed);
    static const char *const junk[] = {
        "", "A", "AQ", "not base64!", "====", "AQABAgMEBQYHCAkKCw",
        "eyJhbGciOiJub25lIn0", NULL
    };
    const char *const *j;
    char *big;

    for (j = junk; *j; j++) {
        ck_assert_msg(opened(s, CTX, *j) == NULL, "\"%s\" opened", *j);
    }
    /* Truncated by one character, or extended by some. */
    ck_assert_ptr_null(opened(s, CTX, apr_pstrndup(ut_pool, sealed, n - 1)));
    ck_assert_ptr_null(opened(s, CTX, apr_pstrndup(ut_pool, sealed, n - 4)));
    ck_assert_ptr_null(opened(s, CTX, apr_pstrcat(ut_pool, sealed, "AAAA",
                                                  NULL)));
    /* A huge value is refused without decoding (cookie bombs). */
    big = apr_palloc(ut_pool, 200001);
    memset(big, 'A', 200000);
    big[200000] = '\0';
    ck_assert_ptr_null(opened(s, CTX, big));
}
END_TEST

START_TEST(wrong_key)
{
    cg_sealer_t *a = sealer(PASS_A, NULL), *b = sealer(PASS_B, NULL);
    char *sealed = seal_str(a, CTX, "secret");

    ck_assert_ptr_null(opened(b, CTX, sealed));
    /* Passphrases that differ only in case or by a trailing character. */
    ck_assert_ptr_null(opened(sealer("Correct horse battery staple", NULL),
                              CTX, sealed));
    ck_assert_ptr_null(opened(sealer(PASS_A " ", NULL), CTX, sealed));
    ck_assert_str_eq(opened(sealer(PASS_A, NULL), CTX, sealed), "secret");
}
END_TEST

/* The first passphrase seals, all of them open. */
START_TEST(rotation)
{
    cg_sealer_t *old = sealer(PASS_A, NULL);
    cg_sealer_t *both = sealer(PASS_B, PASS_A);
    cg_sealer_t *new_only = sealer(PASS_B, NULL);
    char *by_old = seal_str(old, CTX, "sealed before the rotation");
    char *by_both = seal_str(both, CTX, "sealed after the rotation");

    ck_assert_str_eq(opened(both, CTX, by_old), "sealed before the rotation");
    ck_assert_str_eq(opened(both, CTX, by_both), "sealed after the rotation");
    /* Sealed with the first (new) one, not the second (old) one. */
    ck_assert_str_eq(opened(new_only, CTX, by_both),
                     "sealed after the rotation");
    ck_assert_ptr_null(opened(old, CTX, by_both));
    /* Once the old passphrase is removed, its values no longer open. */
    ck_assert_ptr_null(opened(new_only, CTX, by_old));
}
END_TEST

START_TEST(context_binding)
{
    cg_sealer_t *s = sealer(PASS_A, NULL);
    char *state = seal_str(s, "state:cognito_session_st_abc", "login");

    ck_assert_str_eq(opened(s, "state:cognito_session_st_abc", state),
                     "login");
    /* A state cookie cannot be replayed as a session, nor under another
     * cookie's name, nor as a cached session. */
    ck_assert_ptr_null(opened(s, CTX, state));
    ck_assert_ptr_null(opened(s, "state:cognito_session_st_abd", state));
    ck_assert_ptr_null(opened(s, "session-cache:cognito_session", state));
    ck_assert_ptr_null(opened(s, "", state));
    ck_assert_ptr_null(opened(s, "state:cognito_session_st_ab", state));
}
END_TEST

START_TEST(no_key_no_seal)
{
    cg_sealer_t *empty = sealer(NULL, NULL);
    char *sealed = seal_str(sealer(PASS_A, NULL), CTX, "x");
    unsigned char *big = apr_pcalloc(ut_pool, 64 * 1024 + 1);

    ck_assert_ptr_null(cg_seal(ut_pool, empty, CTX,
                               (const unsigned char *)"x", 1));
    ck_assert_ptr_null(cg_seal(ut_pool, NULL, CTX,
                               (const unsigned char *)"x", 1));
    ck_assert_ptr_null(opened(empty, CTX, sealed));
    ck_assert_ptr_null(cg_unseal(ut_pool, NULL, CTX, sealed, NULL));
    /* Over the size limit. */
    ck_assert_ptr_null(cg_seal(ut_pool, sealer(PASS_A, NULL), CTX, big,
                               64 * 1024 + 1));
    ck_assert_ptr_nonnull(cg_seal(ut_pool, sealer(PASS_A, NULL), CTX, big,
                                  64 * 1024));
}
END_TEST

/* Made with Python's cryptography (HKDF-SHA256, AESGCM), nonce 00..0b. */
START_TEST(independent_vector)
{
    static const unsigned char want_key[32] = {
        0xf4, 0x53, 0xaf, 0xf5, 0xae, 0x0c, 0xcb, 0xe7, 0x1f, 0x7d, 0xf9,
        0xdd, 0x9c, 0xc3, 0xff, 0xc5, 0xd4, 0x00, 0xd9, 0x1e, 0x38, 0x90,
        0x6f, 0x55, 0x69, 0x0a, 0x47, 0xe8, 0x4e, 0x51, 0x8b, 0xb8
    };
    cg_seal_key_t k;
    cg_sealer_t *s = sealer(PASS_A, NULL);

    cg_seal_derive_key(PASS_A, &k);
    ck_assert(memcmp(k.key, want_key, sizeof(want_key)) == 0);
    ck_assert_str_eq(opened(s, CTX, "AQABAgMEBQYHCAkKC9GEPd4b1O_y-CQ7zfXo6Y9"
                                    "7A073YpcwATeDkm_PQBC2cA"),
                     "{\"hello\":\"world\"}");
}
END_TEST

START_TEST(random_tokens)
{
    char *a = cg_random_token(ut_pool, 32), *b = cg_random_token(ut_pool, 32);

    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(strlen(a), 43);
    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(strlen(cg_random_token(ut_pool, 16)), 22);
    ck_assert_ptr_nonnull(cg_random_token(ut_pool, 64));
    ck_assert_ptr_null(cg_random_token(ut_pool, 65));
}
END_TEST

START_TEST(secure_equal)
{
    ck_assert(cg_secure_equal("abc", "abc"));
    ck_assert(cg_secure_equal("", ""));
    ck_assert(!cg_secure_equal("abc", "abd"));
    ck_assert(!cg_secure_equal("abc", "ab"));
    ck_assert(!cg_secure_equal("ab", "abc"));
    ck_assert(!cg_secure_equal("", "a"));
}
END_TEST

Suite *ut_seal_suite(void)
{
    Suite *s = suite_create("seal");
    TCase *tc = ut_tcase("seal");

    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, empty_and_binary_plaintext);
    tcase_add_test(tc, fresh_nonce_every_time);
    tcase_add_test(tc, tampering_is_detected);
    tcase_add_test(tc, malformed_values);
    tcase_add_test(tc, wrong_key);
    tcase_add_test(tc, rotation);
    tcase_add_test(tc, context_binding);
    tcase_add_test(tc, no_key_no_seal);
    tcase_add_test(tc, independent_vector);
    tcase_add_test(tc, random_tokens);
    tcase_add_test(tc, secure_equal);
    suite_add_tcase(s, tc);
    return s;
}
