/* cg_idp.c: InitiateAuth requests and answers, password verifiers. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cg_b64.h"
#include "cg_idp.h"

/* Cognito tokens are a few KB; anything this long is not one. */
#define MAX_FIELD 65536
#define MAX_MESSAGE 200

/* Code points in a valid UTF-8 string (no overlong forms, no surrogates,
 * nothing above U+10FFFF), or -1.  *ctl is set when an ASCII control
 * character or a space occurs. */
static long utf8_length(const char *s, int *ctl)
{
    const unsigned char *u = (const unsigned char *)s;
    long n = 0;

    *ctl = 0;
    while (*u) {
        unsigned c = *u, cp;
        int more, i;

        if (c < 0x80) {
            if (c <= 0x20 || c == 0x7f) {
                *ctl = 1;
            }
            u++;
            n++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
            cp = c & 0x1f;
        }
        else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            cp = c & 0x0f;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            cp = c & 0x07;
        }
        else {
            return -1;
        }
        for (i = 1; i <= more; i++) {
            if ((u[i] & 0xc0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (u[i] & 0x3f);
        }
        if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000)
            || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }
        u += more + 1;
        n++;
    }
    return n;
}

int cg_idp_username_ok(const char *username)
{
    int ctl;
    long n = username ? utf8_length(username, &ctl) : -1;

    return n >= 1 && n <= CG_IDP_MAX_USERNAME && !ctl;
}

int cg_idp_password_ok(const char *password)
{
    int ctl;
    long n = password ? utf8_length(password, &ctl) : -1;

    return n >= 1 && n <= CG_IDP_MAX_PASSWORD;
}

char *cg_secret_hash(apr_pool_t *p, const char *username,
                     const char *client_id, const char *secret)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char *msg = apr_pstrcat(p, username, client_id, NULL);

    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret),
              (const unsigned char *)msg, strlen(msg), md, &n)) {
        return NULL;
    }
    return cg_b64_encode(p, md, n);
}

int cg_utf8_valid(const char *s)
{
    int ctl;
    return utf8_length(s, &ctl) >= 0;
}

char *cg_initiate_auth_body(apr_pool_t *p, const char *client_id,
                            const char *username, const char *password,
                            const char *secret_hash)
{
    json_t *params = json_object(), *body = json_object();
    char *text = NULL, *out = NULL;
    int bad;

    /* json_string() refuses invalid UTF-8; a missing member would make a
     * request Cognito answers with InvalidParameterException, which
     * looks like our configuration's fault.  Refuse it here instead. */
    bad = json_object_set_new(params, "USERNAME", json_string(username))
          | json_object_set_new(params, "PASSWORD", json_string(password))
          | json_object_set_new(body, "AuthFlow",
                                json_string("USER_PASSWORD_AUTH"))
          | json_object_set_new(body, "ClientId", json_string(client_id));
    if (secret_hash) {
        bad |= json_object_set_new(params, "SECRET_HASH",
                                   json_string(secret_hash));
    }
    bad |= json_object_set_new(body, "AuthParameters", params);
    if (!bad) {
        text = json_dumps(body, JSON_COMPACT);
    }
    json_decref(body);
    if (text) {
        out = apr_pstrdup(p, text);
        /* The text held the password: wipe it before giving it back. */
        memset(text, 0, strlen(text));
        free(text);
    }
    return out;
}

static const char *str(apr_pool_t *p, json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    if (!json_is_string(v) || json_string_length(v) > MAX_FIELD) {
        return NULL;
    }
    return apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
}

/* Upstream text made safe for a log line: printable ASCII, bounded. */
static const char *loggable(apr_pool_t *p, const char *s)
{
    char *out;
    apr_size_t i, n;

    if (!s) {
        return NULL;
    }
    n = strlen(s);
    if (n > MAX_MESSAGE) {
        n = MAX_MESSAGE;
    }
    out = apr_pstrmemdup(p, s, n);
    for (i = 0; i < n; i++) {
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e) {
            out[i] = '?';
        }
    }
    return out;
}

/* Does s contain needle, ignoring ASCII case? */
static int contains_nocase(const char *s, const char *needle)
{
    apr_size_t n = strlen(needle);

    for (; s && *s; s++) {
        if (!strncasecmp(s, needle, n)) {
            return 1;
        }
    }
    return 0;
}

/* "com.amazonaws...#NotAuthorizedException" and the x-amzn-ErrorType form
 * "NotAuthorizedException:http://..." both mean NotAuthorizedException. */
static const char *short_type(apr_pool_t *p, const char *type)
{
    const char *hash, *colon;

    if (!type) {
        return NULL;
    }
    hash = strrchr(type, '#');
    if (hash) {
        type = hash + 1;
    }
    colon = strchr(type, ':');
    return colon ? apr_pstrmemdup(p, type, (apr_size_t)(colon - type)) : type;
}

