/* test_identity.c: identity pool ids, the Logins key, GetId and
 * GetCredentialsForIdentity bodies and answers, the sealed cache entry,
 * renewal times and the credential_process output. */
#include "unit.h"

#include "cg_identity.h"
#include "cg_seal.h"

#define UT_IDPOOL "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define UT_IDENTITY "us-east-1:11111111-2222-4333-8444-555555555555"
#define UT_AKID "ASIAEXAMPLE2345ABCDE"
#define UT_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define UT_STOKEN "IQoJb3JpZ2luX2VjEXAMPLE+/session=="

/* A GetCredentialsForIdentity answer with one field replaced (or, with a
 * NULL value, removed); fields are "AccessKeyId" ... "Expiration" or
 * "IdentityId". */
static const char *answer_with(const char *field, const char *json_value)
{
    json_t *doc = ut_json(ut_pool,
        "{\"IdentityId\": \"" UT_IDENTITY "\", \"Credentials\": {"
        "\"AccessKeyId\": \"" UT_AKID "\", \"SecretKey\": \"" UT_SECRET "\","
        "\"SessionToken\": \"" UT_STOKEN "\", \"Expiration\": 1700003600}}");
    json_t *target = strcmp(field, "IdentityId")
                     ? json_object_get(doc, "Credentials") : doc;

    if (json_value) {
        json_t *v = json_loads(json_value, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                               NULL);
        ck_assert_msg(v != NULL, "bad test value %s", json_value);
        json_object_set_new(target, field, v);
    }
    else {
        json_object_del(target, field);
    }
    return ut_dump(ut_pool, doc);
}

static cg_err_code_e parse_creds(int status, const char *body,
                                 cg_aws_credentials_t *c,
                                 cg_identity_fault_t *f, cg_error_t *err)
{
    return cg_identity_parse_credentials(ut_pool, status, body,
                                         strlen(body), c, f, err);
}

static cg_aws_credentials_t sample(void)
{
    cg_aws_credentials_t c;

    memset(&c, 0, sizeof(c));
    c.identity_id = UT_IDENTITY;
    c.access_key_id = UT_AKID;
    c.secret_key = UT_SECRET;
    c.session_token = UT_STOKEN;
    c.expiration = UT_NOW + 3600;
    c.renew_at = UT_NOW + 3300;
    return c;
}

static cg_sealer_t *sealer(const char *passphrase)
{
    cg_sealer_t *s = cg_sealer_make(ut_pool);
    cg_sealer_add_passphrase(s, passphrase);
    return s;
}

/* ------------------------------------------------------------ ids, URLs */

START_TEST(valid_identity_pool_ids)
{
    static const char *const ok[] = {
        UT_IDPOOL, "eu-west-1:00000000-0000-4000-8000-000000000001",
        "us-gov-west-1:ABCDEF01-2345-6789-abcd-ef0123456789", NULL
    };
    const char *const *id;

    for (id = ok; *id; id++) {
        const char *why = cg_identity_pool_problem(*id);
        ck_assert_msg(why == NULL, "%s refused: %s", *id, why);
    }
}
END_TEST

START_TEST(invalid_identity_pool_ids)
{
    static const char *const bad[] = {
        "", ":", "us-east-1", "us-east-1:",
        ":0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "us-east-1_AbC123xyz",                              /* user pool */
        "US-EAST-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",  /* case */
        "useast1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",    /* no dashes */
        "us--east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "us-east-x:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",  /* no number */
        "us-east-1:0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d",      /* no dashes */
        "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d",               /* 4 groups */
        "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d-1",/* 6 groups */
        "us-east-1:0a1b2c3-d4e5f-4a6b-8c7d-9e0f1a2b3c4d",  /* 7-5 */
        "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4",   /* 11 */
        "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dd", /* 13 */
        "us-east-1:0a1b2c3d--4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "us-east-1:0a1b2c3g-4e5f-4a6b-8c7d-9e0f1a2b3c4d",  /* not hex */
        "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d ",
        "us-east-1:0a1b2c3d-4e5f:4a6b-8c7d-9e0f1a2b3c4d",
        NULL
    };
    const char *const *id;

    for (id = bad; *id; id++) {
        ck_assert_msg(cg_identity_pool_problem(*id) != NULL,
                      "'%s' accepted", *id);
    }
}
END_TEST

