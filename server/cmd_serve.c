/* `kopia-webhook serve [flags]`: flag parsing for kw_server_run
 * (server/serve.c), which does the work. Flags take `--flag VALUE` or
 * `--flag=VALUE`; durations are whole seconds. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/cli.h"
#include "kw/log.h"
#include "kw/runtime.h"
#include "kw/server.h"

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
    "  --log-level LEVEL           debug, info, warn or error (default info)\n";

static int usage_error(const char *flag, const char *why)
{
    fprintf(stderr, "kopia-webhook serve: %s%s%s\n%s", flag ? flag : "", flag ? ": " : "", why,
            usage_text);
    return 2;
}

enum value_kind { V_STRING, V_UINT, V_SIZE, V_LOG_LEVEL };

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

/* Stores one flag's value; returns 0 or prints the error and returns 2. */
static int set_flag(struct kw_server_options *o, const struct flag *f, const char *value)
{
    char *base = (char *)o;
    unsigned long long n;
    char why[160];
    switch (f->kind) {
    case V_STRING:
        if (!*value)
            return usage_error(f->name, "Invalid value: \"\": must not be empty");
        memcpy(base + f->offset, &value, sizeof(value));
        return 0;
    case V_LOG_LEVEL:
        if (kw_log_set_level_name(value) != 0) {
            snprintf(why, sizeof(why),
                     "Unsupported value: \"%.60s\": supported values: \"debug\", \"info\", "
                     "\"warn\", \"error\"",
                     value);
            return usage_error(f->name, why);
        }
        return 0;
    case V_UINT:
    case V_SIZE:
        if (parse_number(value, f->max, &n) != 0) {
            snprintf(why, sizeof(why),
                     "Invalid value: \"%.60s\": must be a whole number from 0 to %llu", value,
                     f->max);
            return usage_error(f->name, why);
        }
        if (f->kind == V_UINT) {
            unsigned u = (unsigned)n;
            memcpy(base + f->offset, &u, sizeof(u));
        } else {
            size_t z = (size_t)n;
            memcpy(base + f->offset, &z, sizeof(z));
        }
        return 0;
    }
    return 2;
}

static int parse_flags(int argc, char **argv, struct kw_server_options *o)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        const struct flag *f = NULL;
        for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
            if (strlen(flags[k].name) == name_len && strncmp(flags[k].name, arg, name_len) == 0)
                f = &flags[k];
        if (!f) {
            char why[160];
            snprintf(why, sizeof(why), "unknown flag '%.100s'", arg);
            return usage_error(NULL, why);
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc)
                return usage_error(f->name, "Required value: the flag needs a value");
            value = argv[++i];
        }
        int rc = set_flag(o, f, value);
        if (rc != 0)
            return rc;
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
    struct kw_server_options o;
    kw_server_options_defaults(&o);
    int rc = parse_flags(argc, argv, &o);
    if (rc != 0)
        return rc;
    char err[512] = "";
    if (kw_server_options_check(&o, err, sizeof(err)) != 0)
        return usage_error(NULL, err);
    struct kw_runtime rt;
    if (kw_runtime_init(&rt, err, sizeof(err)) != 0) {
        fprintf(stderr, "kopia-webhook serve: %s\n", err);
        return 1;
    }
    rt.cfg.max_body_bytes = o.max_body_bytes;
    rc = kw_server_run(&o, &rt.cfg, err, sizeof(err));
    kw_runtime_free(&rt);
    if (rc != 0) {
        kw_log(KW_LOG_ERROR, "cannot start", KW_LS("error", err), KW_LEND);
        return 1;
    }
    return 0;
}
