/* cg_url.c: redirect target checks and query string parsing. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "cg_url.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Characters and escapes no redirect target may contain. */
static const char *bad_chars(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f) {
            return "contains whitespace, control or non-ASCII characters";
        }
        if (c == '\\') {
            return "contains a backslash";
        }
        if (c == '%') {
            int hi = hexval(s[1]), lo = hi >= 0 ? hexval(s[2]) : -1, v;
            if (hi < 0 || lo < 0) {
                return "contains a malformed percent escape";
            }
            v = hi * 16 + lo;
            if (v < 0x20 || v == 0x7f || v == '/' || v == '\\' || v >= 0x80
                || v == '%') {
                return "contains an encoded slash, backslash, percent or "
                       "control character";
            }
        }
    }
    return NULL;
}

static const char *path_problem(const char *path)
{
    if (path[0] != '/') {
        return "is not a path starting with /";
    }
    if (path[1] == '/') {
        return "starts with //";
    }
    return NULL;
}

const char *cg_url_safe_target(apr_pool_t *p, const char *target,
                               const char *origin,
                               const apr_array_header_t *allowed,
                               const char **why)
{
    const char *problem;
    apr_size_t olen;
    int i;

    *why = NULL;
    if (!target || !*target) {
        *why = "is empty";
        return NULL;
    }
    if (strlen(target) > 4096) {
        *why = "is too long";
        return NULL;
    }
    if ((problem = bad_chars(target)) != NULL) {
        *why = problem;
        return NULL;
    }
    for (i = 0; allowed && i < allowed->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(allowed, i, const char *), target)) {
            return target;
        }
    }
    if (target[0] == '/') {
        if ((problem = path_problem(target)) != NULL) {
            *why = problem;
            return NULL;
        }
        return target;
    }
    /* Absolute: must be exactly our origin followed by a path (or by
     * nothing, a query or a fragment). */
    olen = origin ? strlen(origin) : 0;
    if (!olen || strncasecmp(target, origin, olen) != 0) {
        *why = "is not on this site";
        return NULL;
    }
    switch (target[olen]) {
    case '\0':
        return "/";
    case '/':
        if ((problem = path_problem(target + olen)) != NULL) {
            *why = problem;
            return NULL;
        }
        return apr_pstrdup(p, target + olen);
    case '?':
    case '#':
        return apr_pstrcat(p, "/", target + olen, NULL);
    default:
        /* "https://us.example.com.evil" or "https://us:444" */
        *why = "is not on this site";
        return NULL;
    }
}

char *cg_url_unescape(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == '+') {
            *o++ = ' ';
        }
        else if (*s == '%') {
            int hi = hexval(s[1]), lo = hi >= 0 ? hexval(s[2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            s += 2;
        }
        else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

const char *cg_url_query_param(apr_pool_t *p, const char *query,
                               const char *name, int *dup)
{
    size_t nlen = strlen(name);
    const char *found = NULL, *s = query;

    *dup = 0;
    while (s && *s) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        if (len > nlen && s[nlen] == '=' && !strncmp(s, name, nlen)) {
            if (found) {
                *dup = 1;
                return NULL;
            }
            found = cg_url_unescape(p, apr_pstrmemdup(p, s + nlen + 1,
                                                      len - nlen - 1));
            if (!found) {
                return NULL;
            }
        }
        else if (len == nlen && !strncmp(s, name, nlen)) {
            if (found) {
                *dup = 1;
                return NULL;
            }
            found = "";
        }
        s = amp ? amp + 1 : NULL;
    }
    return found;
}

int cg_url_query_has(const char *query, const char *name)
{
    size_t nlen = strlen(name);
    const char *s = query;

    while (s && *s) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        if (len >= nlen && !strncmp(s, name, nlen)
            && (len == nlen || s[nlen] == '=')) {
            return 1;
        }
        s = amp ? amp + 1 : NULL;
    }
    return 0;
}
