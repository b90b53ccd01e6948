/*
 * mod_cognito_basic.c: AuthBasicProvider cognito.  The username and
 * password from HTTP Basic go to the user pool's InitiateAuth
 * (USER_PASSWORD_AUTH, with SECRET_HASH when CognitoClientSecret is set);
 * the tokens that come back are validated like any bearer token and give
 * the request its user and claims, so Require cognito-* and the claim
 * mirror work exactly as with AuthType Cognito.
 *
 * Outcomes: wrong password and unknown user are both a plain 401 (no user
 * enumeration; "user not found" only when Cognito itself says so, so
 * "AuthBasicProvider cognito file" falls through honestly); challenges
 * (new password, MFA), disabled, unconfirmed and reset-required users are
 * 401 with a log line saying why; Cognito unreachable, throttling or
 * answering garbage is 503; a configuration Cognito refuses (client
 * secret, flow not enabled) is 500 with the reason in the log.
 *
 * Three things live in the shared cache (none of them without it):
 *
 * - Logins.  A success is kept for CognitoBasicCacheTime (never beyond
 *   the tokens' exp), sealed, under a hash of pool, client and username,
 *   with a per-entry salted PBKDF2 verifier of the password, never the
 *   password.  Another password never matches it: it goes to Cognito.
 *
 * - Single flight.  Before asking Cognito a request takes a lease on the
 *   user's entry (an add-if-absent).  Concurrent logins of the same user,
 *   in any child, wait for the lease holder and then find its entry, so
 *   a burst of logins costs one InitiateAuth.  A holder that finds Cognito
 *   unavailable leaves a "down" mark for a moment, so the waiters answer
 *   503 at once instead of each waiting out its own timeout.  Waiting is
 *   bounded by CognitoHttpTimeout.
 *
 * - Failure back-off.  Failures are counted per username, over all
 *   clients.  Once a username has failed BACKOFF_AFTER times (within
 *   FAILURE_MEMORY), a client address that has itself failed for that
 *   username must wait 1, 2, 4 ... BACKOFF_MAX seconds after its own last
 *   failure before it is heard again; until then it gets 401 without
 *   Cognito being asked, whatever the password.  An address that has not
 *   failed for the username is always checked with Cognito.
 *
 *   Why this shape: refusing a username outright would let anyone lock
 *   its owner out by guessing; letting a remembered "known good" password
 *   through during the back-off would make our verifier an oracle that
 *   answers at request rate, which is worse than no back-off.  Both
 *   cannot be had, so the refusal is partitioned by the one thing a
 *   remote guesser does not share with the owner: the address.  A guesser
 *   gets a handful of tries, then one per minute per address; the owner,
 *   elsewhere, is never refused because of someone else's failures (an
 *   owner who mistyped waits at most BACKOFF_MAX).  IPv6 addresses count
 *   per /64, the block one host usually holds.  Behind a proxy, set up
 *   mod_remoteip so the address is the client's.
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
#define BACKOFF_AFTER 5         /* failures of a username before backing off */
#define BACKOFF_MAX 60          /* seconds */
#define FAILURE_MEMORY 900      /* seconds a failure is remembered */
#define DOWN_MEMORY 2           /* seconds a "Cognito unavailable" is shared */
#define ENTRY_MAX (32 * 1024)
#define POLL_FIRST 10000        /* microseconds between looks at a lease */
#define POLL_MAX 200000
#define LEASE_BUSY "busy"
#define LEASE_DOWN "down"

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

/* In-process serialisation by key hash, for callers that need no more
 * (the AWS credentials cache). */
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

/* One login attempt and the cache keys it uses. */
typedef struct {
    request_rec *r;
    const cognito_dir_conf *d;
    const cognito_server_conf *sc;
    const char *user;           /* as sent; passed cg_idp_username_ok */
    const char *client;         /* the app client InitiateAuth names */
    const char *who;            /* hash of issuer, client, user */
    const char *entry_key;
    const char *lease_key;
    const char *fail_key;       /* per username, any case */
    const char *strike_key;     /* per username and client address */
    int ttl;                    /* CognitoBasicCacheTime */
    int shared;                 /* the shared cache is there */
    int leased;                 /* we hold the lease */
} login_t;

