/*
 * fuzz_claims.c: the claim mirror (claims to environment variables and
 * request headers, cg_mirror_*) and the claim questions the Require
 * providers ask (cg_claims_*).
 *
 * Input: one flag byte; when flags bit 1 is set a prefix and a NUL byte,
 * when bit 2 is set a delimiter and a NUL byte (both must pass the rules
 * CognitoClaimPrefix and CognitoClaimDelimiter enforce, or the input is
 * skipped); then a claim name, NUL, a value, NUL (for the questions);
 * then the claim set as JSON.  Bit 0 turns off the per-claim variables.
 *
 * Invariants: variable names are the prefix and [A-Z0-9_], unique; header
 * names are tokens of [A-Za-z0-9-] that cg_mirror_header_is_ours()
 * recognises (so a client cannot smuggle in one of ours), header values
 * hold no control, non-ASCII or edge space bytes and percent-decode back
 * to the variable's value; the groups variable splits back into the
 * groups; COGNITO_CLAIMS is the claim set; the claims hash ignores the
 * per-token claims; the questions agree with direct reading of the JSON.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#include "cg_claims.h"
#include "cg_mirror.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_init();
    return 0;
}

static int prefix_ok(const char *s)
{
    const char *c;
    for (c = s; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_') {
            return 0;
        }
    }
    return *s && !apr_isdigit(*s);
}

static const char *var(const apr_array_header_t *vars, const char *name)
{
    int i;
    for (i = 0; i < vars->nelts; i++) {
        const cg_var_t *v = &APR_ARRAY_IDX(vars, i, cg_var_t);
        if (!strcmp(v->name, name)) {
            return v->value;
        }
    }
    return NULL;
}

/* The claims hash as defined (jansson's sorted compact text of the claims
 * minus the per-token ones), to hold the streaming one to it. */