START_TEST(default_endpoint)
{
    ck_assert_str_eq(cg_identity_endpoint(ut_pool, UT_IDPOOL),
                     "https://cognito-identity.us-east-1.amazonaws.com/");
    ck_assert_str_eq(cg_identity_endpoint(
                         ut_pool, "eu-central-1:0a1b2c3d-4e5f-4a6b-8c7d-"
                                  "9e0f1a2b3c4d"),
                     "https://cognito-identity.eu-central-1.amazonaws.com/");
}
END_TEST

START_TEST(logins_key_from_the_issuer)
{
    /* The pool's own issuer gives Cognito's provider name ... */
    ck_assert_str_eq(cg_identity_provider_name(ut_pool,
                                               cg_pool_issuer(ut_pool,
                                                              UT_POOL_ID)),
                     "cognito-idp.us-east-1.amazonaws.com/" UT_POOL_ID);
    ck_assert_str_eq(cg_identity_provider_name(ut_pool, UT_ISSUER),
                     "cognito-idp.us-east-1.amazonaws.com/" UT_POOL_ID);
    /* ... an override its host[:port]/path, whatever the scheme. */
    ck_assert_str_eq(cg_identity_provider_name(
                         ut_pool, "http://127.0.0.1:9229/us-east-1_EmuPool01"),
                     "127.0.0.1:9229/us-east-1_EmuPool01");
    ck_assert_str_eq(cg_identity_provider_name(
                         ut_pool, "https://idp.example.com/a/b/"),
                     "idp.example.com/a/b");
    ck_assert_str_eq(cg_identity_provider_name(
                         ut_pool, "https://idp.example.com///"),
                     "idp.example.com");
    ck_assert_str_eq(cg_identity_provider_name(ut_pool, "plain.host/p"),
                     "plain.host/p");
}
END_TEST

/* ------------------------------------------------------- request bodies */

START_TEST(get_id_body)
{
    const char *provider = "cognito-idp.us-east-1.amazonaws.com/" UT_POOL_ID;
    json_t *b = ut_json(ut_pool, cg_identity_get_id_body(
                            ut_pool, UT_IDPOOL, provider, "tok.en.sig"));
    json_t *logins = json_object_get(b, "Logins");

    ck_assert_int_eq(json_object_size(b), 2);
    ck_assert_str_eq(json_string_value(json_object_get(b, "IdentityPoolId")),
                     UT_IDPOOL);
    ck_assert(json_is_object(logins));
    ck_assert_int_eq(json_object_size(logins), 1);
    ck_assert_str_eq(json_string_value(json_object_get(logins, provider)),
                     "tok.en.sig");
}
END_TEST

START_TEST(credentials_body)
{
    const char *provider = "127.0.0.1:9229/us-east-1_EmuPool01";
    json_t *b = ut_json(ut_pool, cg_identity_credentials_body(
                            ut_pool, UT_IDENTITY, provider, "a\"b\\c"));
    json_t *logins = json_object_get(b, "Logins");

    ck_assert_int_eq(json_object_size(b), 2);
    ck_assert_str_eq(json_string_value(json_object_get(b, "IdentityId")),
                     UT_IDENTITY);
    ck_assert_int_eq(json_object_size(logins), 1);
    /* JSON-escaped in the text, the same string once parsed. */
    ck_assert_str_eq(json_string_value(json_object_get(logins, provider)),
                     "a\"b\\c");
}
END_TEST

/* -------------------------------------------------------------- answers */

