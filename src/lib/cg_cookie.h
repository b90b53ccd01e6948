/*
 * cg_cookie.h: reading the Cookie header and writing Set-Cookie values,
 * including values too big for one cookie, which are split into numbered
 * chunks: NAME holds "<n>" and NAME_1..NAME_n hold the parts.  A sealed
 * value is never a bare decimal number, so the two forms cannot clash.
 */
#ifndef CG_COOKIE_H
#define CG_COOKIE_H

#include <apr_tables.h>

/* Browsers keep about 4096 bytes per cookie, name and attributes included. */
#define CG_COOKIE_CHUNK 3800
#define CG_COOKIE_MAX_CHUNKS 8

typedef struct {
    const char *path;       /* default "/" */
    const char *domain;     /* NULL: host-only */
    const char *same_site;  /* "Lax", "Strict", "None" or NULL */
    int secure;
    int http_only;
    long max_age;           /* seconds; -1: session cookie; 0: delete */
} cg_cookie_attrs_t;

/* All cookies from one or more Cookie headers (joined with "; ").  A name
 * seen twice keeps its first value (RFC 6265 ordering puts the most
 * specific path first). */
apr_table_t *cg_cookie_parse(apr_pool_t *p, const char *header);

/* One Set-Cookie header value. */
char *cg_cookie_format(apr_pool_t *p, const char *name, const char *value,
                       const cg_cookie_attrs_t *a);

/* The Set-Cookie values that store value under name (chunked when big),
 * and delete chunks the previous value used beyond the new count.  NULL
 * when the value would need more than CG_COOKIE_MAX_CHUNKS. */
apr_array_header_t *cg_cookie_store(apr_pool_t *p, apr_table_t *current,
                                    const char *name, const char *value,
                                    const cg_cookie_attrs_t *a);

/* Set-Cookie values deleting name and all its chunks present in current. */
apr_array_header_t *cg_cookie_delete(apr_pool_t *p, apr_table_t *current,
                                     const char *name,
                                     const cg_cookie_attrs_t *a);

/* Reassemble a possibly chunked value; NULL if absent or incomplete. */
const char *cg_cookie_load(apr_pool_t *p, apr_table_t *current,
                           const char *name);

#endif
