/*
 * cg_mirror.h: the claim mirror.  Turns a validated claim set into the
 * variables a backend sees, so CGI, PHP and proxied apps get the user, the
 * groups and every attribute without parsing a token.
 *
 * Names (with the default prefix COGNITO_):
 *   COGNITO_SUB, COGNITO_USERNAME, COGNITO_EMAIL, COGNITO_GROUPS,
 *   COGNITO_SCOPE, COGNITO_TOKEN_USE, COGNITO_CLIENT_ID, COGNITO_ISSUER,
 *   COGNITO_EXP, COGNITO_AUTH_TIME, COGNITO_CLAIMS (compact JSON),
 *   COGNITO_CLAIMS_SHA256, and COGNITO_CLAIM_<NAME> for every claim, where
 *   NAME is the claim name uppercased with every character outside [A-Z0-9]
 *   turned into '_' (custom:tenant -> COGNITO_CLAIM_CUSTOM_TENANT).
 *
 * Values: strings as they are; numbers, booleans by their JSON text; null
 * as ""; objects as compact JSON; arrays joined with the delimiter, where
 * inside an element every backslash and every occurrence of the
 * delimiter's first character is preceded by a backslash, so splitting at
 * unescaped delimiters gives the elements back.
 *
 * COGNITO_CLAIMS_SHA256 hashes the claims that describe the user, i.e.
 * everything except the per-token ones (iat, exp, auth_time, jti,
 * origin_jti, event_id, nonce, at_hash), serialised with sorted keys; it
 * changes when the user's attributes or groups change and not on every new
 * token, so a replica can skip its upsert when nothing changed.
 *
 * Header form (for proxied backends): the variable name split at '_' and
 * capitalised (COGNITO_CLAIM_CUSTOM_TENANT -> Cognito-Claim-Custom-Tenant),
 * because proxies drop header names with underscores.  Header values are
 * made safe and stay lossless: printable ASCII passes except '%', which
 * like every control character (CR, LF, TAB, NUL...), a space at either
 * end (HTTP would strip it) and every non-ASCII
 * byte becomes %XX (UTF-8 bytes, uppercase hex), so the backend decodes every
 * header value with one percent-decode.
 */
#ifndef CG_MIRROR_H
#define CG_MIRROR_H

#include <apr_tables.h>
#include <jansson.h>

#define CG_MIRROR_DEFAULT_PREFIX "COGNITO_"
#define CG_MIRROR_DEFAULT_DELIMITER ","

typedef struct {
    const char *prefix;      /* NULL: CG_MIRROR_DEFAULT_PREFIX */
    const char *delimiter;   /* NULL: CG_MIRROR_DEFAULT_DELIMITER */
    int per_claim;           /* emit PREFIX CLAIM_<NAME> for every claim */
} cg_mirror_conf_t;

typedef struct {
    const char *name;        /* environment variable name */
    const char *value;
} cg_var_t;

/* The variables for a claim set, in a stable order.  Array of cg_var_t. */
apr_array_header_t *cg_mirror_vars(apr_pool_t *p, json_t *claims,
                                   const cg_mirror_conf_t *conf);

/* The same, with COGNITO_CLAIMS taken from the claim set's JSON text as it
 * was signed (the token's decoded payload; whitespace outside strings is
 * dropped) instead of serialising claims again.  payload NULL: as above. */
apr_array_header_t *cg_mirror_vars_signed(apr_pool_t *p, json_t *claims,
                                          const char *payload,
                                          apr_size_t payload_len,
                                          const cg_mirror_conf_t *conf);

/* JSON text without the whitespace between tokens (strings untouched). */
char *cg_mirror_compact_json(apr_pool_t *p, const char *json, apr_size_t len);

/* The same variables in one malloc'd block (free() releases it), to keep
 * beyond p: the token cache keeps them with a token, so a token seen
 * again is mirrored without serialising or hashing its claims again. */
typedef struct {
    int count;
    cg_var_t vars[];
} cg_var_list_t;
cg_var_list_t *cg_mirror_freeze(const apr_array_header_t *vars);

/* A tag naming the settings that shape cg_mirror_vars() output. */
char *cg_mirror_tag(apr_pool_t *p, const cg_mirror_conf_t *conf);

/* COGNITO_CLAIM_ style mangling of one claim name (without prefix). */
char *cg_mirror_claim_name(apr_pool_t *p, const char *claim);

/* Join an array claim with escaping as described above. */
char *cg_mirror_join(apr_pool_t *p, json_t *array, const char *delimiter);

/* Env-style name to header name: COGNITO_SUB -> Cognito-Sub. */
char *cg_mirror_header_name(apr_pool_t *p, const char *var_name);

/* Header-safe, lossless value (percent-encoding as described above). */
char *cg_mirror_header_value(apr_pool_t *p, const char *value);

/* Hex SHA-256 of the user-describing claims (see above). */
char *cg_mirror_claims_hash(apr_pool_t *p, json_t *claims);

/*
 * Does an incoming header name collide with what we set?  Compares the
 * name with '-' and '_' treated alike and case ignored against the prefix,
 * so "cognito-sub", "COGNITO_SUB" and "Cognito_Claim-X" all match the
 * prefix COGNITO_.
 */
int cg_mirror_header_is_ours(const char *header, const char *prefix);

#endif
