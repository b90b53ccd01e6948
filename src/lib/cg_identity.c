/* cg_identity.c: identity pool calls, their answers, the cache entry and
 * the credential_process format. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <jansson.h>

#include "cg_claims.h"
#include "cg_identity.h"

/* Longest credential field accepted (session tokens are 1-2 KB). */
#define FIELD_MAX 8192
/* Expirations outside 2001 .. 9999-12-31 are not times AWS would send. */
#define EXP_MIN ((apr_int64_t)1000000000)
#define EXP_MAX ((apr_int64_t)253402300799)
#define SEAL_CONTEXT "aws-credentials:"

/* ---- ids and URLs ---- */

/* us-east-1, us-gov-west-1: lowercase words and a number, dash separated. */
static int region_ok(const char *s, const char *end)
{
    const char *c;
    int dashes = 0;

    for (c = s; c < end; c++) {
        if (*c == '-') {
            if (c == s || c[-1] == '-') {
                return 0;
            }
            dashes++;
        }
        else if (!apr_islower(*c) && !apr_isdigit(*c)) {
            return 0;
        }
    }
    return dashes >= 2 && end > s && apr_isdigit(end[-1]);
}

const char *cg_identity_pool_problem(const char *id)
{
    static const int groups[5] = { 8, 4, 4, 4, 12 };
    const char *colon = strchr(id, ':'), *c;
    int g = 0, len = 0;

    if (!colon || colon == id) {
        return "expected <region>:<guid>";
    }
    if (!region_ok(id, colon)) {
        return "the region must look like us-east-1";
    }
    for (c = colon + 1; ; c++) {
        if (*c == '-' || !*c) {
            if (g >= 5 || len != groups[g]) {
                return "the guid must be 8-4-4-4-12 hexadecimal digits";
            }
            g++;
            len = 0;
            if (!*c) {
                break;
            }
        }
        else if (apr_isxdigit(*c)) {
            len++;
        }
        else {
            return "the guid must be hexadecimal digits and dashes";
        }
    }
    return g == 5 ? NULL : "the guid must be 8-4-4-4-12 hexadecimal digits";
}

char *cg_identity_endpoint(apr_pool_t *p, const char *pool_id)
{
    const char *colon = strchr(pool_id, ':');
    int n = colon ? (int)(colon - pool_id) : (int)strlen(pool_id);

    return apr_psprintf(p, "https://cognito-identity.%.*s.amazonaws.com/", n,
                        pool_id);
}

char *cg_identity_provider_name(apr_pool_t *p, const char *issuer)
{
    const char *s = strstr(issuer, "://");
    apr_size_t n;

    s = s ? s + 3 : issuer;
    n = strlen(s);
    while (n && s[n - 1] == '/') {
        n--;
    }
    return apr_pstrmemdup(p, s, n);
}

/* ---- request bodies ---- */

static char *dump(apr_pool_t *p, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT), *copy = NULL;
    json_decref(o);
    if (text) {
        copy = apr_pstrdup(p, text);
        free(text);
    }
    return copy;
}

static json_t *logins(const char *provider, const char *id_token)
{
    json_t *l = json_object();
    json_object_set_new(l, provider, json_string(id_token));
    return l;
}

char *cg_identity_get_id_body(apr_pool_t *p, const char *pool_id,
                              const char *provider, const char *id_token)
{
    json_t *o = json_object();
    json_object_set_new(o, "IdentityPoolId", json_string(pool_id));
    json_object_set_new(o, "Logins", logins(provider, id_token));
    return dump(p, o);
}

char *cg_identity_credentials_body(apr_pool_t *p, const char *identity_id,
                                   const char *provider,
                                   const char *id_token)
{
    json_t *o = json_object();
    json_object_set_new(o, "IdentityId", json_string(identity_id));
    json_object_set_new(o, "Logins", logins(provider, id_token));
    return dump(p, o);
}

/* ---- answers ---- */

/* A string member, or NULL when absent, not a string, or longer than max. */
static const char *str(apr_pool_t *p, json_t *o, const char *k,
                       apr_size_t max)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v) || json_string_length(v) > max) {
        return NULL;
    }
    return apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
}

/* Credentials end up in environment variables and, when asked, request
 * headers: only printable ASCII without spaces may pass, so a hostile
 * answer cannot smuggle a CR/LF into a header. */
static const char *token_str(apr_pool_t *p, json_t *o, const char *k)
{
    const char *s = str(p, o, k, FIELD_MAX), *c;

    if (!s || !*s) {
        return NULL;
    }
    for (c = s; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) {
            return NULL;
        }
    }
    return s;
}

/* An error type fit for a log line: at most 64 characters, anything but
 * letters, digits and "._:-" turned into '_'. */
static const char *identifier(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrndup(p, s, 64), *c;

    for (c = out; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("._:-", *c)) {
            *c = '_';
        }
    }
    return out;
}

