/* cg_b64.c: strict base64url and plain base64. */
#include "cg_b64.h"

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Every token on every request goes through here: a table, not a chain
 * of comparisons.  X (255) for every byte outside the alphabet. */
#define X 255
static const unsigned char url_values[256] = {
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X
};
#undef X

unsigned char *cg_b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                                apr_size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t i, o = 0, full = len / 4 * 4, rem = len % 4;
    unsigned char *out;
    unsigned int a, b, c, d;

    if (rem == 1) {
        return NULL;
    }
    out = apr_palloc(p, (len / 4) * 3 + 3);
    /* Four characters to three bytes at a time; X has the top bits set,
     * so one test over the four values finds any byte outside the
     * alphabet. */
    for (i = 0; i < full; i += 4) {
        a = url_values[s[i]];
        b = url_values[s[i + 1]];
        c = url_values[s[i + 2]];
        d = url_values[s[i + 3]];
        if ((a | b | c | d) & 0xc0) {
            return NULL;
        }
        out[o++] = (unsigned char)(a << 2 | b >> 4);
        out[o++] = (unsigned char)((b & 15) << 4 | c >> 2);
        out[o++] = (unsigned char)((c & 3) << 6 | d);
    }
    /* Two or three characters left: one or two bytes.  Their leftover
     * bits must be zero, or two encodings would map to one value. */
    if (rem) {
        a = url_values[s[i]];
        b = url_values[s[i + 1]];
        c = rem == 3 ? url_values[s[i + 2]] : 0;
        if ((a | b | c) & 0xc0) {
            return NULL;
        }
        out[o++] = (unsigned char)(a << 2 | b >> 4);
        if (rem == 2) {
            if (b & 15) {
                return NULL;
            }
        }
        else {
            out[o++] = (unsigned char)((b & 15) << 4 | c >> 2);
            if (c & 3) {
                return NULL;
            }
        }
    }
    out[o] = '\0';
    if (out_len) {
        *out_len = o;
    }
    return out;
}

static char *encode(apr_pool_t *p, const unsigned char *in, apr_size_t len,
                    const char *alphabet, int pad)
{
    char *out = apr_palloc(p, ((len + 2) / 3) * 4 + 1);
    apr_size_t i, o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        apr_uint32_t v = ((apr_uint32_t)in[i] << 16)
                         | ((apr_uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        apr_uint32_t v = (apr_uint32_t)in[i] << 16;
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    }
    else if (len - i == 2) {
        apr_uint32_t v = ((apr_uint32_t)in[i] << 16)
                         | ((apr_uint32_t)in[i + 1] << 8);
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        if (pad) {
            out[o++] = '=';
        }
    }
    out[o] = '\0';
    return out;
}

char *cg_b64url_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    return encode(p, in, len, url_alphabet, 0);
}

char *cg_b64_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    return encode(p, in, len, std_alphabet, 1);
}
