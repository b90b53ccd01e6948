/*
 * cg_log.h: how the pure library reports what it does.
 *
 * The library never sees httpd, so it cannot call ap_log_error.  Callers
 * hand it a cg_log_t; the httpd glue forwards to the error log, the unit
 * tests collect lines to assert on them.  A NULL cg_log_t, or one without a
 * function, silently drops everything.
 */
#ifndef CG_LOG_H
#define CG_LOG_H

/* Same order and meaning as httpd's APLOG_* levels, so glue maps 1:1. */
typedef enum {
    CG_LOG_ERR = 3,
    CG_LOG_WARNING = 4,
    CG_LOG_NOTICE = 5,
    CG_LOG_INFO = 6,
    CG_LOG_DEBUG = 7,
    CG_LOG_TRACE = 8
} cg_log_level_e;

typedef void cg_log_fn(void *baton, cg_log_level_e level, const char *msg);

typedef struct {
    cg_log_fn *fn;
    void *baton;
    /* Lowest-priority level the receiver wants; lets us skip formatting. */
    cg_log_level_e max_level;
} cg_log_t;

#if defined(__GNUC__)
#define CG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CG_PRINTF(f, a)
#endif

/* True when a message at this level would be delivered. */
int cg_log_enabled(const cg_log_t *log, cg_log_level_e level);

void cg_log(const cg_log_t *log, cg_log_level_e level, const char *fmt, ...)
    CG_PRINTF(3, 4);

#endif
