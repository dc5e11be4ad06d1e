/* The HTTP request path corpus: replays every raw request of
 * tests/fixtures/http/ (INDEX.tsv: name, expected answers, why; written by
 * make-corpus.py) over TLS against one real server, each on a new
 * connection, and checks the answers' statuses, whether and when the server
 * closes the connection, and that each answer comes within a bound. At the
 * end the server must be alive, serve a legitimate review quickly, and its
 * peak resident memory (VmHWM) must stay small. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kwtest.h"

#define REQUEST_TIMEOUT_S 2
#define IDLE_TIMEOUT_S    3
#define MAX_EXPECT        128
#define ANSWER_MS         3000LL        /* an answer decided at once, scaled */
#define LEGIT_MS          500LL         /* a legitimate review after the corpus, scaled */
#define HWM_LIMIT_KIB     (48L * 1024L) /* idle is ~11 MiB; the corpus bodies are small */

static struct kwt_server srv;

static void setup(void)
{
    const char *args[] = {
        "--request-timeout", "2", "--max-body-bytes", "65536", "--idle-timeout", "3", NULL};
    cr_assert_eq(kwt_server_start(&srv, args), 0);
}

static void teardown(void)
{
    kwt_server_finish(&srv);
}

TestSuite(http_corpus, .init = setup, .fini = teardown, .timeout = 300);

/* --- One entry ------------------------------------------------------------ */

struct expect {
    int status[MAX_EXPECT]; /* final responses in order */
    int n;
    enum { E_OPEN, E_CLOSE, E_TIMEOUT } end;
};

static int parse_expect(const char *text, struct expect *e)
{
    memset(e, 0, sizeof(*e));
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", text);
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (strcmp(w, "close") == 0)
            e->end = E_CLOSE;
        else if (strcmp(w, "timeout") == 0)
            e->end = E_TIMEOUT;
        else if (e->n < MAX_EXPECT && atoi(w) >= 100)
            e->status[e->n++] = atoi(w);
        else
            return -1;
    }
    return 0;
}

struct seen {
    int status[MAX_EXPECT];
    int n;
    bool closed;
    long long closed_ms; /* from the end of the write */
    long long answered_ms;
};

/* Body length of the response whose headers are `head` (NUL-terminated). */
static long body_length(const char *head)
{
    for (const char *line = head; line && *line;) {
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            return strtol(line + 15, NULL, 10);
        const char *nl = strstr(line, "\r\n");
        line = nl ? nl + 2 : NULL;
    }
    return 0;
}

/* Takes the complete responses at the front of buf[*at..len) into `s`;
 * interim (1xx) answers are skipped. */
static void take_responses(char *buf, size_t len, size_t *at, struct seen *s, long long t0)
{
    for (;;) {
        buf[len] = '\0';
        char *start = buf + *at, *end = strstr(start, "\r\n\r\n");
        if (!end)
            return;
        *end = '\0';
        long body = body_length(start);
        int status = 0;
        sscanf(start, "HTTP/1.%*d %d", &status);
        *end = '\r';
        size_t whole = (size_t)(end + 4 - start) + (size_t)(status >= 200 ? body : 0);
        if (*at + whole > len)
            return;
        *at += whole;
        if (status >= 200 && s->n < MAX_EXPECT) {
            s->status[s->n++] = status;
            s->answered_ms = kwt_now_ms() - t0;
        }
    }
}

/* Writes `req` in pieces, stopping early when the server already answered
 * (it may close without reading the rest, e.g. after a 413 or 431). */
static void send_request(struct kwt_tls *t, const char *req, size_t len)
{
    for (size_t done = 0; done < len;) {
        size_t n = len - done < 16384 ? len - done : 16384;
        if (kwt_tls_write(t, req + done, n) != 0)
            return;
        done += n;
        struct pollfd p = {t->fd, POLLIN, 0};
        if (poll(&p, 1, 0) > 0)
            return;
    }
}

/* Reads until the expected answers came (and, when a close is expected, the
 * close), or `bound_ms` passed. */
