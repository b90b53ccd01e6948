/* cg_claims.c: identity, group, scope and claim questions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cg_claims.h"

const char *cg_claims_string(json_t *claims, const char *name)
{
    json_t *v = json_object_get(claims, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *cg_claims_username(json_t *claims, const char *override_claim)
{
    const char *use, *name;

    if (override_claim && *override_claim) {
        return cg_claims_string(claims, override_claim);
    }
    use = cg_claims_string(claims, "token_use");
    if (use && !strcmp(use, "id")) {
        return cg_claims_string(claims, "cognito:username");
    }
    name = cg_claims_string(claims, "username");
    if (name) {
        return name;
    }
    /* client_credentials tokens: the service is its app client. */
    return cg_claims_string(claims, "client_id");
}

int cg_claims_in_group(json_t *claims, const char *group)
{
    json_t *groups = json_object_get(claims, "cognito:groups");
    size_t i;

    for (i = 0; i < json_array_size(groups); i++) {
        json_t *g = json_array_get(groups, i);
        if (json_is_string(g) && !strcmp(json_string_value(g), group)) {
            return 1;
        }
    }
    return 0;
}

int cg_claims_has_scope(json_t *claims, const char *scope)
{
    const char *s = cg_claims_string(claims, "scope");
    size_t want = strlen(scope);

    if (!s || !want) {
        return 0;
    }
    while (*s) {
        size_t n;
        while (*s == ' ') s++;
        n = strcspn(s, " ");
        if (n == want && !strncmp(s, scope, n)) {
            return 1;
        }
        s += n;
    }
    return 0;
}

const char *cg_claims_client(json_t *claims)
{
    json_t *aud;
    const char *id = cg_claims_string(claims, "client_id");

    if (id) {
        return id;
    }
    aud = json_object_get(claims, "aud");
    if (json_is_array(aud)) {
        aud = json_array_get(aud, 0);
    }
    return json_is_string(aud) ? json_string_value(aud) : NULL;
}

apr_int64_t cg_json_seconds(json_t *v)
{
    double d;

    if (!json_is_number(v)) {
        return 0;
    }
    d = json_number_value(v);
    if (!(d > 0)) {
        return 0;
    }
    return d >= (double)CG_MAX_SECONDS ? CG_MAX_SECONDS : (apr_int64_t)d;
}

char *cg_json_scalar_text(apr_pool_t *p, json_t *v)
{
    char *text, *copy;

    if (json_is_string(v)) {
        return apr_pstrdup(p, json_string_value(v));
    }
    if (json_is_integer(v)) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(v));
    }
    if (json_is_true(v)) return "true";
    if (json_is_false(v)) return "false";
    if (json_is_null(v) || !v) return "";
    text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        return "";
    }
    copy = apr_pstrdup(p, text);
    free(text);
    return copy;
}

static int scalar_equals(json_t *v, const char *value)
{
    char buf[64];

    if (json_is_string(v)) return !strcmp(json_string_value(v), value);
    if (json_is_true(v)) return !strcmp(value, "true");
    if (json_is_false(v)) return !strcmp(value, "false");
    if (json_is_null(v)) return !strcmp(value, "null");
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return !strcmp(buf, value);
    }
    if (json_is_real(v)) {
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        int eq = text && !strcmp(text, value);
        free(text);
        return eq;
    }
    return 0;
}

/* path: remaining dotted path (may be empty). */
static int match_path(json_t *v, const char *path, const char *value,
                      int depth)
{
    size_t i;

    if (!v || depth > 16) {
        return 0;
    }
    if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++) {
            if (match_path(json_array_get(v, i), path, value, depth + 1)) {
                return 1;
            }
        }
        return 0;
    }
    if (!*path) {
        return scalar_equals(v, value);
    }
    if (json_is_object(v)) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        char *segment = strndup(path, n);
        int found;

        if (!segment) {
            return 0;
        }
        found = match_path(json_object_get(v, segment), dot ? dot + 1 : "",
                           value, depth + 1);
        free(segment);
        return found;
    }
    return 0;
}

int cg_claims_match(json_t *claims, const char *name, const char *value)
{
    json_t *v = json_object_get(claims, name);

    if (v) {
        return match_path(v, "", value, 0);
    }
    if (strchr(name, '.')) {
        return match_path(claims, name, value, 0);
    }
    return 0;
}
