/*
 * mod_cognito_login.c: browser login through the Cognito Hosted UI
 * (authorization code + PKCE S256), the session it creates, token refresh,
 * and logout.
 *
 *   navigation without a session  -> 302 to /oauth2/authorize, with a fresh
 *                                     state, nonce and PKCE verifier kept in
 *                                     a short-lived sealed cookie
 *   CognitoRedirectURI?code&state  -> state checked against that cookie,
 *                                     code exchanged with the verifier, id
 *                                     and access tokens validated (nonce
 *                                     too), session created, 302 back
 *   CognitoRedirectURI?target=/x   -> starts a login that returns to /x
 *   CognitoLogoutURI[?target=/x]   -> session ended, refresh token revoked,
 *                                     302 to Cognito's /logout
 *
 * Every redirect target that could come from outside goes through
 * cg_url_safe_target(): same-origin paths or configured URLs only.
 */
#include "mod_cognito.h"

#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "lib/cg_claims.h"
#include "lib/cg_pool.h"
#include "lib/cg_url.h"

APLOG_USE_MODULE(auth_cognito);

#define STATE_MAX_AGE 600       /* seconds a login may take */
#define STATE_COOKIES_MAX 5     /* concurrent logins kept per browser */
#define REFRESH_MARGIN 60       /* refresh this long before tokens expire */
#define TOUCH_INTERVAL 60       /* least time between activity updates */

static apr_int64_t now_sec(void)
{
    return apr_time_sec(apr_time_now());
}

const char *cognito_origin(request_rec *r)
{
    char *url = ap_construct_url(r->pool, "/", r);
    url[strlen(url) - 1] = '\0';
    return url;
}

int cognito_is_navigation(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");
    const char *xrw = apr_table_get(r->headers_in, "X-Requested-With");

    if (r->method_number != M_GET || xrw) {
        return 0;
    }
    if (mode && strcasecmp(mode, "navigate") != 0) {
        return 0;
    }
    return accept && ap_strcasestr(accept, "text/html") != NULL;
}

static const char *client_id(const cognito_dir_conf *d)
{
    return APR_ARRAY_IDX(d->client_ids, 0, const char *);
}

/* The path part of CognitoRedirectURI (which may be an absolute URL). */
static const char *path_of(const char *uri)
{
    const char *s;

    if (!uri || uri[0] == '/') {
        return uri;
    }
    s = strstr(uri, "://");
    s = s ? strchr(s + 3, '/') : NULL;
    return s ? s : "/";
}

static const char *absolute(request_rec *r, const char *uri)
{
    return uri[0] == '/' ? ap_construct_url(r->pool, uri, r) : uri;
}

static const char *redirect_uri(request_rec *r, const cognito_dir_conf *d)
{
    return absolute(r, d->redirect_uri ? d->redirect_uri
                                       : "/oauth2/callback");
}

static const char *redirect_path(const cognito_dir_conf *d)
{
    return path_of(d->redirect_uri ? d->redirect_uri : "/oauth2/callback");
}

/* ---- endpoints ---- */

static apr_thread_mutex_t *discovery_lock;
static apr_hash_t *discovered;  /* issuer -> cg_endpoints_t* */
static apr_pool_t *discovery_pool;

void cognito_login_post_config(apr_pool_t *pconf)
{
    discovery_pool = pconf;
    discovered = apr_hash_make(pconf);
    apr_thread_mutex_create(&discovery_lock, APR_THREAD_MUTEX_DEFAULT, pconf);
}

static cg_http_conf_t *http_conf(request_rec *r)
{
    /* Server-wide settings: every vhost shares the main server's struct
     * (see cognito_merge_server_conf). */
    cognito_server_conf *sc = ap_get_module_config(
        r->server->module_config, &auth_cognito_module);
    return &sc->http;
}