static void collect(struct kwt_tls *t, const struct expect *e, long long bound_ms, struct seen *s)
{
    static char buf[1 << 20];
    size_t len = 0, at = 0;
    long long t0 = kwt_now_ms(), deadline = t0 + bound_ms;
    memset(s, 0, sizeof(*s));
    for (;;) {
        if (e->end == E_OPEN && s->n >= e->n)
            return;
        long long left = deadline - kwt_now_ms();
        struct pollfd p = {t->fd, POLLIN, 0};
        if (SSL_pending(t->ssl) <= 0 && (left <= 0 || poll(&p, 1, (int)left) <= 0))
            return;
        int n = SSL_read(t->ssl, buf + len, (int)(sizeof(buf) - len - 1));
        if (n <= 0) {
            s->closed = true;
            s->closed_ms = kwt_now_ms() - t0;
            return;
        }
        len += (size_t)n;
        take_responses(buf, len, &at, s, t0);
        if (len + 1 >= sizeof(buf)) {
            memmove(buf, buf + at, len - at);
            len -= at;
            at = 0;
        }
    }
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return data;
}

static void describe(char *buf, size_t buflen, const struct seen *s)
{
    size_t at = (size_t)snprintf(buf, buflen, "answers [");
    for (int i = 0; i < s->n && at < buflen; i++)
        at += (size_t)snprintf(buf + at, buflen - at, "%s%d", i ? " " : "", s->status[i]);
    if (at < buflen)
        snprintf(buf + at, buflen - at, "]%s after %lld ms",
                 s->closed ? ", closed" : ", still open",
                 s->closed ? s->closed_ms : s->answered_ms);
}

/* Sends one corpus file and checks the answer; returns true when it matched. */
static bool replay(const char *dir, const char *name, const char *expect_text)
{
    struct expect e;
    cr_assert_eq(parse_expect(expect_text, &e), 0, "%s: bad expectation '%s'", name, expect_text);
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.http", dir, name);
    size_t len;
    char *req = read_all(path, &len);
    cr_assert_not_null(req, "%s: cannot read", path);

    int scale = kwt_time_scale();
    long long answer_ms = ANSWER_MS * scale;
    long long bound = e.end == E_TIMEOUT ? (IDLE_TIMEOUT_S + 3) * 1000LL * scale : answer_ms;
    struct kwt_tls t;
    cr_assert_eq(kwt_tls_connect(&t, srv.port, 0, 0, NULL, NULL, NULL), 0, "%s: connect", name);
    send_request(&t, req, len);
    free(req);
    struct seen s;
    collect(&t, &e, bound, &s);
    kwt_tls_close(&t);

    char got[256];
    describe(got, sizeof(got), &s);
    bool ok = s.n == e.n;
    for (int i = 0; ok && i < e.n; i++)
        ok = s.status[i] == e.status[i];
    ok = ok && s.answered_ms <= answer_ms;
    if (e.end == E_OPEN)
        ok = ok && !s.closed;
    else if (e.end == E_CLOSE)
        ok = ok && s.closed && s.closed_ms <= answer_ms;
    else /* closed by the request timeout, not before */
        ok = ok && s.closed && s.closed_ms >= (REQUEST_TIMEOUT_S - 1) * 1000LL;
    cr_expect(ok, "%s: expected '%s', got %s", name, expect_text, got);
    return ok;
}

Test(http_corpus, every_request_is_answered_as_listed_and_the_server_stays_healthy)
{
    const char *src = getenv("KW_SOURCE_DIR");
    cr_assert_not_null(src, "KW_SOURCE_DIR is not set");
    char dir[400], index[450];
    snprintf(dir, sizeof(dir), "%s/tests/fixtures/http", src);
    snprintf(index, sizeof(index), "%s/INDEX.tsv", dir);
    FILE *f = fopen(index, "r");
    cr_assert_not_null(f, "%s: %s", index, strerror(errno));

    char line[1024];
    int entries = 0, failed = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *save = NULL;
        char *name = strtok_r(line, "\t", &save);
        char *expect = strtok_r(NULL, "\t", &save);
        cr_assert(name && expect, "INDEX.tsv: bad line");
        entries++;
        if (!replay(dir, name, expect))
            failed++;
    }
    fclose(f);
    cr_expect_geq(entries, 60, "only %d corpus entries", entries);
    cr_log_info("%d corpus requests, %d not answered as listed", entries, failed);

    /* The server survived all of it and still serves quickly. */
    cr_assert_eq(kill(srv.pid, 0), 0, "the server died");
    long status;
    long long ms = kwt_legit_review_ms(&srv, &status);
    cr_expect_eq(status, 200);
    if (kwt_memory_measurable()) {
        cr_expect_lt(ms, LEGIT_MS * kwt_time_scale(), "legitimate review took %lld ms", ms);
        long hwm = kwt_proc_status_kib(srv.pid, "VmHWM");
        cr_expect(hwm > 0 && hwm < HWM_LIMIT_KIB, "VmHWM %ld KiB (limit %ld KiB)", hwm,
                  HWM_LIMIT_KIB);
    }
}
