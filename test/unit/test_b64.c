/* test_b64.c: strict base64url (JOSE) and standard base64. */
#include "unit.h"

static const char *dec(const char *in, apr_size_t *len)
{
    return (const char *)cg_b64url_decode(ut_pool, in, strlen(in), len);
}

/* RFC 4648 section 10 vectors, in both alphabets. */
static const struct { const char *plain, *url, *std; } vectors[] = {
    { "", "", "" },
    { "f", "Zg", "Zg==" },
    { "fo", "Zm8", "Zm8=" },
    { "foo", "Zm9v", "Zm9v" },
    { "foob", "Zm9vYg", "Zm9vYg==" },
    { "fooba", "Zm9vYmE", "Zm9vYmE=" },
    { "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

START_TEST(rfc4648_vectors)
{
    size_t i;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const char *plain = vectors[i].plain;
        apr_size_t n = 99;
        const char *d;

        ck_assert_str_eq(cg_b64url_encode(ut_pool, (const unsigned char *)plain,
                                          strlen(plain)), vectors[i].url);
        ck_assert_str_eq(cg_b64_encode(ut_pool, (const unsigned char *)plain,
                                       strlen(plain)), vectors[i].std);
        d = dec(vectors[i].url, &n);
        ck_assert_ptr_nonnull(d);
        ck_assert_uint_eq(n, strlen(plain));
        ck_assert_str_eq(d, plain);     /* also: NUL-terminated */
    }
}
END_TEST

START_TEST(url_alphabet_differs_from_standard)
{
    static const unsigned char bytes[] = { 0xfb, 0xff, 0xbf };
    apr_size_t n = 0;
    const unsigned char *d;

    ck_assert_str_eq(cg_b64url_encode(ut_pool, bytes, 3), "-_-_");
    ck_assert_str_eq(cg_b64_encode(ut_pool, bytes, 3), "+/+/");
    ck_assert_str_eq(cg_b64url_encode(ut_pool, bytes, 2), "-_8");
    ck_assert_str_eq(cg_b64_encode(ut_pool, bytes, 2), "+/8=");
    d = cg_b64url_decode(ut_pool, "-_-_", 4, &n);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(d, bytes, 3);
    /* The standard alphabet's + and / are not base64url. */
    ck_assert_ptr_null(dec("+/+/", NULL));
    ck_assert_ptr_null(dec("ab+d", NULL));
    ck_assert_ptr_null(dec("ab/d", NULL));
}
END_TEST

START_TEST(rejects_padding)
{
    ck_assert_ptr_null(dec("Zg==", NULL));
    ck_assert_ptr_null(dec("Zm8=", NULL));
    ck_assert_ptr_null(dec("Zg=", NULL));
    ck_assert_ptr_null(dec("Zm9v====", NULL));
    ck_assert_ptr_null(dec("=", NULL));
    /* The same data unpadded is fine. */
    ck_assert_ptr_nonnull(dec("Zg", NULL));
    ck_assert_ptr_nonnull(dec("Zm8", NULL));
}
END_TEST

START_TEST(rejects_whitespace_and_strangers)
{
    ck_assert_ptr_null(dec("Zm 9v", NULL));
    ck_assert_ptr_null(dec("Zm9v\n", NULL));
    ck_assert_ptr_null(dec("\tZm9v", NULL));
    ck_assert_ptr_null(dec("Zm9v\r\n", NULL));
    ck_assert_ptr_null(dec("Zm9.", NULL));
    ck_assert_ptr_null(dec("Zm9*", NULL));
    ck_assert_ptr_null(dec("Zm9\xc3\xa9", NULL));
    /* An embedded NUL counts as a character outside the alphabet. */
    ck_assert_ptr_null(cg_b64url_decode(ut_pool, "Zm\0v", 4, NULL));
    ck_assert_ptr_nonnull(cg_b64url_decode(ut_pool, "Zm9v", 4, NULL));
}
END_TEST

START_TEST(rejects_impossible_length)
{
    ck_assert_ptr_null(dec("Z", NULL));
    ck_assert_ptr_null(dec("Zm9vY", NULL));
    ck_assert_ptr_null(dec("Zm9vYmFyZ", NULL));
    /* len % 4 == 2 and 3 are fine with zero trailing bits. */
    ck_assert_ptr_nonnull(dec("Zm9vYg", NULL));
    ck_assert_ptr_nonnull(dec("Zm9vYmE", NULL));
}
END_TEST

START_TEST(rejects_nonzero_trailing_bits)
{
    /* "Zg" is "f"; "Zh".."Zv" carry the same byte plus set pad bits. */
    ck_assert_ptr_nonnull(dec("Zg", NULL));
    ck_assert_ptr_null(dec("Zh", NULL));
    ck_assert_ptr_null(dec("Zv", NULL));
    /* "Zm8" is "fo"; "Zm9" has its two trailing bits set. */
    ck_assert_ptr_nonnull(dec("Zm8", NULL));
    ck_assert_ptr_null(dec("Zm9", NULL));
    ck_assert_ptr_null(dec("Zm_", NULL));
}
END_TEST

START_TEST(empty_input)
{
    apr_size_t n = 42;
    const char *d = dec("", &n);

    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq(d, "");
    ck_assert_str_eq(cg_b64url_encode(ut_pool, (const unsigned char *)"", 0),
                     "");
}
END_TEST

START_TEST(round_trips_every_length_and_byte)
{
    unsigned char buf[300];
    apr_size_t len, i, n;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (unsigned char)((i * 167 + 13) & 0xff);
    }
    for (len = 0; len <= sizeof(buf); len++) {
        const char *enc = cg_b64url_encode(ut_pool, buf, len);
        const unsigned char *d;

        ck_assert_uint_eq(strlen(enc), (len * 4 + 2) / 3);
        ck_assert_ptr_null(strchr(enc, '='));
        ck_assert_ptr_null(strchr(enc, '+'));
        ck_assert_ptr_null(strchr(enc, '/'));
        n = 12345;
        d = cg_b64url_decode(ut_pool, enc, strlen(enc), &n);
        ck_assert_msg(d != NULL, "length %u did not decode", (unsigned)len);
        ck_assert_uint_eq(n, len);
        ck_assert_int_eq(memcmp(d, buf, len), 0);
        ck_assert_int_eq(d[len], 0);
        /* Standard base64 always pads to a multiple of 4. */
        ck_assert_uint_eq(strlen(cg_b64_encode(ut_pool, buf, len)) % 4, 0);
    }
}
END_TEST

START_TEST(standard_base64_for_basic_auth)
{
    /* RFC 7617 example. */
    ck_assert_str_eq(cg_b64_encode(ut_pool, (const unsigned char *)
                                   "Aladdin:open sesame", 19),
                     "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    ck_assert_str_eq(cg_b64_encode(ut_pool, (const unsigned char *)
                                   "\xff\xfe", 2), "//4=");
}
END_TEST

Suite *ut_b64_suite(void)
{
    Suite *s = suite_create("b64");
    TCase *tc = ut_tcase("base64url");

    tcase_add_test(tc, rfc4648_vectors);
    tcase_add_test(tc, url_alphabet_differs_from_standard);
    tcase_add_test(tc, rejects_padding);
    tcase_add_test(tc, rejects_whitespace_and_strangers);
    tcase_add_test(tc, rejects_impossible_length);
    tcase_add_test(tc, rejects_nonzero_trailing_bits);
    tcase_add_test(tc, empty_input);
    tcase_add_test(tc, round_trips_every_length_and_byte);
    tcase_add_test(tc, standard_base64_for_basic_auth);
    suite_add_tcase(s, tc);
    return s;
}
