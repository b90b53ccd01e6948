/*
 * test_idp.c: InitiateAuth (USER_PASSWORD_AUTH) requests and answers, and
 * the password verifier of the Basic login cache.  Known vectors come from
 * Python's hmac and hashlib (see the comments), not from this code.
 */
#include "unit.h"

#include "cg_idp.h"

/* ---- SECRET_HASH ---- */

START_TEST(secret_hash_vectors)
{
    /* base64.b64encode(hmac.new(secret, user + client, sha256).digest()) */
    ck_assert_str_eq(cg_secret_hash(ut_pool, "alice", "emuclient2",
                                    "emusecret2"),
                     "HDizdV94kt7ew0wy5KCa/hCvvIf0URcfeKwkEBjIHtI=");
    ck_assert_str_eq(cg_secret_hash(ut_pool, "user@example.com",
                                    "1example23456789",
                                    "s3cr3t-Client-Secret-0123456789"
                                    "abcdefghijklmn"),
                     "33Gqg+olAZifzrm45Bp6ziE2JmvtEIJuMw7TrY80gsI=");
    /* UTF-8 username: the bytes are hashed as they are. */
    ck_assert_str_eq(cg_secret_hash(ut_pool, "J\xc3\xbcrgen",
                                    UT_CLIENT, "k"),
                     "Q5BW0JfLYLoNyWOXGmqBJxTqiywTxKoh+aljgAjFtQE=");
}
END_TEST

START_TEST(secret_hash_depends_on_every_input)
{
    const char *h = cg_secret_hash(ut_pool, "alice", "c1", "s");

    ck_assert_str_ne(h, cg_secret_hash(ut_pool, "alicf", "c1", "s"));
    ck_assert_str_ne(h, cg_secret_hash(ut_pool, "alice", "c2", "s"));
    ck_assert_str_ne(h, cg_secret_hash(ut_pool, "alice", "c1", "t"));
    /* username + client id is a plain concatenation, as Cognito defines. */
    ck_assert_str_eq(cg_secret_hash(ut_pool, "ab", "c", "s"),
                     cg_secret_hash(ut_pool, "a", "bc", "s"));
}
END_TEST

/* ---- request body ---- */

static json_t *body_of(const char *text)
{
    ck_assert_ptr_nonnull(text);
    return ut_json(ut_pool, text);
}

START_TEST(body_without_secret)
{
    json_t *b = body_of(cg_initiate_auth_body(ut_pool, UT_CLIENT, "alice",
                                              "Passw0rd!", NULL));
    json_t *ap = json_object_get(b, "AuthParameters");

    ck_assert_int_eq(json_object_size(b), 3);
    ck_assert_str_eq(json_string_value(json_object_get(b, "AuthFlow")),
                     "USER_PASSWORD_AUTH");
    ck_assert_str_eq(json_string_value(json_object_get(b, "ClientId")),
                     UT_CLIENT);
    ck_assert(json_is_object(ap));
    ck_assert_int_eq(json_object_size(ap), 2);
    ck_assert_str_eq(json_string_value(json_object_get(ap, "USERNAME")),
                     "alice");
    ck_assert_str_eq(json_string_value(json_object_get(ap, "PASSWORD")),
                     "Passw0rd!");
    ck_assert_ptr_null(json_object_get(ap, "SECRET_HASH"));
}
END_TEST

START_TEST(body_with_secret_hash)
{
    const char *hash = cg_secret_hash(ut_pool, "alice", "emuclient2",
                                      "emusecret2");
    json_t *b = body_of(cg_initiate_auth_body(ut_pool, "emuclient2", "alice",
                                              "Passw0rd!", hash));
    json_t *ap = json_object_get(b, "AuthParameters");

    ck_assert_int_eq(json_object_size(ap), 3);
    ck_assert_str_eq(json_string_value(json_object_get(ap, "SECRET_HASH")),
                     "HDizdV94kt7ew0wy5KCa/hCvvIf0URcfeKwkEBjIHtI=");
}
END_TEST