static int endpoints(request_rec *r, const cognito_dir_conf *d,
                     cg_endpoints_t *ep)
{
    cg_endpoints_t *found;
    cg_http_request_t req = { "GET", NULL, NULL, 0, NULL, NULL, NULL };
    cg_http_response_t resp;
    cg_error_t err = { CG_OK, NULL, NULL };

    if (d->domain) {
        cg_endpoints_from_domain(r->pool, d->domain, ep);
        return OK;
    }
    apr_thread_mutex_lock(discovery_lock);
    found = apr_hash_get(discovered, d->issuer, APR_HASH_KEY_STRING);
    apr_thread_mutex_unlock(discovery_lock);
    if (found) {
        *ep = *found;
        return OK;
    }
    req.url = cg_issuer_discovery_uri(r->pool, d->issuer);
    if (cg_http_curl(NULL, r->pool, http_conf(r), &req, &resp, &err) != CG_OK
        || (resp.status != 200
            && cg_error_set(&err, r->pool, CG_ERR_UPSTREAM, "%s answered %d",
                            req.url, resp.status))
        || cg_endpoints_from_discovery(r->pool, resp.body, resp.body_len, ep,
                                       &err) != CG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "no login endpoints: set CognitoDomain, or make the "
                      "discovery document available (%s)", err.detail);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    apr_thread_mutex_lock(discovery_lock);
    if (!apr_hash_get(discovered, d->issuer, APR_HASH_KEY_STRING)) {
        cg_endpoints_t *keep = apr_pcalloc(discovery_pool, sizeof(*keep));
        keep->authorize = apr_pstrdup(discovery_pool, ep->authorize);
        keep->token = apr_pstrdup(discovery_pool, ep->token);
        keep->userinfo = ep->userinfo ? apr_pstrdup(discovery_pool,
                                                    ep->userinfo) : NULL;
        keep->revoke = ep->revoke ? apr_pstrdup(discovery_pool, ep->revoke)
                                  : NULL;
        keep->logout = ep->logout ? apr_pstrdup(discovery_pool, ep->logout)
                                  : NULL;
        apr_hash_set(discovered, apr_pstrdup(discovery_pool, d->issuer),
                     APR_HASH_KEY_STRING, keep);
    }
    apr_thread_mutex_unlock(discovery_lock);
    return OK;
}

/* POST to the token (or revocation) endpoint with client authentication:
 * HTTP Basic for confidential clients, client_id in the body always. */
static cg_err_code_e post_form(request_rec *r, const cognito_dir_conf *d,
                               const char *url, const char *body,
                               cg_http_response_t *resp, cg_error_t *err)
{
    cg_http_request_t req;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = url;
    req.body = body;
    req.body_len = strlen(body);
    req.headers = apr_table_make(r->pool, 2);
    apr_table_setn(req.headers, "Content-Type",
                   "application/x-www-form-urlencoded");
    apr_table_setn(req.headers, "Accept", "application/json");
    if (d->client_secret) {
        req.basic_user = client_id(d);
        req.basic_password = d->client_secret;
    }
    return cg_http_curl(NULL, r->pool, http_conf(r), &req, resp, err);
}

static cg_err_code_e token_call(request_rec *r, const cognito_dir_conf *d,
                                const cg_endpoints_t *ep, const char *body,
                                cg_token_response_t *out, cg_error_t *err)
{
    cg_http_response_t resp;
    cg_err_code_e rc = post_form(r, d, ep->token, body, &resp, err);

    if (rc != CG_OK) {
        return CG_ERR_UPSTREAM;
    }
    return cg_oauth_parse_token_response(r->pool, resp.status, resp.body,
                                         resp.body_len, out, err);
}

/* ---- pages ---- */

static int page(request_rec *r, int status, const char *what)
{
    ap_custom_response(r, status, apr_psprintf(
        r->pool, "<!DOCTYPE html>\n<html><head><title>Login</title></head>"
        "<body><h1>%s</h1><p><a href=\"/\">Start again</a></p></body>"
        "</html>\n", what));
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return status;
}

