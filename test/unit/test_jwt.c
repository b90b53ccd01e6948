/*
 * test_jwt.c: the token validation contract of cg_jwt.h, rule by rule,
 * each with a token that passes it and one that does not.
 */
#include <stdlib.h>

#include <openssl/err.h>

#include "cg_tokencache.h"
#include "unit.h"

/* The JWKS holds A and B (Cognito publishes two keys); C is the
 * attacker's. */
static ut_keysrc_t *src;
static cg_error_t err;
static cg_jwt_t *jwt;
static int unknown_kids;    /* lookups that found nothing hold nothing */

static void jwt_setup(void)
{
    src = ut_keysrc(ut_pool, UT_MASK(UT_KEY_A) | UT_MASK(UT_KEY_B));
    memset(&err, 0, sizeof(err));
    jwt = NULL;
    unknown_kids = 0;
}

/* RFC 6750 section 3: error_description is %x20-21 / %x23-5B / %x5D-7E. */
static int rfc6750_safe(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            return 0;
        }
    }
    return 1;
}

static cg_err_code_e validate_len(const char *tok, apr_size_t len,
                                  const cg_jwt_policy_t *pol, apr_int64_t now)
{
    cg_err_code_e rc;

    memset(&err, 0, sizeof(err));
    jwt = (cg_jwt_t *)&err;     /* must be overwritten */
    rc = cg_jwt_validate(ut_pool, tok, len, pol, &src->src, now, &jwt, &err);
    /* Invariants of every answer. */
    ck_assert_int_eq(err.code, rc);
    if (rc == CG_OK) {
        ck_assert_ptr_nonnull(jwt);
        ck_assert_ptr_nonnull(jwt->claims);
    }
    else {
        ck_assert_ptr_null(jwt);
        ck_assert_ptr_nonnull(err.description);
        ck_assert_str_eq(err.description, cg_error_description(rc));
        ck_assert_msg(rfc6750_safe(err.description), "unsafe description %s",
                      err.description);
        ck_assert_ptr_nonnull(err.detail);
        ck_assert_msg(!cg_error_is_server_side(rc),
                      "a bad token must not look like our fault: %s",
                      ut_code_name(rc));
    }
    /* Every key hold is given back. */
    if (rc == CG_ERR_KID_UNKNOWN) {
        unknown_kids++;
    }
    ck_assert_int_eq(src->lookups, src->releases + unknown_kids);
    return rc;
}

static cg_err_code_e validate_at(const char *tok, const cg_jwt_policy_t *pol,
                                 apr_int64_t now)
{
    return validate_len(tok, strlen(tok), pol, now);
}

static cg_err_code_e validate(const char *tok, const cg_jwt_policy_t *pol)
{
    return validate_at(tok, pol, UT_NOW);
}

/* A copy of claims with name set to v (stolen) or removed (v NULL). */
static json_t *with(json_t *claims, const char *name, json_t *v)
{
    json_t *c = ut_own(ut_pool, json_deep_copy(claims));
    if (v) {
        json_object_set_new(c, name, v);
    }
    else {
        json_object_del(c, name);
    }
    return c;
}

static char *access_with(const char *name, json_t *v)
{
    return ut_token(ut_pool, UT_KEY_A, with(ut_access_claims(ut_pool, UT_NOW),
                                            name, v));
}

static char *id_with(const char *name, json_t *v)
{
    return ut_token(ut_pool, UT_KEY_A, with(ut_id_claims(ut_pool, UT_NOW),
                                            name, v));
}

static cg_jwt_policy_t *pol_access(void)
{
    return ut_policy(ut_pool, CG_TOKEN_USE_ACCESS);
}

static cg_jwt_policy_t *pol_id(void)
{
    return ut_policy(ut_pool, CG_TOKEN_USE_ID);
}

static const char *part(const char *tok, int i)
{
    const char *s = tok, *dot;
    while (i-- > 0) {
        s = strchr(s, '.') + 1;
    }
    dot = strchr(s, '.');
    return dot ? apr_pstrmemdup(ut_pool, s, (apr_size_t)(dot - s))
               : apr_pstrdup(ut_pool, s);
}

static const char *join3(const char *h, const char *p, const char *s)
{
    return apr_pstrcat(ut_pool, h, ".", p, ".", s, NULL);
}

/* ---------------------------------------------------------------- valid */

START_TEST(valid_access_token)
{
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));

    ut_assert_code(validate(tok, pol_access()), CG_OK, &err);
    ck_assert_int_eq(jwt->token_use, CG_TOKEN_USE_ACCESS);
    ck_assert_str_eq(jwt->alg, "RS256");
    ck_assert_str_eq(jwt->kid, ut_keys[UT_KEY_A].kid);
    ck_assert_str_eq(json_string_value(json_object_get(jwt->claims, "sub")),
                     UT_SUB);
    ck_assert_int_eq(src->lookups, 1);
    ck_assert_int_eq(src->releases, 1);
    ck_assert_str_eq(src->last_kid, ut_keys[UT_KEY_A].kid);
}
END_TEST

START_TEST(valid_id_token)
{
    const char *tok = ut_token(ut_pool, UT_KEY_B, ut_id_claims(ut_pool, UT_NOW));

    ut_assert_code(validate(tok, pol_id()), CG_OK, &err);
    ck_assert_int_eq(jwt->token_use, CG_TOKEN_USE_ID);
    ck_assert_str_eq(jwt->kid, ut_keys[UT_KEY_B].kid);
    ck_assert_str_eq(json_string_value(json_object_get(jwt->claims,
                                                       "cognito:username")),
                     "alice");
}
END_TEST

START_TEST(valid_m2m_token)
{
    cg_jwt_policy_t *pol = pol_access();
    const char *tok = ut_token(ut_pool, UT_KEY_A, ut_m2m_claims(ut_pool, UT_NOW));

    /* The m2m app client is not accepted until configured. */
    ut_assert_code(validate(tok, pol), CG_ERR_CLIENT, &err);
    ut_policy_add_client(ut_pool, pol, UT_M2M);
    ut_assert_code(validate(tok, pol), CG_OK, &err);
    ck_assert_int_eq(jwt->token_use, CG_TOKEN_USE_ACCESS);
}
END_TEST

