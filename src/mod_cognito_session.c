/*
 * mod_cognito_session.c: where a browser session lives between requests.
 *
 * CognitoSessionStore cookie (default): the whole session, sealed with
 * AES-256-GCM, in the session cookie (split into numbered chunks when it
 * outgrows one cookie).  CognitoSessionStore cache: the session sealed in
 * the shared cache under a hash of a random id; the cookie holds only the
 * id, and logging out on one server ends the session on all servers that
 * share the cache.  A session that does not open (tampered, sealed with an
 * unknown passphrase, malformed, gone from the cache) is no session.
 */
#include "mod_cognito.h"

#include <apr_strings.h>
#include <apr_time.h>
#include <openssl/evp.h>

APLOG_USE_MODULE(auth_cognito);

#define DEFAULT_COOKIE "cognito_session"
#define SESSION_CACHE_MAX (64 * 1024)
/* Room left in the Cookie header for the app's own cookies and a pending
 * login's state cookie. */
#define COOKIE_HEADROOM 512

int cognito_login_enabled(const cognito_dir_conf *d)
{
    return d->domain != NULL || d->unauth_action == COGNITO_UNAUTH_LOGIN;
}

int cognito_unauth_action(const cognito_dir_conf *d)
{
    if (d->unauth_action != COGNITO_UNSET) {
        return d->unauth_action;
    }
    return d->domain ? COGNITO_UNAUTH_LOGIN : COGNITO_UNAUTH_401;
}

const char *cognito_cookie_name(const cognito_dir_conf *d)
{
    return d->cookie_name ? d->cookie_name : DEFAULT_COOKIE;
}

void cognito_cookie_attrs(const cognito_dir_conf *d, cg_cookie_attrs_t *a)
{
    a->path = d->cookie_path ? d->cookie_path : "/";
    a->domain = d->cookie_domain;
    a->same_site = d->cookie_same_site ? d->cookie_same_site : "Lax";
    a->secure = d->cookie_secure != 0;  /* unset means On */
    a->http_only = 1;
    a->max_age = -1;
}

apr_table_t *cognito_request_cookies(request_rec *r)
{
    const char *hdr = apr_table_get(r->headers_in, "Cookie");
    return cg_cookie_parse(r->pool, hdr ? hdr : "");
}

void cognito_set_cookie(request_rec *r, const char *value)
{
    apr_table_addn(r->err_headers_out, "Set-Cookie", value);
}

static void set_cookies(request_rec *r, apr_array_header_t *values)
{
    int i;
    for (i = 0; values && i < values->nelts; i++) {
        cognito_set_cookie(r, APR_ARRAY_IDX(values, i, const char *));
    }
}

/* Bytes the cookies among these Set-Cookie values add to a Cookie header
 * ("name=value; " each; deletions add nothing). */
static apr_size_t cookie_header_bytes(apr_array_header_t *values)
{
    apr_size_t total = 0;
    int i;

    for (i = 0; i < values->nelts; i++) {
        const char *v = APR_ARRAY_IDX(values, i, const char *);
        const char *semi = strchr(v, ';'), *eq = strchr(v, '=');
        apr_size_t len = semi ? (apr_size_t)(semi - v) : strlen(v);

        if (eq && eq + 1 != v + len) {
            total += len + 2;
        }
    }
    return total;
}

static int store(const cognito_dir_conf *d)
{
    return d->session_store == COGNITO_STORE_CACHE ? COGNITO_STORE_CACHE
                                                   : COGNITO_STORE_COOKIE;
}

/* Sealing context: binds a sealed value to its purpose and cookie. */
static const char *context(request_rec *r, const cognito_dir_conf *d)
{
    return apr_pstrcat(r->pool, store(d) == COGNITO_STORE_CACHE
                                ? "session-cache:" : "session-cookie:",
                       cognito_cookie_name(d), NULL);
}

static const char *cache_key(request_rec *r, const char *sid)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char *hex;

    EVP_Digest(sid, strlen(sid), md, &n, EVP_sha256(), NULL);
    hex = apr_palloc(r->pool, 2 * n + 1);
    for (i = 0; i < n; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    return apr_pstrcat(r->pool, "cg:sess:", hex, NULL);
}

