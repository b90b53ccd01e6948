/* cg_jwt.c: parse and validate Cognito JWTs (see cg_jwt.h for the rules). */

/* RSA_verify() is what cjose itself verifies RS256 with; OpenSSL 3 marks
 * it deprecated in favour of EVP_PKEY_verify(), which measured 3 us (20%)
 * slower per verification here because it fetches the algorithm from a
 * provider every time.  Must come before any OpenSSL header. */
#define OPENSSL_API_COMPAT 10101

#include <math.h>
#include <string.h>

#include <apr_strings.h>
#include <cjose/jwk.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "cg_b64.h"
#include "cg_json.h"
#include "cg_jwt.h"

static apr_status_t decref_json(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

int cg_token_use_from_string(const char *s)
{
    if (!s) return 0;
    if (!strcmp(s, "access")) return CG_TOKEN_USE_ACCESS;
    if (!strcmp(s, "id")) return CG_TOKEN_USE_ID;
    if (!strcmp(s, "any")) return CG_TOKEN_USE_ANY;
    return 0;
}

/* Decode one base64url part into a JSON object. */
static json_t *decode_object(apr_pool_t *p, const char *part, apr_size_t len,
                             const char **text, apr_size_t *text_len,
                             const char *what, cg_error_t *err)
{
    unsigned char *raw;
    apr_size_t raw_len;
    const char *why = NULL;
    json_t *obj;

    raw = cg_b64url_decode(p, part, len, &raw_len);
    if (!raw || raw_len == 0) {
        cg_error_set(err, p, CG_ERR_MALFORMED, "%s is not valid base64url",
                     what);
        return NULL;
    }
    /* cg_json reads what jansson would (duplicates refused) in a third of
     * the time: this runs for every token the cache has not seen. */
    obj = cg_json_read_object((const char *)raw, raw_len, &why);
    if (!obj) {
        cg_error_set(err, p, CG_ERR_MALFORMED, "%s is not a JSON object: %s",
                     what, why);
        return NULL;
    }
    apr_pool_cleanup_register(p, obj, decref_json, apr_pool_cleanup_null);
    if (text) {
        *text = (const char *)raw;
        *text_len = raw_len;
    }
    return obj;
}

/* Claims whose types we rely on.  A wrong type is an error, never coerced. */
static const char *const string_claims[] = {
    "iss", "token_use", "sub", "client_id", "username", "cognito:username",
    "scope", "email", "nonce", "jti", NULL
};
static const char *const number_claims[] = {
    "exp", "nbf", "iat", "auth_time", NULL
};

static cg_err_code_e check_claim_types(apr_pool_t *p, json_t *claims,
                                       cg_error_t *err)
{
    const char *const *name;
    json_t *v;

    for (name = string_claims; *name; name++) {
        v = json_object_get(claims, *name);
        if (v && !json_is_string(v)) {
            return cg_error_set(err, p, CG_ERR_CLAIM_TYPE,
                                "claim %s is not a string", *name);
        }
    }
    for (name = number_claims; *name; name++) {
        v = json_object_get(claims, *name);
        if (v && !json_is_number(v)) {
            return cg_error_set(err, p, CG_ERR_CLAIM_TYPE,
                                "claim %s is not a number", *name);
        }
    }
    v = json_object_get(claims, "cognito:groups");
    if (v) {
        size_t i;
        if (!json_is_array(v)) {
            return cg_error_set(err, p, CG_ERR_CLAIM_TYPE,
                                "claim cognito:groups is not an array");
        }
        for (i = 0; i < json_array_size(v); i++) {
            if (!json_is_string(json_array_get(v, i))) {
                return cg_error_set(err, p, CG_ERR_CLAIM_TYPE,
                                    "cognito:groups holds a non-string");
            }
        }
    }
    v = json_object_get(claims, "aud");
    if (v && !json_is_string(v)) {
        size_t i;
        if (!json_is_array(v)) {
            return cg_error_set(err, p, CG_ERR_CLAIM_TYPE,
                                "claim aud is neither string nor array");
        }
        for (i = 0; i < json_array_size(v); i++) {
            if (!json_is_string(json_array_get(v, i))) {
                return cg_error_set(err, p, CG_ERR_CLAIM_TYPE,
                                    "claim aud holds a non-string");
            }
        }
    }
    return CG_OK;
}

static cg_err_code_e check_header(const cg_jwt_t *jwt, apr_pool_t *p,
                                  cg_error_t *err);

cg_err_code_e cg_jwt_parse(apr_pool_t *p, const char *token, apr_size_t len,
                           apr_size_t max_size, cg_jwt_t **out,
                           cg_error_t *err)
{
    const char *dot1, *dot2, *end = token + len;
    cg_jwt_t *jwt;
    json_t *v;
    cg_err_code_e rc;

    *out = NULL;
    if (max_size == 0) {
        max_size = CG_JWT_DEFAULT_MAX_SIZE;
    }
    if (len > max_size) {
        return cg_error_set(err, p, CG_ERR_TOO_LARGE,
                            "token is %" APR_SIZE_T_FMT " bytes, the limit is %"
                            APR_SIZE_T_FMT, len, max_size);
    }
    if (len == 0) {
        return cg_error_set(err, p, CG_ERR_MALFORMED, "empty token");
    }
    dot1 = memchr(token, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', (apr_size_t)(end - dot1 - 1)) : NULL;
    if (!dot1 || !dot2 || memchr(dot2 + 1, '.', (apr_size_t)(end - dot2 - 1))) {
        return cg_error_set(err, p, CG_ERR_MALFORMED,
                            "not three dot-separated parts");
    }
    if (memchr(token, '\0', len)) {
        return cg_error_set(err, p, CG_ERR_MALFORMED, "token contains NUL");
    }

    jwt = apr_pcalloc(p, sizeof(*jwt));
    jwt->raw = apr_pstrmemdup(p, token, len);
    jwt->raw_len = len;
    jwt->header = decode_object(p, token, (apr_size_t)(dot1 - token), NULL,
                                NULL, "header", err);
    if (!jwt->header) {
        return err ? err->code : CG_ERR_MALFORMED;
    }
    jwt->claims = decode_object(p, dot1 + 1, (apr_size_t)(dot2 - dot1 - 1),
                                &jwt->payload, &jwt->payload_len, "payload",
                                err);
    if (!jwt->claims) {
        return err ? err->code : CG_ERR_MALFORMED;
    }
    /* The signature must at least be well-formed base64url; an empty one
     * is left for the alg check to refuse with a clearer reason. */
    jwt->signed_len = (apr_size_t)(dot2 - token);
    jwt->signature = (const unsigned char *)"";
    if (end - dot2 - 1 > 0) {
        jwt->signature = cg_b64url_decode(p, dot2 + 1,
                                          (apr_size_t)(end - dot2 - 1),
                                          &jwt->signature_len);
        if (!jwt->signature) {
            return cg_error_set(err, p, CG_ERR_MALFORMED,
                                "signature is not valid base64url");
        }
    }

    v = json_object_get(jwt->header, "alg");
    if (!json_is_string(v)) {
        return cg_error_set(err, p, CG_ERR_ALG, "header has no string alg");
    }
    jwt->alg = json_string_value(v);
    v = json_object_get(jwt->header, "kid");
    if (v && !json_is_string(v)) {
        return cg_error_set(err, p, CG_ERR_MALFORMED,
                            "header kid is not a string");
    }
    jwt->kid = v ? json_string_value(v) : NULL;

    /* Step 3 before step 4: a token with a bad algorithm is refused for
     * that, whatever its claims look like. */
    rc = check_header(jwt, p, err);
    if (rc != CG_OK) {
        return rc;
    }
    rc = check_claim_types(p, jwt->claims, err);
    if (rc != CG_OK) {
        return rc;
    }
    v = json_object_get(jwt->claims, "token_use");
    jwt->token_use = v ? cg_token_use_from_string(json_string_value(v)) : 0;
    if (jwt->token_use == CG_TOKEN_USE_ANY) {
        jwt->token_use = 0;     /* "any" is a policy word, not a token_use */
    }
    *out = jwt;
    return CG_OK;
}

static cg_err_code_e check_header(const cg_jwt_t *jwt, apr_pool_t *p,
                                  cg_error_t *err)
{
    /* Exactly RS256: this is the whole defence against alg confusion
     * (none, HS256 keyed with the public key, and friends). */
    if (strcmp(jwt->alg, "RS256") != 0) {
        return cg_error_set(err, p, CG_ERR_ALG, "alg %.32s is not RS256",
                            jwt->alg);
    }
    if (json_object_get(jwt->header, "crit")) {
        return cg_error_set(err, p, CG_ERR_CRIT,
                            "header has crit, which we do not support");
    }
    if (!jwt->kid || !*jwt->kid) {
        return cg_error_set(err, p, CG_ERR_MALFORMED, "header has no kid");
    }
    return CG_OK;
}

static cg_err_code_e check_issuer(const cg_jwt_t *jwt, const char *issuer,
                                  apr_pool_t *p, cg_error_t *err)
{
    /* jwt is never NULL here: cg_jwt_parse() returns CG_OK only with a
     * token, but clang-tidy cannot see that cg_error_set() returns the
     * code it is given, which is in another file. */
    /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
    json_t *iss = json_object_get(jwt->claims, "iss");
    if (!iss) {
        return cg_error_set(err, p, CG_ERR_ISSUER, "no iss claim");
    }
    if (!issuer || strcmp(json_string_value(iss), issuer) != 0) {
        return cg_error_set(err, p, CG_ERR_ISSUER,
                            "iss %.200s is not the configured issuer",
                            json_string_value(iss));
    }
    return CG_OK;
}

cg_err_code_e cg_jwt_verify_signature(const cg_jwt_t *jwt, const cg_key_t *key,
                                      apr_pool_t *p, cg_error_t *err)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX sha;
    cjose_err cerr;
    RSA *rsa;

    /* The token was parsed already (and its alg checked to be RS256):
     * verifying straight from that saves importing it into cjose a second
     * time, which cost as much as parsing it.  The key is cjose's, whose
     * import checked it is an RSA public key. */
    rsa = key->jwk ? cjose_jwk_get_keydata(key->jwk, &cerr) : NULL;
    if (!rsa) {
        return cg_error_set(err, p, CG_ERR_INTERNAL,
                            "key %s has no RSA key data", key->kid);
    }
    /* SHA256() itself goes through EVP and a provider lookup in OpenSSL 3;
     * the low-level calls do not. */
    SHA256_Init(&sha);
    SHA256_Update(&sha, jwt->raw, jwt->signed_len);
    SHA256_Final(digest, &sha);
    /* RSA_verify() insists on a signature exactly as long as the modulus
     * and on PKCS #1 v1.5 DigestInfo for SHA-256 around the digest. */
    if (jwt->signature_len > 0x7fffffff
        || RSA_verify(NID_sha256, digest, sizeof(digest), jwt->signature,
                      (unsigned int)jwt->signature_len, rsa) != 1) {
        /* Leave nothing on this thread's OpenSSL error queue for another
         * module (mod_ssl) to trip over later. */
        ERR_clear_error();
        return cg_error_set(err, p, CG_ERR_SIGNATURE,
                            "signature does not verify with key %s",
                            key->kid);
    }
    return CG_OK;
}

cg_err_code_e cg_jwt_check_times(const cg_jwt_t *jwt, int clock_skew,
                                 apr_int64_t now, apr_pool_t *p,
                                 cg_error_t *err)
{
    json_t *exp = json_object_get(jwt->claims, "exp");
    json_t *nbf = json_object_get(jwt->claims, "nbf");
    json_t *iat = json_object_get(jwt->claims, "iat");
    double t = (double)now, skew = clock_skew;

    if (!exp) {
        return cg_error_set(err, p, CG_ERR_MISSING_CLAIM, "no exp claim");
    }
    /* RFC 7519: not accepted on or after exp (plus the skew). */
    if (t >= json_number_value(exp) + skew) {
        return cg_error_set(err, p, CG_ERR_EXPIRED, "expired %.0fs ago",
                            floor(t - json_number_value(exp)));
    }
    if (nbf && json_number_value(nbf) > t + skew) {
        return cg_error_set(err, p, CG_ERR_NOT_YET_VALID,
                            "nbf is %.0fs in the future",
                            ceil(json_number_value(nbf) - t));
    }
    if (iat && json_number_value(iat) > t + skew) {
        return cg_error_set(err, p, CG_ERR_IAT_FUTURE,
                            "iat is %.0fs in the future",
                            ceil(json_number_value(iat) - t));
    }
    return CG_OK;
}

static int client_listed(const apr_array_header_t *ids, const char *id)
{
    int i;
    for (i = 0; ids && i < ids->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(ids, i, const char *), id)) {
            return 1;
        }
    }
    return 0;
}

