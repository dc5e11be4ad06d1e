/* kw_server_run (include/kw/server/server.h): start-up of the listeners, and
 * the run loop on the calling thread, which waits on a
 * signalfd (SIGTERM, SIGINT, SIGHUP), the certificate directory watch and a
 * poll timer, and carries out reloads and the drain. */
#include "kw/server/server.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "kw/server/arena.h"
#include "kw/server/budget.h"
#include "kw/server/certs.h"
#include "kw/server/http.h"
#include "kw/server/listen.h"
#include "kw/server/log.h"
#include "kw/server/metrics.h"
#include "kw/server/tls.h"

/* After a directory event, wait this long without further events before
 * reloading, so that a cert and key written one after the other are read
 * as a pair. */
#define KW_RELOAD_QUIET_MS 200
/* How often the loop gives free heap memory back to the kernel, and how much
 * must be free before it does (docs/operations.md, "Memory model"). */
#define KW_TRIM_EVERY_MS   1000
#define KW_TRIM_FREE_BYTES (2u << 20)
/* The plain-HTTP health listener's connection cap (the kubelet's probes and
 * a Prometheus scraper need a handful). */
#define KW_HEALTH_MAX_CONNECTIONS 64u

/* How often the drain checks for in-flight requests. */
#define KW_DRAIN_TICK_MS 50

static unsigned usable_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Everything kw_server_run starts, for one clean teardown. */
struct server {
    const struct kw_server_options *o;
    struct kw_config_holder *config;
    struct kw_metrics *metrics;
    struct kw_tls *tls;
    char *client_ca_pem;
    struct kw_budget budget; /* the memory model's numbers, derived at start */
    struct kw_http_state state;
    struct kw_http *webhook, *health;
    int sigfd;
    sigset_t old_mask;
};

static void server_teardown(struct server *s)
{
    kw_http_stop(s->webhook);
    kw_http_stop(s->health);
    kw_tls_free(s->tls);
    free(s->client_ca_pem);
    kw_metrics_free(s->metrics);
    if (s->sigfd >= 0)
        close(s->sigfd);
    pthread_sigmask(SIG_SETMASK, &s->old_mask, NULL);
}

static int start_listener(struct server *s, bool webhooks, const char *flag, const char *addr,
                          struct kw_http **out, char *err, size_t errlen)
{
    int fd = kw_listen_open(flag, addr, err, errlen);
    if (fd < 0)
        return -1;
    char where[80];
    kw_listen_describe(fd, where, sizeof(where));
    struct kw_http_params p = {
        .opts = s->o,
        .config = s->config,
        .tls = webhooks ? s->tls : NULL,
        .client_ca_pem = webhooks ? s->client_ca_pem : NULL,
        .metrics = s->metrics,
        .state = &s->state,
        .listen_fd = fd,
        .webhooks = webhooks,
        .threads = webhooks ? s->budget.threads : 1,
        .max_connections = webhooks ? s->budget.max_connections : KW_HEALTH_MAX_CONNECTIONS,
        .max_connections_per_address = s->o->max_connections_per_address,
        .body_budget = s->budget.body_budget,
        .body_reserve = s->budget.body_reserve,
        .request_memory = s->budget.request_memory,
    };
    *out = kw_http_start(&p, err, errlen);
    if (!*out)
        return -1;
    kw_log(KW_LOG_INFO, "listening", KW_LS("listener", webhooks ? "webhook" : "health"),
           KW_LS("address", where), KW_LS("scheme", webhooks ? "https" : "http"),
           KW_LI("threads", p.threads), KW_LI("maxConnections", p.max_connections),
           KW_LI("maxConnectionsPerAddress", kw_http_per_address_limit(&p)), KW_LEND);
    return 0;
}

/* Blocks the signals the loop reads from a signalfd; threads started later
 * inherit the mask, so no handler ever runs. */
static int take_signals(struct server *s, char *err, size_t errlen)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, &s->old_mask) != 0) {
        snprintf(err, errlen, "cannot block signals");
        return -1;
    }
    s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s->sigfd < 0) {
        snprintf(err, errlen, "signalfd: %s", strerror(errno));
        return -1;
    }
    /* A client that disconnects must not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* Descriptors the process needs besides the connections: listeners,
 * signalfd, inotify, epoll and inter-thread pipes, files being read, logs. */
#define KW_SPARE_FDS 64

