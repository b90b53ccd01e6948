/* test_json.c: cg_json_read_object reads what jansson reads. */
#include <stdlib.h>
#include <string.h>

#include "cg_json.h"
#include "unit.h"

/* Ours and jansson's verdict on text[0..len) agree, and so do the values
 * (member order included). */
static void same_as_jansson(const char *text, size_t len)
{
    const char *why = NULL;
    json_t *ours = cg_json_read_object(text, len, &why);
    json_t *theirs = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    char *a, *b;

    if (theirs && !json_is_object(theirs)) {
        json_decref(theirs);
        theirs = NULL;
    }
    ck_assert_msg(!ours == !theirs, "%.80s: cg_json %s, jansson %s (%s)",
                  text, ours ? "accepts" : "refuses",
                  theirs ? "accepts" : "refuses", ours ? "" : why);
    if (ours) {
        a = json_dumps(ours, JSON_COMPACT);
        b = json_dumps(theirs, JSON_COMPACT);
        ck_assert_msg(json_equal(ours, theirs) && !strcmp(a, b),
                      "%.80s: read as %s, jansson %s", text, a, b);
        free(a);
        free(b);
    }
    else {
        ck_assert_ptr_nonnull(why);
    }
    json_decref(ours);
    json_decref(theirs);
}

static void same(const char *text)
{
    same_as_jansson(text, strlen(text));
}

START_TEST(token_shaped_objects)
{
    same("{\"sub\":\"78d4a15e-0e01\",\"cognito:groups\":[\"admin\",\"staff\"],"
         "\"iss\":\"https://cognito-idp.us-east-1.amazonaws.com/p\","
         "\"version\":2,\"exp\":1796305790,\"email_verified\":true,"
         "\"custom:none\":null,\"scope\":\"openid email\"}");
    same("{\"kid\":\"abc+/=\",\"alg\":\"RS256\"}");
    same(" \t\r\n{ \"a\" : [ 1 , { } , [ ] ] } \n");
    same("{}");
    /* member order is the text's */
    same("{\"z\":1,\"a\":2,\"m\":{\"y\":1,\"b\":2}}");
}
END_TEST

START_TEST(strings_and_escapes)
{
    same("{\"s\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"}");
    same("{\"s\":\"\\u00e9\\u4E2D\\ud83d\\ude00 \xc3\xa9\xe4\xb8\xad"
         "\xf0\x9f\x98\x80\"}");
    same("{\"\\u0041\\n\":\"key with escapes\"}");
    same("{\"s\":\"\\u0000\"}");            /* NUL: refused */
    same("{\"s\":\"\\ud800\"}");            /* lone high surrogate */
    same("{\"s\":\"\\ud800\\u0041\"}");
    same("{\"s\":\"\\udc00\"}");            /* lone low surrogate */
    same("{\"s\":\"\\u12\"}");
    same("{\"s\":\"\\u12G4\"}");
    same("{\"s\":\"\\x41\"}");
    same("{\"s\":\"tab\there\"}");          /* raw control character */
    same("{\"s\":\"\x1f\"}");
    same("{\"s\":\"\\n\x1f\"}");              /* after an escape too */
    same("{\"s\":\"\x7f\"}");               /* DEL is not a control */
    same("{\"s\":\"unterminated}");
    same("{\"s\":\"ends in a backslash\\");
}
END_TEST

START_TEST(utf8_rules)
{
    static const char *const bad[] = {
        "\xc0\x80", "\xc1\xbf",             /* overlong two-byte */
        "\xe0\x80\x80", "\xf0\x80\x80\x80", /* overlong three, four */
        "\xed\xa0\x80", "\xed\xbf\xbf",     /* surrogates */
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",
        "\x80", "\xc3", "\xe4\xb8", "\xc3\x28",
    };
    size_t i;
    char text[64];

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "{\"s\":\"a%sb\"}", bad[i]);
        same(text);
        snprintf(text, sizeof(text), "{\"k%s\":1}", bad[i]);
        same(text);
    }
    same("{\"s\":\"\xf4\x8f\xbf\xbf \xef\xbf\xbf \xc2\x80\"}");
}
END_TEST

START_TEST(numbers)
{
    static const char *const nums[] = {
        "0", "-0", "7", "-7", "1796305790",
        "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890",
        "0.5", "-0.0", "1e3", "1E+3", "1e-3", "2.5e10", "1e400", "-1e400",
        "1e-400", "0.1e1", "5e-324",
        "01", "-", "-a", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.5.2",
        "Infinity", "NaN",
    };
    size_t i;
    char text[96];

    for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        snprintf(text, sizeof(text), "{\"n\":%s}", nums[i]);
        same(text);
        snprintf(text, sizeof(text), "{\"n\":[%s]}", nums[i]);
        same(text);
    }
}
END_TEST

START_TEST(structure)
{
    static const char *const texts[] = {
        "", " ", "[]", "[{}]", "\"s\"", "1", "null", "{", "}", "{\"a\"}",
        "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}", "{\"a\"::1}",
        "{a:1}", "{'a':1}", "{\"a\":1}}", "{\"a\":1} {}", "{\"a\":[1,]}",
        "{\"a\":[,1]}", "{\"a\":[1 2]}", "{\"a\":tru}", "{\"a\":truex}",
        "{\"a\":nul}", "{\"a\":False}", "{\"a\":1}\x0b", "\xef\xbb\xbf{}",
        "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":1}}",
        "{\"a\":1,\"\\u0061\":2}", "{\"a\":[1,1]}", "/* */{}",
    };
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        same(texts[i]);
    }
}
END_TEST

/* jansson stops at JSON_PARSER_MAX_DEPTH nested values, scalars counted. */
START_TEST(depth_limit)
{
    int depth;

    for (depth = JSON_PARSER_MAX_DEPTH - 2; depth <= JSON_PARSER_MAX_DEPTH + 1;
         depth++) {
        char *text = malloc((size_t)depth * 8 + 32), *o = text;
        int i;

        o += sprintf(o, "{\"a\":");
        for (i = 1; i < depth - 1; i++) {
            *o++ = '[';
        }
        o += sprintf(o, "1");
        for (i = 1; i < depth - 1; i++) {
            *o++ = ']';
        }
        o += sprintf(o, "}");
        same_as_jansson(text, (size_t)(o - text));
        /* the same depth ending in an empty array */
        o = text + 5;
        for (i = 1; i < depth; i++) {
            *o++ = '[';
        }
        for (i = 1; i < depth; i++) {
            *o++ = ']';
        }
        *o++ = '}';
        same_as_jansson(text, (size_t)(o - text));
        free(text);
    }
}
END_TEST

START_TEST(nul_bytes_are_refused)
{
    const char *why = NULL;

    /* jansson takes the first as {"a":1}; a NUL is never JSON. */
    ck_assert_ptr_null(cg_json_read_object("{\"a\":1\0}", 8, &why));
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_null(cg_json_read_object("{}\0", 3, NULL));
    ck_assert_ptr_null(cg_json_read_object("{\"a\":\"x\0y\"}", 11, NULL));
    /* the length is the length: no NUL terminator needed or looked at */
    ck_assert_ptr_null(cg_json_read_object("{\"a\":1}", 6, NULL));
}
END_TEST

Suite *ut_json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = ut_tcase("reader");

    tcase_add_test(tc, token_shaped_objects);
    tcase_add_test(tc, strings_and_escapes);
    tcase_add_test(tc, utf8_rules);
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, structure);
    tcase_add_test(tc, depth_limit);
    tcase_add_test(tc, nul_bytes_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