START_TEST(body_escapes_json)
{
    /* Quotes, backslashes, control characters and UTF-8 survive exactly:
     * the password is data, never syntax. */
    const char *pw = "a\"b\\c\n\x01}{,\"PASSWORD\":\"x\xc3\xa9";
    json_t *b = body_of(cg_initiate_auth_body(ut_pool, UT_CLIENT,
                                              "o'brien", pw, NULL));
    json_t *ap = json_object_get(b, "AuthParameters");

    ck_assert_str_eq(json_string_value(json_object_get(ap, "PASSWORD")), pw);
    ck_assert_str_eq(json_string_value(json_object_get(ap, "USERNAME")),
                     "o'brien");
    ck_assert_int_eq(json_object_size(ap), 2);
}
END_TEST

START_TEST(body_refuses_invalid_utf8)
{
    ck_assert_ptr_null(cg_initiate_auth_body(ut_pool, UT_CLIENT, "al\xff",
                                             "pw", NULL));
    ck_assert_ptr_null(cg_initiate_auth_body(ut_pool, UT_CLIENT, "alice",
                                             "p\xc3", NULL));
}
END_TEST

/* ---- what may be sent at all ---- */

/* cg_utf8_valid: what JSON (and so Cognito's API) can carry. */
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

START_TEST(usernames)
{
    char name[200];

    ck_assert(cg_idp_username_ok("alice"));
    ck_assert(cg_idp_username_ok("alice@example.com"));
    ck_assert(cg_idp_username_ok("+14155550100"));
    ck_assert(cg_idp_username_ok("J\xc3\xbcrgen"));
    ck_assert(cg_idp_username_ok("\xf0\x9f\x98\x80"));   /* U+1F600 */
    ck_assert(!cg_idp_username_ok(""));
    ck_assert(!cg_idp_username_ok(NULL));
    ck_assert(!cg_idp_username_ok("has space"));
    ck_assert(!cg_idp_username_ok("tab\there"));
    ck_assert(!cg_idp_username_ok("new\nline"));
    ck_assert(!cg_idp_username_ok("del\x7f"));
    ck_assert(!cg_idp_username_ok("bad\xff"));
    ck_assert(!cg_idp_username_ok("\xc0\xaf"));            /* overlong */
    ck_assert(!cg_idp_username_ok("\xed\xa0\x80"));        /* surrogate */
    ck_assert(!cg_idp_username_ok("\xf4\x90\x80\x80"));    /* > U+10FFFF */
    ck_assert(!cg_idp_username_ok("cut\xe2\x82"));         /* truncated */

    memset(name, 'x', 128);
    name[128] = '\0';
    ck_assert(cg_idp_username_ok(name));
    name[128] = 'x';
    name[129] = '\0';
    ck_assert(!cg_idp_username_ok(name));
    /* 128 characters, more bytes. */
    memset(name, 0, sizeof(name));
    {
        int i;
        for (i = 0; i < 64; i++) {
            memcpy(name + 2 * i, "\xc3\xa9", 2);
        }
    }
    ck_assert(cg_idp_username_ok(name));
}
END_TEST

START_TEST(passwords)
{
    char pw[300];

    ck_assert(cg_idp_password_ok("Passw0rd!"));
    ck_assert(cg_idp_password_ok("with space"));
    ck_assert(cg_idp_password_ok(" "));
    ck_assert(!cg_idp_password_ok(""));
    ck_assert(!cg_idp_password_ok(NULL));
    ck_assert(!cg_idp_password_ok("latin1 \xe9t\xe9"));
    memset(pw, 'p', 256);
    pw[256] = '\0';
    ck_assert(cg_idp_password_ok(pw));
    pw[256] = 'p';
    pw[257] = '\0';
    ck_assert(!cg_idp_password_ok(pw));
}
END_TEST

/* ---- answers ---- */

static cg_auth_result_t *parse(int status, const char *body)
{
    cg_auth_result_t *res = apr_pcalloc(ut_pool, sizeof(*res));
    cg_initiate_auth_parse(ut_pool, status, body, body ? strlen(body) : 0,
                           res);
    return res;
}

#define ck_outcome(res, want) \
    ck_assert_msg((res)->outcome == (want), "outcome %s, want %s (%s)", \
                  cg_auth_outcome_name((res)->outcome), \
                  cg_auth_outcome_name(want), \
                  (res)->message ? (res)->message : "-")