/* Each connection is a descriptor: the soft RLIMIT_NOFILE (often 1024) is
 * raised to the hard limit, and a hard limit below the connection caps is
 * logged, since connections past it are refused by accept(). */
static void raise_fd_limit(const struct server *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    rlim_t need = (rlim_t)s->budget.max_connections +
                  (s->o->health_listen ? KW_HEALTH_MAX_CONNECTIONS : 0) + KW_SPARE_FDS;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
        kw_log(KW_LOG_WARN, "the open-file limit is below what the connection caps need",
               KW_LI("limit", (long long)rl.rlim_cur), KW_LI("needed", (long long)need), KW_LEND);
}

/* The memory model from the options and the core's value limit; logs the
 * derived numbers. */
static int plan_memory(struct server *s, char *err, size_t errlen)
{
    struct kw_budget_input in = {
        .memory_limit = s->o->memory_limit,
        .threads = s->o->threads,
        .cores = usable_cores(),
        .max_body_bytes = s->o->max_body_bytes,
        .max_request_values = s->o->max_request_values,
        .request_memory = s->o->request_memory,
        .body_budget = s->o->body_budget_bytes,
        .max_connections = s->o->max_connections,
    };
    if (kw_budget_derive(&in, &s->budget, err, errlen) != 0)
        return -1;
    const struct kw_budget *b = &s->budget;
    kw_log(KW_LOG_INFO, "memory budget", KW_LI("memoryLimit", (long long)b->memory_limit),
           KW_LI("base", (long long)b->base), KW_LI("threads", b->threads),
           KW_LI("requestMemoryBytes", (long long)b->request_memory),
           KW_LI("bodyBudgetBytes", (long long)b->body_budget),
           KW_LI("bodyReserveBytes", (long long)b->body_reserve),
           KW_LI("maxConnections", b->max_connections),
           KW_LI("connectionCost", (long long)b->connection_cost),
           KW_LI("headroom", (long long)b->headroom), KW_LI("worstCase", (long long)b->worst_case),
           KW_LEND);
    return 0;
}

static int server_start(struct server *s, char *err, size_t errlen)
{
    if (take_signals(s, err, errlen) != 0 || plan_memory(s, err, errlen) != 0)
        return -1;
    raise_fd_limit(s);
    s->metrics = kw_metrics_new(KW_VERSION);
    if (!s->metrics) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->tls = kw_tls_new(s->o->tls_cert, s->o->tls_key, s->metrics, err, errlen);
    if (!s->tls)
        return -1;
    s->state.tls = s->tls;
    if (s->o->client_ca) {
        s->client_ca_pem = kw_ca_bundle_load(s->o->client_ca, err, errlen);
        if (!s->client_ca_pem)
            return -1;
    }
    if (start_listener(s, true, "--listen", s->o->listen, &s->webhook, err, errlen) != 0)
        return -1;
    if (s->o->health_listen && start_listener(s, false, "--health-listen", s->o->health_listen,
                                              &s->health, err, errlen) != 0)
        return -1;
    atomic_store(&s->state.listening, true);
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reload_config(struct server *s)
{
    char err[512];
    int rc = kw_config_holder_reload(s->config, err, sizeof(err));
    if (rc == 1)
        return;
    kw_metrics_config_reload(s->metrics, rc == 0);
    if (rc == 0)
        kw_log(KW_LOG_INFO, "configuration reloaded", KW_LEND);
    else
        kw_log(KW_LOG_ERROR, "configuration reload failed; keeping the current configuration",
               KW_LS("error", err), KW_LEND);
}

/* Reads pending signals; returns the last terminating one (0 if none). */
static int read_signals(struct server *s)
{
    int stop = 0;
    struct signalfd_siginfo si;
    while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            kw_log(KW_LOG_INFO, "SIGHUP: reloading certificates and configuration", KW_LEND);
            kw_tls_reload(s->tls, true);
            reload_config(s);
        } else {
            stop = (int)si.ssi_signo;
        }
    }
    return stop;
}

/* The arenas' caches of larger chunks go back (kw_arena_trim). Memory freed
 * by closed connections (libmicrohttpd's 32 KiB pools, GnuTLS sessions)
 * sits in the middle of malloc's heaps, where glibc's automatic trim (top of
 * the heap only) never reaches it: give whole free pages back when enough is
 * free. A few milliseconds at most, once a second. */