cg_err_code_e cg_identity_classify(int status, const char *type)
{
    static const char *const upstream[] = {
        "TooManyRequestsException", "LimitExceededException",
        "InternalErrorException", "ExternalServiceException",
        "ServiceUnavailableException", "ThrottlingException", NULL
    };
    int i;

    if (status >= 500 || status == 429 || status < 400 || !type || !*type
        || !strcmp(type, "unknown")) {
        return CG_ERR_UPSTREAM;
    }
    for (i = 0; upstream[i]; i++) {
        if (!strcmp(type, upstream[i])) {
            return CG_ERR_UPSTREAM;
        }
    }
    return CG_ERR_REJECTED;
}

/* Shared error handling; returns CG_OK when status is 200 and *doc is an
 * object the caller now owns. */
static cg_err_code_e judge(apr_pool_t *p, int status, const char *body,
                           apr_size_t len, json_t **doc,
                           cg_identity_fault_t *fault, cg_error_t *err)
{
    json_error_t jerr;
    const char *type, *hash;
    cg_err_code_e rc;

    memset(fault, 0, sizeof(*fault));
    *doc = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)
                : NULL;
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        if (status != 200) {
            fault->type = "unknown";
        }
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "identity pool answered HTTP %d without a JSON "
                            "object", status);
    }
    if (status == 200) {
        return CG_OK;
    }
    /* "com.amazonaws.cognito.identity#NotAuthorizedException" or bare. */
    type = str(p, *doc, "__type", 256);
    if (type && (hash = strrchr(type, '#')) != NULL) {
        type = hash + 1;
    }
    fault->type = type && *type ? identifier(p, type) : "unknown";
    fault->message = str(p, *doc, "message", 1024);
    if (!fault->message) {
        fault->message = str(p, *doc, "Message", 1024);
    }
    fault->config = !strcmp(fault->type,
                            "InvalidIdentityPoolConfigurationException")
                    || !strcmp(fault->type, "ResourceNotFoundException");
    json_decref(*doc);
    *doc = NULL;
    rc = cg_identity_classify(status, fault->type);
    if (rc == CG_ERR_UPSTREAM) {
        return cg_error_set(err, p, rc, "identity pool answered HTTP %d (%s)",
                            status, fault->type);
    }
    return cg_error_set(err, p, rc, "identity pool refused: %s",
                        fault->type);
}

cg_err_code_e cg_identity_parse_get_id(apr_pool_t *p, int status,
                                       const char *body, apr_size_t len,
                                       const char **identity_id,
                                       cg_identity_fault_t *fault,
                                       cg_error_t *err)
{
    cg_identity_fault_t spare;
    json_t *doc;
    cg_err_code_e rc;

    *identity_id = NULL;
    rc = judge(p, status, body, len, &doc, fault ? fault : &spare, err);
    if (rc != CG_OK) {
        return rc;
    }
    *identity_id = str(p, doc, "IdentityId", 256);
    json_decref(doc);
    if (!*identity_id || cg_identity_pool_problem(*identity_id)) {
        *identity_id = NULL;
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "GetId answer has no well-formed IdentityId");
    }
    return CG_OK;
}

/* Expiration: epoch seconds, an integer or (as AWS's JSON 1.1 protocol
 * writes timestamps) a real such as 1.7000036E9.  0 when implausible. */
static apr_int64_t expiration_of(json_t *v)
{
    double d;

    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i >= EXP_MIN && i <= EXP_MAX ? (apr_int64_t)i : 0;
    }
    if (json_is_real(v)) {
        d = json_real_value(v);
        if (isfinite(d) && d >= (double)EXP_MIN && d <= (double)EXP_MAX) {
            return (apr_int64_t)d;
        }
    }
    return 0;
}

cg_err_code_e cg_identity_parse_credentials(apr_pool_t *p, int status,
                                            const char *body, apr_size_t len,
                                            cg_aws_credentials_t *out,
                                            cg_identity_fault_t *fault,
                                            cg_error_t *err)
{
    cg_identity_fault_t spare;
    json_t *doc, *c;
    cg_err_code_e rc;
    const char *iid, *missing;

    memset(out, 0, sizeof(*out));
    rc = judge(p, status, body, len, &doc, fault ? fault : &spare, err);
    if (rc != CG_OK) {
        return rc;
    }
    iid = str(p, doc, "IdentityId", 256);
    out->identity_id = iid && !cg_identity_pool_problem(iid) ? iid : NULL;
    c = json_object_get(doc, "Credentials");
    if (json_is_object(c)) {
        out->access_key_id = token_str(p, c, "AccessKeyId");
        out->secret_key = token_str(p, c, "SecretKey");
        out->session_token = token_str(p, c, "SessionToken");
        out->expiration = expiration_of(json_object_get(c, "Expiration"));
    }
    missing = !json_is_object(c) ? "no Credentials object"
              : !out->access_key_id ? "AccessKeyId"
              : !out->secret_key ? "SecretKey"
              : !out->session_token ? "SessionToken"
              : !out->expiration ? "Expiration" : NULL;
    json_decref(doc);
    if (missing) {
        memset(out, 0, sizeof(*out));
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "GetCredentialsForIdentity answer is incomplete "
                            "or malformed (%s)", missing);
    }
    return CG_OK;
}