START_TEST(classify_error_types)
{
    static const struct { int status; const char *type; cg_err_code_e rc; }
    cases[] = {
        { 400, "NotAuthorizedException", CG_ERR_REJECTED },
        { 400, "InvalidIdentityPoolConfigurationException", CG_ERR_REJECTED },
        { 400, "ResourceNotFoundException", CG_ERR_REJECTED },
        { 400, "InvalidParameterException", CG_ERR_REJECTED },
        { 400, "ResourceConflictException", CG_ERR_REJECTED },
        { 403, "AccessDeniedException", CG_ERR_REJECTED },
        { 400, "TooManyRequestsException", CG_ERR_UPSTREAM },
        { 400, "LimitExceededException", CG_ERR_UPSTREAM },
        { 400, "ExternalServiceException", CG_ERR_UPSTREAM },
        { 400, "ThrottlingException", CG_ERR_UPSTREAM },
        { 429, "NotAuthorizedException", CG_ERR_UPSTREAM },
        { 500, "InternalErrorException", CG_ERR_UPSTREAM },
        { 503, "ServiceUnavailableException", CG_ERR_UPSTREAM },
        { 500, "NotAuthorizedException", CG_ERR_UPSTREAM },
        { 400, NULL, CG_ERR_UPSTREAM },
        { 400, "", CG_ERR_UPSTREAM },
        { 400, "unknown", CG_ERR_UPSTREAM },
        { 302, "NotAuthorizedException", CG_ERR_UPSTREAM },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(cg_identity_classify(cases[i].status, cases[i].type)
                      == cases[i].rc, "%d %s", cases[i].status,
                      cases[i].type ? cases[i].type : "(null)");
    }
}
END_TEST

START_TEST(get_id_success)
{
    const char *body = "{\"IdentityId\": \"" UT_IDENTITY "\"}";
    const char *iid = NULL;
    cg_identity_fault_t f;
    cg_error_t err = { CG_OK, NULL, NULL };

    ut_assert_code(cg_identity_parse_get_id(ut_pool, 200, body, strlen(body),
                                            &iid, &f, &err), CG_OK, &err);
    ck_assert_str_eq(iid, UT_IDENTITY);
    ck_assert_ptr_null(f.type);
    /* The fault is optional. */
    ut_assert_code(cg_identity_parse_get_id(ut_pool, 200, body, strlen(body),
                                            &iid, NULL, &err), CG_OK, &err);
}
END_TEST

START_TEST(get_id_errors)
{
    static const struct {
        int status; const char *body; cg_err_code_e rc; const char *type;
        int config;
    } cases[] = {
        { 400, "{\"__type\": \"NotAuthorizedException\", \"message\": "
               "\"Invalid login token. Token expired\"}", CG_ERR_REJECTED,
          "NotAuthorizedException", 0 },
        /* Namespaced types lose the namespace. */
        { 400, "{\"__type\": \"com.amazonaws.cognito.identity.model#"
               "NotAuthorizedException\"}", CG_ERR_REJECTED,
          "NotAuthorizedException", 0 },
        { 400, "{\"__type\": \"ResourceNotFoundException\"}",
          CG_ERR_REJECTED, "ResourceNotFoundException", 1 },
        { 400, "{\"__type\": \"TooManyRequestsException\", \"message\": "
               "\"Rate exceeded\"}", CG_ERR_UPSTREAM,
          "TooManyRequestsException", 0 },
        { 500, "{\"__type\": \"InternalErrorException\"}", CG_ERR_UPSTREAM,
          "InternalErrorException", 0 },
        { 400, "{\"message\": \"no type\"}", CG_ERR_UPSTREAM, "unknown", 0 },
        { 400, "{\"__type\": 42}", CG_ERR_UPSTREAM, "unknown", 0 },
        /* Odd characters never reach the log. */
        { 400, "{\"__type\": \"Bad\\nType;\"}", CG_ERR_REJECTED,
          "Bad_Type_", 0 },
        { 503, "<html>Service Unavailable</html>", CG_ERR_UPSTREAM,
          "unknown", 0 },
        { 302, "", CG_ERR_UPSTREAM, "unknown", 0 },
        /* 200s that are not a GetId answer. */
        { 200, "<!DOCTYPE html><html></html>", CG_ERR_UPSTREAM, NULL, 0 },
        { 200, "", CG_ERR_UPSTREAM, NULL, 0 },
        { 200, "{\"IdentityId\": \"us-east-1:1111", CG_ERR_UPSTREAM, NULL,
          0 },
        { 200, "[\"" UT_IDENTITY "\"]", CG_ERR_UPSTREAM, NULL, 0 },
        { 200, "{}", CG_ERR_UPSTREAM, NULL, 0 },
        { 200, "{\"IdentityId\": 7}", CG_ERR_UPSTREAM, NULL, 0 },
        { 200, "{\"IdentityId\": \"\"}", CG_ERR_UPSTREAM, NULL, 0 },
        { 200, "{\"IdentityId\": \"../../etc\"}", CG_ERR_UPSTREAM, NULL, 0 },
        { 200, "{\"IdentityId\": \"" UT_IDENTITY "\", \"IdentityId\": \""
               UT_IDENTITY "\"}", CG_ERR_UPSTREAM, NULL, 0 },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *iid = "untouched";
        cg_identity_fault_t f;
        cg_error_t err = { CG_OK, NULL, NULL };
        cg_err_code_e rc = cg_identity_parse_get_id(
            ut_pool, cases[i].status, cases[i].body, strlen(cases[i].body),
            &iid, &f, &err);

        ck_assert_msg(rc == cases[i].rc, "case %zu: got %s", i,
                      ut_code_name(rc));
        ck_assert_msg(iid == NULL, "case %zu: identity id set", i);
        ck_assert_ptr_nonnull(err.detail);
        if (cases[i].type) {
            ck_assert_msg(f.type && !strcmp(f.type, cases[i].type),
                          "case %zu: type %s", i, f.type ? f.type : "-");
        }
        else {
            ck_assert_ptr_null(f.type);
        }
        ck_assert_int_eq(f.config, cases[i].config);
    }
}
END_TEST

