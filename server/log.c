/* JSON-lines logger on stderr (see include/kw/log.h). Each line is built in
 * a local buffer and written with one write(2), so lines from different
 * threads never interleave. */
#include "kw/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = KW_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int kw_log_set_level_name(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            atomic_store(&min_level, i);
            return 0;
        }
    }
    return -1;
}

void kw_log_set_level(enum kw_log_level level)
{
    atomic_store(&min_level, (int)level);
}

bool kw_log_enabled(enum kw_log_level level)
{
    return (int)level >= atomic_load(&min_level);
}

static void iso_time(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void kw_log(enum kw_log_level level, const char *msg, ...)
{
    if (!kw_log_enabled(level))
        return;
    char when[40];
    iso_time(when, sizeof(when));
    json_t *line = json_object();
    if (!line)
        return;
    json_object_set_new(line, "time", json_string(when));
    json_object_set_new(line, "level", json_string(level_names[level]));
    json_object_set_new(line, "msg", json_string(msg));
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        struct kw_log_field f = va_arg(ap, struct kw_log_field);
        if (f.type == KW_LF_END)
            break;
        json_t *v = NULL;
        switch (f.type) {
        case KW_LF_STR:
            v = f.s ? json_string(f.s) : json_null();
            break;
        case KW_LF_INT:
            v = json_integer(f.i);
            break;
        case KW_LF_BOOL:
            v = json_boolean(f.i);
            break;
        case KW_LF_DOUBLE:
            v = json_real(f.d);
            break;
        case KW_LF_END:
            break;
        }
        if (v)
            json_object_set_new(line, f.key, v);
    }
    va_end(ap);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (!text)
        return;
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room: replace NUL, write n+1 */
    ssize_t w = write(STDERR_FILENO, text, n + 1);
    (void)w;
    free(text);
}