START_TEST(parse_success)
{
    cg_auth_result_t *r = parse(200,
        "{\"AuthenticationResult\":{\"AccessToken\":\"at.x.y\","
        "\"ExpiresIn\":3600,\"IdToken\":\"it.x.y\",\"RefreshToken\":\"rt\","
        "\"TokenType\":\"Bearer\"},\"ChallengeParameters\":{}}");

    ck_outcome(r, CG_AUTH_OK);
    ck_assert_str_eq(r->id_token, "it.x.y");
    ck_assert_str_eq(r->access_token, "at.x.y");
    ck_assert_str_eq(r->refresh_token, "rt");
    ck_assert_int_eq(r->expires_in, 3600);
    ck_assert_ptr_null(r->challenge);
    ck_assert_ptr_null(r->error_type);

    /* No refresh token, no ExpiresIn: still a success. */
    r = parse(200, "{\"AuthenticationResult\":{\"AccessToken\":\"a\","
                   "\"IdToken\":\"i\"}}");
    ck_outcome(r, CG_AUTH_OK);
    ck_assert_ptr_null(r->refresh_token);
    ck_assert_int_eq(r->expires_in, 0);
}
END_TEST

START_TEST(parse_every_challenge)
{
    static const char *const names[] = {
        "NEW_PASSWORD_REQUIRED", "SMS_MFA", "SOFTWARE_TOKEN_MFA",
        "EMAIL_OTP", "SELECT_MFA_TYPE", "MFA_SETUP", "SELECT_CHALLENGE",
        "CUSTOM_CHALLENGE", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER",
        "ADMIN_NO_SRP_AUTH", "PASSWORD_VERIFIER", "SMS_OTP", "PASSWORD",
        "WEB_AUTHN", "PASSWORD_SRP", NULL
    };
    const char *const *n;

    for (n = names; *n; n++) {
        cg_auth_result_t *r = parse(200, apr_psprintf(ut_pool,
            "{\"ChallengeName\":\"%s\",\"ChallengeParameters\":"
            "{\"USER_ID_FOR_SRP\":\"alice\"},\"Session\":\"AYABeE...\"}",
            *n));
        ck_outcome(r, CG_AUTH_CHALLENGE);
        ck_assert_str_eq(r->challenge, *n);
        ck_assert_ptr_null(r->id_token);
        ck_assert_ptr_nonnull(strstr(r->message, *n));
    }
    /* A giant challenge name still gives a bounded message (fuzz_idp). */
    {
        cg_auth_result_t *r = parse(200, apr_psprintf(ut_pool,
            "{\"ChallengeName\":\"%0300d\"}", 7));
        ck_outcome(r, CG_AUTH_CHALLENGE);
        ck_assert_uint_le(strlen(r->message), 200);
    }
}
END_TEST

typedef struct {
    int status;
    const char *type;
    const char *message;
    cg_auth_outcome_e want;
} error_case_t;