START_TEST(error_message_is_kept_apart)
{
    const char *body = "{\"__type\": \"NotAuthorizedException\", "
                       "\"message\": \"Invalid login token. xyz\"}";
    const char *iid;
    cg_identity_fault_t f;
    cg_error_t err = { CG_OK, NULL, NULL };

    cg_identity_parse_get_id(ut_pool, 400, body, strlen(body), &iid, &f,
                             &err);
    ck_assert_str_eq(f.message, "Invalid login token. xyz");
    /* The detail (logged above debug) does not quote AWS's message. */
    ck_assert_ptr_null(strstr(err.detail, "xyz"));
    ck_assert_ptr_nonnull(strstr(err.detail, "NotAuthorizedException"));
}
END_TEST

START_TEST(credentials_success)
{
    cg_aws_credentials_t c;
    cg_identity_fault_t f;
    cg_error_t err = { CG_OK, NULL, NULL };

    ut_assert_code(parse_creds(200, answer_with("IdentityId", "\""
                                                UT_IDENTITY "\""),
                               &c, &f, &err), CG_OK, &err);
    ck_assert_str_eq(c.identity_id, UT_IDENTITY);
    ck_assert_str_eq(c.access_key_id, UT_AKID);
    ck_assert_str_eq(c.secret_key, UT_SECRET);
    ck_assert_str_eq(c.session_token, UT_STOKEN);
    ck_assert_int_eq(c.expiration, 1700003600);
    ck_assert_int_eq(c.renew_at, 0);
    ck_assert_ptr_null(f.type);
    /* Without an IdentityId the answer still counts. */
    ut_assert_code(parse_creds(200, answer_with("IdentityId", NULL), &c, &f,
                               &err), CG_OK, &err);
    ck_assert_ptr_null(c.identity_id);
}
END_TEST