START_TEST(token_use_any_and_mismatch_both_ways)
{
    const char *acc = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    const char *id = ut_token(ut_pool, UT_KEY_A, ut_id_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *any = ut_policy(ut_pool, CG_TOKEN_USE_ANY);

    ut_assert_code(validate(acc, any), CG_OK, &err);
    ut_assert_code(validate(id, any), CG_OK, &err);
    /* An id token where an access token is wanted, and vice versa. */
    ut_assert_code(validate(id, pol_access()), CG_ERR_TOKEN_USE, &err);
    ut_assert_code(validate(acc, pol_id()), CG_ERR_TOKEN_USE, &err);
}
END_TEST

START_TEST(token_use_words)
{
    ck_assert_int_eq(cg_token_use_from_string("access"), CG_TOKEN_USE_ACCESS);
    ck_assert_int_eq(cg_token_use_from_string("id"), CG_TOKEN_USE_ID);
    ck_assert_int_eq(cg_token_use_from_string("any"), CG_TOKEN_USE_ANY);
    ck_assert_int_eq(cg_token_use_from_string("Access"), 0);
    ck_assert_int_eq(cg_token_use_from_string("refresh"), 0);
    ck_assert_int_eq(cg_token_use_from_string(""), 0);
    ck_assert_int_eq(cg_token_use_from_string(NULL), 0);
}
END_TEST

/* ----------------------------------------------------------------- size */

START_TEST(size_cap_hit_before_parsing)
{
    cg_jwt_policy_t *pol = pol_access();
    char *garbage = apr_palloc(ut_pool, CG_JWT_DEFAULT_MAX_SIZE + 2);
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    apr_size_t len = strlen(tok);

    memset(garbage, '!', CG_JWT_DEFAULT_MAX_SIZE + 1);
    garbage[CG_JWT_DEFAULT_MAX_SIZE + 1] = '\0';
    /* Over the default cap: refused unparsed, not "malformed". */
    ut_assert_code(validate_len(garbage, CG_JWT_DEFAULT_MAX_SIZE + 1, pol,
                                UT_NOW), CG_ERR_TOO_LARGE, &err);
    /* At the cap the same garbage is parsed, and is malformed. */
    ut_assert_code(validate_len(garbage, CG_JWT_DEFAULT_MAX_SIZE, pol, UT_NOW),
                   CG_ERR_MALFORMED, &err);

    /* A configured cap: a good token exactly at it passes, one byte
     * over it does not. */
    pol->max_size = len;
    ut_assert_code(validate(tok, pol), CG_OK, &err);
    pol->max_size = len - 1;
    ut_assert_code(validate(tok, pol), CG_ERR_TOO_LARGE, &err);
    ck_assert_int_eq(src->lookups, 1);
}
END_TEST

/* ------------------------------------------------------------ structure */

START_TEST(not_three_parts)
{
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    const char *h = part(tok, 0), *p = part(tok, 1), *s = part(tok, 2);
    cg_jwt_policy_t *pol = pol_access();

    ut_assert_code(validate(join3(h, p, s), pol), CG_OK, &err);
    ut_assert_code(validate(apr_pstrcat(ut_pool, h, ".", p, NULL), pol),
                   CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(apr_pstrcat(ut_pool, tok, ".", s, NULL), pol),
                   CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(apr_pstrcat(ut_pool, tok, ".", NULL), pol),
                   CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(h, pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate("", pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate("..", pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate("...", pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(join3("", p, s), pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(join3(h, "", s), pol), CG_ERR_MALFORMED, &err);
    /* A JWE (five parts) is not a JWS. */
    ut_assert_code(validate(apr_pstrcat(ut_pool, h, ".", p, ".", s, ".", s,
                                        ".", s, NULL), pol),
                   CG_ERR_MALFORMED, &err);
    ck_assert_int_eq(src->lookups, 1);
}
END_TEST

START_TEST(bad_base64_in_parts)
{
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    const char *h = part(tok, 0), *p = part(tok, 1), *s = part(tok, 2);
    cg_jwt_policy_t *pol = pol_access();
    char *bad;
    static const char strangers[] = { '+', '/', '*', ' ', '=', '\n', '%' };
    size_t i;

    for (i = 0; i < sizeof(strangers); i++) {
        bad = apr_pstrdup(ut_pool, h);
        bad[3] = strangers[i];
        ut_assert_code(validate(join3(bad, p, s), pol), CG_ERR_MALFORMED, &err);
        bad = apr_pstrdup(ut_pool, p);
        bad[10] = strangers[i];
        ut_assert_code(validate(join3(h, bad, s), pol), CG_ERR_MALFORMED, &err);
        bad = apr_pstrdup(ut_pool, s);
        bad[10] = strangers[i];
        ut_assert_code(validate(join3(h, p, bad), pol), CG_ERR_MALFORMED, &err);
    }
    /* Padding, whitespace around the token. */
    ut_assert_code(validate(join3(h, apr_pstrcat(ut_pool, p, "=", NULL), s),
                            pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(join3(h, p, apr_pstrcat(ut_pool, s, "==", NULL)),
                            pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(apr_pstrcat(ut_pool, tok, "\n", NULL), pol),
                   CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(apr_pstrcat(ut_pool, " ", tok, NULL), pol),
                   CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(apr_pstrcat(ut_pool, "Bearer ", tok, NULL), pol),
                   CG_ERR_MALFORMED, &err);
    ck_assert_int_eq(src->lookups, 0);
}
END_TEST

START_TEST(parts_not_json_objects)
{
    const char *hdr = ut_header(ut_pool, "RS256", ut_keys[UT_KEY_A].kid);
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();
    static const char *const not_objects[] = {
        "not json", "{\"alg\":", "[1,2]", "\"RS256\"", "42", "null", "{}x",
        NULL
    };
    const char *const *t;

    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, hdr, pay), pol),
                   CG_OK, &err);
    for (t = not_objects; *t; t++) {
        ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, *t, pay),
                                pol), CG_ERR_MALFORMED, &err);
        ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, hdr, *t),
                                pol), CG_ERR_MALFORMED, &err);
    }
    /* A JSON array of the right members is still not an object. */
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                    "[{\"alg\":\"RS256\"}]", pay), pol),
                   CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, hdr,
                                    apr_pstrcat(ut_pool, "[", pay, "]", NULL)),
                            pol), CG_ERR_MALFORMED, &err);
    ck_assert_int_eq(src->lookups, 1);
}
END_TEST

START_TEST(duplicate_members)
{
    const char *kid = ut_keys[UT_KEY_A].kid;
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();
    const char *hdr_dup = apr_psprintf(ut_pool, "{\"alg\":\"none\",\"kid\":"
                                       "\"%s\",\"alg\":\"RS256\"}", kid);
    /* The payload names sub twice: which one would a backend see? */
    const char *pay_dup = apr_pstrcat(ut_pool, "{\"sub\":\"mallory\",",
                                      pay + 1, NULL);

    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, hdr_dup, pay),
                            pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                    ut_header(ut_pool, "RS256", kid), pay_dup),
                            pol), CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                    ut_header(ut_pool, "RS256", kid), pay),
                            pol), CG_OK, &err);
}
END_TEST

