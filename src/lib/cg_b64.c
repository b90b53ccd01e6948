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
    apr_size_t i, o = 0, rem = len % 4;
    unsigned char *out;
    apr_uint32_t acc = 0;
    int bits = 0;

    if (rem == 1) {
        return NULL;
    }
    out = apr_palloc(p, (len / 4) * 3 + 3);
    for (i = 0; i < len; i++) {
        unsigned int v = url_values[(unsigned char)in[i]];
        if (v > 63) {
            return NULL;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    /* Leftover bits must be zero, or two encodings map to one value. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        return NULL;
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
