/*
 * cg_http.h: the library's only way out to the network.
 *
 * libcurl with the rules every outgoing call must follow: http and https
 * only, no redirects followed (Cognito never redirects these calls, and a
 * redirect is a way to point us somewhere else), connect and total
 * timeouts, a cap on the response size, TLS verification on unless the
 * admin turns it off, no signals (httpd is threaded).
 *
 * A cg_http_fn seam lets the unit tests replace the network entirely.
 */
#ifndef CG_HTTP_H
#define CG_HTTP_H

#include <apr_tables.h>

#include "cg_error.h"
#include "cg_log.h"

typedef struct {
    int connect_timeout;        /* seconds */
    int timeout;                /* seconds, whole transfer */
    apr_size_t max_response;    /* bytes */
    const char *ca_file;        /* NULL: system default */
    int verify_tls;             /* 0 disables peer and host verification */
    const char *proxy;          /* NULL: libcurl's environment defaults */
} cg_http_conf_t;

typedef struct {
    const char *method;         /* "GET" or "POST" */
    const char *url;
    const char *body;           /* POST body or NULL */
    apr_size_t body_len;
    apr_table_t *headers;       /* extra request headers, may be NULL */
    const char *basic_user;     /* HTTP Basic client auth, may be NULL */
    const char *basic_password;
} cg_http_request_t;

typedef struct {
    int status;                 /* HTTP status; 0 when none was received */
    const char *body;           /* NUL-terminated */
    apr_size_t body_len;
    const char *content_type;
} cg_http_response_t;

/* Returns CG_OK when an HTTP answer (any status) arrived, CG_ERR_UPSTREAM
 * with a detail when not (refused, timeout, too big, TLS failure). */
typedef cg_err_code_e cg_http_fn(void *baton, apr_pool_t *p,
                                 const cg_http_conf_t *conf,
                                 const cg_http_request_t *req,
                                 cg_http_response_t *resp, cg_error_t *err);

/* The libcurl implementation; baton unused. */
cg_err_code_e cg_http_curl(void *baton, apr_pool_t *p,
                           const cg_http_conf_t *conf,
                           const cg_http_request_t *req,
                           cg_http_response_t *resp, cg_error_t *err);

/* Once per process, before threads: curl_global_init. */
void cg_http_global_init(void);

void cg_http_conf_defaults(cg_http_conf_t *conf);

/* application/x-www-form-urlencoded escaping of one value. */
char *cg_http_form_escape(apr_pool_t *p, const char *s);

#endif
