/*
 * mod_cognito_config.c: directives, per-directory and per-server config,
 * merging, and the startup check that refuses configurations that cannot
 * work.  Every directive is documented in httpd-conf/DIRECTIVES.md.
 */
#include "mod_cognito.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <http_core.h>

#include "lib/cg_identity.h"
#include "lib/cg_pool.h"

#include <apr_file_io.h>
#include <stdlib.h>

APLOG_USE_MODULE(auth_cognito);

void *cognito_create_dir_conf(apr_pool_t *p, char *dir)
{
    cognito_dir_conf *d = apr_pcalloc(p, sizeof(*d));

    d->token_use = COGNITO_UNSET;
    d->clock_skew = COGNITO_UNSET;
    d->max_token_size = COGNITO_UNSET;
    d->pass_claims_as = COGNITO_UNSET;
    d->scrub_headers = COGNITO_UNSET;
    d->header_max_size = COGNITO_UNSET;
    d->session_max_age = COGNITO_UNSET;
    d->session_idle = COGNITO_UNSET;
    d->cookie_secure = COGNITO_UNSET;
    d->unauth_action = COGNITO_UNSET;
    d->session_store = COGNITO_UNSET;
    d->pass_access_token = COGNITO_UNSET;
    d->basic_cache_time = COGNITO_UNSET;
    d->pass_aws = COGNITO_UNSET;
    d->section = dir ? apr_pstrdup(p, dir) : "server config";
    return d;
}

#define PICK(field, unset) (add->field != (unset) ? add->field : base->field)

void *cognito_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    cognito_dir_conf *base = basev, *add = addv;
    cognito_dir_conf *d = apr_pcalloc(p, sizeof(*d));

    if (add->pool_set) {
        d->pool_set = 1;
        d->pool_id = add->pool_id;
        d->issuer_override = add->issuer_override;
        d->jwks_override = add->jwks_override;
        d->issuer = add->issuer;
        d->jwks_uri = add->jwks_uri;
    }
    else {
        d->pool_set = base->pool_set;
        d->pool_id = base->pool_id;
        d->issuer_override = base->issuer_override;
        d->jwks_override = base->jwks_override;
        d->issuer = base->issuer;
        d->jwks_uri = base->jwks_uri;
    }
    d->client_ids = PICK(client_ids, NULL);
    d->token_use = PICK(token_use, COGNITO_UNSET);
    d->clock_skew = PICK(clock_skew, COGNITO_UNSET);
    d->max_token_size = PICK(max_token_size, COGNITO_UNSET);
    d->remote_user_claim = PICK(remote_user_claim, NULL);
    d->pass_claims_as = PICK(pass_claims_as, COGNITO_UNSET);
    d->claim_prefix = PICK(claim_prefix, NULL);
    d->claim_delimiter = PICK(claim_delimiter, NULL);
    d->scrub_headers = PICK(scrub_headers, COGNITO_UNSET);
    d->header_max_size = PICK(header_max_size, COGNITO_UNSET);
    d->domain = PICK(domain, NULL);
    d->client_secret = PICK(client_secret, NULL);
    d->redirect_uri = PICK(redirect_uri, NULL);
    d->logout_uri = PICK(logout_uri, NULL);
    d->post_logout = PICK(post_logout, NULL);
    d->scope = PICK(scope, NULL);
    d->identity_provider = PICK(identity_provider, NULL);
    d->sealer = PICK(sealer, NULL);
    d->session_max_age = PICK(session_max_age, COGNITO_UNSET);
    d->session_idle = PICK(session_idle, COGNITO_UNSET);
    d->cookie_name = PICK(cookie_name, NULL);
    d->cookie_path = PICK(cookie_path, NULL);
    d->cookie_domain = PICK(cookie_domain, NULL);
    d->cookie_same_site = PICK(cookie_same_site, NULL);
    d->cookie_secure = PICK(cookie_secure, COGNITO_UNSET);
    d->unauth_action = PICK(unauth_action, COGNITO_UNSET);
    d->session_store = PICK(session_store, COGNITO_UNSET);
    d->pass_access_token = PICK(pass_access_token, COGNITO_UNSET);
    d->idp_endpoint = PICK(idp_endpoint, NULL);
    d->basic_cache_time = PICK(basic_cache_time, COGNITO_UNSET);
    d->identity_pool = PICK(identity_pool, NULL);
    d->identity_endpoint = PICK(identity_endpoint, NULL);
    d->pass_aws = PICK(pass_aws, COGNITO_UNSET);
    d->section = add->section;
    return d;
}

