/* Test support: the kopia-webhook server process (see kwtest.h). */
#include <criterion/criterion.h>

#include "kwtest.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kw/server/certs_generate.h"
#include "kw/server/tls.h"

int kwt_time_scale(void)
{
    const char *v = getenv("KW_TEST_TIME_SCALE");
    if (v && atoi(v) > 0)
        return atoi(v);
    const char *w = getenv("KW_SERVER_WRAPPER");
    return w && *w ? 20 : 1;
}

long long kwt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kwt_sleep_ms(long long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

bool kwt_log_contains(const struct kwt_server *s, const char *needle)
{
    char *text = read_whole(s->log);
    bool found = text && strstr(text, needle);
    free(text);
    return found;
}

int kwt_log_sanitizer_reports(const struct kwt_server *s)
{
    char *text = read_whole(s->log);
    if (!text)
        return 0;
    static const char *const marks[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                        "runtime error:", "== ERROR SUMMARY: 1",
                                        "definitely lost: "};
    int n = 0;
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strstr(text, marks[i]))
            n++;
    if (n)
        fprintf(stderr, "---- server log with sanitizer reports ----\n%s\n----\n", text);
    free(text);
    return n;
}

int kwt_server_prepare(struct kwt_server *s)
{
    memset(s, 0, sizeof(*s));
    s->pid = -1;
    s->exit_status = -1;
    snprintf(s->dir, sizeof(s->dir), "/tmp/kwtest-XXXXXX");
    if (!mkdtemp(s->dir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(s->certs, sizeof(s->certs), "%s/certs", s->dir);
    snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
    const char *hosts[] = {"127.0.0.1"};
    struct kw_gencerts_opts o = {.service = "kopia-webhook",
                                 .namespace = "kw-test",
                                 .out_dir = s->certs,
                                 .extra_hosts = hosts,
                                 .n_extra_hosts = 1};
    char err[512];
    if (kw_certs_generate(&o, err, sizeof(err)) != 0) {
        fprintf(stderr, "kw_certs_generate: %s\n", err);
        return -1;
    }
    return 0;
}

int kwt_rotate_certificate(const char *certs_dir)
{
    const char *hosts[] = {"127.0.0.1"};
    struct kw_gencerts_opts o = {.service = "kopia-webhook",
                                 .namespace = "kw-test",
                                 .out_dir = certs_dir,
                                 .extra_hosts = hosts,
                                 .n_extra_hosts = 1,
                                 .force = true};
    char err[512];
    if (kw_certs_generate(&o, err, sizeof(err)) != 0) {
        fprintf(stderr, "kw_certs_generate: %s\n", err);
        return -1;
    }
    return 0;
}

int kwt_file_fingerprint(const char *cert_path, char *buf, size_t buflen)
{
    FILE *f = fopen(cert_path, "r");
    if (!f)
        return -1;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        return -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    X509_digest(x, EVP_sha256(), md, &n);
    X509_free(x);
    size_t at = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < n && at + 3 < buflen; i++)
        at += (size_t)snprintf(buf + at, buflen - at, "%s%02X", i ? ":" : "", md[i]);
    return 0;
}

void kwt_tls_holder_fingerprint(struct kw_tls *t, char *buf, size_t buflen)
{
    struct kw_tls_pair *p = kw_tls_acquire(t);
    gnutls_pcert_st *pcerts = NULL;
    unsigned npcerts = 0;
    gnutls_privkey_t key;
    kw_tls_pair_credentials(p, &pcerts, &npcerts, &key);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (npcerts == 0 ||
        !EVP_Digest(pcerts[0].cert.data, pcerts[0].cert.size, md, &n, EVP_sha256(), NULL))
        n = 0;
    kw_tls_pair_release(p);
    size_t at = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < n && at + 3 < buflen; i++)
        at += (size_t)snprintf(buf + at, buflen - at, "%s%02X", i ? ":" : "", md[i]);
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return k;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return x;
}

static int write_pem(const char *dir, const char *name, X509 *x, EVP_PKEY *k)
{
    char path[256], tmp[264];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    return ok == 1 ? rename(tmp, path) : -1;
}

int kwt_write_short_lived_certificate(const char *certs_dir, long seconds)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/ca.key", certs_dir);
    EVP_PKEY *ca_key = read_key(path);
    snprintf(path, sizeof(path), "%s/ca.crt", certs_dir);
    X509 *ca = read_cert(path);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int rc = -1;
    if (ca_key && ca && key && x) {
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
        X509_gmtime_adj(X509_getm_notBefore(x), -60);
        X509_gmtime_adj(X509_getm_notAfter(x), seconds);
        X509_set_pubkey(x, key);
        X509_NAME *name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)"kopia-webhook.kw-test.svc", -1, -1, 0);
        X509_set_issuer_name(x, X509_get_subject_name(ca));
        X509V3_CTX v3;
        X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
        X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
        if (san) {
            X509_add_ext(x, san, -1);
            X509_EXTENSION_free(san);
        }
        if (X509_sign(x, ca_key, EVP_sha256()) > 0 &&
            write_pem(certs_dir, "tls.crt", x, NULL) == 0 &&
            write_pem(certs_dir, "tls.key", NULL, key) == 0)
            rc = 0;
    }
    X509_free(x);
    EVP_PKEY_free(key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return rc;
}

