/* cg_mirror.c: claims to environment variables and headers. */

/* SHA256_Init() and friends: OpenSSL 3 deprecates them for EVP, whose
 * digests look the algorithm up in a provider on every call.  Must come
 * before any OpenSSL header. */
#define OPENSSL_API_COMPAT 10101

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/uio.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/sha.h>

#include "cg_claims.h"
#include "cg_mirror.h"

/* prefix then claim mangled, in one allocation. */
static char *mangled_name(apr_pool_t *p, const char *prefix,
                          const char *claim)
{
    char *out = apr_pstrcat(p, prefix, claim, NULL), *c;

    for (c = out + strlen(prefix); *c; c++) {
        if (*c >= 'a' && *c <= 'z') {
            *c = (char)(*c - 'a' + 'A');
        }
        else if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) {
            *c = '_';
        }
    }
    return out;
}

char *cg_mirror_claim_name(apr_pool_t *p, const char *claim)
{
    return mangled_name(p, "", claim);
}

char *cg_mirror_join(apr_pool_t *p, json_t *array, const char *delimiter)
{
    struct iovec *parts;
    size_t i, n = json_array_size(array), dlen = strlen(delimiter);
    apr_size_t len;

    if (n == 0) {
        return "";
    }
    parts = apr_palloc(p, sizeof(*parts) * (2 * n - 1));
    for (i = 0; i < n; i++) {
        const char *text = cg_json_scalar_text(p, json_array_get(array, i));
        const char *s;
        char *esc, *o;

        /* Escape only when needed, so the common case copies nothing.
         * Escaping every occurrence of the delimiter's first character
         * (not just whole delimiters) keeps joins unambiguous even for
         * delimiters that overlap themselves, like "::". */
        if (strchr(text, '\\') || (dlen && strchr(text, delimiter[0]))) {
            o = esc = apr_palloc(p, strlen(text) * 2 + 1);
            for (s = text; *s; s++) {
                if (*s == '\\' || (dlen && *s == delimiter[0])) {
                    *o++ = '\\';
                }
                *o++ = *s;
            }
            *o = '\0';
            text = esc;
        }
        parts[2 * i].iov_base = (void *)text;
        parts[2 * i].iov_len = strlen(text);
        if (i + 1 < n) {
            parts[2 * i + 1].iov_base = (void *)delimiter;
            parts[2 * i + 1].iov_len = dlen;
        }
    }
    return apr_pstrcatv(p, parts, 2 * n - 1, &len);
}

static const char *value_text(apr_pool_t *p, json_t *v, const char *delimiter)
{
    if (json_is_array(v)) {
        return cg_mirror_join(p, v, delimiter);
    }
    return cg_json_scalar_text(p, v);
}

char *cg_mirror_header_name(apr_pool_t *p, const char *var_name)
{
    char *out = apr_pstrdup(p, var_name), *c;
    int start = 1;

    for (c = out; *c; c++) {
        if (*c == '_') {
            *c = '-';
            start = 1;
        }
        else if (start) {
            *c = (char)apr_toupper(*c);
            start = 0;
        }
        else {
            *c = (char)apr_tolower(*c);
        }
    }
    return out;
}

/* HTTP strips spaces at either end of a header value, so those are
 * encoded too. */
static int needs_escape(const unsigned char *s, const unsigned char *start,
                        apr_size_t len)
{
    return *s < 0x20 || *s >= 0x7f || *s == '%'
           || (*s == ' ' && (s == start || s == start + len - 1));
}

char *cg_mirror_header_value(apr_pool_t *p, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s, *start = (const unsigned char *)value;
    apr_size_t len = strlen(value), extra = 0;
    char *out, *o;

    for (s = start; *s; s++) {
        if (needs_escape(s, start, len)) {
            extra += 2;
        }
    }
    if (!extra) {
        return (char *)value;
    }
    o = out = apr_palloc(p, len + extra + 1);
    for (s = start; *s; s++) {
        if (needs_escape(s, start, len)) {
            *o++ = '%';
            *o++ = hex[*s >> 4];
            *o++ = hex[*s & 15];
        }
        else {
            *o++ = (char)*s;
        }
    }
    *o = '\0';
    return out;
}

