/* kw-bench-scan: CPU microseconds per call of the core's JSON paths on one
 * AdmissionReview body, in a loop, without HTTP or TLS -- a steadier figure
 * than the server's CPU per request for work on the scanner itself. Never
 * run by ctest (it takes seconds and its numbers depend on the machine).
 *
 *   kw-bench-scan BODY.json [SECONDS_PER_ROUND [ROUNDS]]
 *
 * For BODY (bench/gen_bodies.py writes small.json and large.json) it times:
 *   scan      kw_json_scan over the body, a visitor that only counts events
 *   decode    kw_json_decode_limited (the scan plus jansson's tree, released
 *             with its arena in one step, as the server does)
 *   loadb     jansson's json_loadb over the same body (the reference)
 *   inner     when the body has spec.kopia.policyConfig.repositoryConfig:
 *             kw_json_scan_document over that string (the lexer alone), and
 *   validate  kw_validate_repository_config on it (the stream validator
 *             with the connection-config schema and the facts observer)
 *   handle    kw_handle_bulk on /validate, as the server calls it (the whole
 *             core: decode, rules, reply)
 * Each is run for SECONDS_PER_ROUND (default 0.5) of thread CPU time, ROUNDS
 * times (default 5); the minimum and the median of the rounds' per-call
 * figures are printed. With KW_BENCH_CALLS=N in the environment every round
 * is exactly N calls instead (for instruction counts under callgrind, which
 * then are the same from run to run). The process is set up like `serve`: glibc malloc with
 * its 8 MiB mmap and trim thresholds (server/cmd_serve.c), and decode and
 * handle build their jansson values in a per-call arena (server/arena.c). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kw/admission/core.h"
#include "kw/json/json.h"
#include "kw/json/util.h"
#include "kw/decision/result.h"
#include "kw/kopia/validate.h"
#include "kw/schema/schema.h"
#include "kw/server/arena.h"

#define MAX_ROUNDS  64
#define ARENA_BYTES (64u << 20)

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct job {
    const char *body; /* borrowed */
    size_t len;
    const json_t *inner; /* borrowed: the repositoryConfig string, or NULL */
    const struct kw_config *cfg;
    size_t events;
    size_t fixed_calls; /* KW_BENCH_CALLS: calls per round; 0: timed rounds */
};

static int count_events(void *ud, const struct kw_json_token *t)
{
    (void)t;
    ((struct job *)ud)->events++;
    return 0;
}

static int run_scan(struct job *j)
{
    return kw_json_scan(j->body, j->len, count_events, j, NULL);
}

static int run_decode(struct job *j)
{
    /* As the server does: the values are released with the arena, in one
     * step, not freed one by one. */
    struct kw_arena arena;
    kw_arena_init(&arena, ARENA_BYTES);
    kw_arena_enter(&arena);
    json_t *doc = kw_json_decode_limited(j->body, j->len, 0, NULL);
    kw_arena_leave();
    kw_arena_release(&arena);
    return doc ? 0 : -1;
}

/* jansson's own parser over the same body, into the same kind of arena: the
 * reference the decoder replaces. */
static int run_loadb(struct job *j)
{
    struct kw_arena arena;
    kw_arena_init(&arena, ARENA_BYTES);
    kw_arena_enter(&arena);
    json_t *doc = json_loadb(j->body, j->len, 0, NULL);
    kw_arena_leave();
    kw_arena_release(&arena);
    return doc ? 0 : -1;
}

static int run_inner(struct job *j)
{
    return kw_json_scan_document(json_string_value(j->inner), json_string_length(j->inner), NULL,
                                 NULL, NULL);
}

static int run_validate(struct job *j)
{
    struct kw_object_ctx ctx = {
        .cfg = j->cfg, .kind = KW_KIND_RS, .op = KW_OP_CREATE, .name = "n", .namespace = "ns"};
    struct kw_result res;
    kw_result_init(&res);
    kw_validate_repository_config(&ctx, j->inner, "spec.kopia.policyConfig.repositoryConfig", &res);
    int rc = res.out_of_memory || res.ncauses ? -1 : 0;
    kw_result_free(&res);
    return rc;
}