/* The address failures are charged to: IPv6 per /64. */
static const char *client_address(request_rec *r)
{
#if APR_HAVE_IPV6
    apr_sockaddr_t *sa = r->useragent_addr;

    if (sa && sa->family == AF_INET6
        && !IN6_IS_ADDR_V4MAPPED(&sa->sa.sin6.sin6_addr)) {
        const unsigned char *b = (const unsigned char *)
                                 &sa->sa.sin6.sin6_addr;
        return apr_psprintf(r->pool, "%02x%02x:%02x%02x:%02x%02x:%02x%02x"
                            "::/64", b[0], b[1], b[2], b[3], b[4], b[5],
                            b[6], b[7]);
    }
#endif
    return r->useragent_ip ? r->useragent_ip : "-";
}

static void login_init(login_t *l, request_rec *r, const cognito_dir_conf *d,
                       const char *user)
{
    apr_pool_t *p = r->pool;
    char *lower = apr_pstrdup(p, user);

    memset(l, 0, sizeof(*l));
    l->r = r;
    l->d = d;
    l->sc = ap_get_module_config(r->server->module_config,
                                 &auth_cognito_module);
    l->user = user;
    l->client = APR_ARRAY_IDX(d->client_ids, 0, const char *);
    l->ttl = d->basic_cache_time == COGNITO_UNSET ? DEFAULT_CACHE_TIME
                                                  : d->basic_cache_time;
    l->shared = cognito_cache_available();
    /* Exact username for the login itself: in a case-sensitive pool
     * "Alice" and "alice" are different people. */
    l->who = cognito_sha256_hex(p, apr_pstrcat(p, d->issuer, "|", l->client,
                                               "|", user, NULL));
    l->entry_key = apr_pstrcat(p, "cg:basic:", l->who, NULL);
    l->lease_key = apr_pstrcat(p, "cg:bl:", l->who, NULL);
    /* Any case for failures, so changing case does not dodge the count. */
    ap_str_tolower(lower);
    l->fail_key = apr_pstrcat(p, "cg:bf:", cognito_sha256_hex(
        p, apr_pstrcat(p, d->issuer, "|", l->client, "|", lower, NULL)),
        NULL);
    l->strike_key = apr_pstrcat(p, "cg:bs:", cognito_sha256_hex(
        p, apr_pstrcat(p, l->fail_key, "|", client_address(r), NULL)), NULL);
}

/* ---- failure back-off ---- */

/* The first number of a record ("<count> <time>" or "<time>"), 0 when
 * there is none.  apr_psprintf wrote it, so APR_INT64_T_FMT it is: APR's
 * formatter knows no %lld. */
static apr_int64_t read_number(login_t *l, const char *key)
{
    const char *val;
    apr_size_t len;
    char *end;
    apr_int64_t n;

    if (cognito_cache_get(l->r->pool, key, 64, &val, &len) != APR_SUCCESS) {
        return 0;
    }
    n = apr_strtoi64(val, &end, 10);
    return end != val && n > 0 ? n : 0;
}

/* Seconds this address must still wait before it is heard again. */
static long backoff_wait(login_t *l)
{
    apr_int64_t count = read_number(l, l->fail_key), last, window;
    int shift;

    if (count < BACKOFF_AFTER) {
        return 0;
    }
    last = read_number(l, l->strike_key);
    if (!last) {
        return 0;       /* this address has not failed for this user */
    }
    shift = (int)(count - BACKOFF_AFTER);
    window = shift >= 16 ? BACKOFF_MAX : (apr_int64_t)1 << shift;
    if (window > BACKOFF_MAX) {
        window = BACKOFF_MAX;
    }
    return last + window > now_sec() ? (long)(last + window - now_sec()) : 0;
}

