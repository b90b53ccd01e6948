/* cg_http.c: libcurl behind the rules in cg_http.h. */
#include <string.h>

#include <apr_strings.h>
#include <curl/curl.h>

#include "cg_http.h"

#define DEFAULT_MAX_RESPONSE (1024 * 1024)

void cg_http_global_init(void)
{
    static int done;
    if (!done) {
        curl_global_init(CURL_GLOBAL_ALL);
        done = 1;
    }
}

void cg_http_conf_defaults(cg_http_conf_t *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->connect_timeout = 3;
    conf->timeout = 10;
    conf->max_response = DEFAULT_MAX_RESPONSE;
    conf->verify_tls = 1;
}

typedef struct {
    apr_pool_t *p;
    char *buf;
    apr_size_t len, cap, max;
    int too_big;
} sink_t;

static size_t on_data(char *data, size_t size, size_t n, void *userp)
{
    sink_t *s = userp;
    apr_size_t add = size * n;

    if (s->len + add > s->max) {
        s->too_big = 1;
        return 0;           /* makes libcurl abort with CURLE_WRITE_ERROR */
    }
    if (s->len + add + 1 > s->cap) {
        apr_size_t cap = s->cap ? s->cap : 4096;
        char *grown;
        while (cap < s->len + add + 1) {
            cap *= 2;
        }
        grown = apr_palloc(s->p, cap);
        if (s->len) {
            memcpy(grown, s->buf, s->len);
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, add);
    s->len += add;
    s->buf[s->len] = '\0';
    return add;
}

char *cg_http_form_escape(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

cg_err_code_e cg_http_curl(void *baton, apr_pool_t *p,
                           const cg_http_conf_t *conf,
                           const cg_http_request_t *req,
                           cg_http_response_t *resp, cg_error_t *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    sink_t sink = { p, NULL, 0, 0, 0, 0 };
    CURL *c;
    CURLcode rc;
    long status = 0;
    char *ctype = NULL;
    cg_err_code_e result = CG_OK;

    memset(resp, 0, sizeof(*resp));
    if (strncasecmp(req->url, "http://", 7) != 0
        && strncasecmp(req->url, "https://", 8) != 0) {
        return cg_error_set(err, p, CG_ERR_INTERNAL,
                            "refusing non-http(s) URL %s", req->url);
    }
    sink.max = conf->max_response ? conf->max_response : DEFAULT_MAX_RESPONSE;

    c = curl_easy_init();
    if (!c) {
        return cg_error_set(err, p, CG_ERR_INTERNAL, "curl_easy_init failed");
    }
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)conf->connect_timeout);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)conf->timeout);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                     (curl_off_t)sink.max);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mod_auth_cognito");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, conf->verify_tls ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, conf->verify_tls ? 2L : 0L);
    if (conf->ca_file) {
        curl_easy_setopt(c, CURLOPT_CAINFO, conf->ca_file);
    }
    if (conf->proxy) {
        curl_easy_setopt(c, CURLOPT_PROXY, conf->proxy);
    }
    if (req->basic_user) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, req->basic_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD,
                         req->basic_password ? req->basic_password : "");
    }
    if (req->headers) {
        const apr_array_header_t *arr = apr_table_elts(req->headers);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int i;
        for (i = 0; i < arr->nelts; i++) {
            hdrs = curl_slist_append(hdrs, apr_pstrcat(p, e[i].key, ": ",
                                                       e[i].val, NULL));
        }
    }
    /* No "Expect: 100-continue" round trip for small POSTs. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (req->method && !strcmp(req->method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                         (long)(req->body ? req->body_len : 0));
    }

    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
    if (rc != CURLE_OK) {
        if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
            result = cg_error_set(err, p, CG_ERR_UPSTREAM,
                                  "%s: response larger than %" APR_SIZE_T_FMT
                                  " bytes", req->url, sink.max);
        }
        else {
            result = cg_error_set(err, p, CG_ERR_UPSTREAM, "%s: %s", req->url,
                                  errbuf[0] ? errbuf : curl_easy_strerror(rc));
        }
    }
    else {
        resp->status = (int)status;
        resp->body = sink.buf ? sink.buf : "";
        resp->body_len = sink.len;
        resp->content_type = ctype ? apr_pstrdup(p, ctype) : NULL;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return result;
}
