/* cg_b64.c: strict base64url and plain base64. */
#include "cg_b64.h"

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

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
        int v = url_value((unsigned char)in[i]);
        if (v < 0) {
            return NULL;
        }
        acc = (acc << 6) | (apr_uint32_t)v;
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
