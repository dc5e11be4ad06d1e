/* `kopia-webhook serve [flags]`: the command line of kw_server_run
 * (server/serve.c), which does the work. Flags take `--flag VALUE` or
 * `--flag=VALUE`; durations are whole seconds. The flags, their values and
 * the usage come from the settings table (include/kw/server/settings.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/arena.h"
#include "kw/server/cli.h"
#include "kw/server/log.h"
#include "kw/server/runtime.h"
#include "kw/schema/schema.h"
#include "kw/server/server.h"
#include "kw/server/settings.h"

static int usage_error(const char *flag, const char *why)
{
    fprintf(stderr, "kopia-webhook serve: %s%s%s\n", flag ? flag : "", flag ? ": " : "", why);
    kw_settings_usage(stderr);
    return 2;
}

/* Applies the flags over `s`. Returns 0, or prints the error and returns 2. */
static int apply_flags(int argc, char **argv, struct kw_settings *s)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        const struct kw_setting *row =
            kw_setting_by_flag(arg, eq ? (size_t)(eq - arg) : strlen(arg));
        if (!row) {
            char why[160];
            snprintf(why, sizeof(why), "unknown flag '%.100s'", arg);
            return usage_error(NULL, why);
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc)
                return usage_error(row->flag, "Required value: the flag needs a value");
            value = argv[++i];
        }
        char why[160];
        if (kw_settings_set_flag(s, row, value, why, sizeof(why)) != 0)
            return usage_error(row->flag, why);
    }
    return 0;
}

/* --- Configuration reload (SIGHUP) --------------------------------------- */

/* What a reload needs besides the file: the schemas compiled at start (they
 * are built into the binary and never change) and the value limit the
 * start-up settings chose (the memory model was sized with it). */
struct reload_source {
    const char *path;
    const struct kw_schema_set *schemas;
    size_t max_request_values;
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
    c->max_request_values = from->max_request_values;
    return c;
}

static struct kw_config *reload_config_file(void *cls, char *err, size_t errlen)
{
    const struct reload_source *from = cls;
    struct kw_settings s;
    struct kw_config *c = NULL;
    if (kw_settings_init(&s) != 0)
        snprintf(err, errlen, "out of memory");
    else if (kw_settings_load_file(&s, from->path, err, errlen) == 0 &&
             !(c = owned_config(&s.core, from)))
        snprintf(err, errlen, "out of memory");
    kw_settings_free(&s);
    return c;
}

/* glibc malloc for a process whose requests come and go (docs/operations.md,
 * "Memory model"): the review trees live in per-request arenas
 * (server/arena.c), so malloc holds request bodies, the scanner's string
 * scratch and libraries' state. Those large buffers stay in the heap and are
 * reused by the next request: a fixed mmap threshold of 8 MiB (twice the
 * default body limit) keeps glibc from mapping each one afresh, which cost
 * an 800 KB review ~390 page faults. Free memory at the top of a heap stays
 * up to 8 MiB; the run loop's malloc_trim gives free pages back once a second
 * (server/serve.c). Two malloc arenas instead of eight per core bound what
 * idle threads' arenas hold. */
#define KW_MALLOC_KEEP_BYTES (8 * 1024 * 1024)

static void tune_allocator(void)
{
    mallopt(M_MMAP_THRESHOLD, KW_MALLOC_KEEP_BYTES);
    mallopt(M_TRIM_THRESHOLD, KW_MALLOC_KEEP_BYTES);
    mallopt(M_ARENA_MAX, 2);
}

static int serve(const struct kw_server_options *o, const struct kw_runtime *rt,
                 const char *config_path)
{
    char err[512] = "";
    struct reload_source from = {config_path, rt->schemas, o->max_request_values};
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

/* What --help adds to the flags of the settings table. */
static const char help_tail[] =
    "  -h, --help                  print this help\n"
    "\n"
    "Flags take --flag VALUE or --flag=VALUE; durations are whole seconds. The\n"
    "config file's keys and SIGHUP are in docs/operations.md.\n"
    "\n"
    "exit status:\n"
    "  0  stopped by SIGTERM or SIGINT after draining\n"
    "  1  could not start (a port in use, unreadable certificates, ...)\n"
    "  2  usage error (unknown flag, bad value) or an unreadable config file\n"
    "\n"
    "example:\n"
    "  kopia-webhook serve --listen :8443 --tls-cert /tls/tls.crt --tls-key /tls/tls.key\n";

int kw_cmd_serve(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            kw_settings_usage(stdout);
            fputs(help_tail, stdout);
            return 0;
        }
    /* Before any jansson value exists: every value carries the arena's tag. */
    tune_allocator();
    kw_arena_install();
    /* The flags are read twice: on their own first, so that their errors
     * come before the config file's (and to find --config), then over the
     * file's settings, so that they win over it. */
    struct kw_settings flags;
    int rc = kw_settings_init(&flags) == 0 ? apply_flags(argc, argv, &flags)
                                           : usage_error(NULL, "out of memory");
    char err[512] = "";
    struct kw_runtime rt;
    if (rc == 0 && kw_runtime_init(&rt, flags.config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "kopia-webhook serve: %s\n", err);
        rc = 2;
    }
    kw_settings_free(&flags);
    if (rc != 0)
        return rc;
    rc = apply_flags(argc, argv, &rt.settings);
    if (rc == 0) {
        const struct kw_server_options *o = &rt.settings.server;
        kw_log_set_level(rt.settings.log_level);
        rc = kw_server_options_check(o, err, sizeof(err)) == 0
                 ? serve(o, &rt, rt.settings.config_path)
                 : usage_error(NULL, err);
    }
    kw_runtime_free(&rt);
    return rc;
}