START_TEST(nul_bytes)
{
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    apr_size_t len = strlen(tok);
    char *copy = apr_pmemdup(ut_pool, tok, len + 1);
    const char *hdr = ut_b64(ut_pool, ut_header(ut_pool, "RS256",
                                                ut_keys[UT_KEY_A].kid));
    static const char raw[] = "{\"sub\":\"a\0b\",\"token_use\":\"access\"}";
    const char *pay_raw = cg_b64url_encode(ut_pool, (const unsigned char *)raw,
                                           sizeof(raw) - 1);
    cg_jwt_policy_t *pol = pol_access();

    /* A NUL inside the token, counted in its length. */
    copy[len / 2] = '\0';
    ut_assert_code(validate_len(copy, len, pol, UT_NOW), CG_ERR_MALFORMED, &err);
    copy[len / 2] = tok[len / 2];
    ut_assert_code(validate_len(copy, len, pol, UT_NOW), CG_OK, &err);
    /* A NUL byte, or the \u0000 escape, inside the payload JSON. */
    ut_assert_code(validate(join3(hdr, pay_raw, "AAAA"), pol),
                   CG_ERR_MALFORMED, &err);
    ut_assert_code(validate(access_with("username", json_stringn("al\0ice", 6)),
                            pol), CG_ERR_MALFORMED, &err);
}
END_TEST

/* ------------------------------------------------------------------ alg */

START_TEST(alg_none)
{
    const char *kid = ut_keys[UT_KEY_A].kid;
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();

    ut_assert_code(validate(ut_sign(ut_pool, UT_NONE, 0,
                                    ut_header(ut_pool, "none", kid), pay), pol),
                   CG_ERR_ALG, &err);
    ut_assert_code(validate(ut_sign(ut_pool, UT_NONE, 0,
                                    ut_header(ut_pool, "None", kid), pay), pol),
                   CG_ERR_ALG, &err);
    /* "none" with a real RS256 signature attached is still "none". */
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                    ut_header(ut_pool, "none", kid), pay), pol),
                   CG_ERR_ALG, &err);
    /* RS256 with no signature at all. */
    ck_assert_int_ne(validate(ut_sign(ut_pool, UT_NONE, 0,
                                      ut_header(ut_pool, "RS256", kid), pay),
                              pol), CG_OK);
    ck_assert_int_eq(src->lookups - src->releases, 0);
}
END_TEST

START_TEST(alg_hs256_keyed_with_public_key)
{
    const char *kid = ut_keys[UT_KEY_A].kid;
    const char *hdr = ut_header(ut_pool, "HS256", kid);
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();

    /* The classic confusion attack: HMAC keyed with what the verifier
     * has, the public key (as PEM, or as the JWK). */
    ut_assert_code(validate(ut_sign(ut_pool, UT_HS256_PEM, UT_KEY_A, hdr, pay),
                            pol), CG_ERR_ALG, &err);
    ut_assert_code(validate(ut_sign(ut_pool, UT_HS256_JWK, UT_KEY_A, hdr, pay),
                            pol), CG_ERR_ALG, &err);
    /* ... and claiming RS256 while carrying an HMAC: bad signature. */
    ut_assert_code(validate(ut_sign(ut_pool, UT_HS256_PEM, UT_KEY_A,
                                    ut_header(ut_pool, "RS256", kid), pay),
                            pol), CG_ERR_SIGNATURE, &err);
    ck_assert_int_eq(src->lookups, 1);
}
END_TEST

START_TEST(alg_ps256_es256_and_spellings)
{
    const char *kid = ut_keys[UT_KEY_A].kid;
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();
    static const char *const algs[] = {
        "rs256", "RS256 ", " RS256", "RS384", "RS512", "Rs256", "RS25", NULL
    };
    const char *const *a;

    /* PS256 with a real PSS signature by a key in the JWKS. */
    ut_assert_code(validate(ut_sign(ut_pool, UT_PS256, UT_KEY_A,
                                    ut_header(ut_pool, "PS256", kid), pay),
                            pol), CG_ERR_ALG, &err);
    ut_assert_code(validate(ut_sign(ut_pool, UT_JUNK_SIG, 0,
                                    ut_header(ut_pool, "ES256", kid), pay),
                            pol), CG_ERR_ALG, &err);
    for (a = algs; *a; a++) {
        ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                        ut_header(ut_pool, *a, kid), pay),
                                pol), CG_ERR_ALG, &err);
    }
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                    ut_header(ut_pool, "RS256", kid), pay),
                            pol), CG_OK, &err);
    ck_assert_int_eq(src->lookups, 1);
}
END_TEST

START_TEST(alg_missing_or_not_a_string)
{
    const char *kid = ut_keys[UT_KEY_A].kid;
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();
    static const char *const fmts[] = {
        "{\"kid\":\"%s\"}", "{\"kid\":\"%s\",\"alg\":256}",
        "{\"kid\":\"%s\",\"alg\":null}", "{\"kid\":\"%s\",\"alg\":[\"RS256\"]}",
        "{\"kid\":\"%s\",\"alg\":{\"name\":\"RS256\"}}",
        "{\"kid\":\"%s\",\"alg\":true}", NULL
    };
    const char *const *f;

    for (f = fmts; *f; f++) {
        ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                        apr_psprintf(ut_pool, *f, kid), pay),
                                pol), CG_ERR_ALG, &err);
    }
    ck_assert_int_eq(src->lookups, 0);
}
END_TEST

START_TEST(crit_refused)
{
    const char *kid = ut_keys[UT_KEY_A].kid;
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();

    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, apr_psprintf(
        ut_pool, "{\"kid\":\"%s\",\"alg\":\"RS256\",\"crit\":[\"exp\"],"
        "\"exp\":1}", kid), pay), pol), CG_ERR_CRIT, &err);
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, apr_psprintf(
        ut_pool, "{\"kid\":\"%s\",\"alg\":\"RS256\",\"crit\":[]}", kid), pay),
        pol), CG_ERR_CRIT, &err);
    /* Other unknown header members are harmless. */
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, apr_psprintf(
        ut_pool, "{\"kid\":\"%s\",\"alg\":\"RS256\",\"typ\":\"JWT\","
        "\"x-extra\":[1]}", kid), pay), pol), CG_OK, &err);
    ck_assert_int_eq(src->lookups, 1);
}
END_TEST