START_TEST(credentials_expiration_forms)
{
    static const struct { const char *v; apr_int64_t want; } ok[] = {
        { "1700003600", 1700003600 },
        /* AWS JSON 1.1 writes timestamps as doubles. */
        { "1.7000036E9", 1700003600 },
        { "1700003600.75", 1700003600 },
        { "253402300799", 253402300799LL },
    };
    static const char *const bad[] = {
        "\"2023-11-14T23:13:20Z\"", "\"1700003600\"", "0", "-5", "999999999",
        "253402300800", "1e300", "-1e300", "true", "null", "[1700003600]",
        "{}",
    };
    cg_aws_credentials_t c;
    cg_error_t err = { CG_OK, NULL, NULL };
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ut_assert_code(parse_creds(200, answer_with("Expiration", ok[i].v),
                                   &c, NULL, &err), CG_OK, &err);
        ck_assert_msg(c.expiration == ok[i].want, "%s -> %lld", ok[i].v,
                      (long long)c.expiration);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse_creds(200, answer_with("Expiration", bad[i]), &c,
                                  NULL, &err) == CG_ERR_UPSTREAM,
                      "Expiration %s accepted", bad[i]);
        ck_assert_ptr_null(c.access_key_id);
    }
    ck_assert(parse_creds(200, answer_with("Expiration", NULL), &c, NULL,
                          &err) == CG_ERR_UPSTREAM);
}
END_TEST

START_TEST(credentials_malformed_fields)
{
    static const char *const fields[] = {
        "AccessKeyId", "SecretKey", "SessionToken"
    };
    static const char *const bad[] = {
        NULL, "42", "null", "\"\"", "[\"x\"]", "{\"a\": 1}", "true",
        /* CR/LF and spaces could break a request header. */
        "\"abc\\r\\nX-Injected: 1\"", "\"abc def\"", "\"tab\\there\"",
        "\"caf\\u00e9\"", "\"nul\\u0000byte\"",
    };
    cg_aws_credentials_t c;
    cg_error_t err = { CG_OK, NULL, NULL };
    size_t i, j;

    for (i = 0; i < 3; i++) {
        for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
            cg_err_code_e rc = parse_creds(200, answer_with(fields[i],
                                                            bad[j]),
                                           &c, NULL, &err);
            ck_assert_msg(rc == CG_ERR_UPSTREAM, "%s = %s accepted",
                          fields[i], bad[j] ? bad[j] : "(absent)");
            ck_assert_ptr_null(c.access_key_id);
            ck_assert_ptr_null(c.session_token);
        }
    }
}
END_TEST

START_TEST(credentials_wrong_shapes)
{
    static const char *const bodies[] = {
        "", "null", "[]", "\"Credentials\"", "{}",
        "{\"Credentials\": null}", "{\"Credentials\": \"x\"}",
        "{\"Credentials\": [1, 2]}",
        "{\"IdentityId\": \"" UT_IDENTITY "\", \"Credentials\": {\"Access",
        "<html><body>Maintenance</body></html>",
    };
    cg_aws_credentials_t c;
    cg_error_t err = { CG_OK, NULL, NULL };
    size_t i;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        ck_assert_msg(parse_creds(200, bodies[i], &c, NULL, &err)
                      == CG_ERR_UPSTREAM, "body %zu accepted", i);
    }
    /* A malformed identity id in an otherwise good answer is dropped. */
    ut_assert_code(parse_creds(200, answer_with("IdentityId", "\"nope\""),
                               &c, NULL, &err), CG_OK, &err);
    ck_assert_ptr_null(c.identity_id);
}
END_TEST

START_TEST(credentials_long_values_are_refused_not_cut)
{
    char *big = apr_palloc(ut_pool, 9000 + 3), *ok = apr_palloc(ut_pool,
                                                               4000 + 3);
    cg_aws_credentials_t c;
    cg_error_t err = { CG_OK, NULL, NULL };

    big[0] = '"';
    memset(big + 1, 'A', 9000);
    strcpy(big + 9001, "\"");
    ck_assert(parse_creds(200, answer_with("SessionToken", big), &c, NULL,
                          &err) == CG_ERR_UPSTREAM);
    ok[0] = '"';
    memset(ok + 1, 'B', 4000);
    strcpy(ok + 4001, "\"");
    ut_assert_code(parse_creds(200, answer_with("SessionToken", ok), &c, NULL,
                               &err), CG_OK, &err);
    ck_assert_uint_eq(strlen(c.session_token), 4000);
}
END_TEST