static int hash_matches_definition(json_t *claims, const char *hash)
{
    static const char *const per_token[] = {
        "iat", "exp", "auth_time", "jti", "origin_jti", "event_id", "nonce",
        "at_hash", NULL
    };
    json_t *copy = json_copy(claims);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char *text, hex[2 * EVP_MAX_MD_SIZE + 1];

    for (i = 0; per_token[i]; i++) {
        json_object_del(copy, per_token[i]);
    }
    text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    if (!text) {
        return 0;
    }
    EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
    free(text);
    for (i = 0; i < n; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    return !strcmp(hex, hash);
}

/* Split a joined value at unescaped delimiters; returns a JSON array. */
static json_t *split(const char *s, const char *delim)
{
    size_t dlen = strlen(delim), n = 0;
    json_t *out = json_array();
    char *buf = malloc(strlen(s) + 1);

    for (;;) {
        if (*s == '\\' && s[1]) {
            buf[n++] = s[1];
            s += 2;
        }
        else if (!*s || !strncmp(s, delim, dlen)) {
            buf[n] = '\0';
            json_array_append_new(out, json_string(buf));
            n = 0;
            if (!*s) {
                break;
            }
            s += dlen;
        }
        else {
            buf[n++] = *s++;
        }
    }
    free(buf);
    return out;
}

static int is_string_array(json_t *a)
{
    size_t i;
    if (!json_is_array(a)) {
        return 0;
    }
    for (i = 0; i < json_array_size(a); i++) {
        if (!json_is_string(json_array_get(a, i))) {
            return 0;
        }
    }
    return 1;
}

static void check_vars(apr_pool_t *p, json_t *claims, const char *prefix,
                       const char *delim, int per_claim)
{
    cg_mirror_conf_t mc = { prefix, delim, per_claim };
    apr_array_header_t *vars = cg_mirror_vars(p, claims, &mc);
    const char *pre = prefix ? prefix : CG_MIRROR_DEFAULT_PREFIX;
    const char *dl = delim ? delim : CG_MIRROR_DEFAULT_DELIMITER;
    size_t plen = strlen(pre);
    apr_hash_t *seen = apr_hash_make(p);
    const char *v, *key;
    json_t *j, *val, *copy;
    int i;

    for (i = 0; i < vars->nelts; i++) {
        const cg_var_t *cv = &APR_ARRAY_IDX(vars, i, cg_var_t);
        const char *c, *hname, *hval, *back;
        size_t blen;

        FZ_ASSERT(cv->name && cv->value, "variable %d without name/value", i);
        FZ_ASSERT(!strncmp(cv->name, pre, plen) && cv->name[plen],
                  "variable %s lacks the prefix %s", cv->name, pre);
        for (c = cv->name + plen; *c; c++) {
            FZ_ASSERT((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
                      || *c == '_', "variable name %s", cv->name);
        }
        FZ_ASSERT(!apr_hash_get(seen, cv->name, APR_HASH_KEY_STRING),
                  "variable %s set twice", cv->name);
        apr_hash_set(seen, cv->name, APR_HASH_KEY_STRING, cv);

        hname = cg_mirror_header_name(p, cv->name);
        FZ_ASSERT(*hname, "empty header name");
        for (c = hname; *c; c++) {
            FZ_ASSERT(apr_isalnum(*c) || *c == '-', "header name %s", hname);
        }
        FZ_ASSERT(cg_mirror_header_is_ours(hname, pre),
                  "header %s is not recognised as ours", hname);
        FZ_ASSERT(cg_mirror_header_is_ours(cv->name, pre),
                  "variable %s is not recognised as ours", cv->name);

        hval = cg_mirror_header_value(p, cv->value);
        FZ_ASSERT(!fz_has_ctl(hval), "header %s carries a control byte",
                  hname);
        for (c = hval; *c; c++) {
            FZ_ASSERT((unsigned char)*c < 0x80, "header %s has a non-ASCII "
                      "byte", hname);
        }
        FZ_ASSERT(!*hval || (hval[0] != ' '
                             && hval[strlen(hval) - 1] != ' '),
                  "header %s value has an edge space", hname);
        back = fz_pct_decode(p, hval, &blen);
        FZ_ASSERT(back && blen == strlen(cv->value)
                  && !memcmp(back, cv->value, blen),
                  "header %s does not decode back to its value", hname);
    }

    /* The groups come back from COGNITO_GROUPS. */
    j = json_object_get(claims, "cognito:groups");
    v = var(vars, apr_pstrcat(p, pre, "GROUPS", NULL));
    FZ_ASSERT(v, "no GROUPS variable");
    if (is_string_array(j) && *v) {
        json_t *parts = split(v, dl);
        FZ_ASSERT(json_equal(parts, j), "GROUPS %s does not split back", v);
        json_decref(parts);
    }
    /* The whole claim set. */
    v = var(vars, apr_pstrcat(p, pre, "CLAIMS", NULL));
    if (v) {
        json_t *back = json_loads(v, JSON_DECODE_ANY, NULL);
        FZ_ASSERT(json_equal(back, claims), "CLAIMS is not the claim set");
        json_decref(back);
    }
    /* Per-token claims do not change the hash. */
    v = var(vars, apr_pstrcat(p, pre, "CLAIMS_SHA256", NULL));
    FZ_ASSERT(v && strlen(v) == 64, "claims hash %s", v ? v : "missing");
    FZ_ASSERT(hash_matches_definition(claims, v),
              "claims hash is not that of jansson's sorted compact text");
    copy = json_deep_copy(claims);
    json_object_set_new(copy, "iat", json_integer(123));
    json_object_set_new(copy, "jti", json_string("another-token"));
    json_object_del(copy, "nonce");
    FZ_ASSERT(!strcmp(cg_mirror_claims_hash(p, copy), v),
              "a per-token claim changed the claims hash");
    if (!json_object_get(claims, "fuzz:extra")) {
        json_object_set_new(copy, "fuzz:extra", json_true());
        FZ_ASSERT(strcmp(cg_mirror_claims_hash(p, copy), v),
                  "a new attribute left the claims hash unchanged");
    }
    json_decref(copy);

    /* String claims pass through unchanged, the first of a name wins. */
    if (per_claim) {
        json_object_foreach(claims, key, val) {
            const char *name = apr_pstrcat(p, pre, "CLAIM_",
                                           cg_mirror_claim_name(p, key),
                                           NULL);
            v = var(vars, name);
            FZ_ASSERT(v, "no variable for claim %s", key);
            (void)v;
        }
    }
    v = var(vars, apr_pstrcat(p, pre, "SUB", NULL));
    j = json_object_get(claims, "sub");
    FZ_ASSERT((v != NULL) == json_is_string(j)
              && (!v || !strcmp(v, json_string_value(j))),
              "SUB does not match the sub claim");
}

static void check_questions(apr_pool_t *p, json_t *claims, const char *name,
                            const char *value)
{
    json_t *g = json_object_get(claims, "cognito:groups"), *v;
    const char *scope = cg_claims_string(claims, "scope"), *use, *u, *s;
    size_t i, n;
    int want;

    /* Group membership. */
    want = 0;
    for (i = 0; i < json_array_size(g); i++) {
        json_t *e = json_array_get(g, i);
        if (json_is_string(e)) {
            FZ_ASSERT(cg_claims_in_group(claims, json_string_value(e)),
                      "not in listed group %s", json_string_value(e));
            want |= !strcmp(json_string_value(e), value);
        }
    }
    FZ_ASSERT(cg_claims_in_group(claims, value) == want,
              "group %s: got %d", value, !want);

    /* Scopes: every space-separated word, and nothing else. */
    want = 0;
    for (s = scope; s && *s; s += n) {
        while (*s == ' ') s++;
        n = strcspn(s, " ");
        if (n) {
            char *w = apr_pstrmemdup(p, s, n);
            FZ_ASSERT(cg_claims_has_scope(claims, w), "scope %s missing", w);
            want |= !strcmp(w, value);
        }
    }
    FZ_ASSERT(cg_claims_has_scope(claims, value) == want,
              "scope %s: got %d", value, !want);

    /* The user name. */
    use = cg_claims_string(claims, "token_use");
    u = cg_claims_username(claims, NULL);
    if (use && !strcmp(use, "id")) {
        FZ_ASSERT(u == cg_claims_string(claims, "cognito:username"),
                  "id token user name");
    }
    else {
        const char *un = cg_claims_string(claims, "username");
        FZ_ASSERT(u == (un ? un : cg_claims_string(claims, "client_id")),
                  "access token user name");
    }
    FZ_ASSERT(cg_claims_username(claims, name) == (*name
              ? cg_claims_string(claims, name) : u),
              "user name from claim %s", name);

    /* Claim matching, where the answer can be read off directly. */
    v = json_object_get(claims, name);
    if (json_is_string(v)) {
        FZ_ASSERT(cg_claims_match(claims, name, value)
                  == !strcmp(json_string_value(v), value),
                  "match %s=%s", name, value);
    }
    else if (is_string_array(v)) {
        want = 0;
        for (i = 0; i < json_array_size(v); i++) {
            want |= !strcmp(json_string_value(json_array_get(v, i)), value);
        }
        FZ_ASSERT(cg_claims_match(claims, name, value) == want,
                  "match %s=%s in an array", name, value);
    }
    else if (json_is_integer(v)) {
        char *t = cg_json_scalar_text(p, v);
        FZ_ASSERT(cg_claims_match(claims, name, t), "integer %s", t);
    }
    else {
        (void)cg_claims_match(claims, name, value);
    }
    (void)cg_claims_client(claims);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in_t in = { data, size };
    apr_pool_t *p = fz_pool();
    uint8_t flags = fz_byte(&in);
    const char *prefix = NULL, *delim = NULL, *name, *value, *doc;
    json_t *claims;
    size_t len;

    if (flags & 2) {
        prefix = fz_take(&in, p, '\0', NULL);
        if (!prefix_ok(prefix)) {
            goto out;
        }
    }
    if (flags & 4) {
        delim = fz_take(&in, p, '\0', NULL);
        if (!*delim || strchr(delim, '\\')) {
            goto out;
        }
    }
    name = fz_take(&in, p, '\0', NULL);
    value = fz_take(&in, p, '\0', NULL);
    doc = fz_rest(&in, p, &len);
    claims = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(claims)) {
        check_vars(p, claims, prefix, delim, !(flags & 1));
        check_questions(p, claims, name, value);
    }
    json_decref(claims);
out:
    apr_pool_destroy(p);
    return 0;
}