/* ---------------------------------------------- key-bearing header fields */

static const char *attacker_header(const char *kid)
{
    json_t *h = ut_own(ut_pool, json_pack(
        "{s:s, s:s, s:s, s:s, s:O, s:[s]}", "alg", "RS256", "kid", kid,
        "jku", "https://attacker.example/jwks.json",
        "x5u", "https://attacker.example/cert.pem",
        "jwk", ut_own(ut_pool, ut_jwk(UT_KEY_C)),
        "x5c", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1L"));
    return ut_dump(ut_pool, h);
}

START_TEST(jku_x5u_jwk_x5c_ignored)
{
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();

    /* Signed by the attacker's key C, which the jwk header carries and
     * the jku/x5u point at, under the kid of a real key: never used. */
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_C,
                                    attacker_header(ut_keys[UT_KEY_A].kid),
                                    pay), pol), CG_ERR_SIGNATURE, &err);
    ck_assert_str_eq(src->last_kid, ut_keys[UT_KEY_A].kid);
    /* ... under the attacker's own kid: the JWKS does not know it. */
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_C,
                                    attacker_header(ut_keys[UT_KEY_C].kid),
                                    pay), pol), CG_ERR_KID_UNKNOWN, &err);
    ck_assert_str_eq(src->last_kid, ut_keys[UT_KEY_C].kid);
    /* The same headers on a token really signed by key A change nothing:
     * they are ignored, not refused. */
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                    attacker_header(ut_keys[UT_KEY_A].kid),
                                    pay), pol), CG_OK, &err);
    ck_assert_int_eq(src->lookups, 3);
}
END_TEST

/* ------------------------------------------------------------------ kid */

START_TEST(kid_rules)
{
    const char *pay = ut_dump(ut_pool, ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();
    static const char *const bad_kids[] = {
        "{\"alg\":\"RS256\"}", "{\"alg\":\"RS256\",\"kid\":\"\"}",
        "{\"alg\":\"RS256\",\"kid\":42}", "{\"alg\":\"RS256\",\"kid\":null}",
        "{\"alg\":\"RS256\",\"kid\":[\"x\"]}", NULL
    };
    const char *const *h;

    for (h = bad_kids; *h; h++) {
        ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A, *h, pay),
                                pol), CG_ERR_MALFORMED, &err);
    }
    ck_assert_int_eq(src->lookups, 0);
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                    ut_header(ut_pool, "RS256", "no-such-kid"),
                                    pay), pol), CG_ERR_KID_UNKNOWN, &err);
    ck_assert_int_eq(src->lookups, 1);
    ck_assert_str_eq(src->last_kid, "no-such-kid");
    ut_assert_code(validate(ut_sign(ut_pool, UT_RS256, UT_KEY_A,
                                    ut_header(ut_pool, "RS256",
                                              ut_keys[UT_KEY_A].kid), pay),
                            pol), CG_OK, &err);
}
END_TEST

/* ------------------------------------------------------------ signature */

START_TEST(signed_by_another_key_under_known_kid)
{
    json_t *c = ut_access_claims(ut_pool, UT_NOW);
    cg_jwt_policy_t *pol = pol_access();

    ut_assert_code(validate(ut_token_kid(ut_pool, UT_KEY_C,
                                         ut_keys[UT_KEY_A].kid, c), pol),
                   CG_ERR_SIGNATURE, &err);
    /* Even a key of the same JWKS does not sign for another kid. */
    ut_assert_code(validate(ut_token_kid(ut_pool, UT_KEY_B,
                                         ut_keys[UT_KEY_A].kid, c), pol),
                   CG_ERR_SIGNATURE, &err);
    ut_assert_code(validate(ut_token_kid(ut_pool, UT_KEY_B,
                                         ut_keys[UT_KEY_B].kid, c), pol),
                   CG_OK, &err);
    ck_assert_int_eq(src->releases, 3);
}
END_TEST

START_TEST(tampered_token)
{
    json_t *c = ut_access_claims(ut_pool, UT_NOW);
    const char *tok = ut_token(ut_pool, UT_KEY_A, c);
    const char *h = part(tok, 0), *s = part(tok, 2);
    cg_jwt_policy_t *pol = pol_access();
    json_t *evil = with(c, "cognito:groups", json_pack("[s]", "superadmin"));
    const char *evil_hdr = apr_psprintf(ut_pool, "{\"kid\":\"%s\",\"alg\":"
                                        "\"RS256\",\"typ\":\"JWT\"}",
                                        ut_keys[UT_KEY_A].kid);

    ut_assert_code(validate(tok, pol), CG_OK, &err);
    ut_assert_code(validate(join3(h, ut_b64(ut_pool, ut_dump(ut_pool, evil)), s),
                            pol), CG_ERR_SIGNATURE, &err);
    ut_assert_code(validate(join3(ut_b64(ut_pool, evil_hdr), part(tok, 1), s),
                            pol), CG_ERR_SIGNATURE, &err);
}
END_TEST