int cognito_token_use(const cognito_dir_conf *d)
{
    return d->token_use == COGNITO_UNSET ? CG_TOKEN_USE_ACCESS : d->token_use;
}

int cognito_clock_skew(const cognito_dir_conf *d)
{
    return d->clock_skew == COGNITO_UNSET ? CG_JWT_DEFAULT_CLOCK_SKEW
                                          : d->clock_skew;
}

int cognito_pass_claims_as(const cognito_dir_conf *d)
{
    return d->pass_claims_as == COGNITO_UNSET ? COGNITO_PASS_ENV
                                              : d->pass_claims_as;
}

const char *cognito_claim_prefix(const cognito_dir_conf *d)
{
    return d->claim_prefix ? d->claim_prefix : CG_MIRROR_DEFAULT_PREFIX;
}

/* Recompute the effective issuer and JWKS URL of one section. */
static void derive_pool_urls(apr_pool_t *p, cognito_dir_conf *d)
{
    d->pool_set = 1;
    d->issuer = d->issuer_override ? d->issuer_override
                : d->pool_id ? cg_pool_issuer(p, d->pool_id) : NULL;
    d->jwks_uri = d->jwks_override ? d->jwks_override
                  : d->issuer ? cg_issuer_jwks_uri(p, d->issuer) : NULL;
}

static const char *set_pool_id(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    const char *why = cg_pool_id_problem(arg);

    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a user pool id (%s)",
                            cmd->cmd->name, arg, why);
    }
    d->pool_id = arg;
    derive_pool_urls(cmd->pool, d);
    return NULL;
}

static const char *set_pool_url(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    const char *why = cg_url_problem(arg);

    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, arg, why);
    }
    if (cmd->info) {
        d->jwks_override = arg;
    }
    else {
        d->issuer_override = arg;
    }
    derive_pool_urls(cmd->pool, d);
    return NULL;
}

static const char *add_client_id(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    const char *c;

    for (c = arg; *c; c++) {
        if (!apr_isgraph(*c)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a client id",
                                cmd->cmd->name, arg);
        }
    }
    if (!*arg || strlen(arg) > 128) {
        return apr_psprintf(cmd->pool, "%s: client ids are 1-128 characters",
                            cmd->cmd->name);
    }
    if (!d->client_ids) {
        d->client_ids = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(d->client_ids, const char *) = arg;
    return NULL;
}

static const char *set_token_use(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    int use = cg_token_use_from_string(arg);

    if (!use) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not access, id or any",
                            cmd->cmd->name, arg);
    }
    d->token_use = use;
    return NULL;
}

/* Parse a whole decimal number in [lo, hi]. */
static const char *parse_int(cmd_parms *cmd, const char *arg, int lo, int hi,
                             int *out)
{
    char *end;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number from %d "
                            "to %d", cmd->cmd->name, arg, lo, hi);
    }
    *out = (int)v;
    return NULL;
}

static const char *set_dir_int(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    int which = (int)(apr_uintptr_t)cmd->info;

    switch (which) {
    case 0:
        return parse_int(cmd, arg, 0, 3600, &d->clock_skew);
    case 1:
        return parse_int(cmd, arg, 256, 65536, &d->max_token_size);
    default:
        return parse_int(cmd, arg, 64, 65536, &d->header_max_size);
    }
}

static const char *set_remote_user_claim(cmd_parms *cmd, void *dv,
                                         const char *arg)
{
    ((cognito_dir_conf *)dv)->remote_user_claim = arg;
    return NULL;
}

static const char *set_pass_claims_as(cmd_parms *cmd, void *dv,
                                      const char *arg)
{
    cognito_dir_conf *d = dv;

    if (!strcasecmp(arg, "environment")) d->pass_claims_as = COGNITO_PASS_ENV;
    else if (!strcasecmp(arg, "headers")) d->pass_claims_as = COGNITO_PASS_HEADERS;
    else if (!strcasecmp(arg, "both"))
        d->pass_claims_as = COGNITO_PASS_ENV | COGNITO_PASS_HEADERS;
    else if (!strcasecmp(arg, "none")) d->pass_claims_as = 0;
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not environment, headers, "
                            "both or none", cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_claim_prefix(cmd_parms *cmd, void *dv, const char *arg)
{
    const char *c;

    for (c = arg; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_') {
            break;
        }
    }
    if (!*arg || *c || apr_isdigit(*arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be letters, digits and "
                            "underscores, not starting with a digit",
                            cmd->cmd->name, arg);
    }
    ((cognito_dir_conf *)dv)->claim_prefix = arg;
    return NULL;
}

