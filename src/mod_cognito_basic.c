/*
 * mod_cognito_basic.c: AuthBasicProvider cognito.  The username and
 * password from HTTP Basic go to the user pool's InitiateAuth
 * (USER_PASSWORD_AUTH); the tokens that come back are validated like any
 * bearer token and give the request its user and claims, so Require
 * cognito-* and the claim mirror work exactly as with AuthType Cognito.
 *
 * Outcomes: wrong password and unknown user are both a plain 401 (no user
 * enumeration); challenges (new password, MFA), disabled and unconfirmed
 * users are 401 with a log line saying why; Cognito unreachable or
 * throttling is 503.
 *
 * A successful login is cached in the shared cache for
 * CognitoBasicCacheTime (never beyond the token's exp), sealed, under a
 * hash of pool, client and username, holding a per-entry salted PBKDF2
 * verifier of the password, never the password.  A wrong password never
 * matches an entry made by the right one; it goes to Cognito and counts as
 * a failure.  Failures back off per username and client address, so
 * guessing is slowed without letting anyone lock a user out from afar.
 */
#include "mod_cognito.h"

#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>
#include <http_core.h>
#include <http_request.h>
#include <mod_auth.h>
#include <openssl/evp.h>

#include "lib/cg_claims.h"
#include "lib/cg_idp.h"
#include "lib/cg_pool.h"

APLOG_USE_MODULE(auth_cognito);

#define STRIPES 64
#define DEFAULT_CACHE_TIME 300
#define BACKOFF_AFTER 3         /* failures before backing off */
#define BACKOFF_MAX 300         /* seconds */
#define FAILURE_MEMORY 900      /* seconds a failure is remembered */
#define ENTRY_MAX (32 * 1024)

static apr_thread_mutex_t *stripes[STRIPES];
static cg_sealer_t *internal_sealer;

void cognito_basic_post_config(apr_pool_t *pconf)
{
    char *key;
    int i;

    for (i = 0; i < STRIPES; i++) {
        apr_thread_mutex_create(&stripes[i], APR_THREAD_MUTEX_DEFAULT, pconf);
    }
    /* Seals cached logins and credentials when no session passphrase is
     * configured: random per httpd start, shared by its children. */
    internal_sealer = cg_sealer_make(pconf);
    key = cg_random_token(pconf, 32);
    cg_sealer_add_passphrase(internal_sealer, key ? key : "");
}

const cg_sealer_t *cognito_internal_sealer(const cognito_dir_conf *d)
{
    return d->sealer ? d->sealer : internal_sealer;
}

static unsigned stripe_of(const char *key)
{
    unsigned h = 5381;
    for (; *key; key++) {
        h = h * 33 + (unsigned char)*key;
    }
    return h % STRIPES;
}

/* Single flight inside this process: concurrent requests for the same key
 * queue here; the first calls upstream, the rest find its cache entry. */
void cognito_stripe_lock(const char *key)
{
    apr_thread_mutex_lock(stripes[stripe_of(key)]);
}

void cognito_stripe_unlock(const char *key)
{
    apr_thread_mutex_unlock(stripes[stripe_of(key)]);
}