START_TEST(damaged_signature)
{
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    const char *h = part(tok, 0), *p = part(tok, 1), *s = part(tok, 2);
    cg_jwt_policy_t *pol = pol_access();
    apr_size_t n;
    unsigned char *sig = cg_b64url_decode(ut_pool, s, strlen(s), &n);
    const char *cut;

    ck_assert_uint_eq(n, 256);
    /* One byte short, re-encoded properly. */
    ut_assert_code(validate(join3(h, p, cg_b64url_encode(ut_pool, sig, n - 1)),
                            pol), CG_ERR_SIGNATURE, &err);
    /* One bit flipped. */
    sig[100] ^= 0x01;
    ut_assert_code(validate(join3(h, p, cg_b64url_encode(ut_pool, sig, n)),
                            pol), CG_ERR_SIGNATURE, &err);
    /* Cut to an impossible base64 length. */
    cut = apr_pstrmemdup(ut_pool, s, strlen(s) - 1);
    ck_assert_uint_eq(strlen(cut) % 4, 1);
    ut_assert_code(validate(join3(h, p, cut), pol), CG_ERR_MALFORMED, &err);
    /* Doubled. */
    ck_assert_int_ne(validate(join3(h, p, apr_pstrcat(ut_pool, s, s, NULL)),
                              pol), CG_OK);
    /* The same number with a leading zero byte: RSA_verify() must insist
     * on exactly the modulus length, not on the value. */
    sig[100] ^= 0x01;
    {
        unsigned char *padded = apr_palloc(ut_pool, n + 1);
        padded[0] = 0;
        memcpy(padded + 1, sig, n);
        ut_assert_code(validate(join3(h, p, cg_b64url_encode(ut_pool, sig, n)),
                                pol), CG_OK, &err);
        ut_assert_code(validate(join3(h, p, cg_b64url_encode(ut_pool, padded,
                                                             n + 1)),
                                pol), CG_ERR_SIGNATURE, &err);
    }
    /* Failed verifications leave nothing on OpenSSL's error queue for
     * other modules on this thread to find. */
    ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

/* ------------------------------------------------------------------ iss */

START_TEST(issuer_rules)
{
    cg_jwt_policy_t *pol = pol_access();
    static const char *const wrong[] = {
        UT_ISSUER "/",
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other",
        "https://cognito-idp.us-west-2.amazonaws.com/" UT_POOL_ID,
        "http://cognito-idp.us-east-1.amazonaws.com/" UT_POOL_ID,
        "HTTPS://COGNITO-IDP.US-EAST-1.AMAZONAWS.COM/" UT_POOL_ID,
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc123xyz",
        UT_ISSUER " ", "", NULL
    };
    const char *const *w;

    ut_assert_code(validate(access_with("iss", json_string(UT_ISSUER)), pol),
                   CG_OK, &err);
    for (w = wrong; *w; w++) {
        ut_assert_code(validate(access_with("iss", json_string(*w)), pol),
                       CG_ERR_ISSUER, &err);
    }
    ut_assert_code(validate(access_with("iss", NULL), pol), CG_ERR_ISSUER, &err);
    ut_assert_code(validate(access_with("iss", json_integer(1)), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("iss", json_pack("[s]", UT_ISSUER)),
                            pol), CG_ERR_CLAIM_TYPE, &err);
    /* A token from another pool never costs a key lookup. */
    ck_assert_int_eq(src->lookups, 1);
}
END_TEST

START_TEST(issuer_checked_before_key_lookup)
{
    json_t *c = with(ut_access_claims(ut_pool, UT_NOW), "iss",
                     json_string("https://evil.example/pool"));
    cg_jwt_policy_t *pol = pol_access();

    ut_assert_code(validate(ut_token_kid(ut_pool, UT_KEY_C, "made-up-kid", c),
                            pol), CG_ERR_ISSUER, &err);
    ck_assert_int_eq(src->lookups, 0);
    /* With the right issuer, the same unknown kid is looked up. */
    c = ut_access_claims(ut_pool, UT_NOW);
    ut_assert_code(validate(ut_token_kid(ut_pool, UT_KEY_C, "made-up-kid", c),
                            pol), CG_ERR_KID_UNKNOWN, &err);
    ck_assert_int_eq(src->lookups, 1);
}
END_TEST

/* ---------------------------------------------------------------- times */

START_TEST(exp_rules)
{
    cg_jwt_policy_t *pol = pol_access();
    apr_int64_t now = UT_NOW;

    ut_assert_code(validate(access_with("exp", NULL), pol),
                   CG_ERR_MISSING_CLAIM, &err);
    ut_assert_code(validate(access_with("exp", json_integer(now - 3600)), pol),
                   CG_ERR_EXPIRED, &err);
    ck_assert_msg(strstr(err.detail, "3600s") != NULL, "detail: %s",
                  err.detail);
    /* Within the 30 s skew, and just beyond it. */
    ut_assert_code(validate(access_with("exp", json_integer(now - 29)), pol),
                   CG_OK, &err);
    ut_assert_code(validate(access_with("exp", json_integer(now - 31)), pol),
                   CG_ERR_EXPIRED, &err);
    /* Without skew: one second past is expired, one second to go is not. */
    pol->clock_skew = 0;
    ut_assert_code(validate(access_with("exp", json_integer(now - 1)), pol),
                   CG_ERR_EXPIRED, &err);
    ut_assert_code(validate(access_with("exp", json_integer(now + 1)), pol),
                   CG_OK, &err);
    ut_assert_code(validate(access_with("exp", json_real((double)now + 0.5)),
                            pol), CG_OK, &err);
    /* Wrong types are refused, never coerced. */
    ut_assert_code(validate(access_with("exp", json_sprintf("%lld",
                                                            (long long)now + 60)),
                            pol), CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("exp", json_null()), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("exp", json_true()), pol),
                   CG_ERR_CLAIM_TYPE, &err);
}
END_TEST