static const char *set_claim_delimiter(cmd_parms *cmd, void *dv,
                                       const char *arg)
{
    if (!*arg || strchr(arg, '\\')) {
        return apr_psprintf(cmd->pool, "%s: the delimiter must be non-empty "
                            "and cannot contain a backslash", cmd->cmd->name);
    }
    ((cognito_dir_conf *)dv)->claim_delimiter = arg;
    return NULL;
}

static const char *set_scrub(cmd_parms *cmd, void *dv, int on)
{
    ((cognito_dir_conf *)dv)->scrub_headers = on;
    return NULL;
}

/* ---- browser login ---- */

/* "literal", "file:/path" or "env:NAME": secrets need not sit in the
 * configuration itself. */
static const char *resolve_secret(cmd_parms *cmd, const char *arg,
                                  const char **out)
{
    if (!strncmp(arg, "file:", 5)) {
        const char *path = ap_server_root_relative(cmd->temp_pool, arg + 5);
        apr_file_t *f;
        char buf[4096];
        apr_size_t n = sizeof(buf) - 1;

        if (!path || apr_file_open(&f, path, APR_READ, 0, cmd->temp_pool)
                     != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "%s: cannot read %s",
                                cmd->cmd->name, arg + 5);
        }
        apr_file_read(f, buf, &n);
        apr_file_close(f);
        buf[n] = '\0';
        /* The first line, without trailing blanks. */
        n = strcspn(buf, "\r\n");
        while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) {
            n--;
        }
        buf[n] = '\0';
        *out = apr_pstrdup(cmd->pool, buf);
    }
    else if (!strncmp(arg, "env:", 4)) {
        const char *v = getenv(arg + 4);
        if (!v) {
            return apr_psprintf(cmd->pool, "%s: environment variable %s is "
                                "not set", cmd->cmd->name, arg + 4);
        }
        *out = apr_pstrdup(cmd->pool, v);
    }
    else {
        *out = arg;
    }
    if (!**out) {
        return apr_psprintf(cmd->pool, "%s: the secret is empty",
                            cmd->cmd->name);
    }
    return NULL;
}

static const char *set_domain(cmd_parms *cmd, void *dv, const char *arg)
{
    const char *why = cg_url_problem(arg);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, arg, why);
    }
    ((cognito_dir_conf *)dv)->domain = arg;
    return NULL;
}

static const char *set_client_secret(cmd_parms *cmd, void *dv,
                                     const char *arg)
{
    return resolve_secret(cmd, arg, &((cognito_dir_conf *)dv)->client_secret);
}

static const char *set_local_path(cmd_parms *cmd, const char *arg,
                                  int allow_url, const char **out)
{
    if (arg[0] == '/' && arg[1] != '/') {
        *out = arg;
        return NULL;
    }
    if (allow_url && !cg_url_problem(arg)) {
        *out = arg;
        return NULL;
    }
    return apr_psprintf(cmd->pool, "%s: '%s' must be a path starting with "
                        "/%s", cmd->cmd->name, arg,
                        allow_url ? " or an absolute http(s) URL" : "");
}

static const char *set_redirect_uri(cmd_parms *cmd, void *dv, const char *arg)
{
    return set_local_path(cmd, arg, 1,
                          &((cognito_dir_conf *)dv)->redirect_uri);
}

static const char *set_logout_uri(cmd_parms *cmd, void *dv, const char *arg)
{
    return set_local_path(cmd, arg, 0, &((cognito_dir_conf *)dv)->logout_uri);
}