char *cognito_sha256_hex(apr_pool_t *p, const char *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char *hex;

    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    hex = apr_palloc(p, 2 * n + 1);
    for (i = 0; i < n; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    return hex;
}

cognito_request_ctx *cognito_ctx_make(request_rec *r)
{
    cognito_request_ctx *ctx = cognito_ctx(r);
    if (!ctx) {
        ctx = apr_pcalloc(r->pool, sizeof(*ctx));
        ap_set_module_config(r->request_config, &auth_cognito_module, ctx);
    }
    return ctx;
}

static const char *idp_endpoint(request_rec *r, const cognito_dir_conf *d)
{
    if (d->idp_endpoint) {
        return d->idp_endpoint;
    }
    if (d->pool_id) {
        return apr_psprintf(r->pool, "https://cognito-idp.%s.amazonaws.com/",
                            cg_pool_region(r->pool, d->pool_id));
    }
    return NULL;
}

static apr_int64_t now_sec(void)
{
    return apr_time_sec(apr_time_now());
}

/* ---- failure back-off ---- */

static const char *backoff_key(request_rec *r, const char *who)
{
    return apr_pstrcat(r->pool, "cg:bf:", cognito_sha256_hex(
        r->pool, apr_pstrcat(r->pool, who, "|", r->useragent_ip, NULL)),
        NULL);
}

static int backing_off(request_rec *r, const char *who, long *wait)
{
    const char *val;
    apr_size_t len;
    long long count = 0, last = 0, window;

    if (cognito_cache_get(r->pool, backoff_key(r, who), 64, &val, &len)
        != APR_SUCCESS || sscanf(val, "%lld %lld", &count, &last) != 2
        || count < BACKOFF_AFTER) {
        return 0;
    }
    window = 1LL << (count - BACKOFF_AFTER < 9 ? count - BACKOFF_AFTER : 9);
    if (window > BACKOFF_MAX) {
        window = BACKOFF_MAX;
    }
    *wait = (long)(last + window - now_sec());
    return *wait > 0;
}

static void note_failure(request_rec *r, const char *who)
{
    const char *key = backoff_key(r, who), *val;
    apr_size_t len;
    long long count = 0, last = 0;
    char *rec;

    if (cognito_cache_get(r->pool, key, 64, &val, &len) == APR_SUCCESS) {
        sscanf(val, "%lld %lld", &count, &last);
    }
    /* APR's formatter has no %lld: both numbers go out as apr_int64_t. */
    rec = apr_psprintf(r->pool, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT,
                       (apr_int64_t)(count + 1), now_sec());
    cognito_cache_put(r->pool, key, rec, strlen(rec),
                      apr_time_from_sec(now_sec() + FAILURE_MEMORY));
}

static void clear_failures(request_rec *r, const char *who)
{
    cognito_cache_remove(r->pool, backoff_key(r, who));
}

/* ---- the login cache ---- */

static const char *entry_key(request_rec *r, const char *who)
{
    return apr_pstrcat(r->pool, "cg:basic:", who, NULL);
}

static const char *entry_context(const char *who)
{
    (void)who;
    return "basic-login";
}

/* The id and access token of a cached login for exactly this password. */
static int cache_lookup(request_rec *r, const cognito_dir_conf *d,
                        const char *who, const char *password,
                        const char **id_token, const char **access_token)
{
    const char *val, *salt, *verifier, *mine;
    apr_size_t len;
    unsigned char *plain;
    json_error_t jerr;
    json_t *o;
    apr_int64_t exp;
    int ok = 0;

    if (cognito_cache_get(r->pool, entry_key(r, who), ENTRY_MAX, &val, &len)
        != APR_SUCCESS) {
        return 0;
    }
    plain = cg_unseal(r->pool, cognito_internal_sealer(d),
                      entry_context(who), val, &len);
    o = plain ? json_loadb((const char *)plain, len, 0, &jerr) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return 0;
    }
    salt = json_string_value(json_object_get(o, "salt"));
    verifier = json_string_value(json_object_get(o, "v"));
    exp = (apr_int64_t)json_integer_value(json_object_get(o, "e"));
    if (salt && verifier && exp > now_sec()) {
        mine = cg_password_verifier(r->pool, password, salt,
                                    CG_VERIFIER_ITERATIONS);
        if (mine && cg_secure_equal(mine, verifier)) {
            *id_token = apr_pstrdup(r->pool, json_string_value(
                json_object_get(o, "it")));
            *access_token = apr_pstrdup(r->pool, json_string_value(
                json_object_get(o, "at")));
            ok = *id_token && *access_token;
        }
    }
    json_decref(o);
    return ok;
}

