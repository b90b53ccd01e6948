/* cg_log.c: formatting front end for the library's log callback. */
#include <stdarg.h>
#include <stdio.h>

#include "cg_log.h"

int cg_log_enabled(const cg_log_t *log, cg_log_level_e level)
{
    return log && log->fn && level <= log->max_level;
}

void cg_log(const cg_log_t *log, cg_log_level_e level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (!cg_log_enabled(log, level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log->fn(log->baton, level, buf);
}