START_TEST(parse_every_error_type)
{
    static const error_case_t cases[] = {
        { 400, "NotAuthorizedException", "Incorrect username or password.",
          CG_AUTH_DENIED },
        { 400, "NotAuthorizedException", "Password attempts exceeded",
          CG_AUTH_DENIED },
        { 400, "NotAuthorizedException", "User is disabled.",
          CG_AUTH_DISABLED },
        { 400, "NotAuthorizedException",
          "Unable to verify secret hash for client emuclient2",
          CG_AUTH_CONFIG },
        { 400, "NotAuthorizedException", "Client 1example23456789 is "
          "configured for secret but secret was not received",
          CG_AUTH_CONFIG },
        { 400, "UserNotFoundException", "User does not exist.",
          CG_AUTH_NO_USER },
        { 400, "UserNotConfirmedException", "User is not confirmed.",
          CG_AUTH_UNCONFIRMED },
        { 400, "PasswordResetRequiredException", "Password reset required",
          CG_AUTH_RESET },
        { 400, "TooManyRequestsException", "Rate exceeded",
          CG_AUTH_THROTTLED },
        { 400, "LimitExceededException", "Limit exceeded",
          CG_AUTH_THROTTLED },
        { 400, "ThrottlingException", "Rate exceeded", CG_AUTH_THROTTLED },
        { 429, "NotAuthorizedException", "x", CG_AUTH_THROTTLED },
        { 400, "UserLambdaValidationException", "PreAuthentication failed "
          "with error blocked.", CG_AUTH_DENIED },
        { 400, "InvalidParameterException", "USER_PASSWORD_AUTH flow not "
          "enabled for this client", CG_AUTH_CONFIG },
        { 400, "ResourceNotFoundException", "User pool client x does not "
          "exist.", CG_AUTH_CONFIG },
        { 400, "InvalidUserPoolConfigurationException", "x",
          CG_AUTH_CONFIG },
        { 400, "UnknownOperationException", "x", CG_AUTH_CONFIG },
        { 400, "SerializationException", "x", CG_AUTH_CONFIG },
        { 400, "AccessDeniedException", "x", CG_AUTH_CONFIG },
        { 400, "UnexpectedLambdaException", "x", CG_AUTH_UPSTREAM },
        { 400, "InvalidLambdaResponseException", "x", CG_AUTH_UPSTREAM },
        { 400, "InternalErrorException", "x", CG_AUTH_UPSTREAM },
        { 400, "SomethingNewException", "x", CG_AUTH_UPSTREAM },
        { 500, "InternalErrorException", "Injected fault", CG_AUTH_UPSTREAM },
        { 503, "ServiceUnavailableException", "x", CG_AUTH_UPSTREAM },
        /* A 5xx is Cognito's trouble whatever the body says. */
        { 500, "NotAuthorizedException", "x", CG_AUTH_UPSTREAM },
        { 502, "UserNotFoundException", "x", CG_AUTH_UPSTREAM },
        /* Not an error status at all. */
        { 302, "NotAuthorizedException", "x", CG_AUTH_UPSTREAM },
        { 0, NULL, NULL, 0 }
    };
    const error_case_t *c;

    for (c = cases; c->type; c++) {
        cg_auth_result_t *r = parse(c->status, apr_psprintf(ut_pool,
            "{\"__type\":\"%s\",\"message\":\"%s\"}", c->type, c->message));
        ck_assert_msg(r->outcome == c->want, "%d %s \"%s\": %s, want %s",
                      c->status, c->type, c->message,
                      cg_auth_outcome_name(r->outcome),
                      cg_auth_outcome_name(c->want));
        ck_assert_str_eq(r->error_type, c->type);
        ck_assert_str_eq(r->message, c->message);
        ck_assert_ptr_null(r->id_token);
        ck_assert_ptr_null(r->access_token);
    }
}
END_TEST

START_TEST(parse_error_type_forms)
{
    cg_auth_result_t *r;

    /* Namespaced, and the x-amzn-ErrorType form with a URL after ':'. */
    r = parse(400, "{\"__type\":\"com.amazonaws.cognito.identity.idp.model"
                   "#UserNotFoundException\",\"message\":\"no\"}");
    ck_outcome(r, CG_AUTH_NO_USER);
    ck_assert_str_eq(r->error_type, "UserNotFoundException");
    r = parse(400, "{\"__type\":\"NotAuthorizedException:http://internal."
                   "amazon.com/coral/com.amazon.coral.service/\"}");
    ck_outcome(r, CG_AUTH_DENIED);
    ck_assert_str_eq(r->error_type, "NotAuthorizedException");
    /* No message: the type stands in for it. */
    ck_assert_str_eq(r->message, "NotAuthorizedException");
    /* "Message" with a capital M, as some AWS errors have it. */
    r = parse(400, "{\"__type\":\"UserNotConfirmedException\","
                   "\"Message\":\"User is not confirmed.\"}");
    ck_outcome(r, CG_AUTH_UNCONFIRMED);
    ck_assert_str_eq(r->message, "User is not confirmed.");
}
END_TEST

