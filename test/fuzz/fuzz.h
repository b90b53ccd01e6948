/*
 * fuzz.h: what every libFuzzer target over src/lib shares.
 *
 * Each target gets a fresh APR pool per input (fz_pool), reads its input
 * through a small cursor (fz_in_t), and states what must hold with
 * FZ_ASSERT, which prints the broken invariant and aborts so libFuzzer
 * records the input as a crash.
 *
 * Pools hide overflows from AddressSanitizer, because apr_palloc carves
 * allocations out of big blocks.  fuzz_common.c therefore replaces
 * apr_palloc (and apr_pcalloc) for the whole process, libapr's own calls
 * included, with one malloc per allocation, freed when the pool is
 * cleared or destroyed, so a byte written or read past any pool
 * allocation hits an ASan redzone.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <apr_pools.h>
#include <jansson.h>

#define FZ_ASSERT(cond, ...) do {                                           \
        if (!(cond)) {                                                      \
            fprintf(stderr, "\n*** invariant broken at %s:%d: %s\n*** ",    \
                    __FILE__, __LINE__, #cond);                             \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
            abort();                                                        \
        }                                                                   \
    } while (0)

typedef struct {
    const uint8_t *data;
    size_t len;
} fz_in_t;

/* Once per process: apr_initialize and the long-lived pool. */
void fz_init(void);
extern apr_pool_t *fz_root;

/* A fresh pool for one input; destroy it before returning. */
apr_pool_t *fz_pool(void);

/* Consume one byte (0 when the input is used up). */
uint8_t fz_byte(fz_in_t *in);
/* Consume four bytes, big-endian (missing bytes count as 0). */
uint32_t fz_u32(fz_in_t *in);
/* Consume up to the next sep byte (dropped) or to the end, as a
 * NUL-terminated copy of exactly that size; *len gets its length. */
char *fz_take(fz_in_t *in, apr_pool_t *p, char sep, size_t *len);
/* The rest of the input, as above. */
char *fz_rest(fz_in_t *in, apr_pool_t *p, size_t *len);

/* The string member k of a JSON object, or NULL. */
const char *fz_doc_str(json_t *o, const char *k);
/* Fails the run unless got and want are both NULL or equal strings. */
void fz_same(const char *got, const char *want, const char *what);

/* 1 when s has a byte that may not appear in an HTTP header value we
 * emit: CR, LF, NUL, and every other control character. */
int fz_has_ctl(const char *s);

/* Percent-decode %XX escapes only (no '+'); NULL on a bad escape. */
char *fz_pct_decode(apr_pool_t *p, const char *s, size_t *len);
/* The value of one hex digit, or -1. */
int fz_hex_value(char c);

#endif
