/* cg_seal.c: AES-256-GCM sealing with HKDF-derived keys. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "cg_b64.h"
#include "cg_seal.h"

#define VERSION 0x01
#define NONCE_LEN 12
#define TAG_LEN 16
/* Sealed values larger than this are refused unopened (cookie bombs). */
#define MAX_SEALED (64 * 1024)

static const char hkdf_label[] = "mod_auth_cognito seal v1";

void cg_seal_derive_key(const char *passphrase, cg_seal_key_t *out)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t len = CG_SEAL_KEY_LEN;

    if (!ctx || EVP_PKEY_derive_init(ctx) <= 0
        || EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) <= 0
        || EVP_PKEY_CTX_set1_hkdf_salt(ctx, (const unsigned char *)hkdf_label,
                                       (int)strlen(hkdf_label)) <= 0
        || EVP_PKEY_CTX_set1_hkdf_key(ctx, (const unsigned char *)passphrase,
                                      (int)strlen(passphrase)) <= 0
        || EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)"key", 3)
           <= 0
        || EVP_PKEY_derive(ctx, out->key, &len) <= 0) {
        /* Never fall back to something weak: an all-zero key would be
         * worse than failing, so make the key unusable instead. */
        RAND_bytes(out->key, CG_SEAL_KEY_LEN);
    }
    EVP_PKEY_CTX_free(ctx);
}

cg_sealer_t *cg_sealer_make(apr_pool_t *p)
{
    cg_sealer_t *s = apr_pcalloc(p, sizeof(*s));
    s->keys = apr_array_make(p, 2, sizeof(cg_seal_key_t));
    return s;
}

void cg_sealer_add_passphrase(cg_sealer_t *s, const char *passphrase)
{
    cg_seal_key_t *k = apr_array_push(s->keys);
    cg_seal_derive_key(passphrase, k);
}

int cg_random_bytes(unsigned char *buf, apr_size_t len)
{
    return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

char *cg_random_token(apr_pool_t *p, apr_size_t n)
{
    unsigned char buf[64];

    if (n > sizeof(buf) || cg_random_bytes(buf, n) != 0) {
        return NULL;
    }
    return cg_b64url_encode(p, buf, n);
}

int cg_secure_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) {
        return 0;
    }
    return CRYPTO_memcmp(a, b, la) == 0;
}

char *cg_seal(apr_pool_t *p, const cg_sealer_t *s, const char *context,
              const unsigned char *plain, apr_size_t len)
{
    const cg_seal_key_t *key;
    EVP_CIPHER_CTX *ctx;
    unsigned char *buf, *nonce, *ct;
    int n = 0, total = 0, ok;

    if (!s || s->keys->nelts == 0 || len > MAX_SEALED) {
        return NULL;
    }
    key = &APR_ARRAY_IDX(s->keys, 0, cg_seal_key_t);
    buf = apr_palloc(p, 1 + NONCE_LEN + len + TAG_LEN);
    buf[0] = VERSION;
    nonce = buf + 1;
    ct = nonce + NONCE_LEN;
    if (cg_random_bytes(nonce, NONCE_LEN) != 0) {
        return NULL;
    }
    ctx = EVP_CIPHER_CTX_new();
    ok = ctx
         && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->key, nonce)
         && EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)context,
                              (int)strlen(context))
         && EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len);
    total = n;
    ok = ok && EVP_EncryptFinal_ex(ctx, ct + total, &n);
    total += n;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
                                   ct + total);
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        return NULL;
    }
    return cg_b64url_encode(p, buf, 1 + NONCE_LEN + (apr_size_t)total
                                    + TAG_LEN);
}

static int open_with(const cg_seal_key_t *key, const char *context,
                     const unsigned char *nonce, const unsigned char *ct,
                     int ct_len, const unsigned char *tag, unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok;

    ok = ctx
         && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->key, nonce)
         && EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)context,
                              (int)strlen(context))
         && EVP_DecryptUpdate(ctx, out, &n, ct, ct_len)
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                                (void *)tag)
         && EVP_DecryptFinal_ex(ctx, out + n, &n) > 0;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

unsigned char *cg_unseal(apr_pool_t *p, const cg_sealer_t *s,
                         const char *context, const char *sealed,
                         apr_size_t *len)
{
    apr_size_t raw_len, slen = strlen(sealed);
    unsigned char *raw, *out;
    int i, ct_len;

    if (!s || slen > MAX_SEALED * 4 / 3 + 64) {
        return NULL;
    }
    raw = cg_b64url_decode(p, sealed, slen, &raw_len);
    if (!raw || raw_len < 1 + NONCE_LEN + TAG_LEN || raw[0] != VERSION) {
        return NULL;
    }
    ct_len = (int)(raw_len - 1 - NONCE_LEN - TAG_LEN);
    out = apr_palloc(p, (apr_size_t)ct_len + 1);
    for (i = 0; i < s->keys->nelts; i++) {
        if (open_with(&APR_ARRAY_IDX(s->keys, i, cg_seal_key_t), context,
                      raw + 1, raw + 1 + NONCE_LEN, ct_len,
                      raw + raw_len - TAG_LEN, out)) {
            out[ct_len] = '\0';
            if (len) {
                *len = (apr_size_t)ct_len;
            }
            return out;
        }
    }
    return NULL;
}
