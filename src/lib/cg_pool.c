/* cg_pool.c: pool id syntax and derived URLs. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "cg_pool.h"

const char *cg_pool_id_problem(const char *id)
{
    const char *us = strchr(id, '_'), *c;
    int dashes = 0;

    if (!us || us == id) {
        return "expected <region>_<id>, e.g. us-east-1_AbC123xyz";
    }
    /* Region: lowercase words and a trailing number, dash separated
     * (us-east-1, ap-southeast-2, us-gov-west-1). */
    for (c = id; c < us; c++) {
        if (*c == '-') {
            if (c == id || c[-1] == '-') {
                return "malformed region";
            }
            dashes++;
        }
        else if (!apr_islower(*c) && !apr_isdigit(*c)) {
            return "region must be lowercase letters, digits and dashes";
        }
    }
    if (dashes < 2 || !apr_isdigit(us[-1])) {
        return "region must look like us-east-1";
    }
    if (!us[1]) {
        return "missing the id after the underscore";
    }
    for (c = us + 1; *c; c++) {
        if (!apr_isalnum(*c)) {
            return "the id after the underscore must be letters and digits";
        }
    }
    if (strlen(id) > 55) {
        return "too long";
    }
    return NULL;
}

char *cg_pool_region(apr_pool_t *p, const char *pool_id)
{
    const char *us = strchr(pool_id, '_');
    return us ? apr_pstrmemdup(p, pool_id, (apr_size_t)(us - pool_id))
              : apr_pstrdup(p, "");
}

char *cg_pool_issuer(apr_pool_t *p, const char *pool_id)
{
    return apr_psprintf(p, "https://cognito-idp.%s.amazonaws.com/%s",
                        cg_pool_region(p, pool_id), pool_id);
}

static char *well_known(apr_pool_t *p, const char *issuer, const char *doc)
{
    apr_size_t n = strlen(issuer);
    while (n > 0 && issuer[n - 1] == '/') {
        n--;
    }
    return apr_psprintf(p, "%.*s/.well-known/%s", (int)n, issuer, doc);
}

char *cg_issuer_jwks_uri(apr_pool_t *p, const char *issuer)
{
    return well_known(p, issuer, "jwks.json");
}

char *cg_issuer_discovery_uri(apr_pool_t *p, const char *issuer)
{
    return well_known(p, issuer, "openid-configuration");
}

const char *cg_url_problem(const char *url)
{
    const char *host;

    if (!strncasecmp(url, "https://", 8)) {
        host = url + 8;
    }
    else if (!strncasecmp(url, "http://", 7)) {
        host = url + 7;
    }
    else {
        return "must start with https:// or http://";
    }
    if (!*host || *host == '/' || *host == '?' || *host == '#') {
        return "has no host";
    }
    for (; *url; url++) {
        if ((unsigned char)*url <= 0x20 || *url == 0x7f) {
            return "contains spaces or control characters";
        }
    }
    return NULL;
}
