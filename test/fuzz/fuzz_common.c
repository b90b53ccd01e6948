/* fuzz_common.c: pool, input cursor and the apr_palloc replacement. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include <apr_general.h>

#include "fuzz.h"

apr_pool_t *fz_root;

void fz_init(void)
{
    if (fz_root) {
        return;
    }
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&fz_root, NULL) != APR_SUCCESS) {
        fprintf(stderr, "fuzz: APR initialisation failed\n");
        abort();
    }
}

apr_pool_t *fz_pool(void)
{
    apr_pool_t *p;

    if (apr_pool_create(&p, fz_root) != APR_SUCCESS) {
        abort();
    }
    return p;
}

uint8_t fz_byte(fz_in_t *in)
{
    uint8_t b;

    if (!in->len) {
        return 0;
    }
    b = in->data[0];
    in->data++;
    in->len--;
    return b;
}

uint32_t fz_u32(fz_in_t *in)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        v = (v << 8) | fz_byte(in);
    }
    return v;
}

char *fz_take(fz_in_t *in, apr_pool_t *p, char sep, size_t *len)
{
    const uint8_t *end = memchr(in->data, (unsigned char)sep, in->len);
    size_t n = end ? (size_t)(end - in->data) : in->len;
    char *out = apr_palloc(p, n + 1);

    memcpy(out, in->data, n);
    out[n] = '\0';
    in->data += end ? n + 1 : n;
    in->len -= end ? n + 1 : n;
    if (len) {
        *len = n;
    }
    return out;
}

char *fz_rest(fz_in_t *in, apr_pool_t *p, size_t *len)
{
    char *out = apr_palloc(p, in->len + 1);

    memcpy(out, in->data, in->len);
    out[in->len] = '\0';
    if (len) {
        *len = in->len;
    }
    in->data += in->len;
    in->len = 0;
    return out;
}

int fz_has_ctl(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* The value of one hex digit, or -1. */
int fz_hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *fz_pct_decode(apr_pool_t *p, const char *s, size_t *len)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == '%') {
            int hi = fz_hex_value(s[1]);
            int lo = hi >= 0 ? fz_hex_value(s[2]) : -1;
            if (hi < 0 || lo < 0) {
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            s += 2;
        }
        else {
            *o++ = *s;
        }
    }
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}

/* ---- apr_palloc as one malloc per allocation ----
 *
 * Every block of a pool is chained from a head found through the pool's
 * user data; a cleanup registered with the head frees the chain (and the
 * head) when the pool is cleared or destroyed.  The heads themselves are
 * malloc'd and linked into one global list: Debian's APR keeps pool
 * memory in mmap'd regions, which LeakSanitizer does not scan, so without
 * the list every block of a long-lived pool would look leaked.  While the
 * shim itself allocates (the user-data hash, the cleanup record) it uses
 * the real apr_palloc, which the guard selects.  The 16-byte block header
 * keeps the payload as aligned as malloc's own. */

typedef union block_t {
    union block_t *next;
    max_align_t align;
} block_t;

typedef struct head_t {
    struct head_t *prev, *next;     /* the global list */
    block_t *blocks;
} head_t;

static const char head_key[] = "fuzz:palloc-blocks";
static __thread int in_shim;
static void *(*real_palloc)(apr_pool_t *, apr_size_t);
static head_t heads = { &heads, &heads, NULL };
static pthread_mutex_t heads_lock = PTHREAD_MUTEX_INITIALIZER;

static apr_status_t free_blocks(void *data)
{
    head_t *h = data;
    block_t *b = h->blocks, *next;

    for (; b; b = next) {
        next = b->next;
        free(b);
    }
    pthread_mutex_lock(&heads_lock);
    h->prev->next = h->next;
    h->next->prev = h->prev;
    pthread_mutex_unlock(&heads_lock);
    free(h);
    return APR_SUCCESS;
}

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    head_t *h;
    block_t *b;
    void *v = NULL;

    if (!real_palloc) {
        real_palloc = (void *(*)(apr_pool_t *, apr_size_t))
                      dlsym(RTLD_NEXT, "apr_palloc");
        if (!real_palloc) {
            abort();
        }
    }
    if (in_shim) {
        return real_palloc(p, size);
    }
    in_shim = 1;
    apr_pool_userdata_get(&v, head_key, p);
    h = v;
    if (!h) {
        h = calloc(1, sizeof(*h));
        if (!h) {
            abort();
        }
        pthread_mutex_lock(&heads_lock);
        h->next = heads.next;
        h->prev = &heads;
        heads.next->prev = h;
        heads.next = h;
        pthread_mutex_unlock(&heads_lock);
        apr_pool_userdata_setn(h, head_key, NULL, p);
        apr_pool_cleanup_register(p, h, free_blocks, apr_pool_cleanup_null);
    }
    in_shim = 0;
    b = malloc(sizeof(*b) + size);
    if (!b) {
        abort();
    }
    b->next = h->blocks;
    h->blocks = b;
    return b + 1;
}

#undef apr_pcalloc
void *apr_pcalloc(apr_pool_t *p, apr_size_t size);
void *apr_pcalloc(apr_pool_t *p, apr_size_t size)
{
    return memset(apr_palloc(p, size), 0, size);
}

const char *fz_doc_str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void fz_same(const char *got, const char *want, const char *what)
{
    FZ_ASSERT((!got && !want) || (got && want && !strcmp(got, want)),
              "%s is not what the input holds", what);
}