static cg_err_code_e check_client(const cg_jwt_t *jwt,
                                  const apr_array_header_t *ids,
                                  apr_pool_t *p, cg_error_t *err)
{
    json_t *v;

    if (jwt->token_use == CG_TOKEN_USE_ID) {
        v = json_object_get(jwt->claims, "aud");
        if (!v) {
            return cg_error_set(err, p, CG_ERR_CLIENT, "id token has no aud");
        }
        if (json_is_string(v)) {
            if (client_listed(ids, json_string_value(v))) {
                return CG_OK;
            }
            return cg_error_set(err, p, CG_ERR_CLIENT,
                                "aud mismatch (%.128s)", json_string_value(v));
        }
        else {
            size_t i;
            for (i = 0; i < json_array_size(v); i++) {
                if (client_listed(ids, json_string_value(json_array_get(v, i)))) {
                    return CG_OK;
                }
            }
            return cg_error_set(err, p, CG_ERR_CLIENT,
                                "aud mismatch (no accepted client in list)");
        }
    }
    v = json_object_get(jwt->claims, "client_id");
    if (!v) {
        return cg_error_set(err, p, CG_ERR_CLIENT,
                            "access token has no client_id");
    }
    if (!client_listed(ids, json_string_value(v))) {
        return cg_error_set(err, p, CG_ERR_CLIENT, "client_id mismatch (%.128s)",
                            json_string_value(v));
    }
    return CG_OK;
}