static void note_failure(login_t *l)
{
    apr_pool_t *p = l->r->pool;
    apr_int64_t now = now_sec();
    apr_time_t until = apr_time_from_sec(now + FAILURE_MEMORY);
    apr_int64_t count = read_number(l, l->fail_key);
    char *rec = apr_psprintf(p, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT,
                             count + 1, now);
    char *strike = apr_psprintf(p, "%" APR_INT64_T_FMT, now);

    cognito_cache_put(p, l->fail_key, rec, strlen(rec), until);
    cognito_cache_put(p, l->strike_key, strike, strlen(strike), until);
}

/* A success forgives this address.  The username's count stays (it
 * fades after FAILURE_MEMORY), or a guesser elsewhere would get fresh
 * free tries every time the owner logs in. */
static void clear_strike(login_t *l)
{
    cognito_cache_remove(l->r->pool, l->strike_key);
}

/* ---- single flight ---- */

static void lease_release(login_t *l)
{
    if (l->leased) {
        cognito_cache_remove(l->r->pool, l->lease_key);
        l->leased = 0;
    }
}

/* Cognito could not be asked: let the waiting logins of this user know. */
static void lease_down(login_t *l)
{
    if (l->leased) {
        cognito_cache_put(l->r->pool, l->lease_key, LEASE_DOWN,
                          strlen(LEASE_DOWN),
                          apr_time_from_sec(now_sec() + DOWN_MEMORY));
        l->leased = 0;
    }
}

/* ---- the login cache ---- */

static const char *entry_context(const login_t *l)
{
    /* Bound to the key, so an entry cannot be moved to another user. */
    return apr_pstrcat(l->r->pool, "basic-login:", l->who, NULL);
}

/*
 * 1 and the tokens when an entry for exactly this password exists, 0 when
 * there is no entry, -1 when there is one for another password.
 * equalise: when there is no entry, spend the verifier's time anyway, so
 * "this user logged in lately" cannot be read from response times.
 */
static int cache_lookup(login_t *l, const char *password, int equalise,
                        const char **id_token, const char **access_token)
{
    request_rec *r = l->r;
    const char *val, *salt, *verifier, *mine;
    apr_size_t len;
    unsigned char *plain;
    json_error_t jerr;
    json_t *o;
    apr_int64_t exp;
    int found = -1;

    if (cognito_cache_get(r->pool, l->entry_key, ENTRY_MAX, &val, &len)
        != APR_SUCCESS) {
        if (equalise) {
            cg_password_verifier(r->pool, password, "equalise-timing",
                                 CG_VERIFIER_ITERATIONS);
        }
        return 0;
    }
    plain = cg_unseal(r->pool, cognito_internal_sealer(l->d),
                      entry_context(l), val, &len);
    o = plain ? json_loadb((const char *)plain, len, 0, &jerr) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return 0;
    }
    salt = json_string_value(json_object_get(o, "salt"));
    verifier = json_string_value(json_object_get(o, "v"));
    exp = (apr_int64_t)json_integer_value(json_object_get(o, "e"));
    if (!salt || !verifier || exp <= now_sec()) {
        json_decref(o);
        return 0;
    }
    mine = cg_password_verifier(r->pool, password, salt,
                                CG_VERIFIER_ITERATIONS);
    if (mine && cg_secure_equal(mine, verifier)) {
        *id_token = apr_pstrdup(r->pool, json_string_value(
            json_object_get(o, "it")));
        *access_token = apr_pstrdup(r->pool, json_string_value(
            json_object_get(o, "at")));
        if (*id_token && *access_token) {
            found = 1;
        }
    }
    json_decref(o);
    return found;
}

static void cache_store(login_t *l, const char *password,
                        const char *id_token, const char *access_token,
                        apr_int64_t token_exp)
{
    request_rec *r = l->r;
    const char *salt = cg_random_token(r->pool, 16);
    const char *verifier = salt ? cg_password_verifier(
        r->pool, password, salt, CG_VERIFIER_ITERATIONS) : NULL;
    apr_int64_t exp = now_sec() + l->ttl;
    json_t *o;
    char *text, *sealed;

    if (!verifier) {
        return;
    }
    if (token_exp && token_exp < exp) {
        exp = token_exp;    /* never beyond the tokens' life */
    }
    if (exp <= now_sec()) {
        return;
    }
    o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "salt", salt, "v", verifier,
                  "it", id_token, "at", access_token, "e", (json_int_t)exp);
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text) {
        return;
    }
    sealed = cg_seal(r->pool, cognito_internal_sealer(l->d), entry_context(l),
                     (const unsigned char *)text, strlen(text));
    free(text);
    if (sealed) {
        cognito_cache_put(r->pool, l->entry_key, sealed, strlen(sealed),
                          apr_time_from_sec(exp));
    }
}