/* Splits $KW_SERVER_WRAPPER on spaces into argv (static storage). */
static int wrapper_args(char **argv, int max)
{
    static char copy[1024];
    const char *w = getenv("KW_SERVER_WRAPPER");
    if (!w || !*w)
        return 0;
    snprintf(copy, sizeof(copy), "%s", w);
    int n = 0;
    for (char *tok = strtok(copy, " "); tok && n < max; tok = strtok(NULL, " "))
        argv[n++] = tok;
    return n;
}

static void exec_server(const struct kwt_server *s, const char *const *extra)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
    int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    static char cert[200], key[200];
    snprintf(cert, sizeof(cert), "%s/tls.crt", s->certs);
    snprintf(key, sizeof(key), "%s/tls.key", s->certs);
    char *argv[64];
    int n = wrapper_args(argv, 16);
    const char *bin = getenv("KW_BINARY");
    argv[n++] = (char *)(bin ? bin : "kopia-webhook");
    const char *fixed[] = {
        "serve", "--listen",  "127.0.0.1:0", "--health-listen", "127.0.0.1:0", "--tls-cert",
        cert,    "--tls-key", key,           "--threads",       "2",           "--drain-seconds",
        "0"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        argv[n++] = (char *)fixed[i];
    for (size_t i = 0; extra && extra[i] && n < 63; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    execvp(argv[0], argv);
    perror("exec");
    _exit(127);
}

/* Port of a `"msg":"listening","listener":"<which>","address":"127.0.0.1:P"` line. */
static int listening_port(const char *log, const char *which)
{
    char key[64];
    snprintf(key, sizeof(key), "\"listener\":\"%s\",\"address\":\"127.0.0.1:", which);
    const char *at = strstr(log, key);
    return at ? atoi(at + strlen(key)) : 0;
}

int kwt_server_start_prepared(struct kwt_server *s, const char *const *extra_args)
{
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0)
        exec_server(s, extra_args);
    long long deadline = kwt_now_ms() + 15000LL * kwt_time_scale();
    while (kwt_now_ms() < deadline) {
        char *log = read_whole(s->log);
        bool ready = log && strstr(log, "\"msg\":\"ready\"");
        if (ready) {
            s->port = listening_port(log, "webhook");
            s->health_port = listening_port(log, "health");
        }
        free(log);
        if (ready)
            return s->port > 0 ? 0 : -1;
        if (kwt_server_wait(s, 0) != -2) {
            char *text = read_whole(s->log);
            fprintf(stderr, "server exited with %d before ready:\n%s\n", s->exit_status,
                    text ? text : "");
            free(text);
            return -1;
        }
        kwt_sleep_ms(20);
    }
    fprintf(stderr, "server not ready in time\n");
    return -1;
}

int kwt_server_start(struct kwt_server *s, const char *const *extra_args)
{
    if (kwt_server_prepare(s) != 0)
        return -1;
    return kwt_server_start_prepared(s, extra_args);
}

int kwt_server_signal(struct kwt_server *s, int sig)
{
    return s->pid > 0 ? kill(s->pid, sig) : -1;
}

/* A server killed by a signal it did not get from the tests (an abort, a
 * crash): the end of its log goes to the test's output, since
 * kwt_server_cleanup deletes the file and the cause would be lost. */
static void report_signal_death(const struct kwt_server *s, int sig)
{
    char *text = read_whole(s->log);
    size_t len = text ? strlen(text) : 0;
    const char *tail = text ? text + (len > 4096 ? len - 4096 : 0) : "(no log)";
    fprintf(stderr, "server %s killed by signal %d (%s); the end of its log:\n%s\n", s->dir, sig,
            strsignal(sig), tail);
    free(text);
}

int kwt_server_wait(struct kwt_server *s, long long timeout_ms)
{
    if (s->pid <= 0)
        return s->exit_status;
    long long deadline = kwt_now_ms() + timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid) {
            s->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            s->pid = -1;
            if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL && WTERMSIG(st) != SIGTERM &&
                WTERMSIG(st) != SIGINT)
                report_signal_death(s, WTERMSIG(st));
            return s->exit_status;
        }
        if (r < 0 || kwt_now_ms() >= deadline)
            return r < 0 ? -1 : -2;
        kwt_sleep_ms(10);
    }
}

int kwt_server_stop(struct kwt_server *s)
{
    if (s->pid <= 0)
        return s->exit_status;
    kwt_server_signal(s, SIGTERM);
    return kwt_server_wait(s, 30000LL * kwt_time_scale());
}

void kwt_server_cleanup(struct kwt_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        kwt_server_wait(s, 5000);
    }
    kwt_remove_tree(s->dir);
    s->dir[0] = '\0';
}

void kwt_server_finish(struct kwt_server *s)
{
    int status = kwt_server_stop(s);
    int reports = kwt_log_sanitizer_reports(s);
    kwt_server_cleanup(s);
    cr_expect_eq(status, 0, "server exit status %d", status);
    cr_expect_eq(reports, 0);
}

void kwt_suite_start(struct kwt_server *s, CURL **curl, const char *const *extra_args)
{
    cr_assert_eq(kwt_server_start(s, extra_args), 0, "server did not start");
    *curl = kwt_curl(s);
}

void kwt_suite_stop(struct kwt_server *s, CURL **curl)
{
    if (*curl)
        curl_easy_cleanup(*curl);
    *curl = NULL;
    kwt_server_finish(s);
}