START_TEST(credentials_errors)
{
    cg_aws_credentials_t c;
    cg_identity_fault_t f;
    cg_error_t err = { CG_OK, NULL, NULL };
    const char *no_role = "{\"__type\": \"InvalidIdentityPoolConfiguration"
                          "Exception\", \"message\": \"Invalid identity pool "
                          "configuration. Check assigned IAM roles for this "
                          "pool.\"}";
    const char *not_auth = "{\"__type\": \"NotAuthorizedException\", "
                           "\"message\": \"Logins don't match.\"}";
    const char *throttled = "{\"__type\": \"TooManyRequestsException\"}";

    ck_assert(parse_creds(400, no_role, &c, &f, &err) == CG_ERR_REJECTED);
    ck_assert_str_eq(f.type, "InvalidIdentityPoolConfigurationException");
    ck_assert_int_eq(f.config, 1);
    ck_assert_ptr_nonnull(strstr(f.message, "IAM roles"));
    ck_assert_ptr_null(c.access_key_id);

    ck_assert(parse_creds(400, not_auth, &c, &f, &err) == CG_ERR_REJECTED);
    ck_assert_str_eq(f.type, "NotAuthorizedException");
    ck_assert_int_eq(f.config, 0);

    ck_assert(parse_creds(400, throttled, &c, &f, &err) == CG_ERR_UPSTREAM);
    ck_assert_str_eq(f.type, "TooManyRequestsException");
    ck_assert(parse_creds(502, "Bad Gateway", &c, &f, &err)
              == CG_ERR_UPSTREAM);
    ck_assert_str_eq(f.type, "unknown");
}
END_TEST

/* -------------------------------------------------------------- caching */

START_TEST(renewal_times)
{
    /* An hour: renewed five minutes before the end. */
    ck_assert_int_eq(cg_aws_renew_at(UT_NOW, UT_NOW + 3600),
                     UT_NOW + 3600 - CG_AWS_RENEW_MARGIN);
    ck_assert_int_eq(cg_aws_renew_at(UT_NOW, UT_NOW + 12 * 3600),
                     UT_NOW + 12 * 3600 - 300);
    /* Short-lived: after four fifths of the lifetime. */
    ck_assert_int_eq(cg_aws_renew_at(UT_NOW, UT_NOW + 60), UT_NOW + 48);
    ck_assert_int_eq(cg_aws_renew_at(UT_NOW, UT_NOW + 1500), UT_NOW + 1200);
    ck_assert_int_eq(cg_aws_renew_at(UT_NOW, UT_NOW + 1501), UT_NOW + 1201);
    ck_assert_int_eq(cg_aws_renew_at(UT_NOW, UT_NOW + 4), UT_NOW + 4);
    /* Already expired: renew now, never cache. */
    ck_assert_int_eq(cg_aws_renew_at(UT_NOW, UT_NOW), UT_NOW);
    ck_assert_int_eq(cg_aws_renew_at(UT_NOW, UT_NOW - 10), UT_NOW);
}
END_TEST

START_TEST(serialize_round_trip)
{
    cg_aws_credentials_t in = sample(), out;
    char *text = cg_aws_credentials_serialize(ut_pool, &in);

    ck_assert_ptr_nonnull(text);
    ut_assert_code(cg_aws_credentials_parse(ut_pool, text, strlen(text),
                                            &out), CG_OK, NULL);
    ck_assert_str_eq(out.identity_id, UT_IDENTITY);
    ck_assert_str_eq(out.access_key_id, UT_AKID);
    ck_assert_str_eq(out.secret_key, UT_SECRET);
    ck_assert_str_eq(out.session_token, UT_STOKEN);
    ck_assert_int_eq(out.expiration, UT_NOW + 3600);
    ck_assert_int_eq(out.renew_at, UT_NOW + 3300);

    /* Without an identity id or renewal time. */
    in.identity_id = NULL;
    in.renew_at = 0;
    text = cg_aws_credentials_serialize(ut_pool, &in);
    ut_assert_code(cg_aws_credentials_parse(ut_pool, text, strlen(text),
                                            &out), CG_OK, NULL);
    ck_assert_ptr_null(out.identity_id);
    ck_assert_int_eq(out.renew_at, UT_NOW + 3600 - CG_AWS_RENEW_MARGIN);

    in.secret_key = NULL;
    ck_assert_ptr_null(cg_aws_credentials_serialize(ut_pool, &in));
}
END_TEST