/* Claims that change with every token, not with the user. */
static const char *const per_token_claims[] = {
    "iat", "exp", "auth_time", "jti", "origin_jti", "event_id", "nonce",
    "at_hash", NULL
};

/* The claims hash is over exactly the text json_dumps() gives for the
 * claims minus the per-token ones with JSON_COMPACT | JSON_SORT_KEYS
 * (test_mirror checks the two against each other), but that text is fed
 * to SHA-256 as it is produced: copying the claim set to delete claims
 * and building the string cost more than the rest of the mirror. */
typedef struct {
    SHA256_CTX sha;
    apr_pool_t *p;
    size_t used;
    unsigned char buf[1024];
} hash_out_t;

static void out_bytes(hash_out_t *o, const char *s, size_t n)
{
    if (o->used + n > sizeof(o->buf)) {
        SHA256_Update(&o->sha, o->buf, o->used);
        o->used = 0;
        if (n > sizeof(o->buf)) {
            SHA256_Update(&o->sha, s, n);
            return;
        }
    }
    memcpy(o->buf + o->used, s, n);
    o->used += n;
}

static int out_callback(const char *s, size_t n, void *data)
{
    out_bytes(data, s, n);
    return 0;
}

/* A JSON string as jansson writes it: '"', '\\' and control characters
 * escaped, everything else (UTF-8 included) as it is. */
static void out_string(hash_out_t *o, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *run = s, *end = s + len;
    char esc[6];

    out_bytes(o, "\"", 1);
    for (; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        size_t n = 2;

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out_bytes(o, run, (size_t)(s - run));
        run = s + 1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        out_bytes(o, esc, n);
    }
    out_bytes(o, run, (size_t)(end - run));
    out_bytes(o, "\"", 1);
}

typedef struct {
    const char *key;
    json_t *value;
} member_t;

static int key_order(const void *a, const void *b)
{
    return strcmp(((const member_t *)a)->key, ((const member_t *)b)->key);
}

static int is_per_token(const char *key)
{
    const char *const *name;

    for (name = per_token_claims; *name; name++) {
        if (!strcmp(key, *name)) {
            return 1;
        }
    }
    return 0;
}

static int out_value(hash_out_t *o, json_t *v, int top);

static int out_object(hash_out_t *o, json_t *obj, int top)
{
    /* Members with their values, so sorting needs no second lookup. */
    member_t *m = apr_palloc(o->p, sizeof(*m) * (json_object_size(obj) + 1));
    size_t n = 0, i;
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v) {
        if (!top || !is_per_token(key)) {
            m[n].key = key;
            m[n++].value = v;
        }
    }
    qsort(m, n, sizeof(*m), key_order);
    out_bytes(o, "{", 1);
    for (i = 0; i < n; i++) {
        if (i) {
            out_bytes(o, ",", 1);
        }
        out_string(o, m[i].key, strlen(m[i].key));
        out_bytes(o, ":", 1);
        if (!out_value(o, m[i].value, 0)) {
            return 0;
        }
    }
    out_bytes(o, "}", 1);
    return 1;
}

