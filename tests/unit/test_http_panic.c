/* libmicrohttpd's fatal errors (server/http.c, kw_http_install_panic_handler):
 * a real panic of the library ends the process with SIGABRT after a log line
 * that gives the library's file, line and reason. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kw/server/http.h"
#include "kwtest.h"

static int loopback_listener(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (const struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 8) != 0)
        return -1;
    return fd;
}

static enum MHD_Result no_requests(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *data,
                                   size_t *size, void **req_cls)
{
    (void)cls, (void)c, (void)url, (void)method, (void)version, (void)data, (void)size;
    (void)req_cls;
    return MHD_NO;
}

/* The library panics when it cannot take its listen socket out of its
 * epoll set: here because that epoll descriptor was closed under it. */
static void panic_libmicrohttpd(void *cls)
{
    (void)cls;
    kw_http_install_panic_handler();
    int fd = loopback_listener();
    struct MHD_Daemon *d = fd < 0
                               ? NULL
                               : MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, no_requests, NULL,
                                                  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!info)
        _exit(3);
    close(info->epoll_fd);
    MHD_quiesce_daemon(d);
    _exit(4); /* not reached: the library panicked */
}

Test(http_panic, a_libmicrohttpd_panic_is_logged_with_its_reason_before_the_abort)
{
    char log[4096];
    int status = kwt_run_child(panic_libmicrohttpd, NULL, log, sizeof(log));
    cr_assert(WIFSIGNALED(status), "no abort: exit status %d, log: %s",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, log);
    cr_expect_eq(WTERMSIG(status), SIGABRT);
    cr_expect(strstr(log, "\"msg\":\"libmicrohttpd fatal error; aborting\""), "%s", log);
    cr_expect(strstr(log, "\"reason\":\"Failed to remove listen FD from epoll set.\""), "%s", log);
    cr_expect(strstr(log, "\"file\":\"") && strstr(log, "daemon.c"), "%s", log);
    cr_expect(strstr(log, "\"line\":"), "%s", log);
}
