/*
 * lsan_roots.c: let LeakSanitizer see pointers kept in APR pool memory.
 *
 * Debian's APR takes its pool memory from anonymous mmap(), and LSan does
 * not scan mmap()ed memory for pointers.  An httpd child exits without
 * destroying its configuration pool, so at its exit everything malloc()ed
 * and held only through a pool (a cjose key, a jansson object, the token
 * cache's arrays...) would be reported as leaked although it is in use.
 * This shim, preloaded in front of libasan, registers every private
 * anonymous mapping that libapr makes as an LSan root region, and drops it
 * again when libapr unmaps it.  Then a leak report means what it says: no
 * pointer to the block is left anywhere, pools included.
 *
 * Test tooling only (test/memcheck/run), never part of the module.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <sanitizer/lsan_interface.h>

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);

/* The regions we registered: LSan aborts when asked to unregister one it
 * does not know, so only those are unregistered. */
#define SLOTS 65536
static struct { void *addr; size_t len; } regions[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int from_apr(const void *caller)
{
    Dl_info info;
    return dladdr(caller, &info) && info.dli_fname
           && strstr(info.dli_fname, "libapr-1.so");
}

static size_t slot_of(const void *addr)
{
    return (size_t)(((uintptr_t)addr >> 12) * 2654435761u) % SLOTS;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static mmap_fn next;
    void *p;

    if (!next) {
        next = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
    }
    p = next(addr, len, prot, flags, fd, off);
    if (p != MAP_FAILED && (flags & MAP_ANONYMOUS) && (flags & MAP_PRIVATE)
        && (prot & PROT_WRITE) && from_apr(__builtin_return_address(0))) {
        size_t i, n;
        pthread_mutex_lock(&lock);
        for (i = slot_of(p), n = 0; n < SLOTS; i = (i + 1) % SLOTS, n++) {
            if (!regions[i].addr) {
                regions[i].addr = p;
                regions[i].len = len;
                __lsan_register_root_region(p, len);
                break;
            }
        }
        pthread_mutex_unlock(&lock);
    }
    return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
    static munmap_fn next;
    size_t i, n;

    if (!next) {
        next = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
    }
    pthread_mutex_lock(&lock);
    for (i = slot_of(addr), n = 0; n < SLOTS && regions[i].addr;
         i = (i + 1) % SLOTS, n++) {
        if (regions[i].addr == addr && regions[i].len == len) {
            __lsan_unregister_root_region(addr, len);
            /* Backward-shift deletion keeps every probe chain unbroken. */
            {
                size_t hole = i, j = (i + 1) % SLOTS;
                while (regions[j].addr) {
                    size_t home = slot_of(regions[j].addr);
                    if ((j > hole && (home <= hole || home > j))
                        || (j < hole && home <= hole && home > j)) {
                        regions[hole] = regions[j];
                        hole = j;
                    }
                    j = (j + 1) % SLOTS;
                }
                regions[hole].addr = NULL;
                regions[hole].len = 0;
            }
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return next(addr, len);
}