static int out_value(hash_out_t *o, json_t *v, int top)
{
    char num[32];
    size_t i;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return out_object(o, v, top);
    case JSON_ARRAY:
        out_bytes(o, "[", 1);
        for (i = 0; i < json_array_size(v); i++) {
            if (i) {
                out_bytes(o, ",", 1);
            }
            if (!out_value(o, json_array_get(v, i), 0)) {
                return 0;
            }
        }
        out_bytes(o, "]", 1);
        return 1;
    case JSON_STRING:
        out_string(o, json_string_value(v), json_string_length(v));
        return 1;
    case JSON_INTEGER:
        i = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                             json_integer_value(v));
        out_bytes(o, num, i);
        return 1;
    case JSON_TRUE:
        out_bytes(o, "true", 4);
        return 1;
    case JSON_FALSE:
        out_bytes(o, "false", 5);
        return 1;
    case JSON_NULL:
        out_bytes(o, "null", 4);
        return 1;
    default:
        /* Reals: jansson's own formatting, which is subtle to repeat. */
        return json_dump_callback(v, out_callback, o,
                                  JSON_COMPACT | JSON_ENCODE_ANY) == 0;
    }
}

char *cg_mirror_claims_hash(apr_pool_t *p, json_t *claims)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    hash_out_t *o;
    char *out;
    int i;

    if (!json_is_object(claims)) {
        return NULL;
    }
    o = apr_palloc(p, sizeof(*o));
    o->p = p;
    o->used = 0;
    SHA256_Init(&o->sha);
    if (!out_value(o, claims, 1)) {
        return NULL;
    }
    SHA256_Update(&o->sha, o->buf, o->used);
    SHA256_Final(md, &o->sha);
    out = apr_palloc(p, sizeof(md) * 2 + 1);
    for (i = 0; i < (int)sizeof(md); i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * sizeof(md)] = '\0';
    return out;
}

static void add(apr_array_header_t *vars, apr_pool_t *p, const char *prefix,
                const char *suffix, const char *value)
{
    cg_var_t *v;

    if (!value) {
        return;
    }
    v = apr_array_push(vars);
    v->name = apr_pstrcat(p, prefix, suffix, NULL);
    v->value = value;
}

char *cg_mirror_compact_json(apr_pool_t *p, const char *json, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    const char *s, *end = json + len;
    int in_string = 0;

    for (s = json; s < end; s++) {
        char c = *s;
        if (in_string) {
            *o++ = c;
            if (c == '\\' && s + 1 < end) {
                *o++ = *++s;
            }
            else if (c == '"') {
                in_string = 0;
            }
        }
        else if (c == '"') {
            in_string = 1;
            *o++ = c;
        }
        else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            *o++ = c;
        }
    }
    *o = '\0';
    return out;
}

apr_array_header_t *cg_mirror_vars(apr_pool_t *p, json_t *claims,
                                   const cg_mirror_conf_t *conf)
{
    return cg_mirror_vars_signed(p, claims, NULL, 0, conf);
}