static void cache_store(request_rec *r, const cognito_dir_conf *d,
                        const char *who, const char *password,
                        const char *id_token, const char *access_token,
                        apr_int64_t token_exp, int ttl)
{
    const char *salt = cg_random_token(r->pool, 16);
    const char *verifier = salt ? cg_password_verifier(
        r->pool, password, salt, CG_VERIFIER_ITERATIONS) : NULL;
    apr_int64_t exp = now_sec() + ttl;
    json_t *o;
    char *text, *sealed;

    if (!verifier) {
        return;
    }
    if (token_exp && token_exp < exp) {
        exp = token_exp;    /* never beyond the tokens' life */
    }
    o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "salt", salt, "v", verifier,
                  "it", id_token, "at", access_token, "e", (json_int_t)exp);
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text) {
        return;
    }
    sealed = cg_seal(r->pool, cognito_internal_sealer(d), entry_context(who),
                     (const unsigned char *)text, strlen(text));
    free(text);
    if (sealed) {
        cognito_cache_put(r->pool, entry_key(r, who), sealed, strlen(sealed),
                          apr_time_from_sec(exp));
    }
}

/* ---- the provider ---- */

static authn_status unavailable(request_rec *r, const char *why)
{
    cognito_request_ctx *ctx = cognito_ctx_make(r);

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "Basic login for %s: Cognito unavailable: %s", r->user,
                  why ? why : "-");
    ctx->upstream_down = 1;
    apr_table_setn(r->err_headers_out, "Retry-After", "5");
    ap_custom_response(r, HTTP_INTERNAL_SERVER_ERROR,
                       "<!DOCTYPE html>\n<html><head><title>503 Service "
                       "Unavailable</title></head><body><h1>Service "
                       "Unavailable</h1><p>The login service cannot be "
                       "reached; try again shortly.</p></body></html>\n");
    return AUTH_GENERAL_ERROR;
}

static authn_status establish(request_rec *r, const cognito_dir_conf *d,
                              const char *id_token, const char *access_token)
{
    cognito_request_ctx *ctx;
    cg_jwt_t *jwt;
    cg_error_t err;
    const char *user;

    if (cg_jwt_parse(r->pool, id_token, strlen(id_token), 65536, &jwt, &err)
        != CG_OK) {
        return AUTH_GENERAL_ERROR;
    }
    user = cg_claims_username(jwt->claims, d->remote_user_claim);
    ctx = cognito_ctx_make(r);
    ctx->claims = jwt->claims;
    ctx->source = "basic";
    ctx->id_token = id_token;
    ctx->access_token = access_token;
    if (user && *user) {
        r->user = apr_pstrdup(r->pool, user);
    }
    ctx->user = r->user;
    return AUTH_GRANTED;
}

static apr_int64_t exp_of(request_rec *r, const cg_jwt_t *jwt)
{
    json_t *e = json_object_get(jwt->claims, "exp");
    return e ? (apr_int64_t)json_number_value(e) : 0;
}