/* ---- answers ---- */

static authn_status unavailable(login_t *l, int level, const char *why)
{
    request_rec *r = l->r;
    cognito_request_ctx *ctx = cognito_ctx_make(r);

    ap_log_rerror(APLOG_MARK, level, 0, r,
                  "Basic login for %s: Cognito unavailable (503): %s",
                  l->user, why ? why : "-");
    ctx->upstream_down = 1;
    apr_table_setn(r->err_headers_out, "Retry-After", "5");
    ap_custom_response(r, HTTP_INTERNAL_SERVER_ERROR,
                       "<!DOCTYPE html>\n<html><head><title>503 Service "
                       "Unavailable</title></head><body><h1>Service "
                       "Unavailable</h1><p>The login service cannot be "
                       "reached; try again shortly.</p></body></html>\n");
    return AUTH_GENERAL_ERROR;
}

static json_t *claims_of(request_rec *r, const char *token)
{
    cg_jwt_t *jwt;
    cg_error_t err;

    if (!token || cg_jwt_parse(r->pool, token, strlen(token), 65536, &jwt,
                               &err) != CG_OK) {
        return NULL;
    }
    return jwt->claims;
}

static apr_status_t decref_claims(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

/*
 * The request's user and claims: the id token's claims (groups, email,
 * custom attributes, cognito:username), plus the access token's scope, so
 * Require cognito-scope has something to look at.  Both tokens were
 * validated when Cognito issued them; a cached pair is sealed and ends
 * before they expire.
 */
static authn_status establish(login_t *l, const char *id_token,
                              const char *access_token)
{
    request_rec *r = l->r;
    json_t *id = claims_of(r, id_token), *access = claims_of(r, access_token);
    json_t *claims, *scope;
    cognito_request_ctx *ctx;
    const char *user;

    if (!id || !access) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "Basic login for %s: cannot read the tokens", l->user);
        return AUTH_GENERAL_ERROR;
    }
    claims = json_deep_copy(id);
    if (!claims) {
        return AUTH_GENERAL_ERROR;
    }
    apr_pool_cleanup_register(r->pool, claims, decref_claims,
                              apr_pool_cleanup_null);
    scope = json_object_get(access, "scope");
    if (json_is_string(scope) && !json_object_get(claims, "scope")) {
        json_object_set(claims, "scope", scope);
    }
    user = cg_claims_username(claims, l->d->remote_user_claim);
    if (!user || !*user) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused: the id token has no %s "
                      "claim to use as the user name", l->user,
                      l->d->remote_user_claim ? l->d->remote_user_claim
                                              : "cognito:username");
        return AUTH_DENIED;
    }
    ctx = cognito_ctx_make(r);
    ctx->claims = claims;
    ctx->source = "basic";
    ctx->id_token = id_token;
    ctx->access_token = access_token;
    /* Cognito's own name for the user (an alias such as the email may
     * have been typed). */
    r->user = apr_pstrdup(r->pool, user);
    ctx->user = r->user;
    return AUTH_GRANTED;
}

static apr_int64_t exp_of(const cg_jwt_t *jwt)
{
    json_t *e = json_object_get(jwt->claims, "exp");
    return cg_json_seconds(e);
}

