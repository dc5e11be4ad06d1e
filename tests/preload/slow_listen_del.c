/* A fault injector loaded into the server with LD_PRELOAD by the SIGTERM
 * stress test (tests/integration/test_http_ops.c): epoll_ctl(EPOLL_CTL_DEL)
 * of a listening socket waits 2 ms before it runs. Two threads that both
 * take the listen socket out of an epoll set (libmicrohttpd's
 * MHD_quiesce_daemon and a worker) then overlap often enough for a test to
 * see the abort that follows, instead of once in many stops. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

typedef int (*epoll_ctl_fn)(int, int, int, struct epoll_event *);

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
    static epoll_ctl_fn real;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "epoll_ctl");
    if (op == EPOLL_CTL_DEL) {
        int listening = 0;
        socklen_t len = sizeof(listening);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) {
            struct timespec wait = {0, 2000000L};
            nanosleep(&wait, NULL);
        }
    }
    return real(epfd, op, fd, event);
}
