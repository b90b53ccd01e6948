/*
 * fuzz_url.c: where the module may send a browser (cg_url_safe_target)
 * and how it reads query strings (cg_url_query_param, cg_url_unescape,
 * with cg_oauth_form and cg_http_form_escape for the way back).
 *
 * Input: one flag byte, then by mode (flags bits 3-4):
 *   0  a redirect target; bits 0-1 pick this request's origin, bit 2
 *      adds configured post-logout URLs;
 *   1  a parameter name, a NUL byte, then a query string;
 *   2  a query component to percent-decode;
 *   3  a parameter value to encode into a form and read back.
 *
 * Invariants: an accepted target is a configured URL given verbatim, or
 * a path with exactly one leading slash and no backslash, whitespace,
 * control, non-ASCII byte, or encoded slash, backslash, percent or
 * control, which a browser resolves against our own origin whatever it
 * does with tabs and backslashes; an absolute target is only accepted
 * when it starts with our origin; an accepted target is accepted again
 * unchanged; query parsing agrees with a direct reading of the string;
 * encoding a value into a form and parsing it back gives the value.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "cg_http.h"
#include "cg_oauth.h"
#include "cg_url.h"
#include "fuzz.h"

static const char *const origins[] = {
    "https://app.example.com", "http://127.0.0.1:8080",
    "https://app.example.com:8443", "http://localhost"
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_init();
    return 0;
}

static void check_path(const char *t, const char *what)
{
    const char *c;

    FZ_ASSERT(t[0] == '/' && t[1] != '/' && t[1] != '\\',
              "%s %s does not start with exactly one slash", what, t);
    for (c = t; *c; c++) {
        unsigned char u = (unsigned char)*c;
        FZ_ASSERT(u > 0x20 && u < 0x7f && u != '\\',
                  "%s %s holds byte 0x%02x", what, t, u);
        if (u == '%') {
            int hi = fz_hex_value(c[1]), v;
            int lo = hi >= 0 ? fz_hex_value(c[2]) : -1;
            FZ_ASSERT(hi >= 0 && lo >= 0, "%s %s: bad escape", what, t);
            v = hi * 16 + lo;
            FZ_ASSERT(v >= 0x20 && v < 0x7f && v != '/' && v != '\\'
                      && v != '%', "%s %s encodes 0x%02x", what, t, v);
        }
    }
}

static void target(apr_pool_t *p, const char *t, int oi, int with_allowed)
{
    const char *origin = origins[oi], *why = NULL, *r, *r2, *why2;
    apr_array_header_t *allowed = NULL;
    size_t olen = strlen(origin);
    int i, listed = 0;

    if (with_allowed) {
        allowed = apr_array_make(p, 2, sizeof(const char *));
        APR_ARRAY_PUSH(allowed, const char *) = "https://www.example.org/bye";
        APR_ARRAY_PUSH(allowed, const char *) =
            "https://app.example.com/signed-out?from=app";
    }
    r = cg_url_safe_target(p, t, origin, allowed, &why);
    if (!r) {
        FZ_ASSERT(why && *why, "refused without a reason");
        return;
    }
    FZ_ASSERT(why == NULL, "accepted with a reason (%s)", why);
    for (i = 0; allowed && i < allowed->nelts; i++) {
        listed |= !strcmp(APR_ARRAY_IDX(allowed, i, const char *), t);
    }
    if (listed) {
        FZ_ASSERT(!strcmp(r, t), "a configured URL came back as %s", r);
        return;
    }
    check_path(r, "accepted target");
    if (t[0] == '/') {
        FZ_ASSERT(!strcmp(r, t), "path %s came back as %s", t, r);
    }
    else {
        FZ_ASSERT(!strncasecmp(t, origin, olen)
                  && strchr("/?#", t[olen]) != NULL,
                  "absolute target %s accepted for origin %s", t, origin);
        FZ_ASSERT(!strcmp(r, t[olen] == '/' ? t + olen : t[olen] ? apr_pstrcat(
                      p, "/", t + olen, NULL) : "/"),
                  "target %s became %s", t, r);
    }
    /* What we send is itself a safe target. */
    r2 = cg_url_safe_target(p, r, origin, NULL, &why2);
    FZ_ASSERT(r2 && !strcmp(r2, r), "%s accepted once, then refused (%s)",
              r, why2 ? why2 : "changed");
}

/* The reading of one query parameter that cg_url.h describes. */
static void query(apr_pool_t *p, const char *name, const char *q)
{
    size_t nlen = strlen(name);
    const char *s = q, *first = NULL;
    int count = 0, dup = 0, bad = 0;
    const char *got = cg_url_query_param(p, q, name, &dup);

    while (s && *s) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        if (len >= nlen && !strncmp(s, name, nlen)
            && (len == nlen || s[nlen] == '=')) {
            const char *v = len == nlen ? "" : cg_url_unescape(
                p, apr_pstrmemdup(p, s + nlen + 1, len - nlen - 1));
            if (!v && !count) {
                bad = 1;
            }
            if (!count) {
                first = v;
            }
            count++;
        }
        s = amp ? amp + 1 : NULL;
    }
    if (got) {
        FZ_ASSERT(count == 1 && first && !strcmp(got, first) && !dup,
                  "parameter %s read as %s", name, got);
    }
    else if (dup) {
        FZ_ASSERT(count >= 2, "a duplicate with %d occurrences", count);
    }
    else {
        FZ_ASSERT(count == 0 || bad || count >= 2,
                  "parameter %s present once but not read", name);
    }
}

static void unescape(apr_pool_t *p, const char *s)
{
    char *u = cg_url_unescape(p, s), *again;
    const char *c;
    size_t want = 0;

    if (!u) {
        return;
    }
    for (c = s; *c; c++, want++) {
        if (*c == '%') {
            c += 2;
        }
    }
    FZ_ASSERT(strlen(u) == want, "decoded %zu bytes, want %zu (inner NUL?)",
              strlen(u), want);
    again = cg_url_unescape(p, cg_http_form_escape(p, u));
    FZ_ASSERT(again && !strcmp(again, u), "escape and unescape differ");
}

static void form(apr_pool_t *p, const char *value)
{
    static const char *const names[] = { "state", "code", "target" };
    int i, dup;

    for (i = 0; i < 3; i++) {
        char *f = cg_oauth_form(p, "client_id", "emuclient1", names[i],
                                value, "x", "1", NULL);
        const char *back = cg_url_query_param(p, f, names[i], &dup);
        FZ_ASSERT(!fz_has_ctl(f) && !strchr(f, ' '), "form %s", f);
        FZ_ASSERT(back && !strcmp(back, value), "%s=%s read back as %s",
                  names[i], value, back ? back : "nothing");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in_t in = { data, size };
    apr_pool_t *p = fz_pool();
    uint8_t flags = fz_byte(&in);
    const char *name;

    switch ((flags >> 3) & 3) {
    case 0:
        target(p, fz_rest(&in, p, NULL), flags & 3, flags & 4);
        break;
    case 1:
        name = fz_take(&in, p, '\0', NULL);
        if (*name && !strpbrk(name, "&=")) {
            query(p, name, fz_rest(&in, p, NULL));
        }
        break;
    case 2:
        unescape(p, fz_rest(&in, p, NULL));
        break;
    default:
        form(p, fz_rest(&in, p, NULL));
        break;
    }
    apr_pool_destroy(p);
    return 0;
}
