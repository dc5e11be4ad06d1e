/* `kopia-webhook serve [flags]`: flag parsing for kw_server_run
 * (server/serve.c), which does the work. Flags take `--flag VALUE` or
 * `--flag=VALUE`; durations are whole seconds. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/cli.h"
#include "kw/server/log.h"
#include "kw/server/runtime.h"
#include "kw/schema/schema.h"
#include "kw/server/server.h"
#include "kw/server/settings.h"

static const char usage_text[] =
    "usage: kopia-webhook serve --tls-cert FILE --tls-key FILE [flags]\n"
    "\n"
    "  --listen ADDR:PORT          HTTPS webhook listener (default " KW_SERVER_DEFAULT_LISTEN
    "; forms:\n"
    "                              127.0.0.1:8443, :8443 (every interface), [::1]:8443)\n"
    "  --health-listen ADDR:PORT   plain-HTTP listener for /healthz /readyz /metrics\n"
    "                              (default none: they are served on the HTTPS listener)\n"
    "  --tls-cert FILE             serving certificate (PEM, leaf first); reloaded on change\n"
    "  --tls-key FILE              its private key (PEM); reloaded on change\n"
    "  --client-ca FILE            require client certificates signed by these CAs\n"
    "  --threads N                 worker threads (default 0 = one per usable core)\n"
    "  --idle-timeout SECONDS      keep-alive idle timeout (default 120)\n"
    "  --request-timeout SECONDS   cut off a started request that stalls (default 10)\n"
    "  --max-body-bytes N          request body limit, 413 above it (default 7340032)\n"
    "  --drain-seconds SECONDS     keep serving after SIGTERM before closing (default 10)\n"
    "  --cert-poll-seconds SECONDS re-check the certificate files (default 10; 0 = off)\n"
    "  --log-level LEVEL           debug, info, warn or error (default info)\n"
    "  --config FILE               YAML settings (docs/operations.md); flags win over it;\n"
    "                              SIGHUP re-reads its admission settings\n";

static int usage_error(const char *flag, const char *why)
{
    fprintf(stderr, "kopia-webhook serve: %s%s%s\n%s", flag ? flag : "", flag ? ": " : "", why,
            usage_text);
    return 2;
}

enum value_kind { V_STRING, V_UINT, V_SIZE, V_LOG_LEVEL, V_CONFIG };

struct flag {
    const char *name;
    enum value_kind kind;
    size_t offset; /* into struct kw_server_options; unused for V_LOG_LEVEL */
    unsigned long long max;
};

