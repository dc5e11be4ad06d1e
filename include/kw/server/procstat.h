/* The process's own resource figures for the standard `process_*` metrics
 * (the names and meanings the Prometheus client libraries use): CPU time,
 * resident and virtual memory, open and maximum file descriptors, start
 * time. Read from /proc/self at scrape time; every read is a small file or
 * one pass over /proc/self/fd, so a scrape stays cheap and bounded.
 *
 * The parsers are pure (text in, numbers out) so that tests can feed them
 * fixed text; kw_procstat_read does the I/O. */
#ifndef KW_PROCSTAT_H
#define KW_PROCSTAT_H

#include <stdbool.h>

/* The fields of /proc/[pid]/stat the metrics need, in the kernel's units. */
struct kw_proc_stat {
    unsigned long long utime_ticks, stime_ticks; /* fields 14, 15 */
    unsigned long long start_ticks;              /* field 22: since boot */
    unsigned long long vsize_bytes;              /* field 23 */
    long long rss_pages;                         /* field 24 */
};

/* Parses the text of /proc/[pid]/stat (NUL-terminated). The command name
 * (field 2) may hold spaces and parentheses: fields are counted from its
 * last ')'. Returns 0, or -1 when a field is missing or not a number. */
int kw_procstat_parse_stat(const char *text, struct kw_proc_stat *out);

/* The `btime` line of /proc/stat (boot time, Unix seconds) in `text`
 * (NUL-terminated). Returns 0, or -1 when there is none. */
int kw_procstat_parse_btime(const char *text, long long *out);

/* What the metrics show. A figure that could not be read has its `has_`
 * flag false and is left out of the exposition. */
struct kw_proc_metrics {
    bool has_cpu, has_memory, has_open_fds, has_max_fds, has_start;
    double cpu_seconds;        /* user + system */
    double resident_bytes;     /* rss pages x page size */
    double virtual_bytes;      /* vsize */
    double open_fds;           /* entries of /proc/self/fd */
    double max_fds;            /* soft RLIMIT_NOFILE (left out when unlimited) */
    double start_time_seconds; /* Unix seconds */
};

/* Reads the figures of this process now. `boot_time` is the system's boot
 * time in Unix seconds (kw_procstat_boot_time; read once: it does not
 * change), or a negative value when unknown (no start time then). */
void kw_procstat_read(long long boot_time, struct kw_proc_metrics *out);

/* The system's boot time from /proc/stat (Unix seconds), -1 when it cannot
 * be read. The file is read line by line up to a fixed total. */
long long kw_procstat_boot_time(void);

#endif
