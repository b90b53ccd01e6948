/*
 * cg_b64.h: base64url as JOSE uses it (RFC 7515 section 2): the URL-safe
 * alphabet, no padding, no whitespace.  The decoder is strict on purpose:
 * a token that only decodes after "repair" is not the token that was signed.
 */
#ifndef CG_B64_H
#define CG_B64_H

#include <apr_pools.h>

/*
 * Decode len bytes of base64url.  Returns NULL on any character outside the
 * alphabet, on '=' padding, on an impossible length (len % 4 == 1) and on
 * non-zero trailing bits.  The result is NUL-terminated (not counted in
 * *out_len) so decoded JSON can be handed to a parser directly.
 */
unsigned char *cg_b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                                apr_size_t *out_len);

/* Encode without padding; NUL-terminated. */
char *cg_b64url_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len);

/* Standard base64 with padding (for HTTP Basic and AWS SECRET_HASH). */
char *cg_b64_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len);

#endif
