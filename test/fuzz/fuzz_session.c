/*
 * fuzz_session.c: opening a browser session, the way the module does it:
 * Cookie header (cg_cookie_parse), chunk reassembly (cg_cookie_load),
 * AES-GCM unsealing (cg_unseal), then the session or login state inside
 * (cg_session_parse, cg_login_state_parse, cg_session_check).
 *
 * Input: one flag byte, then by mode (flags bits 0-1):
 *   0  a Cookie header;
 *   1  a context byte, four bytes of tamper position, then a plaintext
 *      that the harness seals, stores as Set-Cookie values (chunked when
 *      big) and reads back as a browser would send it;
 *   2  a context byte, then a sealed value as it would sit in a cookie or
 *      in the shared cache;
 *   3  now, max age, idle timeout (four bytes each), then session or
 *      login state JSON.
 *
 * Sealed values open with the passphrases "fuzz passphrase one" and
 * "fuzz passphrase two" (see mkcorpus.py), so real-shaped seeds reach the
 * parsers.  A third sealer uses a random passphrase drawn at start-up.
 *
 * Invariants: nothing the fuzzer writes opens under the random
 * passphrase; a value sealed here comes back byte for byte through the
 * cookie jar, and any single changed byte, or another context, makes it
 * fail; cookie names and values hold no separators; a chunked value is
 * the concatenation of its chunks; a parsed session or login state
 * serialises and parses back to the same fields.
 */
#include <string.h>

#include <apr_strings.h>

#include "cg_cookie.h"
#include "cg_seal.h"
#include "cg_session.h"
#include "fuzz.h"

#define NAME "cognito_session"

static cg_sealer_t *known, *secret;
static const char *const contexts[] = {
    "session-cookie:" NAME, "session-cache:" NAME,
    "state:" NAME "_st_0123456789abcdef", "aws-credentials"
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    unsigned char rnd[32];
    char hex[65];
    int i;

    fz_init();
    known = cg_sealer_make(fz_root);
    cg_sealer_add_passphrase(known, "fuzz passphrase one");
    cg_sealer_add_passphrase(known, "fuzz passphrase two");
    if (cg_random_bytes(rnd, sizeof(rnd)) != 0) {
        abort();
    }
    for (i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    }
    secret = cg_sealer_make(fz_root);
    cg_sealer_add_passphrase(secret, hex);
    return 0;
}

static void same_str(const char *a, const char *b, const char *what)
{
    FZ_ASSERT((!a && !b) || (a && b && !strcmp(a, b)),
              "%s changed in a round trip", what);
}

static void check_session(apr_pool_t *p, const unsigned char *plain,
                          size_t len, apr_int64_t now, int max_age, int idle)
{
    cg_session_t s, t;
    cg_login_state_t ls, lt;
    cg_error_t err = { CG_OK, NULL, NULL };
    char *again;

    if (cg_session_parse(p, (const char *)plain, len, &s, &err) == CG_OK) {
        FZ_ASSERT(s.id && s.id_token && s.access_token,
                  "a session without its required members");
        again = cg_session_serialize(p, &s);
        FZ_ASSERT(again, "a parsed session does not serialise");
        FZ_ASSERT(cg_session_parse(p, again, strlen(again), &t, &err)
                  == CG_OK, "a serialised session does not parse");
        same_str(s.id, t.id, "sid");
        same_str(s.id_token, t.id_token, "id token");
        same_str(s.access_token, t.access_token, "access token");
        same_str(s.refresh_token, t.refresh_token, "refresh token");
        FZ_ASSERT(s.created == t.created && s.last_seen == t.last_seen
                  && s.token_exp == t.token_exp, "times changed");
        (void)cg_session_check(&s, now, max_age, idle, 60);
    }
    else {
        FZ_ASSERT(err.code == CG_ERR_MALFORMED && err.detail,
                  "a bad session refused with %d", err.code);
    }
    if (cg_login_state_parse(p, (const char *)plain, len, &ls, &err)
        == CG_OK) {
        FZ_ASSERT(ls.state && ls.nonce && ls.verifier && ls.target,
                  "a login state without its members");
        again = cg_login_state_serialize(p, &ls);
        FZ_ASSERT(again && cg_login_state_parse(p, again, strlen(again), &lt,
                                                &err) == CG_OK,
                  "a login state does not round-trip");
        same_str(ls.state, lt.state, "state");
        same_str(ls.nonce, lt.nonce, "nonce");
        same_str(ls.verifier, lt.verifier, "verifier");
        same_str(ls.target, lt.target, "target");
        FZ_ASSERT(ls.created == lt.created, "created changed");
    }
}

/* Try one sealed value the way the module would. */
static void open_value(apr_pool_t *p, const char *sealed, const char *ctx)
{
    apr_size_t len = 0;
    unsigned char *plain;

    FZ_ASSERT(!cg_unseal(p, secret, ctx, sealed, &len),
              "a value nobody sealed opened (context %s)", ctx);
    plain = cg_unseal(p, known, ctx, sealed, &len);
    if (plain) {
        FZ_ASSERT(strlen((const char *)plain) <= len,
                  "unsealed length %zu is short", (size_t)len);
        check_session(p, plain, len, 1700000000, 28800, 3600);
    }
}

static int cookie_cb(void *rec, const char *key, const char *value)
{
    apr_pool_t *p = rec;

    FZ_ASSERT(*key && !strpbrk(key, ";="), "cookie name %s", key);
    FZ_ASSERT(!strchr(value, ';'), "cookie value with ';'");
    open_value(p, value, apr_pstrcat(p, "state:", key, NULL));
    return 1;
}

