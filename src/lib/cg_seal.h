/*
 * cg_seal.h: authenticated encryption of small values (session cookies,
 * state cookies, cached secrets) with AES-256-GCM.
 *
 * Keys come from admin passphrases through HKDF-SHA256 (the passphrase is
 * the input key material, a fixed label separates this use from any
 * other).  Several keys may be configured: the first seals, all of them
 * open, so passphrases can be rotated without logging everyone out.
 *
 * Sealed form, base64url without padding:
 *     0x01 | 12-byte random nonce | ciphertext | 16-byte tag
 * The "context" string is authenticated as additional data, so a value
 * sealed as a state cookie cannot be replayed as a session cookie.
 */
#ifndef CG_SEAL_H
#define CG_SEAL_H

#include <apr_tables.h>

#define CG_SEAL_KEY_LEN 32

typedef struct {
    unsigned char key[CG_SEAL_KEY_LEN];
} cg_seal_key_t;

typedef struct {
    apr_array_header_t *keys;   /* cg_seal_key_t; the first seals */
} cg_sealer_t;

/* Derive a key from a passphrase (any length >= 1). */
void cg_seal_derive_key(const char *passphrase, cg_seal_key_t *out);

cg_sealer_t *cg_sealer_make(apr_pool_t *p);
void cg_sealer_add_passphrase(cg_sealer_t *s, const char *passphrase);

/* NULL on failure (no key, RNG failure). */
char *cg_seal(apr_pool_t *p, const cg_sealer_t *s, const char *context,
              const unsigned char *plain, apr_size_t len);

/* NULL when the value is malformed, was sealed under another context, was
 * tampered with, or no configured key opens it.  The result is
 * NUL-terminated; *len excludes the NUL. */
unsigned char *cg_unseal(apr_pool_t *p, const cg_sealer_t *s,
                         const char *context, const char *sealed,
                         apr_size_t *len);

/* Cryptographically random bytes; 0 on success. */
int cg_random_bytes(unsigned char *buf, apr_size_t len);

/* A random token of n bytes, base64url encoded. */
char *cg_random_token(apr_pool_t *p, apr_size_t n);

/* Constant-time string comparison (1 when equal). */
int cg_secure_equal(const char *a, const char *b);

#endif