static int redirect(request_rec *r, const char *location)
{
    apr_table_setn(r->headers_out, "Location", location);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_MOVED_TEMPORARILY;
}

/* ---- starting a login ---- */

static const char *state_cookie_name(request_rec *r,
                                     const cognito_dir_conf *d,
                                     const char *state)
{
    return apr_psprintf(r->pool, "%s_st_%.16s", cognito_cookie_name(d),
                        state);
}

static void state_cookie_attrs(const cognito_dir_conf *d,
                               cg_cookie_attrs_t *a, long max_age)
{
    cognito_cookie_attrs(d, a);
    /* The callback arrives as a cross-site top-level navigation from
     * Cognito: Strict would withhold the cookie there. */
    if (!strcmp(a->same_site, "Strict")) {
        a->same_site = "Lax";
    }
    a->max_age = max_age;
}

typedef struct {
    const char *prefix;
    apr_array_header_t *names;
} state_scan;

static int collect_state(void *data, const char *key, const char *val)
{
    state_scan *s = data;
    if (!strncmp(key, s->prefix, strlen(s->prefix))) {
        APR_ARRAY_PUSH(s->names, const char *) = key;
    }
    return 1;
}

int cognito_start_login(request_rec *r, const cognito_dir_conf *d,
                        const char *target)
{
    cg_endpoints_t ep;
    cg_login_state_t ls;
    cg_authorize_t az;
    cg_cookie_attrs_t a;
    state_scan scan;
    const char *sealed, *name, *why;
    int rc, i;

    rc = endpoints(r, d, &ep);
    if (rc != OK) {
        return rc;
    }
    ls.target = cg_url_safe_target(r->pool, target, cognito_origin(r),
                                   d->post_logout, &why);
    if (!ls.target || ls.target[0] != '/') {
        ls.target = "/";
    }
    ls.state = cg_random_token(r->pool, 32);
    ls.nonce = cg_random_token(r->pool, 32);
    ls.verifier = cg_random_token(r->pool, 32);
    ls.created = now_sec();
    if (!ls.state || !ls.nonce || !ls.verifier) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    name = state_cookie_name(r, d, ls.state);
    {
        const char *json = cg_login_state_serialize(r->pool, &ls);
        sealed = json ? cg_seal(r->pool, d->sealer,
                                apr_pstrcat(r->pool, "state:", name, NULL),
                                (const unsigned char *)json, strlen(json))
                      : NULL;
    }
    if (!sealed) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    /* Bound the number of pending logins a browser carries. */
    scan.prefix = apr_pstrcat(r->pool, cognito_cookie_name(d), "_st_", NULL);
    scan.names = apr_array_make(r->pool, 4, sizeof(const char *));
    apr_table_do(collect_state, &scan, cognito_request_cookies(r), NULL);
    if (scan.names->nelts >= STATE_COOKIES_MAX) {
        state_cookie_attrs(d, &a, 0);
        for (i = 0; i < scan.names->nelts; i++) {
            cognito_set_cookie(r, cg_cookie_format(
                r->pool, APR_ARRAY_IDX(scan.names, i, const char *), "", &a));
        }
    }
    state_cookie_attrs(d, &a, STATE_MAX_AGE);
    cognito_set_cookie(r, cg_cookie_format(r->pool, name, sealed, &a));

    az.client_id = client_id(d);
    az.redirect_uri = redirect_uri(r, d);
    az.scope = d->scope ? d->scope : "openid email profile";
    az.state = ls.state;
    az.nonce = ls.nonce;
    az.code_challenge = cg_pkce_challenge(r->pool, ls.verifier);
    az.identity_provider = d->identity_provider;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "no session: sending the browser to log in (returning to "
                  "%s)", ls.target);
    return redirect(r, cg_oauth_authorize_url(r->pool, ep.authorize, &az));
}