static void parse_success(apr_pool_t *p, json_t *doc, cg_auth_result_t *out)
{
    json_t *ar = json_object_get(doc, "AuthenticationResult");
    json_t *challenge = json_object_get(doc, "ChallengeName");

    if (json_is_object(ar)) {
        json_t *exp = json_object_get(ar, "ExpiresIn");

        out->id_token = str(p, ar, "IdToken");
        out->access_token = str(p, ar, "AccessToken");
        out->refresh_token = str(p, ar, "RefreshToken");
        out->expires_in = json_is_integer(exp)
                          ? (long)json_integer_value(exp) : 0;
        if (out->id_token && *out->id_token && out->access_token
            && *out->access_token) {
            out->outcome = CG_AUTH_OK;
        }
        else {
            out->id_token = out->access_token = out->refresh_token = NULL;
            out->message = "AuthenticationResult without an IdToken and an "
                           "AccessToken";
        }
        return;
    }
    if (json_is_string(challenge) && json_string_length(challenge) > 0) {
        out->challenge = loggable(p, json_string_value(challenge));
        out->outcome = CG_AUTH_CHALLENGE;
        /* Bounded as a whole, as cg_idp.h promises for every message. */
        out->message = loggable(p, apr_pstrcat(p, "challenge ",
                                               out->challenge, NULL));
        return;
    }
    out->message = ar ? "AuthenticationResult is not an object"
                 : challenge ? "ChallengeName is not a string"
                 : "neither AuthenticationResult nor ChallengeName";
}

static cg_auth_outcome_e classify(int status, const char *type,
                                  const char *message)
{
    if (status == 429 || !strcmp(type, "TooManyRequestsException")
        || !strcmp(type, "LimitExceededException")
        || !strcmp(type, "ThrottlingException")) {
        return CG_AUTH_THROTTLED;
    }
    if (status >= 500 || status < 400) {
        return CG_AUTH_UPSTREAM;
    }
    if (!strcmp(type, "NotAuthorizedException")) {
        /* "Unable to verify secret hash for client ..." and "Client ... is
         * configured for secret but secret was not received" are about
         * CognitoClientSecret, not about the user. */
        if (contains_nocase(message, "secret")) {
            return CG_AUTH_CONFIG;
        }
        if (contains_nocase(message, "disabled")) {
            return CG_AUTH_DISABLED;
        }
        return CG_AUTH_DENIED;
    }
    if (!strcmp(type, "UserNotFoundException")) {
        return CG_AUTH_NO_USER;
    }
    if (!strcmp(type, "UserNotConfirmedException")) {
        return CG_AUTH_UNCONFIRMED;
    }
    if (!strcmp(type, "PasswordResetRequiredException")) {
        return CG_AUTH_RESET;
    }
    if (!strcmp(type, "UserLambdaValidationException")) {
        /* A pre-authentication trigger refused this user. */
        return CG_AUTH_DENIED;
    }
    if (!strcmp(type, "InvalidParameterException")
        || !strcmp(type, "ResourceNotFoundException")
        || !strcmp(type, "InvalidUserPoolConfigurationException")
        || !strcmp(type, "UnknownOperationException")
        || !strcmp(type, "SerializationException")
        || !strcmp(type, "AccessDeniedException")) {
        /* The flow is not enabled for the client, the client does not
         * exist, the endpoint is not the user pool API ...: ours to fix. */
        return CG_AUTH_CONFIG;
    }
    /* InternalErrorException, UnexpectedLambdaException, anything new:
     * we cannot say the user is wrong, so Cognito is "unavailable". */
    return CG_AUTH_UPSTREAM;
}

void cg_initiate_auth_parse(apr_pool_t *p, int status, const char *body,
                            apr_size_t len, cg_auth_result_t *out)
{
    json_error_t jerr;
    json_t *doc;
    const char *type;

    memset(out, 0, sizeof(*out));
    out->outcome = CG_AUTH_UPSTREAM;
    doc = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!json_is_object(doc)) {
        out->outcome = status == 429 ? CG_AUTH_THROTTLED : CG_AUTH_UPSTREAM;
        out->message = apr_psprintf(p, "HTTP %d without a JSON object%s",
                                    status, len ? "" : " (empty body)");
        json_decref(doc);
        return;
    }
    if (status == 200) {
        parse_success(p, doc, out);
        json_decref(doc);
        return;
    }
    type = short_type(p, str(p, doc, "__type"));
    out->message = loggable(p, str(p, doc, "message"));
    if (!out->message) {
        out->message = loggable(p, str(p, doc, "Message"));
    }
    if (!type || !*type) {
        out->outcome = status == 429 ? CG_AUTH_THROTTLED : CG_AUTH_UPSTREAM;
        out->error_type = NULL;
        if (!out->message) {
            out->message = apr_psprintf(p, "HTTP %d without __type", status);
        }
        json_decref(doc);
        return;
    }
    out->error_type = loggable(p, type);
    out->outcome = classify(status, type, out->message);
    if (!out->message) {
        out->message = out->error_type;
    }
    json_decref(doc);
}

const char *cg_auth_outcome_name(cg_auth_outcome_e outcome)
{
    switch (outcome) {
    case CG_AUTH_OK:          return "ok";
    case CG_AUTH_CHALLENGE:   return "challenge";
    case CG_AUTH_DENIED:      return "denied";
    case CG_AUTH_DISABLED:    return "disabled";
    case CG_AUTH_NO_USER:     return "no-user";
    case CG_AUTH_UNCONFIRMED: return "unconfirmed";
    case CG_AUTH_RESET:       return "reset";
    case CG_AUTH_THROTTLED:   return "throttled";
    case CG_AUTH_CONFIG:      return "config";
    case CG_AUTH_UPSTREAM:    return "upstream";
    }
    return "?";
}

char *cg_password_verifier(apr_pool_t *p, const char *password,
                           const char *salt, int iterations)
{
    unsigned char out[32];
    char *v;

    if (!PKCS5_PBKDF2_HMAC(password, (int)strlen(password),
                           (const unsigned char *)salt, (int)strlen(salt),
                           iterations, EVP_sha256(), sizeof(out), out)) {
        return NULL;
    }
    v = cg_b64url_encode(p, out, sizeof(out));
    OPENSSL_cleanse(out, sizeof(out));
    return v;
}