START_TEST(parse_refuses_bad_entries)
{
    static const char *const bad[] = {
        "", "[]", "{}", "not json",
        "{\"a\":\"A\",\"s\":\"S\",\"t\":\"T\"}",
        "{\"a\":\"A\",\"s\":\"S\",\"e\":1700003600}",
        "{\"a\":\"A\",\"s\":1,\"t\":\"T\",\"e\":1700003600}",
        "{\"a\":\"A\",\"s\":\"S\",\"t\":\"T\",\"e\":\"1700003600\"}",
        "{\"a\":\"A\",\"s\":\"S\",\"t\":\"T\",\"e\":1700003600.5}",
        "{\"a\":\"A\",\"s\":\"S\",\"t\":\"T\\n\",\"e\":1700003600}",
    };
    cg_aws_credentials_t out;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(cg_aws_credentials_parse(ut_pool, bad[i],
                                               strlen(bad[i]), &out)
                      == CG_ERR_MALFORMED, "entry %zu accepted", i);
        ck_assert_ptr_null(out.access_key_id);
    }
}
END_TEST

START_TEST(sealed_round_trip)
{
    cg_sealer_t *s = sealer("a passphrase of some length");
    cg_aws_credentials_t in = sample(), out;
    const char *key = "cg:aws:0123abcd";
    char *sealed = cg_aws_credentials_seal(ut_pool, s, key, &in);

    ck_assert_ptr_nonnull(sealed);
    /* Nothing readable in the entry. */
    ck_assert_ptr_null(strstr(sealed, UT_AKID));
    ck_assert_ptr_null(strstr(sealed, "EXAMPLE"));
    ut_assert_code(cg_aws_credentials_unseal(ut_pool, s, key, sealed, &out),
                   CG_OK, NULL);
    ck_assert_str_eq(out.access_key_id, UT_AKID);
    ck_assert_str_eq(out.secret_key, UT_SECRET);
    ck_assert_str_eq(out.session_token, UT_STOKEN);
    ck_assert_str_eq(out.identity_id, UT_IDENTITY);
    ck_assert_int_eq(out.expiration, in.expiration);
    ck_assert_int_eq(out.renew_at, in.renew_at);
    /* Two seals of the same credentials differ (random nonce). */
    ck_assert_str_ne(sealed, cg_aws_credentials_seal(ut_pool, s, key, &in));
}
END_TEST

START_TEST(sealed_entry_opens_only_where_it_belongs)
{
    cg_sealer_t *s = sealer("a passphrase of some length");
    cg_sealer_t *other = sealer("another passphrase entirely");
    cg_aws_credentials_t in = sample(), out;
    char *sealed = cg_aws_credentials_seal(ut_pool, s, "cg:aws:alice", &in);
    char *tampered = apr_pstrdup(ut_pool, sealed);
    size_t mid = strlen(tampered) / 2;

    /* Moved to another user's key. */
    ck_assert(cg_aws_credentials_unseal(ut_pool, s, "cg:aws:bob", sealed,
                                        &out) == CG_ERR_MALFORMED);
    ck_assert_ptr_null(out.access_key_id);
    /* Another httpd's (or a rotated-out) passphrase. */
    ck_assert(cg_aws_credentials_unseal(ut_pool, other, "cg:aws:alice",
                                        sealed, &out) == CG_ERR_MALFORMED);
    /* One character changed. */
    tampered[mid] = tampered[mid] == 'A' ? 'B' : 'A';
    ck_assert(cg_aws_credentials_unseal(ut_pool, s, "cg:aws:alice", tampered,
                                        &out) == CG_ERR_MALFORMED);
    ck_assert(cg_aws_credentials_unseal(ut_pool, s, "cg:aws:alice", "",
                                        &out) == CG_ERR_MALFORMED);
    ck_assert(cg_aws_credentials_unseal(ut_pool, s, "cg:aws:alice",
                                        "not sealed at all", &out)
              == CG_ERR_MALFORMED);
    /* A sealed value that is not a credentials entry. */
    ck_assert(cg_aws_credentials_unseal(
                  ut_pool, s, "cg:aws:alice",
                  cg_seal(ut_pool, s, "aws-credentials:cg:aws:alice",
                          (const unsigned char *)"{}", 2), &out)
              == CG_ERR_MALFORMED);
}
END_TEST