/* ---- the session as the request's identity ---- */

static apr_int64_t token_exp(request_rec *r, const char *token)
{
    cg_jwt_t *jwt;
    cg_error_t err;
    json_t *exp;

    if (!token || cg_jwt_parse(r->pool, token, strlen(token), 65536, &jwt,
                               &err) != CG_OK) {
        return 0;
    }
    exp = json_object_get(jwt->claims, "exp");
    return cg_json_seconds(exp);
}

/* Validate the tokens a token endpoint handed us; fill the session. */
static int accept_tokens(request_rec *r, const cognito_dir_conf *d,
                         const cg_token_response_t *t, const char *nonce,
                         cg_session_t *s)
{
    cg_jwt_t *id, *access;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc;
    apr_int64_t e1, e2;

    if (!t->id_token) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "login: no id token in the answer; CognitoScope must "
                      "include openid");
        return HTTP_UNAUTHORIZED;
    }
    rc = cognito_validate(r, d, t->id_token, strlen(t->id_token),
                          CG_TOKEN_USE_ID, nonce, &id, &err);
    if (rc == CG_OK) {
        rc = cognito_validate(r, d, t->access_token, strlen(t->access_token),
                              CG_TOKEN_USE_ACCESS, NULL, &access, &err);
    }
    if (rc != CG_OK) {
        ap_log_rerror(APLOG_MARK, cg_error_is_server_side(rc) ? APLOG_ERR
                                                               : APLOG_INFO,
                      0, r, "login: token from Cognito rejected: %s",
                      err.detail);
        return cg_error_is_server_side(rc) ? HTTP_SERVICE_UNAVAILABLE
                                           : HTTP_UNAUTHORIZED;
    }
    s->id_token = t->id_token;
    s->access_token = t->access_token;
    if (t->refresh_token) {
        s->refresh_token = t->refresh_token;
    }
    e1 = token_exp(r, t->id_token);
    e2 = token_exp(r, t->access_token);
    s->token_exp = e1 < e2 ? e1 : e2;
    return OK;
}

static int refresh(request_rec *r, const cognito_dir_conf *d,
                   cognito_session *cs)
{
    cg_endpoints_t ep;
    cg_token_response_t t;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_err_code_e rc;
    int status;

    if (!cs->s.refresh_token) {
        return HTTP_UNAUTHORIZED;
    }
    status = endpoints(r, d, &ep);
    if (status != OK) {
        return status;
    }
    rc = token_call(r, d, &ep, cg_oauth_form(
                        r->pool, "grant_type", "refresh_token",
                        "refresh_token", cs->s.refresh_token,
                        "client_id", client_id(d), NULL), &t, &err);
    if (rc == CG_ERR_REJECTED) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "session refresh refused (%s); the session ends",
                      t.error);
        return HTTP_UNAUTHORIZED;
    }
    if (rc != CG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "session refresh failed: %s", err.detail);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    status = accept_tokens(r, d, &t, NULL, &cs->s);
    if (status == OK) {
        cs->dirty = 1;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "session refreshed");
    }
    return status;
}

/* Is the app client among this section's CognitoClientId? */
static int client_accepted(const cognito_dir_conf *d, const char *client)
{
    int i;

    for (i = 0; client && d->client_ids && i < d->client_ids->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(d->client_ids, i, const char *), client)) {
            return 1;
        }
    }
    return 0;
}

/*
 * The session was sealed by us after validation, but possibly for another
 * section (another pool or app client sharing the cookie name and
 * passphrase): it only counts where its tokens would.  A foreign session
 * is left alone (not ended), it is still good where it came from.
 */