apr_array_header_t *cg_mirror_vars_signed(apr_pool_t *p, json_t *claims,
                                          const char *payload,
                                          apr_size_t payload_len,
                                          const cg_mirror_conf_t *conf)
{
    const char *prefix = conf && conf->prefix ? conf->prefix
                                              : CG_MIRROR_DEFAULT_PREFIX;
    const char *delim = conf && conf->delimiter ? conf->delimiter
                                                : CG_MIRROR_DEFAULT_DELIMITER;
    apr_array_header_t *vars = apr_array_make(p, 32, sizeof(cg_var_t));
    apr_hash_t *seen;
    const char *use, *key, *claim_prefix;
    json_t *v;
    char *json;

    use = cg_claims_string(claims, "token_use");
    add(vars, p, prefix, "SUB", cg_claims_string(claims, "sub"));
    add(vars, p, prefix, "USERNAME",
        cg_claims_string(claims, use && !strcmp(use, "id") ? "cognito:username"
                                                          : "username"));
    add(vars, p, prefix, "EMAIL", cg_claims_string(claims, "email"));
    v = json_object_get(claims, "cognito:groups");
    add(vars, p, prefix, "GROUPS", v ? value_text(p, v, delim) : "");
    add(vars, p, prefix, "SCOPE", cg_claims_string(claims, "scope"));
    add(vars, p, prefix, "TOKEN_USE", use);
    add(vars, p, prefix, "CLIENT_ID", cg_claims_client(claims));
    add(vars, p, prefix, "ISSUER", cg_claims_string(claims, "iss"));
    v = json_object_get(claims, "exp");
    add(vars, p, prefix, "EXP", v ? cg_json_scalar_text(p, v) : NULL);
    v = json_object_get(claims, "auth_time");
    add(vars, p, prefix, "AUTH_TIME", v ? cg_json_scalar_text(p, v) : NULL);

    if (payload) {
        add(vars, p, prefix, "CLAIMS",
            cg_mirror_compact_json(p, payload, payload_len));
    }
    else if ((json = json_dumps(claims, JSON_COMPACT)) != NULL) {
        add(vars, p, prefix, "CLAIMS", apr_pstrdup(p, json));
        free(json);
    }
    add(vars, p, prefix, "CLAIMS_SHA256", cg_mirror_claims_hash(p, claims));

    if (conf && !conf->per_claim) {
        return vars;
    }
    /* Two claim names can mangle to one variable; the first one wins so
     * the answer does not depend on hash order. */
    seen = apr_hash_make(p);
    claim_prefix = apr_pstrcat(p, prefix, "CLAIM_", NULL);
    json_object_foreach(claims, key, v) {
        const char *name = mangled_name(p, claim_prefix, key);
        cg_var_t *var;

        if (apr_hash_get(seen, name, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(seen, name, APR_HASH_KEY_STRING, name);
        var = apr_array_push(vars);
        var->name = name;
        var->value = value_text(p, v, delim);
    }
    return vars;
}

cg_var_list_t *cg_mirror_freeze(const apr_array_header_t *vars)
{
    apr_size_t size = sizeof(cg_var_list_t), off;
    cg_var_list_t *list;
    char *strings;
    int i;

    for (i = 0; i < vars->nelts; i++) {
        const cg_var_t *v = &APR_ARRAY_IDX(vars, i, cg_var_t);
        size += sizeof(cg_var_t) + strlen(v->name) + strlen(v->value) + 2;
    }
    list = malloc(size);
    if (!list) {
        return NULL;
    }
    list->count = vars->nelts;
    strings = (char *)&list->vars[vars->nelts];
    off = 0;
    for (i = 0; i < vars->nelts; i++) {
        const cg_var_t *v = &APR_ARRAY_IDX(vars, i, cg_var_t);
        apr_size_t n = strlen(v->name) + 1, m = strlen(v->value) + 1;

        memcpy(strings + off, v->name, n);
        list->vars[i].name = strings + off;
        off += n;
        memcpy(strings + off, v->value, m);
        list->vars[i].value = strings + off;
        off += m;
    }
    return list;
}

char *cg_mirror_tag(apr_pool_t *p, const cg_mirror_conf_t *conf)
{
    /* Prefixes are [A-Za-z0-9_] and delimiters have no backslash, so the
     * separators cannot be confused with their contents. */
    return apr_psprintf(p, "mirror\\%s\\%s\\%d",
                        conf && conf->prefix ? conf->prefix
                                             : CG_MIRROR_DEFAULT_PREFIX,
                        conf && conf->delimiter ? conf->delimiter
                                                : CG_MIRROR_DEFAULT_DELIMITER,
                        conf ? conf->per_claim : 1);
}

int cg_mirror_header_is_ours(const char *header, const char *prefix)
{
    const char *h = header, *x = prefix;

    if (!prefix || !*prefix) {
        return 0;
    }
    for (; *x; h++, x++) {
        char a = *h, b = *x;
        if (!a) {
            /* The header is the prefix minus a trailing separator, e.g.
             * "Cognito" for COGNITO_: not one of ours. */
            return 0;
        }
        if (a == '-') a = '_';
        if (b == '-') b = '_';
        if (apr_toupper(a) != apr_toupper(b)) {
            return 0;
        }
    }
    return 1;
}
