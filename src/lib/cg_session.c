/* cg_session.c: session and login-state (de)serialisation and checks. */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "cg_claims.h"
#include "cg_session.h"

static char *dump(apr_pool_t *p, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT), *copy;

    json_decref(o);
    if (!text) {
        return NULL;
    }
    copy = apr_pstrdup(p, text);
    free(text);
    return copy;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v) {
        json_object_set_new(o, k, json_string(v));
    }
}

char *cg_session_serialize(apr_pool_t *p, const cg_session_t *s)
{
    json_t *o = json_object();

    json_object_set_new(o, "v", json_integer(1));
    set_str(o, "sid", s->id);
    json_object_set_new(o, "c", json_integer(s->created));
    json_object_set_new(o, "l", json_integer(s->last_seen));
    json_object_set_new(o, "e", json_integer(s->token_exp));
    set_str(o, "it", s->id_token);
    set_str(o, "at", s->access_token);
    set_str(o, "rt", s->refresh_token);
    return dump(p, o);
}

static int get_str(apr_pool_t *p, json_t *o, const char *k, const char **out,
                   int required)
{
    json_t *v = json_object_get(o, k);

    if (!v) {
        *out = NULL;
        return !required;
    }
    if (!json_is_string(v)) {
        return 0;
    }
    *out = apr_pstrdup(p, json_string_value(v));
    return 1;
}

static int get_int(json_t *o, const char *k, apr_int64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v)) {
        return 0;
    }
    *out = (apr_int64_t)json_integer_value(v);
    return 1;
}

/* A time: seconds since the epoch, up to CG_MAX_SECONDS.  Anything else
 * is not a time we wrote, and would overflow the checks' arithmetic
 * (created + max_age, now - created). */
static int get_time(json_t *o, const char *k, apr_int64_t *out)
{
    return get_int(o, k, out) && *out >= 0 && *out <= CG_MAX_SECONDS;
}

cg_err_code_e cg_session_parse(apr_pool_t *p, const char *json,
                               apr_size_t len, cg_session_t *s,
                               cg_error_t *err)
{
    json_error_t jerr;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    apr_int64_t v = 0;
    int ok;

    memset(s, 0, sizeof(*s));
    ok = json_is_object(o) && get_int(o, "v", &v) && v == 1
         && get_str(p, o, "sid", &s->id, 1)
         && get_time(o, "c", &s->created)
         && get_time(o, "l", &s->last_seen)
         && get_time(o, "e", &s->token_exp)
         && get_str(p, o, "it", &s->id_token, 1)
         && get_str(p, o, "at", &s->access_token, 1)
         && get_str(p, o, "rt", &s->refresh_token, 0);
    json_decref(o);
    if (!ok) {
        return cg_error_set(err, p, CG_ERR_MALFORMED, "session is malformed");
    }
    return CG_OK;
}

cg_session_state_e cg_session_check(const cg_session_t *s, apr_int64_t now,
                                    int max_age, int idle, int margin)
{
    if (now >= s->created + max_age || now < s->created - 300) {
        return CG_SESSION_TOO_OLD;
    }
    if (idle > 0 && now >= s->last_seen + idle) {
        return CG_SESSION_IDLE;
    }
    if (now >= s->token_exp - margin) {
        return CG_SESSION_REFRESH;
    }
    return CG_SESSION_VALID;
}

char *cg_login_state_serialize(apr_pool_t *p, const cg_login_state_t *s)
{
    json_t *o = json_object();

    set_str(o, "s", s->state);
    set_str(o, "n", s->nonce);
    set_str(o, "v", s->verifier);
    set_str(o, "t", s->target);
    json_object_set_new(o, "c", json_integer(s->created));
    return dump(p, o);
}

cg_err_code_e cg_login_state_parse(apr_pool_t *p, const char *json,
                                   apr_size_t len, cg_login_state_t *s,
                                   cg_error_t *err)
{
    json_error_t jerr;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    int ok;

    memset(s, 0, sizeof(*s));
    ok = json_is_object(o) && get_str(p, o, "s", &s->state, 1)
         && get_str(p, o, "n", &s->nonce, 1)
         && get_str(p, o, "v", &s->verifier, 1)
         && get_str(p, o, "t", &s->target, 1)
         && get_time(o, "c", &s->created);
    json_decref(o);
    if (!ok) {
        return cg_error_set(err, p, CG_ERR_MALFORMED,
                            "login state is malformed");
    }
    return CG_OK;
}