START_TEST(nbf_and_iat_rules)
{
    cg_jwt_policy_t *pol = pol_access();
    apr_int64_t now = UT_NOW;

    ut_assert_code(validate(access_with("nbf", json_integer(now + 20)), pol),
                   CG_OK, &err);
    ut_assert_code(validate(access_with("nbf", json_integer(now + 120)), pol),
                   CG_ERR_NOT_YET_VALID, &err);
    ut_assert_code(validate(access_with("nbf", json_integer(now - 120)), pol),
                   CG_OK, &err);
    ut_assert_code(validate(access_with("iat", json_integer(now + 20)), pol),
                   CG_OK, &err);
    ut_assert_code(validate(access_with("iat", json_integer(now + 120)), pol),
                   CG_ERR_IAT_FUTURE, &err);
    ut_assert_code(validate(access_with("nbf", json_string("0")), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("iat", json_string("0")), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("auth_time", json_string("0")), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    /* A token from the future is fine once the clock catches up. */
    ut_assert_code(validate_at(access_with("iat", json_integer(now + 120)), pol,
                               now + 120), CG_OK, &err);
}
END_TEST

/* ------------------------------------------------------------ token_use */

START_TEST(token_use_rules)
{
    cg_jwt_policy_t *any = ut_policy(ut_pool, CG_TOKEN_USE_ANY);

    ut_assert_code(validate(access_with("token_use", NULL), any),
                   CG_ERR_TOKEN_USE, &err);
    ut_assert_code(validate(access_with("token_use", json_string("refresh")),
                            any), CG_ERR_TOKEN_USE, &err);
    ut_assert_code(validate(access_with("token_use", json_string("ACCESS")),
                            any), CG_ERR_TOKEN_USE, &err);
    /* "any" is a policy word, not a token_use. */
    ut_assert_code(validate(access_with("token_use", json_string("any")), any),
                   CG_ERR_TOKEN_USE, &err);
    ut_assert_code(validate(access_with("token_use", json_integer(1)), any),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("token_use", json_string("access")),
                            any), CG_OK, &err);
}
END_TEST

/* --------------------------------------------------------------- client */

START_TEST(id_token_audience)
{
    cg_jwt_policy_t *pol = pol_id();

    ut_assert_code(validate(id_with("aud", json_string("someone-else")), pol),
                   CG_ERR_CLIENT, &err);
    ut_assert_code(validate(id_with("aud", NULL), pol), CG_ERR_CLIENT, &err);
    ut_assert_code(validate(id_with("aud", json_pack("[s,s]", "other",
                                                     UT_CLIENT)), pol),
                   CG_OK, &err);
    ut_assert_code(validate(id_with("aud", json_pack("[s,s]", "other",
                                                     "another")), pol),
                   CG_ERR_CLIENT, &err);
    ut_assert_code(validate(id_with("aud", json_array()), pol),
                   CG_ERR_CLIENT, &err);
    ut_assert_code(validate(id_with("aud", json_pack("[i,i]", 1, 2)), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(id_with("aud", json_pack("[s,i]", UT_CLIENT, 2)),
                            pol), CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(id_with("aud", json_pack("{s:s}", "id", UT_CLIENT)),
                            pol), CG_ERR_CLAIM_TYPE, &err);
    /* An id token is judged by aud: a matching client_id does not help. */
    ut_assert_code(validate(ut_token(ut_pool, UT_KEY_A, with(
        with(ut_id_claims(ut_pool, UT_NOW), "aud", json_string("other")),
        "client_id", json_string(UT_CLIENT))), pol), CG_ERR_CLIENT, &err);
}
END_TEST

START_TEST(access_token_client_id)
{
    cg_jwt_policy_t *pol = pol_access();

    ut_assert_code(validate(access_with("client_id", json_string("other")),
                            pol), CG_ERR_CLIENT, &err);
    /* Cognito access tokens carry client_id, never aud: an aud naming
     * our client is not a substitute. */
    ut_assert_code(validate(ut_token(ut_pool, UT_KEY_A, with(
        with(ut_access_claims(ut_pool, UT_NOW), "client_id", NULL), "aud",
        json_string(UT_CLIENT))), pol), CG_ERR_CLIENT, &err);
    ut_assert_code(validate(access_with("client_id", json_integer(5)), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("client_id", json_string(UT_CLIENT)),
                            pol), CG_OK, &err);
}
END_TEST

START_TEST(several_client_ids)
{
    cg_jwt_policy_t *pol = pol_access();
    const char *tok2 = access_with("client_id", json_string(UT_CLIENT2));
    const char *tok3 = access_with("client_id", json_string("third-client"));

    ut_assert_code(validate(tok2, pol), CG_ERR_CLIENT, &err);
    ut_policy_add_client(ut_pool, pol, UT_CLIENT2);
    ut_assert_code(validate(tok2, pol), CG_OK, &err);
    ut_assert_code(validate(access_with("client_id", json_string(UT_CLIENT)),
                            pol), CG_OK, &err);
    ut_assert_code(validate(tok3, pol), CG_ERR_CLIENT, &err);
    /* Prefixes and case variants are other clients. */
    ut_assert_code(validate(access_with("client_id", json_string(UT_CLIENT "x")),
                            pol), CG_ERR_CLIENT, &err);
    ut_assert_code(validate(access_with("client_id",
                                        json_string("4PQRST1UVW2XYZ3ABC4DEF5GH")),
                            pol), CG_ERR_CLIENT, &err);
}
END_TEST

/* ------------------------------------------------------ other claim types */

START_TEST(groups_types)
{
    cg_jwt_policy_t *pol = pol_access();

    ut_assert_code(validate(access_with("cognito:groups", json_string("admins")),
                            pol), CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("cognito:groups",
                                        json_pack("[s,i]", "admins", 7)), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("cognito:groups",
                                        json_pack("[s,[s]]", "a", "b")), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("cognito:groups", json_array()), pol),
                   CG_OK, &err);
    ut_assert_code(validate(access_with("cognito:groups", NULL), pol),
                   CG_OK, &err);
}
END_TEST

START_TEST(sub_required)
{
    cg_jwt_policy_t *pol = pol_access();

    ut_assert_code(validate(access_with("sub", NULL), pol),
                   CG_ERR_MISSING_CLAIM, &err);
    ut_assert_code(validate(access_with("sub", json_integer(7)), pol),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(access_with("sub", json_string("x")), pol),
                   CG_OK, &err);
}
END_TEST

START_TEST(string_and_number_claim_types)
{
    static const char *const strings[] = {
        "iss", "token_use", "sub", "client_id", "username", "scope", "email",
        "nonce", NULL
    };
    static const char *const numbers[] = {
        "exp", "nbf", "iat", "auth_time", NULL
    };
    cg_jwt_policy_t *any = ut_policy(ut_pool, CG_TOKEN_USE_ANY);
    const char *const *n;

    for (n = strings; *n; n++) {
        ut_assert_code(validate(access_with(*n, json_integer(42)), any),
                       CG_ERR_CLAIM_TYPE, &err);
        ut_assert_code(validate(access_with(*n, json_pack("[s]", "x")), any),
                       CG_ERR_CLAIM_TYPE, &err);
    }
    ut_assert_code(validate(id_with("cognito:username", json_false()), any),
                   CG_ERR_CLAIM_TYPE, &err);
    ut_assert_code(validate(id_with("email", json_null()), any),
                   CG_ERR_CLAIM_TYPE, &err);
    for (n = numbers; *n; n++) {
        ut_assert_code(validate(access_with(*n, json_string("1700000000")), any),
                       CG_ERR_CLAIM_TYPE, &err);
    }
    /* Claims we do not rely on may be anything. */
    ut_assert_code(validate(access_with("custom:anything", json_pack("{s:[i]}",
                                                                     "x", 1)),
                            any), CG_OK, &err);
    ut_assert_code(validate(access_with("auth_time", json_real(1.7e9)), any),
                   CG_OK, &err);
    /* None of these reached a key. */
    ck_assert_int_eq(src->lookups, 2);
}
END_TEST

/* ---------------------------------------------------------------- nonce */

START_TEST(nonce_rules)
{
    cg_jwt_policy_t *pol = pol_id();

    /* Without a policy nonce, the claim is not looked at. */
    ut_assert_code(validate(id_with("nonce", json_string("whatever")), pol),
                   CG_OK, &err);
    pol->nonce = "n-0S6_WzA2Mj";
    ut_assert_code(validate(id_with("nonce", json_string("n-0S6_WzA2Mj")), pol),
                   CG_OK, &err);
    ut_assert_code(validate(id_with("nonce", json_string("n-0S6_WzA2Mk")), pol),
                   CG_ERR_NONCE, &err);
    ut_assert_code(validate(id_with("nonce", json_string("n-0S6_WzA2M")), pol),
                   CG_ERR_NONCE, &err);
    ut_assert_code(validate(id_with("nonce", NULL), pol), CG_ERR_NONCE, &err);
    ut_assert_code(validate(id_with("nonce", json_integer(1)), pol),
                   CG_ERR_CLAIM_TYPE, &err);
}
END_TEST

/* --------------------------------------------------------- step functions */

START_TEST(parse_step_alone)
{
    json_t *c = ut_id_claims(ut_pool, UT_NOW);
    const char *tok = ut_token(ut_pool, UT_KEY_B, c);
    cg_jwt_t *j = NULL;
    json_t *again;

    ut_assert_code(cg_jwt_parse(ut_pool, tok, strlen(tok), 0, &j, &err), CG_OK,
                   &err);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(j->alg, "RS256");
    ck_assert_str_eq(j->kid, ut_keys[UT_KEY_B].kid);
    ck_assert_int_eq(j->token_use, CG_TOKEN_USE_ID);
    ck_assert_uint_eq(j->raw_len, strlen(tok));
    ck_assert_str_eq(j->raw, tok);
    ck_assert_uint_eq(j->payload_len, strlen(j->payload));
    again = ut_json(ut_pool, j->payload);
    ck_assert(json_equal(again, c));
    ck_assert(json_equal(j->claims, c));
    ck_assert_str_eq(json_string_value(json_object_get(j->header, "kid")),
                     ut_keys[UT_KEY_B].kid);

    /* token_use values other than id/access leave 0. */
    tok = access_with("token_use", json_string("any"));
    ut_assert_code(cg_jwt_parse(ut_pool, tok, strlen(tok), 0, &j, &err), CG_OK,
                   &err);
    ck_assert_int_eq(j->token_use, 0);
    ut_assert_code(cg_jwt_parse(ut_pool, tok, strlen(tok), 10, &j, &err),
                   CG_ERR_TOO_LARGE, &err);
    ck_assert_ptr_null(j);
}
END_TEST

START_TEST(verify_signature_step_alone)
{
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_t *j;

    ut_assert_code(cg_jwt_parse(ut_pool, tok, strlen(tok), 0, &j, &err), CG_OK,
                   &err);
    ut_assert_code(cg_jwt_verify_signature(
                       j, cg_keyset_find(src->ks, ut_keys[UT_KEY_A].kid),
                       ut_pool, &err), CG_OK, &err);
    ut_assert_code(cg_jwt_verify_signature(
                       j, cg_keyset_find(src->ks, ut_keys[UT_KEY_B].kid),
                       ut_pool, &err), CG_ERR_SIGNATURE, &err);
}
END_TEST

START_TEST(check_times_step_alone)
{
    json_t *c = ut_access_claims(ut_pool, UT_NOW);
    const char *tok = ut_token(ut_pool, UT_KEY_A, c);
    cg_jwt_t *j;
    apr_int64_t exp = UT_NOW + 3600;

    ut_assert_code(cg_jwt_parse(ut_pool, tok, strlen(tok), 0, &j, &err), CG_OK,
                   &err);
    ut_assert_code(cg_jwt_check_times(j, 0, UT_NOW, ut_pool, &err), CG_OK, &err);
    ut_assert_code(cg_jwt_check_times(j, 0, exp - 1, ut_pool, &err), CG_OK,
                   &err);
    ut_assert_code(cg_jwt_check_times(j, 0, exp + 1, ut_pool, &err),
                   CG_ERR_EXPIRED, &err);
    ut_assert_code(cg_jwt_check_times(j, 60, exp + 59, ut_pool, &err), CG_OK,
                   &err);
    ut_assert_code(cg_jwt_check_times(j, 60, exp + 61, ut_pool, &err),
                   CG_ERR_EXPIRED, &err);
    ck_assert_msg(strstr(err.detail, "61s") != NULL, "detail: %s", err.detail);
    /* iat was 60 s before UT_NOW. */
    ut_assert_code(cg_jwt_check_times(j, 0, UT_NOW - 61, ut_pool, &err),
                   CG_ERR_IAT_FUTURE, &err);
    ut_assert_code(cg_jwt_check_times(j, 5, UT_NOW - 62, ut_pool, &err), CG_OK,
                   &err);
}
END_TEST

START_TEST(check_policy_step_alone)
{
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));
    cg_jwt_policy_t *pol = pol_access();
    cg_jwt_t *j;

    ut_assert_code(cg_jwt_parse(ut_pool, tok, strlen(tok), 0, &j, &err), CG_OK,
                   &err);
    ut_assert_code(cg_jwt_check_policy(j, pol, ut_pool, &err), CG_OK, &err);
    pol->issuer = UT_ISSUER "/";
    ut_assert_code(cg_jwt_check_policy(j, pol, ut_pool, &err), CG_ERR_ISSUER,
                   &err);
    pol->issuer = UT_ISSUER;
    pol->token_use = CG_TOKEN_USE_ID;
    ut_assert_code(cg_jwt_check_policy(j, pol, ut_pool, &err),
                   CG_ERR_TOKEN_USE, &err);
    pol->token_use = CG_TOKEN_USE_ACCESS;
    pol->nonce = "abc";
    ut_assert_code(cg_jwt_check_policy(j, pol, ut_pool, &err), CG_ERR_NONCE,
                   &err);
    pol->nonce = NULL;
    pol->client_ids = apr_array_make(ut_pool, 1, sizeof(const char *));
    ut_assert_code(cg_jwt_check_policy(j, pol, ut_pool, &err), CG_ERR_CLIENT,
                   &err);
    /* A NULL err is allowed everywhere. */
    ck_assert_int_eq(cg_jwt_check_policy(j, pol, ut_pool, NULL), CG_ERR_CLIENT);
    ck_assert_int_eq(cg_jwt_parse(ut_pool, "x", 1, 0, &j, NULL),
                     CG_ERR_MALFORMED);
}
END_TEST

