/*
 * fuzz_identity.c: identity pool answers (cg_identity_parse_get_id,
 * cg_identity_parse_credentials), the cached credentials format
 * (cg_aws_credentials_serialize/parse) and the credential_process output
 * (cg_credential_process_json, cg_iso8601).
 *
 * Input: one flag byte, then by mode (flags bits 0-1):
 *   0  an HTTP status byte (index into a table), then a GetId answer;
 *   1  the same for GetCredentialsForIdentity;
 *   2  a cached credentials record;
 *   3  eight bytes of expiration time (seconds, taken modulo the end of
 *      year 9999), then
 *      NUL-separated access key id, secret key, session token.
 *
 * Invariants: an identity or credentials only from a 200, complete, and
 * the answer's own strings; a refusal (403 for the user) only for a
 * non-200 that is not throttling or a server fault; credentials survive
 * the cache format unchanged; the credential_process document is JSON
 * with the keys the AWS CLI reads and an ISO 8601 UTC expiration.
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "cg_identity.h"
#include "fuzz.h"

static const int statuses[] = { 200, 400, 429, 500, 503, 403, 404, 302,
                                0, 401, 504, 201, 204, 499, 599, 100 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_init();
    return 0;
}

static const char *type_of(json_t *doc)
{
    const char *t = fz_doc_str(doc, "__type"), *h = t ? strrchr(t, '#') : NULL;
    return h ? h + 1 : t;
}

static void judged(int status, json_t *doc, cg_err_code_e rc,
                   const cg_identity_fault_t *fault, const cg_error_t *err)
{
    const char *type = type_of(doc);

    FZ_ASSERT(rc == CG_OK || rc == CG_ERR_REJECTED || rc == CG_ERR_UPSTREAM,
              "judged %d", rc);
    FZ_ASSERT(rc == CG_OK || (err->detail && err->code == rc),
              "a refusal without reason");
    if (rc == CG_OK) {
        FZ_ASSERT(status == 200 && json_is_object(doc), "OK for HTTP %d",
                  status);
        FZ_ASSERT(!fault->type, "a fault type on success");
    }
    if (rc == CG_ERR_REJECTED) {
        /* A 403 for the user only for a 4xx that names what was wrong,
         * never for throttling or the service's own failure. */
        FZ_ASSERT(status >= 400 && status < 500 && status != 429 && type
                  && strcmp(type, "TooManyRequestsException")
                  && strcmp(type, "LimitExceededException")
                  && strcmp(type, "InternalErrorException"),
                  "refused for HTTP %d %s", status, type ? type : "-");
        FZ_ASSERT(fault->type && !strchr(fault->type, '#'), "error type");
        FZ_ASSERT(cg_identity_classify(status, fault->type)
                  == CG_ERR_REJECTED, "classification disagrees");
    }
}

/* What the identity service's credentials look like (and what the cache
 * format keeps): printable ASCII without spaces. */
static int token_like(const char *s)
{
    if (!s || !*s) {
        return 0;
    }
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

static void get_id(apr_pool_t *p, int status, const char *body, size_t len)
{
    const char *id = NULL;
    cg_identity_fault_t fault;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc = cg_identity_parse_get_id(p, status, body, len, &id,
                                                &fault, &err);
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);

    judged(status, doc, rc, &fault, &err);
    if (rc == CG_OK) {
        FZ_ASSERT(id && *id, "no identity id");
        if (strlen(fz_doc_str(doc, "IdentityId")) <= 8192) {
            fz_same(id, fz_doc_str(doc, "IdentityId"), "IdentityId");
        }
    }
    json_decref(doc);
}

