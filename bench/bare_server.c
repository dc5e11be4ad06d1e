/* kw-bench-bare: the floor of the webhook's HTTP stack, for bench/run.sh.
 *
 * A libmicrohttpd + GnuTLS HTTPS server set up like the webhook's listener
 * (the same daemon flags, TLS priorities, per-connection memory and thread
 * pool) that reads and discards every request body and answers POSTs with a
 * fixed reply: no JSON parsing, no review, no logging, no metrics. What the
 * webhook costs above this server is what the project's own code costs; what
 * this server costs above nginx is the library stack's price.
 *
 *   kw-bench-bare PORT CERT KEY THREADS VALIDATE_REPLY MUTATE_REPLY
 *
 * Listens on 127.0.0.1:PORT; POST /mutate answers MUTATE_REPLY, any other
 * POST VALIDATE_REPLY, GET /healthz "ok". Runs until SIGTERM or SIGINT.
 * Benchmark only: not installed, not in the image. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/http.h"

/* Non-zero per-request marker for *req_cls: the request has been seen. */
static int seen;

struct replies {
    struct MHD_Response *validate;
    struct MHD_Response *mutate;
    struct MHD_Response *ok;
};

/* Reads a whole file into a new buffer (caller frees); NULL on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)size + 1);
        if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        *len = (size_t)size;
    }
    return buf;
}

/* A reply whose body (taken, freed with the response) is sent as is. */
static struct MHD_Response *reply_of(char *body, size_t len, const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) {
        MHD_destroy_response(r);
        r = NULL;
    }
    return r;
}

static struct MHD_Response *reply_from_file(const char *path)
{
    size_t len = 0;
    char *body = read_file(path, &len);
    if (!body) {
        fprintf(stderr, "kw-bench-bare: cannot read %s\n", path);
        return NULL;
    }
    struct MHD_Response *r = reply_of(body, len, "application/json");
    if (!r)
        free(body);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    const struct replies *rp = cls;
    (void)version;
    (void)upload_data;
    if (!*req_cls) {
        *req_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* read and dropped */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
        return MHD_queue_response(c, MHD_HTTP_OK,
                                  strcmp(url, "/mutate") == 0 ? rp->mutate : rp->validate);
    return MHD_queue_response(c, MHD_HTTP_OK, rp->ok);
}

static void usage(void)
{
    fprintf(stderr, "usage: kw-bench-bare PORT CERT KEY THREADS VALIDATE_REPLY MUTATE_REPLY\n");
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        usage();
        return 2;
    }
    int port = atoi(argv[1]);
    int threads = atoi(argv[4]);
    if (port <= 0 || port > 65535 || threads <= 0) {
        usage();
        return 2;
    }
    size_t cert_len = 0, key_len = 0;
    char *cert = read_file(argv[2], &cert_len);
    char *key = read_file(argv[3], &key_len);
    char *ok_body = strdup("ok");
    struct replies rp = {reply_from_file(argv[5]), reply_from_file(argv[6]), NULL};
    if (ok_body)
        rp.ok = reply_of(ok_body, 2, "text/plain");
    if (!cert || !key || !rp.validate || !rp.mutate || !rp.ok) {
        fprintf(stderr, "kw-bench-bare: cannot load the certificate, key or replies\n");
        return 1;
    }

    /* SIGTERM and SIGINT are taken by sigwait below, in every thread. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TLS;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, NULL}, /* filled below */
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)KW_TLS_PRIORITIES},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, KW_CONNECTION_MEMORY_BYTES, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL},
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    opts[0].ptr_value = &addr;

    struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, &rp,
                                            MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "kw-bench-bare: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(rp.validate);
    MHD_destroy_response(rp.mutate);
    MHD_destroy_response(rp.ok);
    free(cert);
    free(key);
    return 0;
}