#define OPT(field) offsetof(struct kw_server_options, field)
static const struct flag flags[] = {
    {"--listen", V_STRING, OPT(listen), 0},
    {"--health-listen", V_STRING, OPT(health_listen), 0},
    {"--tls-cert", V_STRING, OPT(tls_cert), 0},
    {"--tls-key", V_STRING, OPT(tls_key), 0},
    {"--client-ca", V_STRING, OPT(client_ca), 0},
    {"--threads", V_UINT, OPT(threads), 1024},
    {"--idle-timeout", V_UINT, OPT(idle_timeout_s), 86400},
    {"--request-timeout", V_UINT, OPT(request_timeout_s), 3600},
    {"--max-body-bytes", V_SIZE, OPT(max_body_bytes), 1ull << 30},
    {"--drain-seconds", V_UINT, OPT(drain_s), 3600},
    {"--cert-poll-seconds", V_UINT, OPT(cert_poll_s), 86400},
    {"--log-level", V_LOG_LEVEL, 0, 0},
    {"--config", V_CONFIG, 0, 0},
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

/* What the command line said: values and which flags were given. */
struct cli {
    struct kw_server_options o;
    bool given[NFLAGS];
    const char *log_level;
    const char *config;
};

static int parse_number(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!*s || strlen(s) > 19)
        return -1;
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static void store_uint(struct kw_server_options *o, const struct flag *f, unsigned long long n)
{
    char *base = (char *)o;
    if (f->kind == V_UINT) {
        unsigned u = (unsigned)n;
        memcpy(base + f->offset, &u, sizeof(u));
    } else {
        size_t z = (size_t)n;
        memcpy(base + f->offset, &z, sizeof(z));
    }
}

/* Stores one flag's value; returns 0 or prints the error and returns 2. */
static int set_flag(struct cli *cli, const struct flag *f, const char *value)
{
    unsigned long long n;
    char why[160];
    switch (f->kind) {
    case V_STRING:
        if (!*value)
            return usage_error(f->name, "Invalid value: \"\": must not be empty");
        memcpy((char *)&cli->o + f->offset, &value, sizeof(value));
        return 0;
    case V_CONFIG:
        cli->config = value;
        return 0;
    case V_LOG_LEVEL:
        if (strcmp(value, "debug") != 0 && strcmp(value, "info") != 0 &&
            strcmp(value, "warn") != 0 && strcmp(value, "error") != 0) {
            snprintf(why, sizeof(why),
                     "Unsupported value: \"%.60s\": supported values: \"debug\", \"info\", "
                     "\"warn\", \"error\"",
                     value);
            return usage_error(f->name, why);
        }
        cli->log_level = value;
        return 0;
    case V_UINT:
    case V_SIZE:
        if (parse_number(value, f->max, &n) != 0) {
            snprintf(why, sizeof(why),
                     "Invalid value: \"%.60s\": must be a whole number from 0 to %llu", value,
                     f->max);
            return usage_error(f->name, why);
        }
        store_uint(&cli->o, f, n);
        return 0;
    }
    return 2;
}

static int parse_flags(int argc, char **argv, struct cli *cli)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        size_t k = 0;
        while (k < NFLAGS &&
               !(strlen(flags[k].name) == name_len && strncmp(flags[k].name, arg, name_len) == 0))
            k++;
        if (k == NFLAGS) {
            char why[160];
            snprintf(why, sizeof(why), "unknown flag '%.100s'", arg);
            return usage_error(NULL, why);
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc)
                return usage_error(flags[k].name, "Required value: the flag needs a value");
            value = argv[++i];
        }
        int rc = set_flag(cli, &flags[k], value);
        if (rc != 0)
            return rc;
        cli->given[k] = true;
    }
    return 0;
}

/* Defaults, then the config file's server settings, then the flags. */
static void resolve_options(const struct cli *cli, const struct kw_settings *s,
                            struct kw_server_options *o)
{
    kw_server_options_defaults(o);
    if (s->listen)
        o->listen = s->listen;
    if (s->health_listen)
        o->health_listen = s->health_listen;
    if (s->tls_cert)
        o->tls_cert = s->tls_cert;
    if (s->tls_key)
        o->tls_key = s->tls_key;
    if (s->client_ca)
        o->client_ca = s->client_ca;
    if (s->threads != KW_UNSET)
        o->threads = (unsigned)s->threads;
    if (s->max_body_bytes != KW_UNSET)
        o->max_body_bytes = (size_t)s->max_body_bytes;
    if (s->cert_poll_s != KW_UNSET)
        o->cert_poll_s = (unsigned)s->cert_poll_s;
    if (s->idle_timeout_s != KW_UNSET)
        o->idle_timeout_s = (unsigned)s->idle_timeout_s;
    if (s->request_timeout_s != KW_UNSET)
        o->request_timeout_s = (unsigned)s->request_timeout_s;
    if (s->drain_s != KW_UNSET)
        o->drain_s = (unsigned)s->drain_s;
    for (size_t k = 0; k < NFLAGS; k++) {
        if (!cli->given[k] || flags[k].kind == V_LOG_LEVEL || flags[k].kind == V_CONFIG)
            continue;
        size_t size = flags[k].kind == V_STRING ? sizeof(const char *)
                      : flags[k].kind == V_UINT ? sizeof(unsigned)
                                                : sizeof(size_t);
        memcpy((char *)o + flags[k].offset, (const char *)&cli->o + flags[k].offset, size);
    }
}