static void trim_heap(void)
{
    kw_arena_trim();
    struct mallinfo2 mi = mallinfo2();
    if (mi.fordblks > KW_TRIM_FREE_BYTES)
        malloc_trim(0);
}

/* Serves until SIGTERM/SIGINT, reloading certificates on directory events
 * (after a quiet period), every cert_poll_s seconds, and on SIGHUP; trims
 * the heap every KW_TRIM_EVERY_MS. */
static void run_until_signal(struct server *s)
{
    int inotify_fd = kw_tls_watch_fd(s->tls);
    long long poll_every = (long long)s->o->cert_poll_s * 1000;
    long long next_poll = poll_every ? now_ms() + poll_every : -1;
    long long reload_at = -1; /* pending directory event */
    long long next_trim = now_ms() + KW_TRIM_EVERY_MS;
    for (;;) {
        long long now = now_ms();
        if (now >= next_trim) {
            trim_heap();
            next_trim = now + KW_TRIM_EVERY_MS;
        }
        long long deadline = next_poll < 0 || next_trim < next_poll ? next_trim : next_poll;
        if (reload_at >= 0 && (deadline < 0 || reload_at < deadline))
            deadline = reload_at;
        int timeout = deadline < 0 ? -1 : deadline > now ? (int)(deadline - now) : 0;
        struct pollfd fds[2] = {{s->sigfd, POLLIN, 0}, {inotify_fd, POLLIN, 0}};
        int n = poll(fds, inotify_fd >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno != EINTR)
            return;
        if (n > 0 && (fds[0].revents & POLLIN)) {
            int sig = read_signals(s);
            if (sig) {
                kw_log(KW_LOG_INFO, "shutting down: draining", KW_LS("signal", strsignal(sig)),
                       KW_LI("drainSeconds", s->o->drain_s), KW_LEND);
                return;
            }
        }
        if (n > 0 && inotify_fd >= 0 && (fds[1].revents & POLLIN) && kw_tls_watch_read(s->tls))
            reload_at = now_ms() + KW_RELOAD_QUIET_MS;
        now = now_ms();
        if ((reload_at >= 0 && now >= reload_at) || (next_poll >= 0 && now >= next_poll)) {
            kw_tls_reload(s->tls, false);
            reload_at = -1;
            if (poll_every)
                next_poll = now + poll_every;
        }
    }
}

static void sleep_ms(long long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* SIGTERM: readiness fails at once; requests keep being accepted and served
 * for drain_s (responses now say `Connection: close`, moving clients to other
 * replicas); then the listener stops taking connections (kw_http_quiesce),
 * and the requests in flight and the connections that have not sent their
 * first request yet are given up to request_timeout_s to finish. A second
 * SIGTERM/SIGINT ends the drain period early. */
static void drain(struct server *s)
{
    atomic_store(&s->state.draining, true);
    long long end = now_ms() + (long long)s->o->drain_s * 1000;
    while (now_ms() < end) {
        struct pollfd pfd = {s->sigfd, POLLIN, 0};
        long long left = end - now_ms();
        if (poll(&pfd, 1, left > 0 ? (int)left : 0) > 0 && read_signals(s)) {
            kw_log(KW_LOG_INFO, "second signal: ending the drain period", KW_LEND);
            break;
        }
    }
    kw_http_quiesce(s->webhook);
    atomic_store(&s->state.listening, false);
    long long deadline = now_ms() + (long long)s->o->request_timeout_s * 1000;
    while (kw_http_busy(s->webhook) > 0 && now_ms() < deadline)
        sleep_ms(KW_DRAIN_TICK_MS);
    unsigned left = kw_http_busy(s->webhook);
    kw_log(left ? KW_LOG_WARN : KW_LOG_INFO, "stopped", KW_LI("unfinished", left), KW_LEND);
}

int kw_server_run(const struct kw_server_options *o, struct kw_config_holder *holder, char *err,
                  size_t errlen)
{
    if (kw_server_options_check(o, err, errlen) != 0)
        return -1;
    struct server s = {.o = o, .config = holder, .sigfd = -1};
    sigemptyset(&s.old_mask);
    if (server_start(&s, err, errlen) != 0) {
        server_teardown(&s);
        return -1;
    }
    kw_log(KW_LOG_INFO, "ready", KW_LS("version", KW_VERSION), KW_LEND);
    run_until_signal(&s);
    drain(&s);
    server_teardown(&s);
    return 0;
}