cognito_session *cognito_session_load(request_rec *r,
                                      const cognito_dir_conf *d)
{
    apr_table_t *cookies = cognito_request_cookies(r);
    const char *name = cognito_cookie_name(d), *sealed;
    cognito_session *cs;
    unsigned char *plain;
    apr_size_t len;
    cg_error_t err;

    if (!d->sealer) {
        return NULL;
    }
    sealed = cg_cookie_load(r->pool, cookies, name);
    if (!sealed) {
        return NULL;
    }
    if (store(d) == COGNITO_STORE_CACHE) {
        const char *val;
        apr_size_t vlen;
        const char *sid = sealed;

        if (strlen(sid) > 64 || cognito_cache_get(
                r->pool, cache_key(r, sid), SESSION_CACHE_MAX, &val, &vlen)
                != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "session %s not in the shared cache", name);
            return NULL;
        }
        sealed = val;
    }
    plain = cg_unseal(r->pool, d->sealer, context(r, d), sealed, &len);
    if (!plain) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "session cookie %s does not open (tampered, or sealed "
                      "with a passphrase no longer configured)", name);
        return NULL;
    }
    cs = apr_pcalloc(r->pool, sizeof(*cs));
    if (cg_session_parse(r->pool, (const char *)plain, len, &cs->s, &err)
        != CG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "%s", err.detail);
        return NULL;
    }
    if (store(d) == COGNITO_STORE_CACHE
        && !cg_secure_equal(cs->s.id, cg_cookie_load(r->pool, cookies, name))) {
        return NULL;
    }
    return cs;
}

int cognito_session_save(request_rec *r, const cognito_dir_conf *d,
                         cognito_session *cs)
{
    const char *json = cg_session_serialize(r->pool, &cs->s);
    const char *sealed;
    cg_cookie_attrs_t a;
    apr_array_header_t *values;
    int max_age = d->session_max_age == COGNITO_UNSET ? 28800
                                                      : d->session_max_age;

    sealed = json ? cg_seal(r->pool, d->sealer, context(r, d),
                            (const unsigned char *)json, strlen(json))
                  : NULL;
    if (!sealed) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "cannot seal the session");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    cognito_cookie_attrs(d, &a);
    if (store(d) == COGNITO_STORE_CACHE) {
        apr_time_t expiry = apr_time_from_sec(cs->s.created + max_age);
        if (cognito_cache_put(r->pool, cache_key(r, cs->s.id), sealed,
                              strlen(sealed), expiry) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "cannot store the session in the shared cache "
                          "(CognitoSessionStore cache needs CognitoCache)");
            return HTTP_SERVICE_UNAVAILABLE;
        }
        sealed = cs->s.id;
    }
    values = cg_cookie_store(r->pool, cognito_request_cookies(r),
                             cognito_cookie_name(d), sealed, &a);
    if (!values) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "the session (%" APR_SIZE_T_FMT " bytes sealed) is too "
                      "large for %d cookies; use CognitoSessionStore cache",
                      strlen(sealed), CG_COOKIE_MAX_CHUNKS);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* httpd refuses a Cookie header over LimitRequestFieldSize with a 400
     * for every request, logout included: never hand a browser cookies
     * that would lock it out of this server. */
    if (cookie_header_bytes(values) + COOKIE_HEADROOM
        > (apr_size_t)r->server->limit_req_fieldsize) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "the session needs %" APR_SIZE_T_FMT " bytes of "
                      "cookies, too many for LimitRequestFieldSize %d (with "
                      "%d to spare for other cookies); raise "
                      "LimitRequestFieldSize or use CognitoSessionStore "
                      "cache", cookie_header_bytes(values),
                      r->server->limit_req_fieldsize, COOKIE_HEADROOM);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    set_cookies(r, values);
    cs->dirty = 0;
    return OK;
}

void cognito_session_destroy(request_rec *r, const cognito_dir_conf *d,
                             cognito_session *cs)
{
    cg_cookie_attrs_t a;
    apr_table_t *cookies = cognito_request_cookies(r);

    if (cs && store(d) == COGNITO_STORE_CACHE) {
        cognito_cache_remove(r->pool, cache_key(r, cs->s.id));
    }
    cognito_cookie_attrs(d, &a);
    if (cg_cookie_load(r->pool, cookies, cognito_cookie_name(d))
        || apr_table_get(cookies, cognito_cookie_name(d))) {
        set_cookies(r, cg_cookie_delete(r->pool, cookies,
                                        cognito_cookie_name(d), &a));
    }
}

void cognito_session_discard(request_rec *r, const cognito_dir_conf *d)
{
    cognito_session *cs;

    if (store(d) != COGNITO_STORE_CACHE) {
        return;     /* the cookies are about to be overwritten */
    }
    cs = cognito_session_load(r, d);
    if (cs) {
        cognito_cache_remove(r->pool, cache_key(r, cs->s.id));
    }
}
