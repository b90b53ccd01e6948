/* cg_cookie.c: Cookie parsing, Set-Cookie formatting, chunking. */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "cg_cookie.h"

apr_table_t *cg_cookie_parse(apr_pool_t *p, const char *header)
{
    apr_table_t *t = apr_table_make(p, 8);
    const char *s = header;

    while (s && *s) {
        const char *end = strchr(s, ';'), *eq;
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *name, *value;
        size_t nlen;

        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        eq = memchr(s, '=', len);
        if (eq) {
            nlen = (size_t)(eq - s);
            while (nlen && (s[nlen - 1] == ' ' || s[nlen - 1] == '\t')) {
                nlen--;
            }
            name = apr_pstrmemdup(p, s, nlen);
            value = apr_pstrmemdup(p, eq + 1, len - (size_t)(eq - s) - 1);
            /* Trim and unquote the value (RFC 6265 cookie-value). */
            while (*value == ' ') value++;
            {
                size_t vl = strlen(value);
                while (vl && (value[vl - 1] == ' ' || value[vl - 1] == '\t')) {
                    vl--;
                }
                if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
                    value = apr_pstrmemdup(p, value + 1, vl - 2);
                }
                else {
                    value = apr_pstrmemdup(p, value, vl);
                }
            }
            if (*name && !apr_table_get(t, name)) {
                apr_table_setn(t, name, value);
            }
        }
        s = end ? end + 1 : NULL;
    }
    return t;
}

char *cg_cookie_format(apr_pool_t *p, const char *name, const char *value,
                       const cg_cookie_attrs_t *a)
{
    char *out = apr_psprintf(p, "%s=%s; Path=%s", name, value,
                             a->path ? a->path : "/");

    if (a->domain) {
        out = apr_pstrcat(p, out, "; Domain=", a->domain, NULL);
    }
    if (a->max_age >= 0) {
        out = apr_psprintf(p, "%s; Max-Age=%ld", out, a->max_age);
        if (a->max_age == 0) {
            out = apr_pstrcat(p, out,
                              "; Expires=Thu, 01 Jan 1970 00:00:00 GMT", NULL);
        }
    }
    if (a->http_only) {
        out = apr_pstrcat(p, out, "; HttpOnly", NULL);
    }
    if (a->secure) {
        out = apr_pstrcat(p, out, "; Secure", NULL);
    }
    if (a->same_site) {
        out = apr_pstrcat(p, out, "; SameSite=", a->same_site, NULL);
    }
    return out;
}

static int chunk_count(apr_table_t *current, const char *name)
{
    const char *v = current ? apr_table_get(current, name) : NULL;
    char *end;
    long n;

    if (!v || !*v || strlen(v) > 2) {
        return 0;
    }
    n = strtol(v, &end, 10);
    return (*end || n < 1 || n > CG_COOKIE_MAX_CHUNKS) ? 0 : (int)n;
}

static void delete_chunks(apr_pool_t *p, apr_array_header_t *out,
                          apr_table_t *current, const char *name, int from,
                          const cg_cookie_attrs_t *a)
{
    cg_cookie_attrs_t del = *a;
    int i;

    del.max_age = 0;
    for (i = from; i <= CG_COOKIE_MAX_CHUNKS; i++) {
        const char *cname = apr_psprintf(p, "%s_%d", name, i);
        if (current && apr_table_get(current, cname)) {
            APR_ARRAY_PUSH(out, char *) = cg_cookie_format(p, cname, "", &del);
        }
    }
}

apr_array_header_t *cg_cookie_store(apr_pool_t *p, apr_table_t *current,
                                    const char *name, const char *value,
                                    const cg_cookie_attrs_t *a)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(char *));
    size_t len = strlen(value);
    int n, i;

    if (len <= CG_COOKIE_CHUNK) {
        APR_ARRAY_PUSH(out, char *) = cg_cookie_format(p, name, value, a);
        delete_chunks(p, out, current, name, 1, a);
        return out;
    }
    n = (int)((len + CG_COOKIE_CHUNK - 1) / CG_COOKIE_CHUNK);
    if (n > CG_COOKIE_MAX_CHUNKS) {
        return NULL;
    }
    APR_ARRAY_PUSH(out, char *) = cg_cookie_format(p, name,
                                                   apr_itoa(p, n), a);
    for (i = 1; i <= n; i++) {
        const char *part = apr_pstrmemdup(p, value + (i - 1) * CG_COOKIE_CHUNK,
                                          i < n ? CG_COOKIE_CHUNK
                                                : len - (size_t)(i - 1)
                                                        * CG_COOKIE_CHUNK);
        APR_ARRAY_PUSH(out, char *) = cg_cookie_format(
            p, apr_psprintf(p, "%s_%d", name, i), part, a);
    }
    delete_chunks(p, out, current, name, n + 1, a);
    return out;
}

apr_array_header_t *cg_cookie_delete(apr_pool_t *p, apr_table_t *current,
                                     const char *name,
                                     const cg_cookie_attrs_t *a)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(char *));
    cg_cookie_attrs_t del = *a;

    del.max_age = 0;
    APR_ARRAY_PUSH(out, char *) = cg_cookie_format(p, name, "", &del);
    delete_chunks(p, out, current, name, 1, a);
    return out;
}

const char *cg_cookie_load(apr_pool_t *p, apr_table_t *current,
                           const char *name)
{
    const char *v = current ? apr_table_get(current, name) : NULL;
    int n = chunk_count(current, name), i;
    char *joined = "";

    if (!v || !*v) {
        return NULL;
    }
    if (!n) {
        return v;
    }
    for (i = 1; i <= n; i++) {
        const char *part = apr_table_get(current,
                                         apr_psprintf(p, "%s_%d", name, i));
        if (!part || !*part) {
            return NULL;
        }
        joined = apr_pstrcat(p, joined, part, NULL);
    }
    return joined;
}