static void check_process_json(apr_pool_t *p, const cg_aws_credentials_t *c)
{
    char *out = cg_credential_process_json(p, c);
    json_t *doc = out ? json_loads(out, 0, NULL) : NULL;
    const char *exp = fz_doc_str(doc, "Expiration");
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    size_t i;

    FZ_ASSERT(doc, "credential_process output is not JSON: %s",
              out ? out : "(none)");
    FZ_ASSERT(json_integer_value(json_object_get(doc, "Version")) == 1,
              "Version");
    fz_same(fz_doc_str(doc, "AccessKeyId"), c->access_key_id, "AccessKeyId");
    fz_same(fz_doc_str(doc, "SecretAccessKey"), c->secret_key, "SecretAccessKey");
    fz_same(fz_doc_str(doc, "SessionToken"), c->session_token, "SessionToken");
    FZ_ASSERT(exp && strlen(exp) == 20, "Expiration %s",
              exp ? exp : "missing");
    for (i = 0; i < 20; i++) {
        FZ_ASSERT(shape[i] == 'd' ? exp[i] >= '0' && exp[i] <= '9'
                                  : exp[i] == shape[i],
                  "Expiration %s is not ISO 8601", exp);
    }
    json_decref(doc);
}

static void round_trip(apr_pool_t *p, const cg_aws_credentials_t *c)
{
    cg_aws_credentials_t back;
    char *s = cg_aws_credentials_serialize(p, c);

    FZ_ASSERT(s && cg_aws_credentials_parse(p, s, strlen(s), &back) == CG_OK,
              "credentials do not survive the cache format");
    fz_same(back.access_key_id, c->access_key_id, "access key id");
    fz_same(back.secret_key, c->secret_key, "secret key");
    fz_same(back.session_token, c->session_token, "session token");
    FZ_ASSERT(back.expiration == c->expiration, "expiration changed");
}

static void credentials(apr_pool_t *p, int status, const char *body,
                        size_t len)
{
    cg_aws_credentials_t c;
    cg_identity_fault_t fault;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc = cg_identity_parse_credentials(p, status, body, len,
                                                     &c, &fault, &err);
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);

    judged(status, doc, rc, &fault, &err);
    if (rc == CG_OK) {
        json_t *cr = json_object_get(doc, "Credentials");
        FZ_ASSERT(c.access_key_id && c.secret_key && c.session_token
                  && c.expiration > 0, "incomplete credentials accepted");
        FZ_ASSERT(json_is_object(cr), "credentials without Credentials");
        if (strlen(fz_doc_str(cr, "AccessKeyId")) <= 8192) {
            fz_same(c.access_key_id, fz_doc_str(cr, "AccessKeyId"), "AccessKeyId");
        }
        round_trip(p, &c);
        check_process_json(p, &c);
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in_t in = { data, size };
    apr_pool_t *p = fz_pool();
    uint8_t flags = fz_byte(&in);
    cg_aws_credentials_t c;
    const char *body;
    size_t len;
    int status;

    switch (flags & 3) {
    case 0:
    case 1:
        status = statuses[fz_byte(&in) % 16];
        body = fz_rest(&in, p, &len);
        if (flags & 1) {
            credentials(p, status, body, len);
        }
        else {
            get_id(p, status, body, len);
        }
        break;
    case 2:
        body = fz_rest(&in, p, &len);
        if (cg_aws_credentials_parse(p, body, len, &c) == CG_OK) {
            FZ_ASSERT(c.access_key_id && c.secret_key && c.session_token,
                      "incomplete cached credentials accepted");
            round_trip(p, &c);
        }
        break;
    default: {
        /* Seconds from 2001 to the end of year 9999, as AWS's are. */
        apr_uint64_t t = (apr_uint64_t)fz_u32(&in) << 32;
        t |= fz_u32(&in);
        memset(&c, 0, sizeof(c));
        c.expiration = 1000000000
                       + (apr_int64_t)(t % APR_UINT64_C(252402300800));
        c.access_key_id = fz_take(&in, p, '\0', NULL);
        c.secret_key = fz_take(&in, p, '\0', NULL);
        c.session_token = fz_take(&in, p, '\0', NULL);
        /* Only what a parsed answer can hold. */
        if (token_like(c.access_key_id) && token_like(c.secret_key)
            && token_like(c.session_token)
            && strlen(c.access_key_id) <= 2048
            && strlen(c.secret_key) <= 2048
            && strlen(c.session_token) <= 2048) {
            round_trip(p, &c);
            check_process_json(p, &c);
        }
        break;
    }
    }
    apr_pool_destroy(p);
    return 0;
}
