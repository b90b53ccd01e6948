/*
 * cg_url.h: deciding where we may send a browser.
 *
 * After login and logout the module redirects to a target that may have
 * come from a query string.  Only two shapes are accepted, so the module
 * can never be used as an open redirector:
 *
 *   - a same-origin path: starts with exactly one "/", followed by anything
 *     but a second "/" or a backslash ("//evil", "/\evil" are refused);
 *   - an absolute http(s) URL whose scheme, host and port equal our own
 *     origin (no userinfo; "https://us@evil", "https://us.evil" refused),
 *     or that is listed verbatim among the configured allowed URLs.
 *
 * In either case the whole string may not contain backslashes, whitespace,
 * control characters, non-ASCII bytes, or percent-encoded slashes,
 * backslashes or control characters (browsers and servers disagree on
 * whether to decode those, which is how filters get bypassed).
 */
#ifndef CG_URL_H
#define CG_URL_H

#include <apr_tables.h>

/*
 * origin: "https://host[:port]" of this request (lowercase host; default
 * ports omitted).  allowed: extra absolute URLs (const char *), may be
 * NULL.  Returns the target to use (a path, or the allowed absolute URL),
 * or NULL with *why set.
 */
const char *cg_url_safe_target(apr_pool_t *p, const char *target,
                               const char *origin,
                               const apr_array_header_t *allowed,
                               const char **why);

/* Percent-decode a query component ('+' is a space).  NULL on malformed
 * escapes or an encoded NUL. */
char *cg_url_unescape(apr_pool_t *p, const char *s);

/* The value of one parameter in a query string (decoded), or NULL.  A
 * parameter given twice yields NULL and *dup = 1 (ambiguous input). */
const char *cg_url_query_param(apr_pool_t *p, const char *query,
                               const char *name, int *dup);

/* Does the query string have a parameter of that name at all (whatever
 * its value, even one cg_url_query_param refuses)? */
int cg_url_query_has(const char *query, const char *name);

#endif