/* --- Configuration reload (SIGHUP) --------------------------------------- */

/* What a reload needs besides the file: the schemas compiled at start (they
 * are built into the binary and never change). */
struct reload_source {
    const char *path;
    const struct kw_schema_set *schemas;
};

static void free_config(struct kw_config *cfg_owned, void *cls)
{
    (void)cls;
    kw_config_free_arrays(cfg_owned);
    free(cfg_owned);
}

/* An owned copy of `src` with the start-up schemas. */
static struct kw_config *owned_config(const struct kw_config *src, const struct reload_source *from)
{
    struct kw_config *c = malloc(sizeof(*c));
    if (!c || kw_config_copy(c, src) != 0) {
        free(c);
        return NULL;
    }
    c->schemas = from->schemas;
    return c;
}

static struct kw_config *reload_config_file(void *cls, char *err, size_t errlen)
{
    const struct reload_source *from = cls;
    struct kw_settings s;
    kw_settings_init(&s);
    if (kw_settings_load_file(&s, from->path, err, errlen) != 0)
        return NULL;
    struct kw_config *c = owned_config(&s.core, from);
    kw_settings_free(&s);
    if (!c)
        snprintf(err, errlen, "out of memory");
    return c;
}

/* Keeps request-sized buffers (up to the body limit) on the heap instead of
 * a fresh mmap/munmap per request: with glibc's default, every large review
 * paid ~250 page faults for its body, scratch and string buffers, doubling
 * its CPU cost. Memory above the trim threshold still goes back to the
 * kernel; a few arenas bound the per-thread caches. */
static void tune_allocator(size_t max_body_bytes)
{
    size_t keep = max_body_bytes + (1u << 20);
    mallopt(M_MMAP_THRESHOLD, (int)(keep < (32u << 20) ? keep : (32u << 20)));
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_ARENA_MAX, 4);
}

static int serve(const struct kw_server_options *o, const struct kw_runtime *rt,
                 const char *config_path)
{
    tune_allocator(o->max_body_bytes);
    char err[512] = "";
    struct reload_source from = {config_path, rt->schemas};
    struct kw_config *initial = owned_config(&rt->cfg, &from);
    struct kw_config_holder *holder =
        initial ? kw_config_holder_new(initial, free_config,
                                       config_path ? reload_config_file : NULL, &from)
                : NULL;
    if (!holder) {
        if (initial)
            free_config(initial, NULL);
        kw_log(KW_LOG_ERROR, "cannot start", KW_LS("error", "out of memory"), KW_LEND);
        return 1;
    }
    int rc = kw_server_run(o, holder, err, sizeof(err));
    kw_config_holder_free(holder);
    if (rc != 0) {
        kw_log(KW_LOG_ERROR, "cannot start", KW_LS("error", err), KW_LEND);
        return 1;
    }
    return 0;
}

int kw_cmd_serve(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    struct cli cli;
    memset(&cli, 0, sizeof(cli));
    int rc = parse_flags(argc, argv, &cli);
    if (rc != 0)
        return rc;
    char err[512] = "";
    struct kw_runtime rt;
    if (kw_runtime_init(&rt, cli.config, err, sizeof(err)) != 0) {
        fprintf(stderr, "kopia-webhook serve: %s\n", err);
        return 2;
    }
    struct kw_server_options o;
    resolve_options(&cli, &rt.settings, &o);
    const char *level = cli.log_level ? cli.log_level : rt.settings.log_level;
    if (level)
        kw_log_set_level_name(level);
    if (kw_server_options_check(&o, err, sizeof(err)) != 0) {
        kw_runtime_free(&rt);
        return usage_error(NULL, err);
    }
    rc = serve(&o, &rt, cli.config);
    kw_runtime_free(&rt);
    return rc;
}