cg_err_code_e cg_jwt_check_policy(const cg_jwt_t *jwt,
                                  const cg_jwt_policy_t *policy,
                                  apr_pool_t *p, cg_error_t *err)
{
    cg_err_code_e rc;
    json_t *v;

    rc = check_issuer(jwt, policy->issuer, p, err);
    if (rc != CG_OK) {
        return rc;
    }
    v = json_object_get(jwt->claims, "token_use");
    if (!v) {
        return cg_error_set(err, p, CG_ERR_TOKEN_USE, "no token_use claim");
    }
    if (!jwt->token_use) {
        return cg_error_set(err, p, CG_ERR_TOKEN_USE,
                            "token_use %.32s is neither id nor access",
                            json_string_value(v));
    }
    if (!(jwt->token_use & policy->token_use)) {
        return cg_error_set(err, p, CG_ERR_TOKEN_USE,
                            "token_use %s is not allowed here (want %s)",
                            json_string_value(v),
                            policy->token_use == CG_TOKEN_USE_ID ? "id"
                                                                 : "access");
    }
    if (!json_is_string(json_object_get(jwt->claims, "sub"))) {
        return cg_error_set(err, p, CG_ERR_MISSING_CLAIM, "no sub claim");
    }
    rc = check_client(jwt, policy->client_ids, p, err);
    if (rc != CG_OK) {
        return rc;
    }
    if (policy->nonce) {
        v = json_object_get(jwt->claims, "nonce");
        if (!v || strcmp(json_string_value(v), policy->nonce) != 0) {
            return cg_error_set(err, p, CG_ERR_NONCE,
                                v ? "nonce mismatch" : "no nonce claim");
        }
    }
    return CG_OK;
}