/* --------------------------------------------------------------- errors */

START_TEST(error_descriptions_are_rfc6750_safe)
{
    int c;
    const char *tok = ut_token(ut_pool, UT_KEY_A,
                               ut_access_claims(ut_pool, UT_NOW));

    for (c = CG_OK; c <= CG_ERR_INTERNAL; c++) {
        const char *d = cg_error_description((cg_err_code_e)c);
        ck_assert_ptr_nonnull(d);
        ck_assert_msg(*d && rfc6750_safe(d), "code %d: \"%s\"", c, d);
    }
    /* Server-side codes are exactly the 5xx ones. */
    ck_assert(cg_error_is_server_side(CG_ERR_KEYS_UNAVAILABLE));
    ck_assert(cg_error_is_server_side(CG_ERR_UPSTREAM));
    ck_assert(cg_error_is_server_side(CG_ERR_INTERNAL));
    for (c = CG_OK; c <= CG_ERR_REJECTED; c++) {
        ck_assert_msg(!cg_error_is_server_side((cg_err_code_e)c), "code %d", c);
    }
    /* Details are for the log, and never quote the token. */
    ut_assert_code(validate(tok, pol_id()), CG_ERR_TOKEN_USE, &err);
    ck_assert_ptr_null(strstr(err.detail, part(tok, 2)));
    ck_assert_ptr_null(strstr(err.detail, part(tok, 1)));
}
END_TEST

