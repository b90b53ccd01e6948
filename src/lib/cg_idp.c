/* cg_idp.c: InitiateAuth requests and answers, password verifiers. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cg_b64.h"
#include "cg_idp.h"

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
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        unsigned long cp;
        int n, i;

        if (*u < 0x80) {
            u++;
            continue;
        }
        if (*u >= 0xc2 && *u <= 0xdf) { n = 1; cp = *u & 0x1f; }
        else if (*u >= 0xe0 && *u <= 0xef) { n = 2; cp = *u & 0x0f; }
        else if (*u >= 0xf0 && *u <= 0xf4) { n = 3; cp = *u & 0x07; }
        else return 0;          /* continuation byte, 0xc0/0xc1, 0xf5+ */
        for (i = 1; i <= n; i++) {
            if ((u[i] & 0xc0) != 0x80) {
                return 0;       /* also stops at the NUL */
            }
            cp = (cp << 6) | (u[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
            || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        u += n + 1;
    }
    return 1;
}

char *cg_initiate_auth_body(apr_pool_t *p, const char *client_id,
                            const char *username, const char *password,
                            const char *secret_hash)
{
    json_t *params, *body;
    char *text, *out = NULL;

    /* jansson would drop a member it cannot encode and send the rest,
     * and Cognito would answer InvalidParameterException: a 503 for
     * what is the client's mistake. */
    if (!cg_utf8_valid(client_id) || !cg_utf8_valid(username)
        || !cg_utf8_valid(password)
        || (secret_hash && !cg_utf8_valid(secret_hash))) {
        return NULL;
    }
    params = json_object();
    body = json_object();
    json_object_set_new(params, "USERNAME", json_string(username));
    json_object_set_new(params, "PASSWORD", json_string(password));
    if (secret_hash) {
        json_object_set_new(params, "SECRET_HASH", json_string(secret_hash));
    }
    json_object_set_new(body, "AuthFlow", json_string("USER_PASSWORD_AUTH"));
    json_object_set_new(body, "ClientId", json_string(client_id));
    json_object_set_new(body, "AuthParameters", params);
    text = json_dumps(body, JSON_COMPACT);
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
    return json_is_string(v) ? apr_pstrndup(p, json_string_value(v), 16384)
                             : NULL;
}

void cg_initiate_auth_parse(apr_pool_t *p, int status, const char *body,
                            apr_size_t len, cg_auth_result_t *out)
{
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr), *ar;
    const char *type;

    memset(out, 0, sizeof(*out));
    out->outcome = CG_AUTH_UPSTREAM;
    if (!json_is_object(doc)) {
        out->message = apr_psprintf(p, "HTTP %d without a JSON object",
                                    status);
        json_decref(doc);
        return;
    }
    if (status == 200) {
        ar = json_object_get(doc, "AuthenticationResult");
        out->challenge = str(p, doc, "ChallengeName");
        if (json_is_object(ar)) {
            json_t *exp = json_object_get(ar, "ExpiresIn");
            out->id_token = str(p, ar, "IdToken");
            out->access_token = str(p, ar, "AccessToken");
            out->refresh_token = str(p, ar, "RefreshToken");
            out->expires_in = json_is_integer(exp)
                              ? (long)json_integer_value(exp) : 0;
            if (out->id_token && out->access_token) {
                out->outcome = CG_AUTH_OK;
            }
            else {
                out->message = "AuthenticationResult lacks tokens";
            }
        }
        else if (out->challenge) {
            out->outcome = CG_AUTH_CHALLENGE;
        }
        else {
            out->message = "neither AuthenticationResult nor ChallengeName";
        }
        json_decref(doc);
        return;
    }
    type = str(p, doc, "__type");
    if (type && strchr(type, '#')) {
        type = strrchr(type, '#') + 1;   /* "com.amazon...#NotAuthorized" */
    }
    out->error_type = type ? type : "unknown";
    out->message = str(p, doc, "message");
    if (!out->message) {
        out->message = str(p, doc, "Message");
    }
    if (status == 429 || (type && !strcmp(type, "TooManyRequestsException"))
        || (type && !strcmp(type, "LimitExceededException"))) {
        out->outcome = CG_AUTH_THROTTLED;
    }
    /* Same outcome as the last branch, for another reason (Cognito is
     * down, not our configuration): kept apart on purpose. */
    /* NOLINTNEXTLINE(bugprone-branch-clone) */
    else if (status >= 500 || !type) {
        out->outcome = CG_AUTH_UPSTREAM;
    }
    else if (!strcmp(type, "NotAuthorizedException")) {
        out->outcome = CG_AUTH_DENIED;
    }
    else if (!strcmp(type, "UserNotFoundException")) {
        out->outcome = CG_AUTH_NO_USER;
    }
    else if (!strcmp(type, "UserNotConfirmedException")) {
        out->outcome = CG_AUTH_UNCONFIRMED;
    }
    else if (!strcmp(type, "PasswordResetRequiredException")) {
        out->outcome = CG_AUTH_RESET;
    }
    else {
        /* InvalidParameterException, ResourceNotFoundException (wrong
         * client id), ...: our configuration, not the user. */
        out->outcome = CG_AUTH_UPSTREAM;
    }
    json_decref(doc);
}

char *cg_password_verifier(apr_pool_t *p, const char *password,
                           const char *salt, int iterations)
{
    unsigned char out[32];

    if (!PKCS5_PBKDF2_HMAC(password, (int)strlen(password),
                           (const unsigned char *)salt, (int)strlen(salt),
                           iterations, EVP_sha256(), sizeof(out), out)) {
        return NULL;
    }
    return cg_b64url_encode(p, out, sizeof(out));
}
