/*
 * fuzz_idp.c: InitiateAuth, behind AuthBasicProvider cognito: reading
 * Cognito's answers (cg_initiate_auth_parse) and building the request
 * from what a client sent (cg_initiate_auth_body, cg_secret_hash).
 *
 * Input: one flag byte.  Bit 0 clear: an HTTP status byte (an index into
 * a table of statuses Cognito and proxies give), then the response body.
 * Bit 0 set: a user name, a NUL byte, then a password, as they come out
 * of an Authorization: Basic header.
 *
 * Invariants: tokens are handed out only for a 200 holding both an id and
 * an access token, exactly those strings; a challenge only for a 200
 * without tokens; every outcome is one of the documented ones and agrees
 * with __type and the status as cg_idp.h describes (429, 5xx and non-4xx
 * are never the user's fault; NotAuthorizedException is, or names our
 * configuration); messages are fit for a log line; the request body
 * carries exactly the user name and password given, or is refused as a
 * whole.
 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "cg_idp.h"
#include "fuzz.h"

static const int statuses[] = { 200, 400, 429, 500, 503, 403, 404, 302,
                                0, 401, 504, 201, 204, 499, 599, 100 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_init();
    return 0;
}

/* Upstream text for the log: printable ASCII, at most 200 bytes. */
static int loggable(const char *s)
{
    if (!s || strlen(s) > 200) {
        return 0;
    }
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/* __type as the library reads it: after the last '#', before a ':'. */
static char *short_type(apr_pool_t *p, const char *type)
{
    const char *hash = type ? strrchr(type, '#') : NULL;
    char *t = type ? apr_pstrdup(p, hash ? hash + 1 : type) : NULL;
    char *colon = t ? strchr(t, ':') : NULL;

    if (colon) {
        *colon = '\0';
    }
    return t;
}

static int is(const char *type, const char *name)
{
    return type && !strcmp(type, name);
}

static void answer(apr_pool_t *p, int status, const char *body, size_t len)
{
    cg_auth_result_t r;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *ar;
    const char *type;

    cg_initiate_auth_parse(p, status, body, len, &r);
    FZ_ASSERT(r.outcome >= CG_AUTH_OK && r.outcome <= CG_AUTH_UPSTREAM,
              "outcome %d", (int)r.outcome);
    FZ_ASSERT(r.outcome == CG_AUTH_OK || loggable(r.message),
              "outcome %d without a loggable message", (int)r.outcome);
    FZ_ASSERT(!r.error_type || (loggable(r.error_type)
                                && !strchr(r.error_type, '#')),
              "error type %s", r.error_type);
    if (!json_is_object(doc)) {
        FZ_ASSERT(r.outcome == CG_AUTH_UPSTREAM
                  || (r.outcome == CG_AUTH_THROTTLED && status == 429),
                  "a non-object answer gave outcome %d", r.outcome);
        json_decref(doc);
        return;
    }
    ar = json_object_get(doc, "AuthenticationResult");
    if (r.outcome == CG_AUTH_OK) {
        FZ_ASSERT(status == 200, "tokens from HTTP %d", status);
        FZ_ASSERT(json_is_object(ar) && r.id_token && r.access_token
                  && *r.id_token && *r.access_token
                  && !strcmp(r.id_token, fz_doc_str(ar, "IdToken"))
                  && !strcmp(r.access_token, fz_doc_str(ar, "AccessToken")),
                  "tokens that are not the answer's");
    }
    else {
        FZ_ASSERT(!r.id_token && !r.access_token,
                  "tokens handed out with outcome %d", r.outcome);
    }
    if (r.outcome == CG_AUTH_CHALLENGE) {
        FZ_ASSERT(status == 200 && !json_is_object(ar) && r.challenge,
                  "a challenge from HTTP %d", status);
    }
    if (status == 200) {
        FZ_ASSERT(r.outcome == CG_AUTH_OK || r.outcome == CG_AUTH_CHALLENGE
                  || r.outcome == CG_AUTH_UPSTREAM,
                  "HTTP 200 gave outcome %d", r.outcome);
        json_decref(doc);
        return;
    }
    type = short_type(p, fz_doc_str(doc, "__type"));
    if (status == 429 || status >= 500 || status < 400) {
        /* Never the user's fault. */
        FZ_ASSERT(r.outcome == CG_AUTH_THROTTLED
                  || r.outcome == CG_AUTH_UPSTREAM,
                  "HTTP %d blamed on the user (outcome %d)", status,
                  r.outcome);
    }
    if (r.outcome == CG_AUTH_DENIED) {
        FZ_ASSERT(is(type, "NotAuthorizedException")
                  || is(type, "UserLambdaValidationException"),
                  "denied for %s", type ? type : "no type");
    }
    if (r.outcome == CG_AUTH_DISABLED) {
        FZ_ASSERT(is(type, "NotAuthorizedException"), "disabled for %s",
                  type ? type : "no type");
    }
    if (r.outcome == CG_AUTH_NO_USER) {
        FZ_ASSERT(is(type, "UserNotFoundException"), "no user for %s",
                  type ? type : "no type");
    }
    if (r.outcome == CG_AUTH_UNCONFIRMED) {
        FZ_ASSERT(is(type, "UserNotConfirmedException"),
                  "unconfirmed for %s", type ? type : "no type");
    }
    if (r.outcome == CG_AUTH_RESET) {
        FZ_ASSERT(is(type, "PasswordResetRequiredException"),
                  "reset for %s", type ? type : "no type");
    }
    if (is(type, "NotAuthorizedException") && status >= 400 && status < 500
        && status != 429) {
        FZ_ASSERT(r.outcome == CG_AUTH_DENIED || r.outcome == CG_AUTH_DISABLED
                  || r.outcome == CG_AUTH_CONFIG,
                  "NotAuthorized gave %d", r.outcome);
    }
    json_decref(doc);
}

/* Can JSON carry this text (is it UTF-8 without NUL)? */
static int json_text_ok(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

static void request(apr_pool_t *p, const char *user, const char *password)
{
    const char *hash = cg_secret_hash(p, user, "emuclient2", "emusecret2");
    char *body = cg_initiate_auth_body(p, "emuclient2", user, password,
                                       hash);
    json_t *doc, *ap;

    FZ_ASSERT(hash && strlen(hash) == 44, "secret hash %s",
              hash ? hash : "missing");
    if (!body) {
        /* Refused as a whole: only for text JSON cannot carry. */
        FZ_ASSERT(!json_text_ok(user) || !json_text_ok(password),
                  "a body refused for a valid user name and password");
        return;
    }
    doc = json_loads(body, 0, NULL);
    ap = json_object_get(doc, "AuthParameters");
    FZ_ASSERT(json_is_object(ap), "request without AuthParameters");
    FZ_ASSERT(fz_doc_str(ap, "USERNAME") && !strcmp(fz_doc_str(ap, "USERNAME"),
                                                 user),
              "the request does not carry the user name given");
    FZ_ASSERT(fz_doc_str(ap, "PASSWORD") && !strcmp(fz_doc_str(ap, "PASSWORD"),
                                                 password),
              "the request does not carry the password given");
    FZ_ASSERT(!strcmp(fz_doc_str(ap, "SECRET_HASH"), hash), "secret hash lost");
    FZ_ASSERT(!strcmp(fz_doc_str(doc, "AuthFlow"), "USER_PASSWORD_AUTH"),
              "auth flow");
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in_t in = { data, size };
    apr_pool_t *p = fz_pool();
    uint8_t flags = fz_byte(&in);
    size_t len;

    if (flags & 1) {
        const char *user = fz_take(&in, p, '\0', NULL);
        request(p, user, fz_rest(&in, p, NULL));
    }
    else {
        int status = statuses[fz_byte(&in) % 16];
        const char *body = fz_rest(&in, p, &len);
        answer(p, status, body, len);
    }
    apr_pool_destroy(p);
    return 0;
}