/* A fresh pair from Cognito: validate both like bearer tokens. */
static authn_status accept_tokens(login_t *l, const char *password,
                                  const cg_auth_result_t *res)
{
    request_rec *r = l->r;
    cg_error_t err = { CG_OK, NULL, NULL };
    cg_jwt_t *id_jwt = NULL, *access_jwt = NULL;
    cg_err_code_e rc;
    authn_status st;
    apr_int64_t e1, e2;

    rc = cognito_validate(r, l->d, res->id_token, strlen(res->id_token),
                          CG_TOKEN_USE_ID, NULL, &id_jwt, &err);
    if (rc == CG_OK) {
        rc = cognito_validate(r, l->d, res->access_token,
                              strlen(res->access_token), CG_TOKEN_USE_ACCESS,
                              NULL, &access_jwt, &err);
    }
    if (rc != CG_OK) {
        if (cg_error_is_server_side(rc)) {
            lease_down(l);
            return unavailable(l, APLOG_ERR, apr_pstrcat(
                r->pool, "cannot check the tokens: ", err.detail, NULL));
        }
        lease_release(l);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "Basic login for %s: the tokens Cognito issued do not "
                      "validate here (check CognitoUserPoolId, "
                      "CognitoIssuer, CognitoClientId): %s", l->user,
                      err.detail);
        return AUTH_GENERAL_ERROR;
    }
    st = establish(l, res->id_token, res->access_token);
    if (st == AUTH_GRANTED && l->ttl > 0) {
        e1 = exp_of(id_jwt);
        e2 = exp_of(access_jwt);
        cache_store(l, password, res->id_token, res->access_token,
                    e1 < e2 ? e1 : e2);
    }
    /* After the store, so whoever waits on the lease finds the entry. */
    lease_release(l);
    if (st == AUTH_GRANTED) {
        clear_strike(l);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "Basic login for %s accepted by Cognito", l->user);
    }
    return st;
}

static authn_status ask_cognito(login_t *l, const char *password)
{
    request_rec *r = l->r;
    const cognito_dir_conf *d = l->d;
    cg_http_request_t req;
    cg_http_response_t resp;
    cg_auth_result_t res;
    cg_error_t err = { CG_OK, NULL, NULL };
    char *body;
    cg_err_code_e rc;

    body = cg_initiate_auth_body(
        r->pool, l->client, l->user, password,
        d->client_secret ? cg_secret_hash(r->pool, l->user, l->client,
                                          d->client_secret) : NULL);
    if (!body) {
        lease_release(l);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "Basic login for %s: cannot build the request",
                      l->user);
        return AUTH_GENERAL_ERROR;
    }
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = idp_endpoint(r, d);
    req.body = body;
    req.body_len = strlen(body);
    req.headers = apr_table_make(r->pool, 2);
    apr_table_setn(req.headers, "Content-Type",
                   "application/x-amz-json-1.1");
    apr_table_setn(req.headers, "X-Amz-Target",
                   "AWSCognitoIdentityProviderService.InitiateAuth");
    rc = cg_http_curl(NULL, r->pool, &l->sc->http, &req, &resp, &err);
    /* The body held the password. */
    memset(body, 0, req.body_len);
    if (rc != CG_OK) {
        lease_down(l);
        return unavailable(l, APLOG_ERR, err.detail);
    }
    cg_initiate_auth_parse(r->pool, resp.status, resp.body, resp.body_len,
                           &res);
    switch (res.outcome) {
    case CG_AUTH_OK:
        return accept_tokens(l, password, &res);
    case CG_AUTH_CHALLENGE:
        lease_release(l);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused: the account needs an "
                      "interactive login first (Cognito asks for %s)",
                      l->user, res.challenge);
        return AUTH_DENIED;
    case CG_AUTH_DENIED:
        lease_release(l);
        note_failure(l);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused by Cognito: %s", l->user,
                      res.message);
        return AUTH_DENIED;
    case CG_AUTH_NO_USER:
        lease_release(l);
        note_failure(l);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s: Cognito has no such user",
                      l->user);
        return AUTH_USER_NOT_FOUND;
    case CG_AUTH_DISABLED:
        lease_release(l);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused: the account is disabled",
                      l->user);
        return AUTH_DENIED;
    case CG_AUTH_UNCONFIRMED:
        lease_release(l);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused: the account is not "
                      "confirmed", l->user);
        return AUTH_DENIED;
    case CG_AUTH_RESET:
        lease_release(l);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused: the password must be "
                      "reset (an interactive login is needed)", l->user);
        return AUTH_DENIED;
    case CG_AUTH_THROTTLED:
        lease_down(l);
        return unavailable(l, APLOG_ERR, apr_pstrcat(
            r->pool, "throttled: ", res.message, NULL));
    case CG_AUTH_CONFIG:
        lease_release(l);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "Basic login for %s: Cognito refuses this "
                      "configuration (%s: %s); check CognitoClientId, "
                      "CognitoClientSecret, CognitoIdpEndpoint and that the "
                      "app client allows USER_PASSWORD_AUTH", l->user,
                      res.error_type ? res.error_type : "-", res.message);
        return AUTH_GENERAL_ERROR;
    case CG_AUTH_UPSTREAM:
    default:
        lease_down(l);
        return unavailable(l, APLOG_ERR, apr_psprintf(
            r->pool, "HTTP %d from %s: %s", resp.status, req.url,
            res.message));
    }
}