static int belongs_here(request_rec *r, const cognito_dir_conf *d,
                        const cognito_session *cs)
{
    cg_jwt_t *jwt;
    cg_error_t err;
    const char *iss;

    if (cg_jwt_parse(r->pool, cs->s.id_token, strlen(cs->s.id_token), 65536,
                     &jwt, &err) != CG_OK) {
        return 0;
    }
    iss = cg_claims_string(jwt->claims, "iss");
    if (!iss || !d->issuer || strcmp(iss, d->issuer) != 0
        || !client_accepted(d, cg_claims_client(jwt->claims))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "session was made for another pool or app client "
                      "than %s accepts; ignoring it", d->section);
        return 0;
    }
    return 1;
}

static int establish(request_rec *r, const cognito_dir_conf *d,
                     cognito_session *cs)
{
    cognito_request_ctx *ctx;
    cg_jwt_t *jwt;
    cg_error_t err;
    const char *user;

    if (cg_jwt_parse(r->pool, cs->s.id_token, strlen(cs->s.id_token), 65536,
                     &jwt, &err) != CG_OK) {
        return HTTP_UNAUTHORIZED;
    }
    user = cg_claims_username(jwt->claims, d->remote_user_claim);
    if (!user || !*user) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "session has no %s claim for the user name",
                      d->remote_user_claim ? d->remote_user_claim
                                           : "cognito:username");
        return HTTP_UNAUTHORIZED;
    }
    r->user = apr_pstrdup(r->pool, user);
    r->ap_auth_type = (char *)COGNITO_AUTH_TYPE;
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->claims = jwt->claims;
    ctx->user = r->user;
    ctx->source = "session";
    ctx->id_token = cs->s.id_token;
    ctx->access_token = cs->s.access_token;
    ap_set_module_config(r->request_config, &auth_cognito_module, ctx);
    return OK;
}

int cognito_authn_session(request_rec *r, const cognito_dir_conf *d)
{
    cognito_session *cs = cognito_session_load(r, d);
    int max_age, idle, status, touch;
    apr_int64_t now = now_sec();

    if (!cs || !belongs_here(r, d, cs)) {
        return DECLINED;
    }
    max_age = d->session_max_age == COGNITO_UNSET ? 28800
                                                  : d->session_max_age;
    idle = d->session_idle == COGNITO_UNSET ? 3600 : d->session_idle;
    switch (cg_session_check(&cs->s, now, max_age, idle, REFRESH_MARGIN)) {
    case CG_SESSION_TOO_OLD:
    case CG_SESSION_IDLE:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "session expired (%s); logging in again",
                      cg_session_check(&cs->s, now, max_age, idle,
                                       REFRESH_MARGIN) == CG_SESSION_IDLE
                      ? "inactivity" : "maximum age");
        cognito_session_destroy(r, d, cs);
        return DECLINED;
    case CG_SESSION_REFRESH:
        status = refresh(r, d, cs);
        if (status == HTTP_SERVICE_UNAVAILABLE) {
            if (now < cs->s.token_exp) {
                break;  /* Cognito down: the current tokens are still good */
            }
            /* Expired tokens and Cognito unreachable: not the user's
             * fault, and the refresh token may work again in a moment,
             * so the session is kept. */
            apr_table_setn(r->err_headers_out, "Retry-After", "10");
            return HTTP_SERVICE_UNAVAILABLE;
        }
        if (status != OK) {
            cognito_session_destroy(r, d, cs);
            return DECLINED;
        }
        break;
    case CG_SESSION_VALID:
        break;
    }
    /* Record activity often enough that a short inactivity timeout does
     * not end the session of someone who is active. */
    touch = idle > 0 && idle / 2 < TOUCH_INTERVAL ? idle / 2 : TOUCH_INTERVAL;
    if (touch < 1) {
        touch = 1;
    }
    if (now - cs->s.last_seen >= touch) {
        cs->s.last_seen = now;
        cs->dirty = 1;
    }
    status = establish(r, d, cs);
    if (status != OK) {
        cognito_session_destroy(r, d, cs);
        return DECLINED;
    }
    if (cs->dirty) {
        status = cognito_session_save(r, d, cs);
        if (status != OK) {
            return status;
        }
    }
    return OK;
}