/*
 * cg_jwt.h: "runs the checks in this order, stopping at the first failure",
 * header (step 3: alg, crit, kid) before claim types (step 4); and
 * cg_jwt_parse is documented as "Steps 1-4".
 */
START_TEST(header_checks_come_before_claim_types)
{
    const char *kid = ut_keys[UT_KEY_A].kid;
    const char *bad_claims = ut_dump(ut_pool, with(ut_access_claims(ut_pool,
                                                                    UT_NOW),
                                                   "iss", json_integer(1)));
    const char *good_claims = ut_dump(ut_pool, ut_access_claims(ut_pool,
                                                                UT_NOW));
    const char *tok;
    cg_jwt_t *j;

    /* alg none with a mistyped claim: an alg problem first. */
    tok = ut_sign(ut_pool, UT_NONE, 0, ut_header(ut_pool, "none", kid),
                  bad_claims);
    ut_assert_code(validate(tok, pol_access()), CG_ERR_ALG, &err);
    tok = ut_sign(ut_pool, UT_RS256, UT_KEY_A, apr_psprintf(
        ut_pool, "{\"kid\":\"%s\",\"alg\":\"RS256\",\"crit\":[\"b64\"]}", kid),
        bad_claims);
    ut_assert_code(validate(tok, pol_access()), CG_ERR_CRIT, &err);
    /* cg_jwt_parse alone (steps 1-4) refuses what step 3 refuses. */
    tok = ut_sign(ut_pool, UT_PS256, UT_KEY_A, ut_header(ut_pool, "PS256", kid),
                  good_claims);
    ut_assert_code(cg_jwt_parse(ut_pool, tok, strlen(tok), 0, &j, &err),
                   CG_ERR_ALG, &err);
}
END_TEST

/* cg_tokencache.h: "a success is remembered".  An exp too large for an
 * integer (1e300 is a valid JSON number) was converted to one, which is
 * undefined behaviour and on x86 gave the most negative integer: the
 * entry was dropped as expired at once (found by fuzz_jwt under UBSan). */
START_TEST(cache_remembers_tokens_with_huge_exp)
{
    cg_token_cache_t *cache = cg_token_cache_create(ut_pool, 8);
    const char *tok = access_with("exp", json_real(1e300));
    cg_jwt_policy_t *pol = pol_access();
    int hit = -1;

    ut_assert_code(cg_jwt_validate_cached(cache, ut_pool, UT_JWKS_URL, tok,
                                          strlen(tok), pol, &src->src, UT_NOW,
                                          &jwt, &hit, &err), CG_OK, &err);
    ck_assert_int_eq(hit, 0);
    ut_assert_code(cg_jwt_validate_cached(cache, ut_pool, UT_JWKS_URL, tok,
                                          strlen(tok), pol, &src->src, UT_NOW,
                                          &jwt, &hit, &err), CG_OK, &err);
    ck_assert_msg(hit == 1, "the second look was not a cache hit");
}
END_TEST

Suite *ut_jwt_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc;

#define TC(name) tc = ut_tcase(name); \
    tcase_add_checked_fixture(tc, jwt_setup, NULL); suite_add_tcase(s, tc)

    TC("valid");
    tcase_add_test(tc, valid_access_token);
    tcase_add_test(tc, valid_id_token);
    tcase_add_test(tc, valid_m2m_token);
    tcase_add_test(tc, token_use_any_and_mismatch_both_ways);
    tcase_add_test(tc, token_use_words);

    TC("structure");
    tcase_add_test(tc, size_cap_hit_before_parsing);
    tcase_add_test(tc, not_three_parts);
    tcase_add_test(tc, bad_base64_in_parts);
    tcase_add_test(tc, parts_not_json_objects);
    tcase_add_test(tc, duplicate_members);
    tcase_add_test(tc, nul_bytes);

    TC("header");
    tcase_add_test(tc, alg_none);
    tcase_add_test(tc, alg_hs256_keyed_with_public_key);
    tcase_add_test(tc, alg_ps256_es256_and_spellings);
    tcase_add_test(tc, alg_missing_or_not_a_string);
    tcase_add_test(tc, crit_refused);
    tcase_add_test(tc, jku_x5u_jwk_x5c_ignored);
    tcase_add_test(tc, kid_rules);

    TC("signature");
    tcase_add_test(tc, signed_by_another_key_under_known_kid);
    tcase_add_test(tc, tampered_token);
    tcase_add_test(tc, damaged_signature);

    TC("claims");
    tcase_add_test(tc, issuer_rules);
    tcase_add_test(tc, issuer_checked_before_key_lookup);
    tcase_add_test(tc, exp_rules);
    tcase_add_test(tc, nbf_and_iat_rules);
    tcase_add_test(tc, token_use_rules);
    tcase_add_test(tc, id_token_audience);
    tcase_add_test(tc, access_token_client_id);
    tcase_add_test(tc, several_client_ids);
    tcase_add_test(tc, groups_types);
    tcase_add_test(tc, sub_required);
    tcase_add_test(tc, string_and_number_claim_types);
    tcase_add_test(tc, nonce_rules);

    TC("steps");
    tcase_add_test(tc, parse_step_alone);
    tcase_add_test(tc, verify_signature_step_alone);
    tcase_add_test(tc, check_times_step_alone);
    tcase_add_test(tc, check_policy_step_alone);
    tcase_add_test(tc, error_descriptions_are_rfc6750_safe);
#undef TC

    /* Promises of the headers/docs that src/lib did not keep when these
     * were written (each test's comment names the promise).  Tagged so a
     * valgrind run can leave them out: CK_EXCLUDE_TAGS=regression. */
    tc = ut_tcase("regressions");
    tcase_set_tags(tc, "regression");
    tcase_add_checked_fixture(tc, jwt_setup, NULL);
    tcase_add_test(tc, header_checks_come_before_claim_types);
    tcase_add_test(tc, cache_remembers_tokens_with_huge_exp);
    suite_add_tcase(s, tc);
    return s;
}