static const char *add_post_logout(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    const char *v = NULL;
    const char *err = set_local_path(cmd, arg, 1, &v);

    if (err) {
        return err;
    }
    if (!d->post_logout) {
        d->post_logout = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(d->post_logout, const char *) = v;
    return NULL;
}

static const char *set_scope(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    d->scope = d->scope ? apr_pstrcat(cmd->pool, d->scope, " ", arg, NULL)
                        : arg;
    return NULL;
}

static const char *set_identity_provider(cmd_parms *cmd, void *dv,
                                         const char *arg)
{
    ((cognito_dir_conf *)dv)->identity_provider = arg;
    return NULL;
}

static const char *add_passphrase(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    const char *secret;
    const char *err = resolve_secret(cmd, arg, &secret);

    if (err) {
        return err;
    }
    /* secret is set whenever err is NULL; the analyzer assumes that
     * apr_psprintf() may return NULL, which it never does. */
    /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
    if (strlen(secret) < 16) {
        return apr_psprintf(cmd->pool, "%s: use at least 16 characters",
                            cmd->cmd->name);
    }
    if (!d->sealer) {
        d->sealer = cg_sealer_make(cmd->pool);
    }
    cg_sealer_add_passphrase(d->sealer, secret);
    return NULL;
}

static const char *set_session_int(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    if (cmd->info) {
        return parse_int(cmd, arg, 0, 30 * 86400, &d->session_idle);
    }
    return parse_int(cmd, arg, 60, 366 * 86400, &d->session_max_age);
}

static const char *set_cookie_name(cmd_parms *cmd, void *dv, const char *arg)
{
    const char *c;
    for (c = arg; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_' && *c != '-') {
            return apr_psprintf(cmd->pool, "%s: '%s' may only hold letters, "
                                "digits, '-' and '_'", cmd->cmd->name, arg);
        }
    }
    if (!*arg) {
        return "CognitoCookieName: empty name";
    }
    ((cognito_dir_conf *)dv)->cookie_name = arg;
    return NULL;
}

static const char *set_cookie_attr(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    const char *c;

    for (c = arg; *c; c++) {
        if (*c == ';' || *c == ',' || !apr_isgraph(*c)) {
            return apr_psprintf(cmd->pool, "%s: invalid value '%s'",
                                cmd->cmd->name, arg);
        }
    }
    if (cmd->info) {
        d->cookie_domain = arg;
    }
    else {
        if (arg[0] != '/') {
            return "CognitoCookiePath must start with /";
        }
        d->cookie_path = arg;
    }
    return NULL;
}

static const char *set_same_site(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;

    if (!strcasecmp(arg, "Lax")) d->cookie_same_site = "Lax";
    else if (!strcasecmp(arg, "Strict")) d->cookie_same_site = "Strict";
    else if (!strcasecmp(arg, "None")) d->cookie_same_site = "None";
    else {
        return "CognitoCookieSameSite: Lax, Strict or None";
    }
    return NULL;
}

static const char *set_dir_flag(cmd_parms *cmd, void *dv, int on)
{
    cognito_dir_conf *d = dv;
    if (cmd->info) {
        d->pass_access_token = on;
    }
    else {
        d->cookie_secure = on;
    }
    return NULL;
}

static const char *set_unauth_action(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;

    if (!strcasecmp(arg, "login")) d->unauth_action = COGNITO_UNAUTH_LOGIN;
    else if (!strcmp(arg, "401")) d->unauth_action = COGNITO_UNAUTH_401;
    else if (!strcasecmp(arg, "pass")) d->unauth_action = COGNITO_UNAUTH_PASS;
    else {
        return "CognitoUnauthAction: login, 401 or pass";
    }
    return NULL;
}

static const char *set_session_store(cmd_parms *cmd, void *dv,
                                     const char *arg)
{
    cognito_dir_conf *d = dv;

    if (!strcasecmp(arg, "cookie")) d->session_store = COGNITO_STORE_COOKIE;
    else if (!strcasecmp(arg, "cache")) d->session_store = COGNITO_STORE_CACHE;
    else {
        return "CognitoSessionStore: cookie or cache";
    }
    return NULL;
}

/* ---- Basic and identity pool ---- */

static const char *set_endpoint(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;
    const char *why = cg_url_problem(arg);

    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, arg, why);
    }
    if (cmd->info) {
        d->identity_endpoint = arg;
    }
    else {
        d->idp_endpoint = arg;
    }
    return NULL;
}

static const char *set_basic_cache_time(cmd_parms *cmd, void *dv,
                                        const char *arg)
{
    return parse_int(cmd, arg, 0, 86400,
                     &((cognito_dir_conf *)dv)->basic_cache_time);
}

static const char *set_identity_pool(cmd_parms *cmd, void *dv,
                                     const char *arg)
{
    const char *why = cg_identity_pool_problem(arg);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an identity pool id "
                            "(%s)", cmd->cmd->name, arg, why);
    }
    ((cognito_dir_conf *)dv)->identity_pool = arg;
    return NULL;
}