cg_err_code_e cg_jwt_validate(apr_pool_t *p, const char *token, apr_size_t len,
                              const cg_jwt_policy_t *policy,
                              const cg_key_source_t *keys, apr_int64_t now,
                              cg_jwt_t **out, cg_error_t *err)
{
    cg_jwt_t *jwt;
    const cg_key_t *key = NULL;
    void *hold = NULL;
    cg_err_code_e rc;

    *out = NULL;
    rc = cg_jwt_parse(p, token, len, policy->max_size, &jwt, err);
    if (rc != CG_OK) return rc;
    /* Issuer before keys: a token from another pool must never make us
     * fetch anything. */
    rc = check_issuer(jwt, policy->issuer, p, err);
    if (rc != CG_OK) return rc;

    rc = keys->lookup(keys->baton, jwt->kid, p, &key, &hold, err);
    if (rc != CG_OK) return rc;
    rc = cg_jwt_verify_signature(jwt, key, p, err);
    if (keys->release) {
        keys->release(keys->baton, hold);
    }
    if (rc != CG_OK) return rc;

    rc = cg_jwt_check_times(jwt, policy->clock_skew, now, p, err);
    if (rc != CG_OK) return rc;
    rc = cg_jwt_check_policy(jwt, policy, p, err);
    if (rc != CG_OK) return rc;
    *out = jwt;
    return CG_OK;
}
