/*
 * cg_claims.h: questions asked of a validated claim set: who is this, which
 * groups, which scopes, does claim X hold value Y.  Used by authn (the user
 * name) and by the Require providers.
 */
#ifndef CG_CLAIMS_H
#define CG_CLAIMS_H

#include <apr_pools.h>
#include <jansson.h>

/*
 * The name httpd should know the caller by.  With override_claim set, that
 * claim (a string) is used; otherwise cognito:username (id tokens),
 * username (access tokens), and client_id for client_credentials tokens
 * that carry neither.  NULL when the wanted claim is absent.
 */
const char *cg_claims_username(json_t *claims, const char *override_claim);

/* A string claim's value, or NULL when absent or not a string. */
const char *cg_claims_string(json_t *claims, const char *name);

/* Membership in cognito:groups (exact, case-sensitive like Cognito). */
int cg_claims_in_group(json_t *claims, const char *group);

/* Membership in the space-separated scope claim. */
int cg_claims_has_scope(json_t *claims, const char *scope);

/* The app client: client_id, or aud for id tokens (first entry of a list). */
const char *cg_claims_client(json_t *claims);

/*
 * Does claim `name` equal `value`?  Strings compare exactly; numbers,
 * booleans and null by their JSON text ("42", "true"); an array matches
 * when any element does.  When no claim has the exact name and the name has
 * dots, it is a path into objects ("identities.providerName"), and arrays
 * met on the way match when any element does.
 */
int cg_claims_match(json_t *claims, const char *name, const char *value);

/* The largest time, in seconds since the epoch, that the library deals
 * in: the end of year 9999, the last one ISO 8601's four digits hold. */
#define CG_MAX_SECONDS APR_INT64_C(253402300799)

/* A JSON number of seconds (exp, auth_time...) as an integer, saturated
 * to 0 .. CG_MAX_SECONDS: a double outside an integer's range cannot be
 * converted at all (undefined behaviour), and arithmetic on the result
 * (microseconds, dates) needs headroom.  0 for anything but a number. */
apr_int64_t cg_json_seconds(json_t *v);

/* JSON text of a scalar (numbers without a trailing ".0" for integers). */
char *cg_json_scalar_text(apr_pool_t *p, json_t *v);

#endif