/* ---- the callback ---- */

static const char *param(request_rec *r, const char *name)
{
    int dup = 0;
    return r->args ? cg_url_query_param(r->pool, r->args, name, &dup) : NULL;
}

/* A redirect target parameter: *bad set when it is there but given twice
 * or not decodable, which is refused rather than taken as "no target". */
static const char *target_param(request_rec *r, int *bad)
{
    const char *t = param(r, "target");

    *bad = !t && r->args && cg_url_query_has(r->args, "target");
    return t;
}

static int callback(request_rec *r, const cognito_dir_conf *d)
{
    const char *state = param(r, "state"), *code = param(r, "code");
    const char *error = param(r, "error"), *name, *target, *why;
    apr_table_t *cookies = cognito_request_cookies(r);
    cg_login_state_t ls;
    cg_cookie_attrs_t a;
    cg_endpoints_t ep;
    cg_token_response_t t;
    cg_error_t err = { CG_OK, NULL, NULL };
    cognito_session cs;
    unsigned char *plain;
    apr_size_t len;
    cg_err_code_e rc;
    int status;

    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!state && !code && !error) {
        /* A login link: CognitoRedirectURI?target=/somewhere */
        int bad;

        target = target_param(r, &bad);
        if (bad) {
            why = "is malformed or given twice";
        }
        if (bad || (target && !cg_url_safe_target(r->pool, target,
                                                  cognito_origin(r), NULL,
                                                  &why))) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "login target refused: it %s", why);
            return page(r, HTTP_BAD_REQUEST, "Invalid login target");
        }
        return cognito_start_login(r, d, target ? target : "/");
    }
    if (!state || strlen(state) < 16 || strlen(state) > 128) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "login callback without a valid state parameter");
        return page(r, HTTP_BAD_REQUEST, "Login failed: missing state");
    }
    name = state_cookie_name(r, d, state);
    state_cookie_attrs(d, &a, 0);
    if (apr_table_get(cookies, name)) {
        cognito_set_cookie(r, cg_cookie_format(r->pool, name, "", &a));
    }
    plain = apr_table_get(cookies, name)
            ? cg_unseal(r->pool, d->sealer,
                        apr_pstrcat(r->pool, "state:", name, NULL),
                        apr_table_get(cookies, name), &len)
            : NULL;
    if (!plain || cg_login_state_parse(r->pool, (const char *)plain, len, &ls,
                                       &err) != CG_OK
        || !cg_secure_equal(ls.state, state)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "login callback: state does not match a login started "
                      "by this browser");
        return page(r, HTTP_BAD_REQUEST, "Login failed: state mismatch");
    }
    if (now_sec() - ls.created > STATE_MAX_AGE) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "login callback: the login took too long");
        return page(r, HTTP_BAD_REQUEST, "Login failed: it took too long");
    }
    if (error) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "login refused by Cognito: %.64s", error);
        return page(r, HTTP_UNAUTHORIZED, "Login was refused");
    }
    if (!code || !*code) {
        return page(r, HTTP_BAD_REQUEST, "Login failed: no code");
    }
    status = endpoints(r, d, &ep);
    if (status != OK) {
        return status;
    }
    rc = token_call(r, d, &ep, cg_oauth_form(
                        r->pool, "grant_type", "authorization_code",
                        "code", code, "redirect_uri", redirect_uri(r, d),
                        "code_verifier", ls.verifier,
                        "client_id", client_id(d), NULL), &t, &err);
    if (rc == CG_ERR_REJECTED) {
        /* invalid_grant is this login's problem (a used or expired code,
         * a wrong verifier); the client errors are the configuration's. */
        int config = !strcmp(t.error, "invalid_client")
                     || !strcmp(t.error, "unauthorized_client");
        ap_log_rerror(APLOG_MARK, config ? APLOG_ERR : APLOG_INFO, 0, r,
                      "login: code exchange refused (%s)%s", t.error,
                      config ? "; check CognitoClientId and "
                               "CognitoClientSecret" : "");
        return page(r, HTTP_UNAUTHORIZED, "Login failed");
    }
    if (rc != CG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "login: code exchange failed: %s", err.detail);
        return page(r, HTTP_SERVICE_UNAVAILABLE,
                    "Login is unavailable right now");
    }
    memset(&cs, 0, sizeof(cs));
    status = accept_tokens(r, d, &t, ls.nonce, &cs.s);
    if (status != OK) {
        return page(r, status, status == HTTP_SERVICE_UNAVAILABLE
                               ? "Login is unavailable right now"
                               : "Login failed");
    }
    /* A new id at every login: a session id planted before login is
     * worthless afterwards, and the session this browser had before (if
     * any) ends. */
    cognito_session_discard(r, d);
    cs.s.id = cg_random_token(r->pool, 32);
    cs.s.created = cs.s.last_seen = now_sec();
    status = cognito_session_save(r, d, &cs);
    if (status != OK) {
        return page(r, status, status == HTTP_SERVICE_UNAVAILABLE
                               ? "Login is unavailable right now"
                               : "Login failed: the session cannot be "
                                 "stored (see the server's error log)");
    }
    target = cg_url_safe_target(r->pool, ls.target, cognito_origin(r), NULL,
                                &why);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "login: session started");
    return redirect(r, absolute(r, target ? target : "/"));
}

