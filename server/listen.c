/* Listen address parsing and listening sockets (include/kw/server/listen.h). */
#include "kw/server/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kw/decision/result.h"

static int invalid(char *err, size_t errlen, const char *flag, const char *addr, const char *reason)
{
    char *shown = kw_quote(addr);
    snprintf(err, errlen, "%s: Invalid value: %s: %s", flag, shown ? shown : "\"\"", reason);
    free(shown);
    return -1;
}

static int parse_port(const char *s, unsigned *port)
{
    if (!*s || strlen(s) > 5)
        return -1;
    unsigned v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v > 65535)
        return -1;
    *port = v;
    return 0;
}

int kw_listen_parse(const char *flag, const char *addr, struct sockaddr_storage *out,
                    socklen_t *out_len, char *err, size_t errlen)
{
    const char *usage = "must be HOST:PORT with a numeric host, [IPv6]:PORT or :PORT";
    if (!addr)
        return invalid(err, errlen, flag, "", usage);
    char host[64];
    const char *port_text;
    bool bracketed = addr[0] == '[';
    if (bracketed) {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof(host))
            return invalid(err, errlen, flag, addr, usage);
        memcpy(host, addr + 1, (size_t)(close - addr - 1));
        host[close - addr - 1] = '\0';
        port_text = close + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof(host) ||
            memchr(addr, ':', (size_t)(colon - addr)))
            return invalid(err, errlen, flag, addr, usage);
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        port_text = colon + 1;
    }
    unsigned port;
    if (parse_port(port_text, &port) != 0)
        return invalid(err, errlen, flag, addr, "the port must be a number from 0 to 65535");

    memset(out, 0, sizeof(*out));
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
    struct sockaddr_in *a4 = (struct sockaddr_in *)out;
    if (!bracketed && host[0] == '\0') {
        /* Every interface: [::] (dual-stack); the caller falls back to 0.0.0.0. */
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_any;
        a6->sin6_port = htons((uint16_t)port);
        *out_len = sizeof(*a6);
        return 0;
    }
    if (bracketed) {
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return invalid(err, errlen, flag, addr, "not an IPv6 address");
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *out_len = sizeof(*a6);
        return 0;
    }
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return invalid(err, errlen, flag, addr, "the host must be an IPv4 address (or [IPv6])");
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *out_len = sizeof(*a4);
    return 0;
}

static int open_bound(const struct sockaddr_storage *sa, socklen_t len, bool dual_stack)
{
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (sa->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual_stack ? &zero : &one, sizeof(int));
    if (bind(fd, (const struct sockaddr *)sa, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int kw_listen_open(const char *flag, const char *addr, char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    socklen_t len;
    if (kw_listen_parse(flag, addr, &sa, &len, err, errlen) != 0)
        return -1;
    bool any = addr[0] == ':';
    int fd = open_bound(&sa, len, any);
    if (fd < 0 && any && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
        /* No IPv6 on this host: every IPv4 interface. */
        struct sockaddr_in a4 = {.sin_family = AF_INET,
                                 .sin_port = ((struct sockaddr_in6 *)&sa)->sin6_port,
                                 .sin_addr.s_addr = htonl(INADDR_ANY)};
        memset(&sa, 0, sizeof(sa));
        memcpy(&sa, &a4, sizeof(a4));
        fd = open_bound(&sa, sizeof(a4), false);
    }
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot listen on %s: %s", flag, addr, strerror(errno));
        return -1;
    }
    return fd;
}

void kw_listen_describe(int fd, char *buf, size_t buflen)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        if (sa.ss_family == AF_INET6) {
            const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&sa;
            inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
            port = ntohs(a6->sin6_port);
            snprintf(buf, buflen, "[%s]:%u", host, port);
            return;
        }
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&sa;
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
        port = ntohs(a4->sin_port);
    }
    snprintf(buf, buflen, "%s:%u", host, port);
}
