/* Listen addresses of the server: parsing "HOST:PORT" strings and opening
 * the listening sockets handed to libmicrohttpd. String parameters are
 * borrowed for the call; `flag` names the option in messages. */
#ifndef KW_LISTEN_H
#define KW_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

/* Parses "127.0.0.1:8443", "0.0.0.0:8443", "[::1]:8443", "[::]:8443" or
 * ":8443" (every interface, IPv6 and IPv4 where the host has IPv6). Hosts
 * must be numeric; port 0 asks the kernel for a free port. Returns 0, or -1
 * with `flag: Invalid value: "x": reason` in err. */
int kw_listen_parse(const char *flag, const char *addr, struct sockaddr_storage *out,
                    socklen_t *out_len, char *err, size_t errlen);

/* Opens a non-blocking, close-on-exec listening TCP socket for `addr`.
 * Returns the descriptor (caller closes), or -1 with a message in err. */
int kw_listen_open(const char *flag, const char *addr, char *err, size_t errlen);

/* "127.0.0.1:41234" / "[::]:8443": the address a socket is bound to. */
void kw_listen_describe(int fd, char *buf, size_t buflen);

#endif
