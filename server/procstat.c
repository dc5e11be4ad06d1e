/* The process's own CPU, memory, descriptor and start-time figures from
 * /proc/self (see include/kw/server/procstat.h): the parsers, and the reads
 * done at scrape time. */
#include "kw/server/procstat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* /proc/self/stat is a few hundred bytes; /proc/stat is read up to this. */
#define STAT_BYTES     4096
#define PROC_STAT_MAX  (1024 * 1024)
#define BTIME_LINE_MAX 512

/* The unsigned decimal at *p (then past it), skipping one leading space. */
static int next_number(const char **p, unsigned long long *out, bool *negative)
{
    const char *s = *p;
    if (*s == ' ')
        s++;
    *negative = *s == '-';
    if (*negative)
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned)(*s - '0');
        s++;
    }
    if (*s != ' ' && *s != '\n' && *s != '\0')
        return -1;
    *out = v;
    *p = s;
    return 0;
}

/* Skips one space-separated field (the state letter). */
static int skip_field(const char **p)
{
    const char *s = *p;
    if (*s == ' ')
        s++;
    if (*s == '\0' || *s == ' ')
        return -1;
    while (*s && *s != ' ')
        s++;
    *p = s;
    return 0;
}

int kw_procstat_parse_stat(const char *text, struct kw_proc_stat *out)
{
    const char *close = strrchr(text, ')');
    if (!close)
        return -1;
    const char *p = close + 1;
    if (skip_field(&p) != 0) /* field 3, the state */
        return -1;
    /* Fields 4 to 24; the numbers wanted by their field number. */
    for (int field = 4; field <= 24; field++) {
        unsigned long long v;
        bool negative;
        if (next_number(&p, &v, &negative) != 0)
            return -1;
        switch (field) {
        case 14:
            out->utime_ticks = v;
            break;
        case 15:
            out->stime_ticks = v;
            break;
        case 22:
            out->start_ticks = v;
            break;
        case 23:
            out->vsize_bytes = v;
            break;
        case 24:
            out->rss_pages = negative ? -(long long)v : (long long)v;
            break;
        default:
            break;
        }
    }
    return 0;
}

int kw_procstat_parse_btime(const char *text, long long *out)
{
    for (const char *line = text; line && *line;) {
        if (strncmp(line, "btime ", 6) == 0) {
            const char *p = line + 5;
            unsigned long long v;
            bool negative;
            if (next_number(&p, &v, &negative) != 0 || negative)
                return -1;
            *out = (long long)v;
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

/* The whole of a small /proc file into buf (NUL-terminated); -1 on error. */
static int read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                len = 0;
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return len ? 0 : -1;
}

long long kw_procstat_boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return -1;
    /* Line by line; a line longer than the buffer (the `intr` line) comes
     * in pieces, and only a piece that starts a line is looked at. */
    char line[BTIME_LINE_MAX];
    bool at_start = true;
    size_t total = 0;
    long long btime = -1;
    while (total < PROC_STAT_MAX && fgets(line, sizeof(line), f)) {
        size_t n = strlen(line);
        total += n;
        if (at_start && kw_procstat_parse_btime(line, &btime) == 0)
            break;
        at_start = n > 0 && line[n - 1] == '\n';
    }
    fclose(f);
    return btime;
}

/* Entries of /proc/self/fd, without "." and ".." and the directory's own
 * descriptor; -1 when it cannot be read. */
static long long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long long n = 0;
    int own = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (atoi(e->d_name) == own)
            continue;
        n++;
    }
    closedir(d);
    return n;
}

void kw_procstat_read(long long boot_time, struct kw_proc_metrics *out)
{
    memset(out, 0, sizeof(*out));
    char text[STAT_BYTES];
    struct kw_proc_stat st;
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    if (read_small("/proc/self/stat", text, sizeof(text)) == 0 &&
        kw_procstat_parse_stat(text, &st) == 0) {
        if (ticks > 0) {
            out->has_cpu = true;
            out->cpu_seconds = (double)(st.utime_ticks + st.stime_ticks) / (double)ticks;
            if (boot_time >= 0) {
                out->has_start = true;
                out->start_time_seconds =
                    (double)boot_time + (double)st.start_ticks / (double)ticks;
            }
        }
        if (page > 0) {
            out->has_memory = true;
            out->resident_bytes = (double)st.rss_pages * (double)page;
            out->virtual_bytes = (double)st.vsize_bytes;
        }
    }
    long long fds = count_fds();
    if (fds >= 0) {
        out->has_open_fds = true;
        out->open_fds = (double)fds;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        out->has_max_fds = true;
        out->max_fds = (double)rl.rlim_cur;
    }
}