START_TEST(parse_malformed)
{
    static const char *const bodies[] = {
        "", "not json", "<html><body>Maintenance</body></html>",
        "{\"AuthenticationResult\":{\"AccessToken\":\"a\",\"IdTok",
        "[]", "\"string\"", "42", "null",
        "{\"a\":1,\"a\":2}",                /* duplicate member */
        NULL
    };
    const char *const *b;

    for (b = bodies; *b; b++) {
        cg_auth_result_t *r = parse(200, *b);
        ck_outcome(r, CG_AUTH_UPSTREAM);
        ck_assert_ptr_nonnull(r->message);
        ck_assert_ptr_null(r->id_token);
        r = parse(400, *b);
        ck_outcome(r, CG_AUTH_UPSTREAM);
    }
    ck_outcome(parse(200, NULL), CG_AUTH_UPSTREAM);
    /* A 429 is throttling even when the body is not JSON. */
    ck_outcome(parse(429, "<html>slow down</html>"), CG_AUTH_THROTTLED);
    ck_outcome(parse(429, "{}"), CG_AUTH_THROTTLED);
    /* An error without __type cannot be blamed on the user. */
    ck_outcome(parse(400, "{\"message\":\"Incorrect username or "
                          "password.\"}"), CG_AUTH_UPSTREAM);
    ck_outcome(parse(400, "{\"__type\":\"\"}"), CG_AUTH_UPSTREAM);
    ck_outcome(parse(400, "{}"), CG_AUTH_UPSTREAM);
    /* 200 with neither a result nor a challenge. */
    ck_outcome(parse(200, "{}"), CG_AUTH_UPSTREAM);
    ck_outcome(parse(200, "{\"ChallengeParameters\":{}}"), CG_AUTH_UPSTREAM);
}
END_TEST

START_TEST(parse_wrong_types)
{
    static const char *const bodies[] = {
        "{\"AuthenticationResult\":\"tokens\"}",
        "{\"AuthenticationResult\":[]}",
        "{\"AuthenticationResult\":null}",
        "{\"AuthenticationResult\":{}}",
        "{\"AuthenticationResult\":{\"IdToken\":\"i\"}}",
        "{\"AuthenticationResult\":{\"AccessToken\":\"a\"}}",
        "{\"AuthenticationResult\":{\"AccessToken\":1,\"IdToken\":\"i\"}}",
        "{\"AuthenticationResult\":{\"AccessToken\":\"a\",\"IdToken\":[]}}",
        "{\"AuthenticationResult\":{\"AccessToken\":\"\",\"IdToken\":\"i\"}}",
        "{\"AuthenticationResult\":{\"AccessToken\":\"a\",\"IdToken\":null}}",
        "{\"ChallengeName\":7,\"Session\":\"s\"}",
        "{\"ChallengeName\":\"\",\"Session\":\"s\"}",
        "{\"ChallengeName\":[\"SMS_MFA\"]}",
        NULL
    };
    const char *const *b;
    cg_auth_result_t *r;

    for (b = bodies; *b; b++) {
        r = parse(200, *b);
        ck_assert_msg(r->outcome == CG_AUTH_UPSTREAM, "%s: %s", *b,
                      cg_auth_outcome_name(r->outcome));
        ck_assert_ptr_null(r->id_token);
        ck_assert_ptr_null(r->access_token);
        ck_assert_ptr_nonnull(r->message);
    }
    /* A wrongly typed ExpiresIn or RefreshToken does not spoil tokens. */
    r = parse(200, "{\"AuthenticationResult\":{\"AccessToken\":\"a\","
                   "\"IdToken\":\"i\",\"ExpiresIn\":\"3600\","
                   "\"RefreshToken\":5}}");
    ck_outcome(r, CG_AUTH_OK);
    ck_assert_int_eq(r->expires_in, 0);
    ck_assert_ptr_null(r->refresh_token);
    /* __type and message of the wrong type. */
    r = parse(400, "{\"__type\":5,\"message\":\"x\"}");
    ck_outcome(r, CG_AUTH_UPSTREAM);
    r = parse(400, "{\"__type\":\"NotAuthorizedException\",\"message\":5}");
    ck_outcome(r, CG_AUTH_DENIED);
    ck_assert_str_eq(r->message, "NotAuthorizedException");
}
END_TEST