/* ---- caching ---- */

apr_int64_t cg_aws_renew_at(apr_int64_t now, apr_int64_t expiration)
{
    apr_int64_t life = expiration - now, margin;

    if (life <= 0) {
        return now;
    }
    margin = life / 5;
    if (margin > CG_AWS_RENEW_MARGIN) {
        margin = CG_AWS_RENEW_MARGIN;
    }
    return expiration - margin;
}

char *cg_aws_credentials_serialize(apr_pool_t *p,
                                   const cg_aws_credentials_t *c)
{
    json_t *o;

    if (!c->access_key_id || !c->secret_key || !c->session_token) {
        return NULL;
    }
    o = json_object();
    json_object_set_new(o, "i", json_string(c->identity_id ? c->identity_id
                                                           : ""));
    json_object_set_new(o, "a", json_string(c->access_key_id));
    json_object_set_new(o, "s", json_string(c->secret_key));
    json_object_set_new(o, "t", json_string(c->session_token));
    json_object_set_new(o, "e", json_integer(c->expiration));
    json_object_set_new(o, "r", json_integer(c->renew_at));
    return dump(p, o);
}

cg_err_code_e cg_aws_credentials_parse(apr_pool_t *p, const char *json,
                                       apr_size_t len,
                                       cg_aws_credentials_t *out)
{
    json_error_t jerr;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr), *e, *r;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(o)) {
        json_decref(o);
        return CG_ERR_MALFORMED;
    }
    out->identity_id = str(p, o, "i", 256);
    if (out->identity_id && !*out->identity_id) {
        out->identity_id = NULL;
    }
    out->access_key_id = token_str(p, o, "a");
    out->secret_key = token_str(p, o, "s");
    out->session_token = token_str(p, o, "t");
    e = json_object_get(o, "e");
    r = json_object_get(o, "r");
    out->expiration = json_is_integer(e) ? expiration_of(e) : 0;
    out->renew_at = json_is_integer(r) ? json_integer_value(r) : 0;
    json_decref(o);
    if (!out->access_key_id || !out->secret_key || !out->session_token
        || !out->expiration) {
        memset(out, 0, sizeof(*out));
        return CG_ERR_MALFORMED;
    }
    if (out->renew_at <= 0 || out->renew_at > out->expiration) {
        out->renew_at = out->expiration - CG_AWS_RENEW_MARGIN;
    }
    return CG_OK;
}

char *cg_aws_credentials_seal(apr_pool_t *p, const cg_sealer_t *s,
                              const char *cache_key,
                              const cg_aws_credentials_t *c)
{
    char *text = cg_aws_credentials_serialize(p, c);

    if (!text) {
        return NULL;
    }
    return cg_seal(p, s, apr_pstrcat(p, SEAL_CONTEXT, cache_key, NULL),
                   (const unsigned char *)text, strlen(text));
}

cg_err_code_e cg_aws_credentials_unseal(apr_pool_t *p, const cg_sealer_t *s,
                                        const char *cache_key,
                                        const char *sealed,
                                        cg_aws_credentials_t *out)
{
    apr_size_t len = 0;
    unsigned char *plain = cg_unseal(p, s, apr_pstrcat(p, SEAL_CONTEXT,
                                                       cache_key, NULL),
                                     sealed, &len);

    if (!plain) {
        memset(out, 0, sizeof(*out));
        return CG_ERR_MALFORMED;
    }
    return cg_aws_credentials_parse(p, (const char *)plain, len, out);
}

/* ---- output ---- */

char *cg_iso8601(apr_pool_t *p, apr_int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];

    if (t < 0 || t > EXP_MAX || !gmtime_r(&tt, &tm)
        || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        return NULL;
    }
    return apr_pstrdup(p, buf);
}

char *cg_credential_process_json(apr_pool_t *p,
                                 const cg_aws_credentials_t *c)
{
    const char *when = cg_iso8601(p, c->expiration);
    json_t *o;

    if (!c->access_key_id || !c->secret_key || !c->session_token || !when) {
        return NULL;
    }
    o = json_object();
    json_object_set_new(o, "Version", json_integer(1));
    json_object_set_new(o, "AccessKeyId", json_string(c->access_key_id));
    json_object_set_new(o, "SecretAccessKey", json_string(c->secret_key));
    json_object_set_new(o, "SessionToken", json_string(c->session_token));
    json_object_set_new(o, "Expiration", json_string(when));
    return dump(p, o);
}