static authn_status check_password(request_rec *r, const char *user,
                                   const char *password)
{
    cognito_dir_conf *d = ap_get_module_config(r->per_dir_config,
                                               &auth_cognito_module);
    const char *endpoint, *problem, *who, *id_token, *access_token;
    const char *client, *body;
    cg_http_request_t req;
    cg_http_response_t resp;
    cg_auth_result_t res;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_jwt_t *id_jwt, *access_jwt;
    cognito_server_conf *sc;
    int ttl = d->basic_cache_time == COGNITO_UNSET ? DEFAULT_CACHE_TIME
                                                   : d->basic_cache_time;
    long wait = 0;
    authn_status st;
    cg_err_code_e rc;

    problem = cognito_conf_problem(d);
    endpoint = idp_endpoint(r, d);
    if (problem || !endpoint) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AuthBasicProvider cognito for %s: %s", r->uri,
                      problem ? problem : "set CognitoUserPoolId or "
                                          "CognitoIdpEndpoint");
        return AUTH_GENERAL_ERROR;
    }
    if (!*user || strlen(user) > 128 || !*password
        || strlen(password) > 256) {
        return AUTH_USER_NOT_FOUND;
    }
    client = APR_ARRAY_IDX(d->client_ids, 0, const char *);
    who = cognito_sha256_hex(r->pool, apr_pstrcat(
        r->pool, d->issuer, "|", client, "|", user, NULL));

    if (backing_off(r, who, &wait)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused: too many failures from "
                      "this address, backing off %lds", user, wait);
        return AUTH_DENIED;
    }
    if (ttl > 0 && cache_lookup(r, d, who, password, &id_token,
                                &access_token)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "Basic login for %s served from the cache", user);
        return establish(r, d, id_token, access_token);
    }

    cognito_stripe_lock(who);
    if (ttl > 0 && cache_lookup(r, d, who, password, &id_token,
                                &access_token)) {
        cognito_stripe_unlock(who);
        return establish(r, d, id_token, access_token);
    }
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = endpoint;
    body = cg_initiate_auth_body(
        r->pool, client, user, password,
        d->client_secret ? cg_secret_hash(r->pool, user, client,
                                          d->client_secret) : NULL);
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.headers = apr_table_make(r->pool, 2);
    apr_table_setn(req.headers, "Content-Type",
                   "application/x-amz-json-1.1");
    apr_table_setn(req.headers, "X-Amz-Target",
                   "AWSCognitoIdentityProviderService.InitiateAuth");
    sc = ap_get_module_config(r->server->module_config, &auth_cognito_module);
    rc = body ? cg_http_curl(NULL, r->pool, &sc->http, &req, &resp, &err)
              : CG_ERR_INTERNAL;
    if (rc != CG_OK) {
        cognito_stripe_unlock(who);
        return unavailable(r, err.detail);
    }
    cg_initiate_auth_parse(r->pool, resp.status, resp.body, resp.body_len,
                           &res);
    st = AUTH_DENIED;
    switch (res.outcome) {
    case CG_AUTH_OK:
        rc = cognito_validate(r, d, res.id_token, strlen(res.id_token),
                              CG_TOKEN_USE_ID, NULL, &id_jwt, &err);
        if (rc == CG_OK) {
            rc = cognito_validate(r, d, res.access_token,
                                  strlen(res.access_token),
                                  CG_TOKEN_USE_ACCESS, NULL, &access_jwt,
                                  &err);
        }
        if (rc != CG_OK) {
            cognito_stripe_unlock(who);
            if (cg_error_is_server_side(rc)) {
                return unavailable(r, err.detail);
            }
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "Basic login for %s: Cognito's tokens do not "
                          "validate here: %s", user, err.detail);
            return AUTH_GENERAL_ERROR;
        }
        if (ttl > 0) {
            apr_int64_t e1 = exp_of(r, id_jwt), e2 = exp_of(r, access_jwt);
            cache_store(r, d, who, password, res.id_token, res.access_token,
                        e1 < e2 ? e1 : e2, ttl);
        }
        cognito_stripe_unlock(who);
        clear_failures(r, who);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "Basic login for %s accepted by Cognito", user);
        return establish(r, d, res.id_token, res.access_token);
    case CG_AUTH_CHALLENGE:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s: the account needs interactive "
                      "login first (%.64s)", user, res.challenge);
        break;
    case CG_AUTH_DENIED:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused by Cognito: %.128s", user,
                      res.message ? res.message : res.error_type);
        note_failure(r, who);
        break;
    case CG_AUTH_NO_USER:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s: no such user", user);
        note_failure(r, who);
        st = AUTH_USER_NOT_FOUND;
        break;
    case CG_AUTH_UNCONFIRMED:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s: the account is not confirmed",
                      user);
        break;
    case CG_AUTH_RESET:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s: the password must be reset",
                      user);
        break;
    case CG_AUTH_THROTTLED:
        cognito_stripe_unlock(who);
        return unavailable(r, "throttled (TooManyRequestsException)");
    case CG_AUTH_UPSTREAM:
    default:
        cognito_stripe_unlock(who);
        return unavailable(r, apr_psprintf(r->pool, "HTTP %d %s: %s",
                                           resp.status,
                                           res.error_type ? res.error_type
                                                          : "",
                                           res.message ? res.message : ""));
    }
    cognito_stripe_unlock(who);
    return st;
}

static const authn_provider basic_provider = { check_password, NULL };

void cognito_register_basic(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "cognito",
                              AUTHN_PROVIDER_VERSION, &basic_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