static const char *set_pass_aws(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_dir_conf *d = dv;

    if (!strcasecmp(arg, "On")) d->pass_aws = COGNITO_AWS_ENV;
    else if (!strcasecmp(arg, "Off")) d->pass_aws = 0;
    else if (!strcasecmp(arg, "Headers"))
        d->pass_aws = COGNITO_AWS_ENV | COGNITO_AWS_HEADERS;
    else {
        return "CognitoPassAwsCredentials: On, Off or Headers";
    }
    return NULL;
}

/* ---- server-wide settings ---- */

static const char *main_server_only(cmd_parms *cmd)
{
    if (cmd->server->is_virtual) {
        return apr_psprintf(cmd->pool, "%s applies to the whole server and "
                            "must be outside <VirtualHost>", cmd->cmd->name);
    }
    return NULL;
}

static cognito_server_conf *server_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config,
                                &auth_cognito_module);
}

static const char *set_http_timeout(cmd_parms *cmd, void *dv, const char *total,
                                    const char *connect)
{
    cognito_server_conf *sc = server_conf(cmd);
    const char *err = main_server_only(cmd);

    if (!err) err = parse_int(cmd, total, 1, 300, &sc->http.timeout);
    if (!err && connect) {
        err = parse_int(cmd, connect, 1, 300, &sc->http.connect_timeout);
    }
    else if (!err && sc->http.connect_timeout > sc->http.timeout) {
        sc->http.connect_timeout = sc->http.timeout;
    }
    return err;
}

static const char *set_http_ca_file(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_server_conf *sc = server_conf(cmd);
    const char *err = main_server_only(cmd);
    const char *path;
    apr_finfo_t fi;

    if (err) return err;
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool)
                 != APR_SUCCESS || fi.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "%s: cannot read '%s'", cmd->cmd->name,
                            arg);
    }
    sc->http.ca_file = path;
    return NULL;
}

static const char *set_http_verify(cmd_parms *cmd, void *dv, int on)
{
    const char *err = main_server_only(cmd);
    if (err) return err;
    server_conf(cmd)->http.verify_tls = on;
    return NULL;
}

static const char *set_http_proxy(cmd_parms *cmd, void *dv, const char *arg)
{
    const char *err = main_server_only(cmd);
    if (err) return err;
    server_conf(cmd)->http.proxy = arg;
    return NULL;
}

static const char *set_server_int(cmd_parms *cmd, void *dv, const char *arg)
{
    cognito_server_conf *sc = server_conf(cmd);
    const char *err = main_server_only(cmd);

    if (err) return err;
    switch ((int)(apr_uintptr_t)cmd->info) {
    case 1:
        return parse_int(cmd, arg, 0, 86400, &sc->jwks_min_refetch);
    case 2:
        return parse_int(cmd, arg, 16, 1000000, &sc->token_cache_size);
    default:
        return parse_int(cmd, arg, 0, 30 * 86400, &sc->jwks_refresh);
    }
}

static const char *set_server_flag(cmd_parms *cmd, void *dv, int on)
{
    cognito_server_conf *sc = server_conf(cmd);
    const char *err = main_server_only(cmd);

    if (err) return err;
    if (cmd->info) {
        sc->jwks_prefetch = on;
    }
    else {
        sc->token_cache = on;
    }
    return NULL;
}

void *cognito_create_server_conf(apr_pool_t *p, server_rec *s)
{
    cognito_server_conf *sc = apr_pcalloc(p, sizeof(*sc));

    cg_http_conf_defaults(&sc->http);
    sc->jwks_refresh = CG_KEYSTORE_DEFAULT_REFRESH;
    sc->jwks_min_refetch = CG_KEYSTORE_DEFAULT_MIN_REFETCH;
    sc->token_cache = 1;
    sc->token_cache_size = CG_TOKEN_CACHE_DEFAULT_SIZE;
    return sc;
}

void *cognito_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    /* Server-wide settings only live in the main server. */
    return basev;
}

#define DIR_POOL  (RSRC_CONF | ACCESS_CONF)
#define DIR_AUTH  (RSRC_CONF | OR_AUTHCFG)