/* --------------------------------------------------------------- output */

START_TEST(iso8601_utc)
{
    ck_assert_str_eq(cg_iso8601(ut_pool, 0), "1970-01-01T00:00:00Z");
    ck_assert_str_eq(cg_iso8601(ut_pool, UT_NOW), "2023-11-14T22:13:20Z");
    ck_assert_str_eq(cg_iso8601(ut_pool, 951782400), "2000-02-29T00:00:00Z");
    ck_assert_str_eq(cg_iso8601(ut_pool, 1735689599), "2024-12-31T23:59:59Z");
    ck_assert_str_eq(cg_iso8601(ut_pool, 253402300799LL),
                     "9999-12-31T23:59:59Z");
    ck_assert_ptr_null(cg_iso8601(ut_pool, -1));
    ck_assert_ptr_null(cg_iso8601(ut_pool, 253402300800LL));
}
END_TEST

START_TEST(credential_process_output)
{
    cg_aws_credentials_t c = sample();
    const char *text = cg_credential_process_json(ut_pool, &c);
    json_t *o = ut_json(ut_pool, text), *v;

    /* Exactly the five members the AWS CLI reads, nothing else (no
     * identity id, no renewal time). */
    ck_assert_int_eq(json_object_size(o), 5);
    v = json_object_get(o, "Version");
    ck_assert(json_is_integer(v));
    ck_assert_int_eq(json_integer_value(v), 1);
    ck_assert_str_eq(json_string_value(json_object_get(o, "AccessKeyId")),
                     UT_AKID);
    ck_assert_str_eq(json_string_value(json_object_get(o,
                                                       "SecretAccessKey")),
                     UT_SECRET);
    ck_assert_str_eq(json_string_value(json_object_get(o, "SessionToken")),
                     UT_STOKEN);
    ck_assert_str_eq(json_string_value(json_object_get(o, "Expiration")),
                     "2023-11-14T23:13:20Z");
    c.session_token = NULL;
    ck_assert_ptr_null(cg_credential_process_json(ut_pool, &c));
    c = sample();
    c.expiration = -1;
    ck_assert_ptr_null(cg_credential_process_json(ut_pool, &c));
}
END_TEST

Suite *ut_identity_suite(void)
{
    Suite *s = suite_create("identity");
    TCase *tc = ut_tcase("identity");

    tcase_add_test(tc, valid_identity_pool_ids);
    tcase_add_test(tc, invalid_identity_pool_ids);
    tcase_add_test(tc, default_endpoint);
    tcase_add_test(tc, logins_key_from_the_issuer);
    tcase_add_test(tc, get_id_body);
    tcase_add_test(tc, credentials_body);
    tcase_add_test(tc, classify_error_types);
    tcase_add_test(tc, get_id_success);
    tcase_add_test(tc, get_id_errors);
    tcase_add_test(tc, error_message_is_kept_apart);
    tcase_add_test(tc, credentials_success);
    tcase_add_test(tc, credentials_expiration_forms);
    tcase_add_test(tc, credentials_malformed_fields);
    tcase_add_test(tc, credentials_wrong_shapes);
    tcase_add_test(tc, credentials_long_values_are_refused_not_cut);
    tcase_add_test(tc, credentials_errors);
    tcase_add_test(tc, renewal_times);
    tcase_add_test(tc, serialize_round_trip);
    tcase_add_test(tc, parse_refuses_bad_entries);
    tcase_add_test(tc, sealed_round_trip);
    tcase_add_test(tc, sealed_entry_opens_only_where_it_belongs);
    tcase_add_test(tc, iso8601_utc);
    tcase_add_test(tc, credential_process_output);
    suite_add_tcase(s, tc);
    return s;
}