START_TEST(parse_messages_are_safe_to_log)
{
    char longmsg[1000];
    cg_auth_result_t *r;

    memset(longmsg, 'm', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    r = parse(400, apr_psprintf(ut_pool, "{\"__type\":\"NotAuthorized"
                                "Exception\",\"message\":\"%s\"}", longmsg));
    ck_assert_uint_eq(strlen(r->message), 200);
    r = parse(400, "{\"__type\":\"NotAuthorizedException\",\"message\":"
                   "\"line\\nbreak\\ttab \\u00e9\"}");
    ck_assert_str_eq(r->message, "line?break?tab ??");
    r = parse(200, "{\"ChallengeName\":\"SMS\\nMFA\"}");
    ck_outcome(r, CG_AUTH_CHALLENGE);
    ck_assert_str_eq(r->challenge, "SMS?MFA");
}
END_TEST

START_TEST(parse_refuses_giant_tokens)
{
    char *big = apr_palloc(ut_pool, 70000);

    memset(big, 'a', 69999);
    big[69999] = '\0';
    ck_outcome(parse(200, apr_psprintf(ut_pool,
        "{\"AuthenticationResult\":{\"AccessToken\":\"%s\",\"IdToken\":"
        "\"i\"}}", big)), CG_AUTH_UPSTREAM);
}
END_TEST

START_TEST(outcome_names)
{
    ck_assert_str_eq(cg_auth_outcome_name(CG_AUTH_OK), "ok");
    ck_assert_str_eq(cg_auth_outcome_name(CG_AUTH_CHALLENGE), "challenge");
    ck_assert_str_eq(cg_auth_outcome_name(CG_AUTH_CONFIG), "config");
    ck_assert_str_eq(cg_auth_outcome_name((cg_auth_outcome_e)99), "?");
}
END_TEST

/* ---- password verifier ---- */

START_TEST(verifier_vectors)
{
    /* base64url(hashlib.pbkdf2_hmac("sha256", pw, salt, n)), unpadded */
    ck_assert_str_eq(cg_password_verifier(ut_pool, "password", "salt", 1),
                     "Eg-2z_z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs");
    ck_assert_str_eq(cg_password_verifier(ut_pool, "Passw0rd!",
                                          "salt-0123456789",
                                          CG_VERIFIER_ITERATIONS),
                     "L75MitEBWJXIjKFsGATMRNENrHV-CxkNC6WQsHCGjM0");
}
END_TEST

START_TEST(verifier_is_salted)
{
    const char *a = cg_password_verifier(ut_pool, "Passw0rd!", "salt-a",
                                         CG_VERIFIER_ITERATIONS);

    ck_assert_str_ne(a, cg_password_verifier(ut_pool, "Passw0rd!", "salt-b",
                                             CG_VERIFIER_ITERATIONS));
    ck_assert_str_ne(a, cg_password_verifier(ut_pool, "Passw0rd?", "salt-a",
                                             CG_VERIFIER_ITERATIONS));
    ck_assert_str_eq(a, cg_password_verifier(ut_pool, "Passw0rd!", "salt-a",
                                             CG_VERIFIER_ITERATIONS));
    /* Neither the password nor anything that contains it. */
    ck_assert_ptr_null(strstr(a, "Passw0rd"));
}
END_TEST

Suite *ut_idp_suite(void)
{
    Suite *s = suite_create("idp");
    TCase *tc = ut_tcase("initiate_auth");

    tcase_add_test(tc, secret_hash_vectors);
    tcase_add_test(tc, secret_hash_depends_on_every_input);
    tcase_add_test(tc, body_without_secret);
    tcase_add_test(tc, body_with_secret_hash);
    tcase_add_test(tc, body_escapes_json);
    tcase_add_test(tc, body_refuses_invalid_utf8);
    tcase_add_test(tc, utf8_rules);
    tcase_add_test(tc, usernames);
    tcase_add_test(tc, passwords);
    tcase_add_test(tc, parse_success);
    tcase_add_test(tc, parse_every_challenge);
    tcase_add_test(tc, parse_every_error_type);
    tcase_add_test(tc, parse_error_type_forms);
    tcase_add_test(tc, parse_malformed);
    tcase_add_test(tc, parse_wrong_types);
    tcase_add_test(tc, parse_messages_are_safe_to_log);
    tcase_add_test(tc, parse_refuses_giant_tokens);
    tcase_add_test(tc, outcome_names);
    suite_add_tcase(s, tc);

    tc = ut_tcase("verifier");
    tcase_add_test(tc, verifier_vectors);
    tcase_add_test(tc, verifier_is_salted);
    suite_add_tcase(s, tc);
    return s;
}