const command_rec cognito_cmds[] = {
    AP_INIT_TAKE1("CognitoUserPoolId", set_pool_id, NULL, DIR_POOL,
                  "The user pool id, <region>_<id>"),
    AP_INIT_TAKE1("CognitoIssuer", set_pool_url, NULL, DIR_POOL,
                  "Issuer URL override (emulators, proxies)"),
    AP_INIT_TAKE1("CognitoJwksUri", set_pool_url, (void *)1, DIR_POOL,
                  "JWKS URL override"),
    AP_INIT_ITERATE("CognitoClientId", add_client_id, NULL, DIR_AUTH,
                    "Accepted app client id(s)"),
    AP_INIT_TAKE1("CognitoTokenUse", set_token_use, NULL, DIR_AUTH,
                  "access, id or any"),
    AP_INIT_TAKE1("CognitoClockSkew", set_dir_int, (void *)0, DIR_POOL,
                  "Seconds of clock skew allowed for exp, nbf and iat"),
    AP_INIT_TAKE1("CognitoMaxTokenSize", set_dir_int, (void *)1, DIR_POOL,
                  "Largest token accepted, in bytes"),
    AP_INIT_TAKE1("CognitoRemoteUserClaim", set_remote_user_claim, NULL,
                  DIR_AUTH, "Claim that becomes REMOTE_USER"),
    AP_INIT_TAKE1("CognitoPassClaimsAs", set_pass_claims_as, NULL, DIR_AUTH,
                  "environment, headers, both or none"),
    AP_INIT_TAKE1("CognitoClaimPrefix", set_claim_prefix, NULL, DIR_AUTH,
                  "Prefix of the variables set for the backend"),
    AP_INIT_TAKE1("CognitoClaimDelimiter", set_claim_delimiter, NULL, DIR_AUTH,
                  "Separator for array claims"),
    AP_INIT_TAKE1("CognitoClaimHeaderMaxSize", set_dir_int, (void *)2,
                  DIR_POOL, "Longest claim header value passed on"),
    AP_INIT_FLAG("CognitoScrubRequestHeaders", set_scrub, NULL, DIR_POOL,
                 "Remove incoming headers that look like ours (default On)"),
    AP_INIT_TAKE12("CognitoHttpTimeout", set_http_timeout, NULL, RSRC_CONF,
                   "Total [and connect] timeout of outgoing calls, seconds"),
    AP_INIT_TAKE1("CognitoHttpCAFile", set_http_ca_file, NULL, RSRC_CONF,
                  "CA bundle for outgoing https calls"),
    AP_INIT_FLAG("CognitoHttpVerifyTLS", set_http_verify, NULL, RSRC_CONF,
                 "Verify TLS peers of outgoing calls (default On)"),
    AP_INIT_TAKE1("CognitoHttpProxy", set_http_proxy, NULL, RSRC_CONF,
                  "Proxy for outgoing calls"),
    AP_INIT_TAKE1("CognitoJwksRefreshInterval", set_server_int, NULL,
                  RSRC_CONF, "Seconds after which keys are refetched"),
    AP_INIT_TAKE1("CognitoJwksMinRefetchInterval", set_server_int, (void *)1,
                  RSRC_CONF, "Least seconds between two fetches of a JWKS"),
    AP_INIT_FLAG("CognitoJwksPrefetch", set_server_flag, (void *)1, RSRC_CONF,
                 "Fetch every configured JWKS at startup"),
    AP_INIT_TAKE1("CognitoCache", cognito_set_cache, NULL, RSRC_CONF,
                  "Shared cache: socache provider[:args], or none"),
    AP_INIT_FLAG("CognitoTokenCache", set_server_flag, NULL, RSRC_CONF,
                 "Remember verified tokens to skip repeated RSA work"),
    AP_INIT_TAKE1("CognitoTokenCacheSize", set_server_int, (void *)2,
                  RSRC_CONF, "Most tokens remembered per process"),
    AP_INIT_TAKE1("CognitoDomain", set_domain, NULL, DIR_POOL,
                  "Hosted UI (or custom) domain, https://..."),
    AP_INIT_TAKE1("CognitoClientSecret", set_client_secret, NULL, DIR_POOL,
                  "App client secret: literal, file:/path or env:NAME"),
    AP_INIT_TAKE1("CognitoRedirectURI", set_redirect_uri, NULL, DIR_POOL,
                  "Callback path the module handles after login"),
    AP_INIT_TAKE1("CognitoLogoutURI", set_logout_uri, NULL, DIR_POOL,
                  "Path the module handles to log out"),
    AP_INIT_ITERATE("CognitoPostLogoutURI", add_post_logout, NULL, DIR_POOL,
                    "Where logout ends (registered with Cognito)"),
    AP_INIT_ITERATE("CognitoScope", set_scope, NULL, DIR_POOL,
                    "Scopes requested at login"),
    AP_INIT_TAKE1("CognitoIdentityProvider", set_identity_provider, NULL,
                  DIR_POOL, "Federated identity provider to log in with"),
    AP_INIT_ITERATE("CognitoSessionPassphrase", add_passphrase, NULL,
                    DIR_POOL, "Passphrase(s) sealing sessions; first seals"),
    AP_INIT_TAKE1("CognitoSessionMaxAge", set_session_int, NULL, DIR_POOL,
                  "Longest session, seconds"),
    AP_INIT_TAKE1("CognitoSessionInactivityTimeout", set_session_int,
                  (void *)1, DIR_POOL, "Idle time that ends a session"),
    AP_INIT_TAKE1("CognitoCookieName", set_cookie_name, NULL, DIR_POOL,
                  "Session cookie name"),
    AP_INIT_TAKE1("CognitoCookiePath", set_cookie_attr, NULL, DIR_POOL,
                  "Session cookie Path"),
    AP_INIT_TAKE1("CognitoCookieDomain", set_cookie_attr, (void *)1, DIR_POOL,
                  "Session cookie Domain"),
    AP_INIT_TAKE1("CognitoCookieSameSite", set_same_site, NULL, DIR_POOL,
                  "Lax, Strict or None"),
    AP_INIT_FLAG("CognitoCookieSecure", set_dir_flag, NULL, DIR_POOL,
                 "Mark cookies Secure (default On)"),
    AP_INIT_FLAG("CognitoPassAccessToken", set_dir_flag, (void *)1, DIR_AUTH,
                 "Give the backend the session's access token"),
    AP_INIT_TAKE1("CognitoUnauthAction", set_unauth_action, NULL, DIR_AUTH,
                  "Without credentials: login, 401 or pass"),
    AP_INIT_TAKE1("CognitoSessionStore", set_session_store, NULL, DIR_POOL,
                  "Keep sessions in the cookie or in the shared cache"),
    AP_INIT_TAKE1("CognitoIdpEndpoint", set_endpoint, NULL, DIR_POOL,
                  "User pool API URL (InitiateAuth) override"),
    AP_INIT_TAKE1("CognitoBasicCacheTime", set_basic_cache_time, NULL,
                  DIR_POOL, "Seconds a successful Basic login is reused"),
    AP_INIT_TAKE1("CognitoIdentityPoolId", set_identity_pool, NULL, DIR_POOL,
                  "Identity pool for temporary AWS credentials"),
    AP_INIT_TAKE1("CognitoIdentityEndpoint", set_endpoint, (void *)1,
                  DIR_POOL, "Identity pool API URL override"),
    AP_INIT_TAKE1("CognitoPassAwsCredentials", set_pass_aws, NULL, DIR_AUTH,
                  "Give the backend AWS credentials: Off, On or Headers"),
    { NULL }
};