/* ---- logout ---- */

static int logout(request_rec *r, const cognito_dir_conf *d)
{
    const char *target, *why = "is malformed or given twice", *dest;
    const char *rt = NULL;
    cognito_session *cs;
    cg_endpoints_t ep;
    int have_ep, bad;

    target = target_param(r, &bad);
    if (target || bad) {
        target = bad ? NULL : cg_url_safe_target(r->pool, target,
                                                 cognito_origin(r),
                                                 d->post_logout, &why);
        if (!target) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "logout target refused: it %s", why);
            return page(r, HTTP_BAD_REQUEST, "Invalid logout target");
        }
    }
    else {
        target = d->post_logout && d->post_logout->nelts
                 ? APR_ARRAY_IDX(d->post_logout, 0, const char *) : "/";
    }
    dest = absolute(r, target);

    cs = d->sealer ? cognito_session_load(r, d) : NULL;
    if (cs) {
        rt = cs->s.refresh_token;
    }
    cognito_session_destroy(r, d, cs);
    have_ep = cognito_login_enabled(d) && endpoints(r, d, &ep) == OK;
    if (rt && have_ep && ep.revoke) {
        cg_http_response_t resp;
        cg_error_t err = { CG_OK, NULL, NULL };
        if (post_form(r, d, ep.revoke, cg_oauth_form(
                          r->pool, "token", rt, "client_id", client_id(d),
                          NULL), &resp, &err) != CG_OK
            || resp.status != 200) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "logout: revoking the refresh token failed: %s",
                          err.detail ? err.detail : "unexpected status");
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "logout%s",
                  cs ? ": session ended" : " without a session");
    if (have_ep && ep.logout) {
        dest = apr_pstrcat(r->pool, ep.logout, "?client_id=",
                           cg_http_form_escape(r->pool, client_id(d)),
                           "&logout_uri=", cg_http_form_escape(r->pool, dest),
                           NULL);
    }
    return redirect(r, dest);
}

int cognito_login_endpoint(request_rec *r, const cognito_dir_conf *d)
{
    if (!r->uri) {
        return DECLINED;
    }
    if (d->logout_uri && !strcmp(r->uri, d->logout_uri)) {
        return logout(r, d);
    }
    if (cognito_login_enabled(d) && d->sealer && d->issuer && d->client_ids
        && !strcmp(r->uri, redirect_path(d))) {
        return callback(r, d);
    }
    return DECLINED;
}