static int run_handle(struct job *j)
{
    struct kw_arena arena;
    kw_arena_init(&arena, ARENA_BYTES);
    kw_arena_enter(&arena);
    struct kw_outcome out;
    kw_handle_bulk(j->cfg, KW_HOOK_VALIDATE, j->body, j->len, &out);
    kw_arena_leave();
    kw_arena_release(&arena);
    int rc = out.http_status == 200 ? 0 : -1;
    kw_outcome_free(&out);
    return rc;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Times fn in `rounds` rounds of `seconds` each; prints µs per call. */
static int time_it(const char *name, int (*fn)(struct job *), struct job *j, double seconds,
                   int rounds)
{
    double per_call[MAX_ROUNDS];
    if (fn(j) != 0) { /* warm-up, and a check that the path succeeds */
        fprintf(stderr, "%s: the call failed\n", name);
        return -1;
    }
    for (int r = 0; r < rounds; r++) {
        size_t calls = 0;
        double start = cpu_seconds(), now;
        do {
            fn(j);
            calls++;
            now = cpu_seconds();
        } while (j->fixed_calls ? calls < j->fixed_calls : now - start < seconds);
        per_call[r] = (now - start) * 1e6 / (double)calls;
    }
    qsort(per_call, (size_t)rounds, sizeof(double), compare_double);
    printf("%-9s min %9.2f us   median %9.2f us\n", name, per_call[0], per_call[rounds / 2]);
    return 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: kw-bench-scan BODY.json [SECONDS_PER_ROUND [ROUNDS]]\n");
        return 2;
    }
    mallopt(M_MMAP_THRESHOLD, 8 << 20);
    mallopt(M_TRIM_THRESHOLD, 8 << 20);
    kw_arena_install();
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (seconds <= 0 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "kw-bench-scan: bad SECONDS_PER_ROUND or ROUNDS (1-%d)\n", MAX_ROUNDS);
        return 2;
    }
    struct job j = {0};
    char *body = read_all(argv[1], &j.len);
    if (!body) {
        perror(argv[1]);
        return 1;
    }
    j.body = body;
    const char *fixed = getenv("KW_BENCH_CALLS");
    j.fixed_calls = fixed ? strtoul(fixed, NULL, 10) : 0;
    char err[256];
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    struct kw_schema_set *schemas = kw_schema_set_load(err, sizeof(err));
    if (!schemas) {
        fprintf(stderr, "kw-bench-scan: schemas: %s\n", err);
        return 1;
    }
    cfg.schemas = schemas;
    j.cfg = &cfg;
    json_t *doc = kw_json_decode(body, j.len, NULL);
    if (!doc) {
        fprintf(stderr, "kw-bench-scan: %s is not JSON\n", argv[1]);
        return 1;
    }
    j.inner = kw_path_get(doc, "request.object.spec.kopia.policyConfig.repositoryConfig");
    if (j.inner && !json_is_string(j.inner))
        j.inner = NULL;
    printf("%s: %zu bytes", argv[1], j.len);
    if (j.inner)
        printf(", repositoryConfig %zu bytes", json_string_length(j.inner));
    printf("; %d rounds of %.2f s CPU\n", rounds, seconds);
    int rc = time_it("scan", run_scan, &j, seconds, rounds) ||
             time_it("decode", run_decode, &j, seconds, rounds) ||
             time_it("loadb", run_loadb, &j, seconds, rounds);
    if (!rc && j.inner)
        rc = time_it("inner", run_inner, &j, seconds, rounds) ||
             time_it("validate", run_validate, &j, seconds, rounds);
    if (!rc)
        rc = time_it("handle", run_handle, &j, seconds, rounds);
    json_decref(doc);
    kw_schema_set_free(schemas);
    free(body);
    return rc ? 1 : 0;
}