static void cookie_header(apr_pool_t *p, const char *hdr)
{
    apr_table_t *jar = cg_cookie_parse(p, hdr);
    const char *v = cg_cookie_load(p, jar, NAME), *raw;
    int i;

    apr_table_do(cookie_cb, p, jar, NULL);
    raw = apr_table_get(jar, NAME);
    FZ_ASSERT(!v || (raw && *raw), "loaded a value that is not there");
    if (v && strcmp(v, raw) != 0) {
        /* Chunked: NAME holds the count, the parts follow in order. */
        char *end;
        long n = strtol(raw, &end, 10);
        const char *joined = "";

        FZ_ASSERT(!*end && n >= 1 && n <= CG_COOKIE_MAX_CHUNKS,
                  "reassembled from a count of %s", raw);
        for (i = 1; i <= n; i++) {
            const char *part = apr_table_get(jar,
                                             apr_psprintf(p, "%s_%d", NAME, i));
            FZ_ASSERT(part && *part, "chunk %d missing", i);
            joined = apr_pstrcat(p, joined, part, NULL);
        }
        FZ_ASSERT(!strcmp(joined, v), "chunks joined differently");
    }
    if (v) {
        for (i = 0; i < 2; i++) {
            open_value(p, v, contexts[i]);
        }
    }
}

/* Seal plain, store it as cookies, read them back as a browser sends
 * them, and open it again; then tamper with it. */
static void round_trip(apr_pool_t *p, int ctxi, uint32_t pos,
                       const char *plain, size_t len)
{
    const char *ctx = contexts[ctxi], *other = contexts[(ctxi + 1) % 4];
    cg_cookie_attrs_t a = { "/", NULL, "Lax", 1, 1, -1 };
    char *sealed = cg_seal(p, known, ctx, (const unsigned char *)plain, len);
    apr_array_header_t *set;
    apr_table_t *jar;
    const char *hdr = "other=1", *back;
    unsigned char *opened;
    apr_size_t olen = 0;
    int i;

    if (!sealed) {
        FZ_ASSERT(len > 64 * 1024, "sealing %zu bytes failed", len);
        return;
    }
    set = cg_cookie_store(p, NULL, NAME, sealed, &a);
    if (!set) {
        FZ_ASSERT(strlen(sealed) > CG_COOKIE_CHUNK * CG_COOKIE_MAX_CHUNKS,
                  "a %zu-byte value not stored", strlen(sealed));
        return;
    }
    for (i = 0; i < set->nelts; i++) {
        const char *sc = APR_ARRAY_IDX(set, i, const char *);
        FZ_ASSERT(!fz_has_ctl(sc), "Set-Cookie with a control byte");
        hdr = apr_pstrcat(p, hdr, "; ",
                          apr_pstrmemdup(p, sc, strcspn(sc, ";")), NULL);
    }
    jar = cg_cookie_parse(p, hdr);
    back = cg_cookie_load(p, jar, NAME);
    FZ_ASSERT(back && !strcmp(back, sealed),
              "the cookie jar did not give the sealed value back");
    opened = cg_unseal(p, known, ctx, back, &olen);
    FZ_ASSERT(opened && olen == len && !memcmp(opened, plain, len),
              "a sealed value did not open to what was sealed");
    FZ_ASSERT(!cg_unseal(p, known, other, back, &olen),
              "opened under context %s, sealed under %s", other, ctx);
    FZ_ASSERT(!cg_unseal(p, secret, ctx, back, &olen),
              "opened with another passphrase");
    {
        char *t = apr_pstrdup(p, sealed);
        size_t n = strlen(t), at = pos % n;
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char c = alphabet[(pos >> 16) % 64];

        if (t[at] == c) {
            c = alphabet[((pos >> 16) + 1) % 64];
        }
        t[at] = c;
        FZ_ASSERT(!cg_unseal(p, known, ctx, t, &olen),
                  "opened after byte %zu was changed", at);
        t[n - 1] = '\0';
        FZ_ASSERT(!cg_unseal(p, known, ctx, t, &olen),
                  "opened after truncation");
    }
    check_session(p, opened, olen, 1700000000, 28800, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in_t in = { data, size };
    apr_pool_t *p = fz_pool();
    uint8_t flags = fz_byte(&in), ctxi;
    const char *rest;
    size_t len;

    switch (flags & 3) {
    case 0:
        cookie_header(p, fz_rest(&in, p, NULL));
        break;
    case 1: {
        uint32_t pos;
        ctxi = fz_byte(&in) % 4;
        pos = fz_u32(&in);
        rest = fz_rest(&in, p, &len);
        round_trip(p, ctxi, pos, rest, len);
        break;
    }
    case 2:
        ctxi = fz_byte(&in) % 4;
        open_value(p, fz_rest(&in, p, NULL), contexts[ctxi]);
        break;
    default: {
        apr_int64_t now = fz_u32(&in);
        int max_age = (int)(fz_u32(&in) & 0x7fffffff);
        int idle = (int)(fz_u32(&in) & 0x7fffffff);
        rest = fz_rest(&in, p, &len);
        check_session(p, (const unsigned char *)rest, len, now, max_age,
                      idle);
        break;
    }
    }
    apr_pool_destroy(p);
    return 0;
}