/* ---- startup check ---- */

const char *cognito_conf_problem(const cognito_dir_conf *d)
{
    if (!d->issuer) {
        return "no CognitoUserPoolId (or CognitoIssuer) is configured";
    }
    if (!d->client_ids || d->client_ids->nelts == 0) {
        return "no CognitoClientId is configured";
    }
    return NULL;
}

static int check_section(server_rec *s, apr_pool_t *ptemp,
                         cognito_dir_conf *base, cognito_dir_conf *raw,
                         int is_directory)
{
    cognito_dir_conf *m = raw == base ? base
                          : cognito_merge_dir_conf(ptemp, base, raw);

    if (cognito_login_enabled(m) && !m->sealer) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "browser login is configured for %s (CognitoDomain or "
                     "CognitoUnauthAction login) but no "
                     "CognitoSessionPassphrase is set", raw->section);
        return 0;
    }
    if (m->client_ids && !m->issuer) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "CognitoClientId is set for %s but no CognitoUserPoolId "
                     "or CognitoIssuer applies there", raw->section);
        return 0;
    }
    if ((raw->pool_set || raw->client_ids) && m->issuer && !m->client_ids) {
        if (is_directory) {
            /* An .htaccess or <Location> below may still name the client. */
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "CognitoUserPoolId is set for %s but no "
                         "CognitoClientId; requests fail unless an .htaccess "
                         "sets it", raw->section);
            return 1;
        }
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "CognitoUserPoolId is set for %s but no CognitoClientId "
                     "applies there; CognitoClientId is required",
                     raw->section);
        return 0;
    }
    return 1;
}