/* ---- the provider ---- */

static authn_status check_password(request_rec *r, const char *user,
                                   const char *password)
{
    cognito_dir_conf *d = ap_get_module_config(r->per_dir_config,
                                               &auth_cognito_module);
    const char *problem, *id_token, *access_token, *held;
    apr_interval_time_t delay = POLL_FIRST;
    apr_time_t deadline;
    login_t l;
    long wait;
    int found, first = 1;
    apr_status_t rv;

    problem = cognito_conf_problem(d);
    if (!problem && !idp_endpoint(r, d)) {
        problem = "set CognitoUserPoolId or CognitoIdpEndpoint";
    }
    if (problem) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AuthBasicProvider cognito for %s: %s", r->uri,
                      problem);
        return AUTH_GENERAL_ERROR;
    }
    if (!cg_idp_username_ok(user)) {
        /* Nobody in Cognito can have this name (nor is it logged). */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "Basic login: the username cannot be a Cognito "
                      "username");
        return AUTH_USER_NOT_FOUND;
    }
    if (!cg_idp_password_ok(password)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "Basic login for %s refused: the password is empty, "
                      "too long or not UTF-8", user);
        return AUTH_DENIED;
    }
    login_init(&l, r, d, user);
    deadline = apr_time_now() + apr_time_from_sec(l.sc->http.timeout);

    for (;;) {
        if (l.shared && (wait = backoff_wait(&l)) > 0) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "Basic login for %s refused without asking "
                          "Cognito: too many failures for this user, this "
                          "address may try again in %lds", user, wait);
            return AUTH_DENIED;
        }
        if (!l.shared || l.ttl <= 0) {
            break;      /* nothing to share: just ask */
        }
        found = cache_lookup(&l, password, first, &id_token, &access_token);
        if (found > 0) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          "Basic login for %s served from the cache", user);
            return establish(&l, id_token, access_token);
        }
        first = 0;
        rv = cognito_cache_add(r->pool, l.lease_key, LEASE_BUSY,
                               strlen(LEASE_BUSY), apr_time_now()
                               + apr_time_from_sec(2 * l.sc->http.timeout
                                                   + 5), 16, &held);
        if (rv == APR_SUCCESS) {
            l.leased = 1;
            /* The holder before us may have stored its entry between our
             * look and our add. */
            if (cache_lookup(&l, password, 0, &id_token,
                             &access_token) > 0) {
                lease_release(&l);
                return establish(&l, id_token, access_token);
            }
            break;
        }
        if (rv != APR_EEXIST) {
            break;      /* the cache is in trouble: ask without a lease */
        }
        if (!strcmp(held, LEASE_DOWN)) {
            return unavailable(&l, APLOG_INFO, "a login of the same user "
                               "just found Cognito unavailable");
        }
        if (apr_time_now() >= deadline) {
            return unavailable(&l, APLOG_WARNING, "gave up waiting for a "
                               "concurrent login of the same user");
        }
        apr_sleep(delay);
        delay = delay * 2 > POLL_MAX ? POLL_MAX : delay * 2;
    }
    return ask_cognito(&l, password);
}

static const authn_provider basic_provider = { check_password, NULL };

void cognito_register_basic(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "cognito",
                              AUTHN_PROVIDER_VERSION, &basic_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
