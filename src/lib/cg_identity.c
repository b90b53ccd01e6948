/* cg_identity.c: identity pool calls and credential formats. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <jansson.h>

#include "cg_claims.h"
#include "cg_identity.h"

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

const char *cg_identity_pool_problem(const char *id)
{
    const char *colon = strchr(id, ':'), *c;
    int groups = 0, len = 0;

    if (!colon || colon == id) {
        return "expected <region>:<guid>";
    }
    for (c = id; c < colon; c++) {
        if (!apr_islower(*c) && !apr_isdigit(*c) && *c != '-') {
            return "malformed region";
        }
    }
    for (c = colon + 1; *c; c++) {
        if (*c == '-') {
            if (len == 0) return "malformed guid";
            groups++;
            len = 0;
        }
        else if (apr_isxdigit(*c)) {
            len++;
        }
        else {
            return "the guid must be hexadecimal digits and dashes";
        }
    }
    if (groups != 4 || len == 0) {
        return "the guid must have five dash-separated groups";
    }
    return NULL;
}

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

static const char *str(apr_pool_t *p, json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? apr_pstrndup(p, json_string_value(v), 8192)
                             : NULL;
}

/* Shared error handling; returns CG_OK when status is 200 and *doc is an
 * object the caller now owns. */
static cg_err_code_e judge(apr_pool_t *p, int status, const char *body,
                           apr_size_t len, json_t **doc,
                           const char **error_type, cg_error_t *err)
{
    json_error_t jerr;
    const char *type;

    *error_type = NULL;
    *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "identity pool answered HTTP %d without JSON",
                            status);
    }
    if (status == 200) {
        return CG_OK;
    }
    type = str(p, *doc, "__type");
    if (type && strchr(type, '#')) {
        type = strrchr(type, '#') + 1;
    }
    *error_type = type ? type : "unknown";
    json_decref(*doc);
    *doc = NULL;
    if (status >= 500 || status == 429 || !type
        || !strcmp(type, "TooManyRequestsException")
        || !strcmp(type, "LimitExceededException")
        || !strcmp(type, "InternalErrorException")) {
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "identity pool answered HTTP %d (%s)", status,
                            *error_type);
    }
    return cg_error_set(err, p, CG_ERR_REJECTED,
                        "identity pool refused: %s", *error_type);
}

cg_err_code_e cg_identity_parse_get_id(apr_pool_t *p, int status,
                                       const char *body, apr_size_t len,
                                       const char **identity_id,
                                       const char **error_type,
                                       cg_error_t *err)
{
    json_t *doc;
    cg_err_code_e rc = judge(p, status, body, len, &doc, error_type, err);

    if (rc != CG_OK) {
        return rc;
    }
    *identity_id = str(p, doc, "IdentityId");
    json_decref(doc);
    if (!*identity_id || !**identity_id) {
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "GetId answer has no IdentityId");
    }
    return CG_OK;
}

cg_err_code_e cg_identity_parse_credentials(apr_pool_t *p, int status,
                                            const char *body, apr_size_t len,
                                            cg_aws_credentials_t *out,
                                            const char **error_type,
                                            cg_error_t *err)
{
    json_t *doc, *c, *exp;
    cg_err_code_e rc = judge(p, status, body, len, &doc, error_type, err);

    memset(out, 0, sizeof(*out));
    if (rc != CG_OK) {
        return rc;
    }
    out->identity_id = str(p, doc, "IdentityId");
    c = json_object_get(doc, "Credentials");
    if (json_is_object(c)) {
        out->access_key_id = str(p, c, "AccessKeyId");
        out->secret_key = str(p, c, "SecretKey");
        out->session_token = str(p, c, "SessionToken");
        exp = json_object_get(c, "Expiration");
        /* Seconds since the epoch; anything past year 9999 is not a
         * time AWS gives, and would not convert to an integer. */
        if (json_is_number(exp) && json_number_value(exp) > 0
            && json_number_value(exp) <= (double)CG_MAX_SECONDS) {
            out->expiration = (apr_int64_t)json_number_value(exp);
        }
    }
    json_decref(doc);
    if (!out->access_key_id || !out->secret_key || !out->session_token
        || out->expiration <= 0) {
        return cg_error_set(err, p, CG_ERR_UPSTREAM,
                            "GetCredentialsForIdentity answer is incomplete");
    }
    return CG_OK;
}

char *cg_aws_credentials_serialize(apr_pool_t *p,
                                   const cg_aws_credentials_t *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "i", json_string(c->identity_id ? c->identity_id
                                                           : ""));
    json_object_set_new(o, "a", json_string(c->access_key_id));
    json_object_set_new(o, "s", json_string(c->secret_key));
    json_object_set_new(o, "t", json_string(c->session_token));
    json_object_set_new(o, "e", json_integer(c->expiration));
    return dump(p, o);
}

cg_err_code_e cg_aws_credentials_parse(apr_pool_t *p, const char *json,
                                       apr_size_t len,
                                       cg_aws_credentials_t *out)
{
    json_error_t jerr;
    json_t *o = json_loadb(json, len, 0, &jerr), *e;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(o)) {
        json_decref(o);
        return CG_ERR_MALFORMED;
    }
    out->identity_id = str(p, o, "i");
    out->access_key_id = str(p, o, "a");
    out->secret_key = str(p, o, "s");
    out->session_token = str(p, o, "t");
    e = json_object_get(o, "e");
    out->expiration = json_is_integer(e) ? json_integer_value(e) : 0;
    json_decref(o);
    return out->access_key_id && out->secret_key && out->session_token
           ? CG_OK : CG_ERR_MALFORMED;
}

char *cg_iso8601(apr_pool_t *p, apr_int64_t t)
{
    time_t tt;
    struct tm tm;
    char buf[32];

    /* Within what gmtime_r and four-digit years can express, so tm is
     * always filled in. */
    tt = (time_t)(t < 0 ? 0 : t > CG_MAX_SECONDS ? CG_MAX_SECONDS : t);
    if (!gmtime_r(&tt, &tm)) {
        return apr_pstrdup(p, "1970-01-01T00:00:00Z");
    }
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return apr_pstrdup(p, buf);
}

char *cg_credential_process_json(apr_pool_t *p,
                                 const cg_aws_credentials_t *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "Version", json_integer(1));
    json_object_set_new(o, "AccessKeyId", json_string(c->access_key_id));
    json_object_set_new(o, "SecretAccessKey", json_string(c->secret_key));
    json_object_set_new(o, "SessionToken", json_string(c->session_token));
    json_object_set_new(o, "Expiration",
                        json_string(cg_iso8601(p, c->expiration)));
    return dump(p, o);
}