static int check_sections(server_rec *s, apr_pool_t *ptemp,
                          cognito_dir_conf *base, apr_array_header_t *secs,
                          int is_directory)
{
    int i, ok = 1;

    for (i = 0; secs && i < secs->nelts; i++) {
        ap_conf_vector_t *v = APR_ARRAY_IDX(secs, i, ap_conf_vector_t *);
        cognito_dir_conf *d = ap_get_module_config(v, &auth_cognito_module);
        if (d && !check_section(s, ptemp, base, d, is_directory)) {
            ok = 0;
        }
    }
    return ok;
}

/* Does "AuthBasicProvider file cognito" name our provider? */
static int names_basic_provider(const ap_directive_t *node)
{
    const char *args = node->args, *w;

    if (strcasecmp(node->directive, "AuthBasicProvider") != 0 || !args) {
        return 0;
    }
    while (*args) {
        while (*args == ' ' || *args == '\t') args++;
        w = args;
        while (*args && *args != ' ' && *args != '\t') args++;
        if (args - w == 7 && !strncmp(w, "cognito", 7)) {
            return 1;
        }
    }
    return 0;
}

/* Find "AuthType Cognito", "AuthBasicProvider cognito" and pool
 * directives anywhere in the config. */
static void scan_tree(ap_directive_t *node, const ap_directive_t **authtype,
                      int *pools)
{
    for (; node; node = node->next) {
        if (((!strcasecmp(node->directive, "AuthType") && node->args
              && !strcasecmp(node->args, COGNITO_AUTH_TYPE))
             || names_basic_provider(node)) && !*authtype) {
            *authtype = node;
        }
        if (!strcasecmp(node->directive, "CognitoUserPoolId")
            || !strcasecmp(node->directive, "CognitoIssuer")) {
            (*pools)++;
        }
        if (node->first_child) {
            scan_tree(node->first_child, authtype, pools);
        }
    }
}

static void foreach_in(server_rec *s, apr_pool_t *ptemp,
                       cognito_dir_conf *base, apr_array_header_t *secs,
                       cognito_section_fn *fn, void *baton)
{
    int i;

    for (i = 0; secs && i < secs->nelts; i++) {
        ap_conf_vector_t *v = APR_ARRAY_IDX(secs, i, ap_conf_vector_t *);
        cognito_dir_conf *d = ap_get_module_config(v, &auth_cognito_module);
        if (d) {
            fn(baton, s, cognito_merge_dir_conf(ptemp, base, d));
        }
    }
}

void cognito_foreach_section(server_rec *s, apr_pool_t *ptemp,
                             cognito_section_fn *fn, void *baton)
{
    server_rec *sv;

    for (sv = s; sv; sv = sv->next) {
        core_server_config *sc = ap_get_core_module_config(sv->module_config);
        cognito_dir_conf *base = ap_get_module_config(sv->lookup_defaults,
                                                      &auth_cognito_module);
        fn(baton, sv, base);
        foreach_in(sv, ptemp, base, sc->sec_url, fn, baton);
        foreach_in(sv, ptemp, base, sc->sec_dir, fn, baton);
    }
}

int cognito_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s)
{
    const ap_directive_t *authtype = NULL;
    server_rec *sv;
    int pools = 0, ok = 1;

    scan_tree(ap_conftree, &authtype, &pools);
    if (authtype && !pools) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "%s %s is used (%s:%d) but no CognitoUserPoolId or "
                     "CognitoIssuer is configured", authtype->directive,
                     authtype->args, authtype->filename, authtype->line_num);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (sv = s; sv; sv = sv->next) {
        core_server_config *sc = ap_get_core_module_config(sv->module_config);
        cognito_dir_conf *base = ap_get_module_config(sv->lookup_defaults,
                                                      &auth_cognito_module);
        if (!check_section(sv, ptemp, base, base, 1)
            || !check_sections(sv, ptemp, base, sc->sec_url, 0)
            || !check_sections(sv, ptemp, base, sc->sec_dir, 1)) {
            ok = 0;
        }
    }
    return ok ? OK : HTTP_INTERNAL_SERVER_ERROR;
}
