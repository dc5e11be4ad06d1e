/* Server options and listen addresses (include/kw/server/server.h, listen.h). */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kw/server/listen.h"
#include "kw/server/server.h"

Test(listen, parses_the_documented_forms)
{
    struct sockaddr_storage sa;
    socklen_t len;
    char err[256];
    cr_assert_eq(kw_listen_parse("--listen", "127.0.0.1:8443", &sa, &len, err, sizeof(err)), 0);
    cr_expect_eq(sa.ss_family, AF_INET);
    cr_expect_eq(ntohs(((struct sockaddr_in *)&sa)->sin_port), 8443);
    cr_expect_eq(((struct sockaddr_in *)&sa)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    cr_assert_eq(kw_listen_parse("--listen", "0.0.0.0:1", &sa, &len, err, sizeof(err)), 0);
    cr_expect_eq(sa.ss_family, AF_INET);
    cr_assert_eq(kw_listen_parse("--listen", ":8443", &sa, &len, err, sizeof(err)), 0);
    cr_expect_eq(sa.ss_family, AF_INET6, "every interface is [::], dual-stack");
    cr_assert_eq(kw_listen_parse("--listen", "[::1]:8080", &sa, &len, err, sizeof(err)), 0);
    cr_expect_eq(sa.ss_family, AF_INET6);
    cr_expect_eq(ntohs(((struct sockaddr_in6 *)&sa)->sin6_port), 8080);
    cr_assert_eq(kw_listen_parse("--listen", "127.0.0.1:0", &sa, &len, err, sizeof(err)), 0);
}

Test(listen, rejects_bad_addresses_naming_the_flag)
{
    const char *bad[] = {"8443",         "localhost:8443", "127.0.0.1:", "127.0.0.1:65536",
                         "127.0.0.1:-1", "[::1]8443",      "[nope]:1",   "1.2.3:80",
                         "::1:8443",     "127.0.0.1:80x",  "",           "[::1]:"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sockaddr_storage sa;
        socklen_t len;
        char err[256] = "";
        cr_expect_eq(kw_listen_parse("--health-listen", bad[i], &sa, &len, err, sizeof(err)), -1,
                     "accepted '%s'", bad[i]);
        cr_expect(strncmp(err, "--health-listen: Invalid value: \"", 33) == 0, "%s", err);
    }
}

Test(listen, a_bad_address_is_quoted_as_kubernetes_quotes)
{
    struct sockaddr_storage sa;
    socklen_t len;
    char err[256] = "";
    cr_assert_eq(kw_listen_parse("--listen", "a\tb\xff", &sa, &len, err, sizeof(err)), -1);
    cr_expect(strncmp(err, "--listen: Invalid value: \"a\\tb\\xff\": ", 37) == 0, "%s", err);
}

Test(listen, opens_a_free_port_and_describes_it)
{
    char err[256], where[80];
    int fd = kw_listen_open("--listen", "127.0.0.1:0", err, sizeof(err));
    cr_assert_geq(fd, 0, "%s", err);
    kw_listen_describe(fd, where, sizeof(where));
    cr_expect(strncmp(where, "127.0.0.1:", 10) == 0 && atoi(where + 10) > 0, "%s", where);
    /* The same port again: refused with the flag and address. */
    char again[80];
    snprintf(again, sizeof(again), "%s", where);
    cr_expect_eq(kw_listen_open("--listen", again, err, sizeof(err)), -1);
    cr_expect(strstr(err, "--listen: cannot listen on 127.0.0.1:"), "%s", err);
    close(fd);
}

Test(server_options, defaults_match_the_documentation)
{
    struct kw_server_options o;
    kw_server_options_defaults(&o);
    cr_expect_str_eq(o.listen, "0.0.0.0:8443");
    cr_expect_null(o.health_listen);
    cr_expect_eq(o.idle_timeout_s, 120);
    cr_expect_eq(o.request_timeout_s, 10);
    cr_expect_eq(o.max_body_bytes, 4u * 1024 * 1024);
    cr_expect_eq(o.max_request_values, 50000);
    cr_expect_eq(o.memory_limit, 128u * 1024 * 1024);
    cr_expect_eq(o.body_budget_bytes, 0);
    cr_expect_eq(o.request_memory, 0);
    cr_expect_eq(o.max_connections, 0);
    cr_expect_eq(o.drain_s, 10);
    cr_expect_eq(o.cert_poll_s, 10);
    cr_expect_eq(o.threads, 0);
}

Test(server_options, check_names_the_flag_at_fault)
{
    struct kw_server_options o;
    char err[256];
    kw_server_options_defaults(&o);
    cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), -1);
    cr_expect(strstr(err, "--tls-cert: Required value"), "%s", err);
    o.tls_cert = "c.pem";
    o.tls_key = "k.pem";
    cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), 0, "%s", err);
    o.request_timeout_s = 0;
    cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "--request-timeout: Invalid value: 0: must be at least 1");
    o.request_timeout_s = 10;
    o.idle_timeout_s = 0;
    cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), -1);
    cr_expect(strstr(err, "--idle-timeout"), "%s", err);
    o.idle_timeout_s = 120;
    o.max_body_bytes = 10;
    cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), -1);
    cr_expect(strstr(err, "--max-body-bytes"), "%s", err);
    o.max_body_bytes = 1024;
    o.health_listen = "nope";
    cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), -1);
    cr_expect(strstr(err, "--health-listen: Invalid value: \"nope\""), "%s", err);
}

Test(listen, every_interface_is_dual_stack_where_the_host_has_ipv6)
{
    char err[256], where[80];
    int fd = kw_listen_open("--listen", ":0", err, sizeof(err));
    cr_assert_geq(fd, 0, "%s", err);
    kw_listen_describe(fd, where, sizeof(where));
    int v6 = socket(AF_INET6, SOCK_STREAM, 0);
    if (v6 >= 0) {
        close(v6);
        cr_expect(strncmp(where, "[::]:", 5) == 0, "%s", where);
        /* Reachable over IPv4 too. */
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(atoi(strrchr(where, ':') + 1))};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        cr_expect_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
        close(c);
    } else {
        cr_expect(strncmp(where, "0.0.0.0:", 8) == 0, "%s", where);
    }
    close(fd);
}
