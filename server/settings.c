/* The settings table (see include/kw/server/settings.h): one row per
 * setting, in the style of nginx's directive tables, and everything read
 * from it: defaults, range checks, the flag parser, `serve`'s usage and the
 * config-file reader, which walks the YAML document against the rows' keys
 * with positions from the YAML loader for every message. */
#include "kw/server/settings.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/yaml.h"
#include "kw/server/listen.h"
#include "kw/server/readfile.h"

/* Where a row's value goes: a field of the server's options, of the core's
 * config or of the settings themselves. */
#define SERVER(field) KW_SETTING_IN_SERVER, offsetof(struct kw_server_options, field)
#define CORE(field)   KW_SETTING_IN_CORE, offsetof(struct kw_config, field)
#define OWN(field)    KW_SETTING_IN_SETTINGS, offsetof(struct kw_settings, field)

/* The shapes of rows. */
#define NUMBER(type, flag, key, arg, where, min, max, def, help)                                   \
    {                                                                                              \
        flag, key, arg, type, where, min, max, def, NULL, help, NULL, 0                            \
    }
#define TEXT(type, flag, key, arg, where, def_text, required, help)                                \
    {                                                                                              \
        flag, key, arg, type, where, 0, 0, 0, def_text, help, required, 0                          \
    }
#define LEVEL(flag, key, arg, where, def, help)                                                    \
    {                                                                                              \
        flag, key, arg, KW_SETTING_LOG_LEVEL, where, 0, 0, def, NULL, help, NULL, 0                \
    }
#define FILE_ONLY(type, key, where)                                                                \
    {                                                                                              \
        NULL, key, NULL, type, where, 0, 0, 0, NULL, NULL, NULL, 0                                 \
    }
#define LIST(key, field, count)                                                                    \
    {                                                                                              \
        NULL, key, NULL, KW_SETTING_LIST, CORE(field), 0, 0, 0, NULL, NULL, NULL,                  \
            offsetof(struct kw_config, count)                                                      \
    }
#define SECTION(key)                                                                               \
    {                                                                                              \
        NULL, key, NULL, KW_SETTING_SECTION, KW_SETTING_IN_SETTINGS, 0, 0, 0, 0, NULL, NULL, NULL, \
            0                                                                                      \
    }

#define ADDRESS  KW_SETTING_ADDRESS
#define STRING   KW_SETTING_STRING
#define UINT     KW_SETTING_UINT
#define SIZE     KW_SETTING_SIZE
#define BOOL     KW_SETTING_BOOL
#define OPTIONAL NULL

/* Rows with a flag come first, in the order of the usage. Messages list the
 * top-level keys and each section's keys in table order. Every limit and
 * default of the server is here (the defaults' values are named in
 * include/kw/server/server.h). */
const struct kw_setting kw_settings_table[] = {
    /* type, flag, key, arg, where, default, required (what it names), help */
    TEXT(ADDRESS, "--listen", "listen", "ADDR:PORT", SERVER(listen), KW_SERVER_DEFAULT_LISTEN,
         OPTIONAL,
         "HTTPS webhook listener: 127.0.0.1:8443, [::1]:8443, or :8443 for every interface"),
    TEXT(ADDRESS, "--health-listen", "healthListen", "ADDR:PORT", SERVER(health_listen), NULL,
         OPTIONAL,
         "plain-HTTP listener for /healthz /readyz /metrics, which are otherwise served on the "
         "HTTPS listener"),
    TEXT(STRING, "--tls-cert", "tls.certFile", "FILE", SERVER(tls_cert), NULL,
         "the serving certificate file",
         "serving certificate (PEM, leaf first); reloaded on change"),
    TEXT(STRING, "--tls-key", "tls.keyFile", "FILE", SERVER(tls_key), NULL, "the serving key file",
         "its private key (PEM); reloaded on change"),
    TEXT(STRING, "--client-ca", "tls.clientCAFile", "FILE", SERVER(client_ca), NULL, OPTIONAL,
         "require client certificates signed by these CAs"),
    /* type, flag, key, arg, where, min, max, default, help */
    NUMBER(UINT, "--threads", "threads", "N", SERVER(threads), 0, 1024, 0,
           "worker threads; 0 = one per usable core"),
    NUMBER(UINT, "--idle-timeout", "timeouts.idleSeconds", "SECONDS", SERVER(idle_timeout_s), 1,
           86400, KW_SERVER_DEFAULT_IDLE_TIMEOUT_S,
           "a keep-alive connection must send its next request line within this"),
    NUMBER(UINT, "--request-timeout", "timeouts.requestSeconds", "SECONDS",
           SERVER(request_timeout_s), 1, 3600, KW_SERVER_DEFAULT_REQ_TIMEOUT_S,
           "a whole request (and a new connection's TLS handshake) must arrive within this"),
    NUMBER(SIZE, "--max-body-bytes", "maxBodyBytes", "N", SERVER(max_body_bytes), 1024, 1LL << 30,
           KW_DEFAULT_MAX_BODY_BYTES, "request body limit, 413 above it"),
    NUMBER(SIZE, "--max-request-values", "maxRequestValues", "N", SERVER(max_request_values), 0,
           100000000, KW_DEFAULT_MAX_REQUEST_VALUES,
           "JSON values one review may hold, 413 above it; 0 = no limit"),
    NUMBER(SIZE, "--memory-limit", "memoryLimit", "BYTES", SERVER(memory_limit), 16LL << 20,
           1LL << 40, KW_SERVER_DEFAULT_MEMORY_LIMIT,
           "the container's memory limit, which the limits below are derived from"),
    NUMBER(SIZE, "--body-budget-bytes", "bodyBudgetBytes", "BYTES", SERVER(body_budget_bytes), 0,
           1LL << 40, 0, "request bodies buffered at once, 503 above it; 0 = derived"),
    NUMBER(SIZE, "--request-memory-bytes", "requestMemoryBytes", "BYTES", SERVER(request_memory), 0,
           1LL << 40, 0, "memory of one request in the core, 413 above it; 0 = derived"),
    NUMBER(UINT, "--max-connections", "maxConnections", "N", SERVER(max_connections), 0, 1000000, 0,
           "open connections of the webhook listener, idle and slow ones closed first past 97% "
           "of it; 0 = derived"),
    NUMBER(UINT, "--max-connections-per-address", "maxConnectionsPerAddress", "N",
           SERVER(max_connections_per_address), 0, 1000000, 0,
           "open connections from one client address; 0 = half of --max-connections"),
    NUMBER(UINT, "--drain-seconds", "timeouts.drainSeconds", "SECONDS", SERVER(drain_s), 0, 3600,
           KW_SERVER_DEFAULT_DRAIN_S, "keep serving after SIGTERM before closing"),
    NUMBER(UINT, "--cert-poll-seconds", "tls.pollSeconds", "SECONDS", SERVER(cert_poll_s), 0, 86400,
           KW_SERVER_DEFAULT_CERT_POLL_S, "re-check the certificate files; 0 = off"),
    LEVEL("--log-level", "logLevel", "LEVEL", OWN(log_level), KW_LOG_DEFAULT_LEVEL,
          "minimum level:"),

    /* A flag only. */
    TEXT(STRING, "--config", NULL, "FILE", OWN(config_path), NULL, OPTIONAL,
         "YAML settings (docs/operations.md); flags win over it; SIGHUP re-reads its admission "
         "settings"),

    /* The config file only: the core's settings (with the core's defaults,
     * kw_config_defaults) and the sections. */
    FILE_ONLY(KW_SETTING_SCHEME, "identityScheme", CORE(identity_scheme)),
    FILE_ONLY(KW_SETTING_OPERATOR, "operatorVersion", CORE(operator_version)),
    SECTION("tls"),
    SECTION("timeouts"),
    LIST("forbiddenArgs", extra_forbidden_args, n_extra_forbidden_args),
    SECTION("tenancy"),
    FILE_ONLY(BOOL, "tenancy.denyActions", CORE(deny_actions)),
    FILE_ONLY(BOOL, "tenancy.denyForeignHostname", CORE(deny_foreign_hostname)),
    FILE_ONLY(BOOL, "tenancy.denyCrossNamespaceSource", CORE(deny_cross_namespace_source)),
    LIST("tenancy.allowedSourceNamespaces", allowed_source_namespaces, n_allowed_source_namespaces),
    FILE_ONLY(BOOL, "tenancy.denyIdentityChange", CORE(deny_identity_change)),
    FILE_ONLY(BOOL, "tenancy.denyInlineRepositoryConfig", CORE(deny_inline_repository_config)),
};

const size_t kw_settings_table_len = sizeof(kw_settings_table) / sizeof(kw_settings_table[0]);

#define FOR_EACH_ROW(row)                                                                          \
    for (const struct kw_setting *row = kw_settings_table;                                         \
         row < kw_settings_table + kw_settings_table_len; row++)

/* ---- values ---- */

static bool is_text(const struct kw_setting *row)
{
    return row->type == KW_SETTING_STRING || row->type == KW_SETTING_ADDRESS;
}

/* A string the settings own a copy of (the core has none). */
static bool is_owned_text(const struct kw_setting *row)
{
    return is_text(row) && row->part != KW_SETTING_IN_CORE;
}

static bool is_number(const struct kw_setting *row)
{
    return row->type == KW_SETTING_UINT || row->type == KW_SETTING_SIZE;
}

/* The struct in `s` that `row`'s offsets are into. */
static const char *base_of(const struct kw_settings *s, const struct kw_setting *row)
{
    return row->part == KW_SETTING_IN_SERVER ? (const char *)&s->server
           : row->part == KW_SETTING_IN_CORE ? (const char *)&s->core
                                             : (const char *)s;
}

/* Where `row`'s value is in `s`. */
static void *slot(struct kw_settings *s, const struct kw_setting *row)
{
    return (char *)base_of(s, row) + row->offset;
}

/* Strings are `char *` or `const char *` fields: read and written as bytes. */
static char *get_text(const void *slot)
{
    char *text;
    memcpy(&text, slot, sizeof(text));
    return text;
}

static void put_text(void *slot, const char *text)
{
    memcpy(slot, &text, sizeof(text));
}

static unsigned long long get_number(const void *slot, const struct kw_setting *row)
{
    if (row->type == KW_SETTING_UINT) {
        unsigned u;
        memcpy(&u, slot, sizeof(u));
        return u;
    }
    size_t z;
    memcpy(&z, slot, sizeof(z));
    return z;
}

static void put_number(void *slot, const struct kw_setting *row, unsigned long long n)
{
    if (row->type == KW_SETTING_UINT) {
        unsigned u = (unsigned)n;
        memcpy(slot, &u, sizeof(u));
    } else {
        size_t z = (size_t)n;
        memcpy(slot, &z, sizeof(z));
    }
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        free(items[i]);
    free(items);
}

/* Replaces an owned string with a copy of `text`; -1 on allocation failure
 * (then the old value stays). */
static int set_text(void *slot, const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    if (text && !copy)
        return -1;
    free(get_text(slot));
    put_text(slot, copy);
    return 0;
}

/* ---- defaults, copies and checks ---- */

void kw_server_options_defaults(struct kw_server_options *o)
{
    memset(o, 0, sizeof(*o));
    FOR_EACH_ROW(row)
    {
        if (row->part != KW_SETTING_IN_SERVER)
            continue;
        void *value = (char *)o + row->offset;
        if (is_number(row))
            put_number(value, row, (unsigned long long)row->def);
        else if (is_text(row))
            put_text(value, row->def_text); /* a literal, borrowed */
    }
}

int kw_settings_init(struct kw_settings *s)
{
    memset(s, 0, sizeof(*s));
    kw_server_options_defaults(&s->server);
    kw_config_defaults(&s->core);
    int rc = 0;
    FOR_EACH_ROW(row)
    {
        if (row->part == KW_SETTING_IN_CORE || row->type == KW_SETTING_SECTION)
            continue;
        void *value = slot(s, row);
        if (row->type == KW_SETTING_LOG_LEVEL) {
            *(enum kw_log_level *)value = (enum kw_log_level)row->def;
        } else if (is_text(row)) {
            /* The settings own their strings, the defaults' too. */
            put_text(value, NULL);
            if (set_text(value, row->def_text) != 0)
                rc = -1;
        }
    }
    return rc;
}

void kw_settings_free(struct kw_settings *s)
{
    FOR_EACH_ROW(row)
    {
        if (is_owned_text(row))
            free(get_text(slot(s, row)));
    }
    kw_config_free_arrays(&s->core);
    memset(s, 0, sizeof(*s));
}

/* A deep copy of src into dst; -1 on allocation failure, with dst still safe
 * to free. */
static int settings_clone(struct kw_settings *dst, const struct kw_settings *src)
{
    *dst = *src;
    FOR_EACH_ROW(row)
    {
        if (is_owned_text(row))
            put_text(slot(dst, row), NULL);
    }
    if (kw_config_copy(&dst->core, &src->core) != 0)
        return -1;
    FOR_EACH_ROW(row)
    {
        if (is_owned_text(row) &&
            set_text(slot(dst, row), get_text(base_of(src, row) + row->offset)) != 0)
            return -1;
    }
    return 0;
}

/* "debug, info, warn, error", each name between `quote`s. */
static void level_names(char *out, size_t outlen, const char *quote)
{
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < KW_LOG_LEVELS; i++) {
        int w = snprintf(out + len, outlen - len, "%s%s%s%s", i ? ", " : "", quote,
                         kw_log_level_name((enum kw_log_level)i), quote);
        if (w < 0 || (size_t)w >= outlen - len)
            return;
        len += (size_t)w;
    }
}

static int check_required(const struct kw_server_options *o, char *err, size_t errlen)
{
    FOR_EACH_ROW(row)
    {
        if (row->part != KW_SETTING_IN_SERVER || !row->required)
            continue;
        const char *text = get_text((const char *)o + row->offset);
        if (!text || !*text) {
            snprintf(err, errlen, "%s: Required value: %s", row->flag, row->required);
            return -1;
        }
    }
    return 0;
}

/* Addresses with a default must be there; the others only when given. */
static int check_addresses(const struct kw_server_options *o, char *err, size_t errlen)
{
    FOR_EACH_ROW(row)
    {
        if (row->part != KW_SETTING_IN_SERVER || row->type != KW_SETTING_ADDRESS)
            continue;
        const char *addr = get_text((const char *)o + row->offset);
        struct sockaddr_storage sa;
        socklen_t len;
        if ((addr || row->def_text) &&
            kw_listen_parse(row->flag, addr, &sa, &len, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int check_ranges(const struct kw_server_options *o, char *err, size_t errlen)
{
    FOR_EACH_ROW(row)
    {
        if (row->part != KW_SETTING_IN_SERVER || !is_number(row))
            continue;
        unsigned long long v = get_number((const char *)o + row->offset, row);
        if (v < (unsigned long long)row->min) {
            snprintf(err, errlen, "%s: Invalid value: %llu: must be at least %lld", row->flag, v,
                     row->min);
            return -1;
        }
        if (v > (unsigned long long)row->max) {
            snprintf(err, errlen, "%s: Invalid value: %llu: must be at most %lld", row->flag, v,
                     row->max);
            return -1;
        }
    }
    return 0;
}

int kw_server_options_check(const struct kw_server_options *o, char *err, size_t errlen)
{
    if (check_required(o, err, errlen) || check_addresses(o, err, errlen) ||
        check_ranges(o, err, errlen))
        return -1;
    return 0;
}

/* ---- flags ---- */

const struct kw_setting *kw_setting_by_flag(const char *name, size_t name_len)
{
    FOR_EACH_ROW(row)
    {
        if (row->flag && strlen(row->flag) == name_len && strncmp(row->flag, name, name_len) == 0)
            return row;
    }
    return NULL;
}

/* A whole number of at most `max` in decimal digits; -1 otherwise. */
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

int kw_settings_set_flag(struct kw_settings *s, const struct kw_setting *row, const char *value,
                         char *why, size_t whylen)
{
    void *to = slot(s, row);
    unsigned long long n;
    enum kw_log_level level;
    char names[128];
    if (is_text(row)) {
        if (!*value) {
            snprintf(why, whylen, "Invalid value: \"\": must not be empty");
            return -1;
        }
        if (set_text(to, value) != 0) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
    } else if (is_number(row)) {
        if (parse_number(value, (unsigned long long)row->max, &n) != 0) {
            snprintf(why, whylen, "Invalid value: \"%.60s\": must be a whole number from 0 to %lld",
                     value, row->max);
            return -1;
        }
        put_number(to, row, n);
    } else if (row->type == KW_SETTING_LOG_LEVEL) {
        if (kw_log_level_parse(value, &level) != 0) {
            level_names(names, sizeof(names), "\"");
            snprintf(why, whylen, "Unsupported value: \"%.60s\": supported values: %s", value,
                     names);
            return -1;
        }
        *(enum kw_log_level *)to = level;
    } else {
        snprintf(why, whylen, "set in the config file only");
        return -1;
    }
    return 0;
}

/* ---- usage ---- */

#define USAGE_INDENT 30 /* the column of the help */
#define USAGE_WIDTH  88 /* help is wrapped before this column */

/* The help of `row` and its default: "keep-alive idle timeout (default 120)". */
static void describe(const struct kw_setting *row, char *out, size_t outlen)
{
    char names[128] = "";
    if (row->type == KW_SETTING_LOG_LEVEL)
        level_names(names, sizeof(names), "");
    int n = snprintf(out, outlen, "%s%s%s", row->help, names[0] ? " " : "", names);
    size_t len = n < 0 ? 0 : (size_t)n < outlen ? (size_t)n : outlen - 1;
    if (is_number(row))
        snprintf(out + len, outlen - len, " (default %lld)", row->def);
    else if (row->type == KW_SETTING_LOG_LEVEL)
        snprintf(out + len, outlen - len, " (default %s)",
                 kw_log_level_name((enum kw_log_level)row->def));
    else if (row->def_text)
        snprintf(out + len, outlen - len, " (default %s)", row->def_text);
}

/* `text` from column `col` (at least USAGE_INDENT) on, wrapped at spaces
 * before USAGE_WIDTH onto lines indented by USAGE_INDENT. */
static void put_wrapped(FILE *out, size_t col, const char *text)
{
    size_t first = col;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > first && col + 1 + word > USAGE_WIDTH) {
            fprintf(out, "\n%*s", USAGE_INDENT, "");
            col = first = USAGE_INDENT;
        } else if (col > first) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, word, out);
        col += word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', out);
}

void kw_settings_usage(FILE *out)
{
    fputs("usage: kopia-webhook serve", out);
    FOR_EACH_ROW(row)
    {
        if (row->flag && row->required)
            fprintf(out, " %s %s", row->flag, row->arg);
    }
    fputs(" [flags]\n\n", out);
    FOR_EACH_ROW(row)
    {
        if (!row->flag)
            continue;
        char text[512];
        int head = fprintf(out, "  %s %s ", row->flag, row->arg);
        if (head < 0)
            return;
        if (head < USAGE_INDENT)
            fprintf(out, "%*s", USAGE_INDENT - head, "");
        describe(row, text, sizeof(text));
        put_wrapped(out, head > USAGE_INDENT ? (size_t)head : USAGE_INDENT, text);
    }
}

/* ---- the config file ---- */

struct parse {
    const char *name;
    const struct kw_yaml_positions *pos;
    char *err;
    size_t errlen;
};

static void where(const struct parse *p, const char *path, size_t *line, size_t *col)
{
    *line = *col = 0;
    for (size_t i = 0; i < p->pos->len; i++)
        if (strcmp(p->pos->items[i].path, path) == 0) {
            *line = p->pos->items[i].line;
            *col = p->pos->items[i].column;
            return;
        }
}

__attribute__((format(printf, 3, 4))) static int fail_at(const struct parse *p, const char *path,
                                                         const char *fmt, ...)
{
    size_t line, col;
    where(p, path, &line, &col);
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (line)
        snprintf(p->err, p->errlen, "%s:%zu:%zu: %s: %s", p->name, line, col, path, detail);
    else
        snprintf(p->err, p->errlen, "%s: %s: %s", p->name, path, detail);
    return -1;
}

static const struct kw_setting *find_key(const char *path)
{
    FOR_EACH_ROW(row)
    {
        if (row->key && strcmp(row->key, path) == 0)
            return row;
    }
    return NULL;
}

/* "listen, healthListen, ..." for the keys directly under `section`. */
static void known_keys(const char *section, char *out, size_t outlen)
{
    size_t len = 0, slen = strlen(section);
    out[0] = 0;
    FOR_EACH_ROW(row)
    {
        const char *k = row->key;
        if (!k || (slen && (strncmp(k, section, slen) != 0 || k[slen] != '.')))
            continue;
        const char *leaf = slen ? k + slen + 1 : k;
        if (strchr(leaf, '.'))
            continue;
        int w = snprintf(out + len, outlen - len, "%s%s", len ? ", " : "", leaf);
        if (w < 0 || (size_t)w >= outlen - len)
            break;
        len += (size_t)w;
    }
}

static int set_list(const struct parse *p, const struct kw_setting *row, json_t *v, char ***slot,
                    size_t *count)
{
    if (!json_is_array(v))
        return fail_at(p, row->key, "must be a list of strings");
    size_t n = json_array_size(v);
    char **items = calloc(n ? n : 1, sizeof(*items));
    if (!items)
        return fail_at(p, row->key, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_string(item) || !json_string_length(item)) {
            free_list(items, i);
            char path[128];
            snprintf(path, sizeof(path), "%s[%zu]", row->key, i);
            return fail_at(p, path, "must be a non-empty string");
        }
        if (!(items[i] = strdup(json_string_value(item)))) {
            free_list(items, i);
            return fail_at(p, row->key, "out of memory");
        }
    }
    free_list(*slot, *count);
    *slot = items;
    *count = n;
    return 0;
}

static int set_number(const struct parse *p, const struct kw_setting *row, json_t *v, void *to)
{
    if (!json_is_integer(v) || json_integer_value(v) < row->min || json_integer_value(v) > row->max)
        return fail_at(p, row->key, "must be a whole number from %lld to %lld", row->min, row->max);
    put_number(to, row, (unsigned long long)json_integer_value(v));
    return 0;
}

static int set_log_level(const struct parse *p, const struct kw_setting *row, json_t *v, void *to)
{
    enum kw_log_level level;
    if (!json_is_string(v) || kw_log_level_parse(json_string_value(v), &level) != 0) {
        char names[128];
        level_names(names, sizeof(names), "");
        return fail_at(p, row->key, "must be one of %s", names);
    }
    *(enum kw_log_level *)to = level;
    return 0;
}

static int set_scheme(const struct parse *p, const struct kw_setting *row, json_t *v, void *to)
{
    const char *scheme = json_string_value(v);
    enum kw_identity_scheme *slot = to;
    if (scheme && strcmp(scheme, "object-name") == 0)
        *slot = KW_IDENTITY_OBJECT_NAME;
    else if (scheme && strcmp(scheme, "name-namespace") == 0)
        *slot = KW_IDENTITY_NAME_NAMESPACE;
    else
        return fail_at(p, row->key, "must be object-name or name-namespace");
    return 0;
}

static int set_operator_version(const struct parse *p, const struct kw_setting *row, json_t *v,
                                void *to)
{
    char why[160], number[32];
    const char *text = json_string_value(v);
    if (json_is_real(v)) { /* YAML reads an unquoted 0.17 as a number */
        snprintf(number, sizeof(number), "%g", json_real_value(v));
        text = number;
    }
    if (!text)
        return fail_at(p, row->key, "must be a version such as \"0.17.11\"");
    if (kw_operator_version_parse(text, to, why, sizeof(why)) != 0)
        return fail_at(p, row->key, "%s", why);
    return 0;
}

static int set_value(const struct parse *p, const struct kw_setting *row, json_t *v,
                     struct kw_settings *s)
{
    void *to = slot(s, row);
    switch (row->type) {
    case KW_SETTING_STRING:
    case KW_SETTING_ADDRESS:
        if (!json_is_string(v) || !json_string_length(v))
            return fail_at(p, row->key, "must be a non-empty string");
        return set_text(to, json_string_value(v)) == 0 ? 0 : fail_at(p, row->key, "out of memory");
    case KW_SETTING_UINT:
    case KW_SETTING_SIZE:
        return set_number(p, row, v, to);
    case KW_SETTING_BOOL:
        if (!json_is_boolean(v))
            return fail_at(p, row->key, "must be true or false");
        *(bool *)to = json_is_true(v);
        return 0;
    case KW_SETTING_LIST:
        return set_list(p, row, v, to, (size_t *)((char *)base_of(s, row) + row->count_offset));
    case KW_SETTING_LOG_LEVEL:
        return set_log_level(p, row, v, to);
    case KW_SETTING_SCHEME:
        return set_scheme(p, row, v, to);
    case KW_SETTING_OPERATOR:
        return set_operator_version(p, row, v, to);
    case KW_SETTING_SECTION:
        break;
    }
    return 0;
}

static int walk(const struct parse *p, const char *section, json_t *map, struct kw_settings *s)
{
    const char *key;
    json_t *value;
    json_object_foreach(map, key, value)
    {
        char path[256];
        snprintf(path, sizeof(path), "%s%s%s", section, section[0] ? "." : "", key);
        const struct kw_setting *row = find_key(path);
        if (!row) {
            char known[512];
            known_keys(section, known, sizeof(known));
            return fail_at(p, path, "unknown key (known keys%s%s: %s)", section[0] ? " in " : "",
                           section, known);
        }
        if (json_is_null(value))
            continue; /* an empty key keeps the default */
        if (row->type == KW_SETTING_SECTION) {
            if (!json_is_object(value))
                return fail_at(p, path, "must be a mapping");
            if (walk(p, path, value, s) != 0)
                return -1;
        } else if (set_value(p, row, value, s) != 0) {
            return -1;
        }
    }
    return 0;
}

int kw_settings_parse(struct kw_settings *s, const char *name, const char *buf, size_t len,
                      char *err, size_t errlen)
{
    struct kw_yaml_error yerr;
    struct kw_yaml_positions pos;
    json_t *doc = kw_yaml_load_one_with_positions(buf, len, &pos, &yerr);
    if (!doc) {
        if (strstr(yerr.text, "empty")) { /* an empty file sets nothing */
            return 0;
        }
        snprintf(err, errlen, "%s: %s", name, yerr.text);
        return -1;
    }
    struct parse p = {.name = name, .pos = &pos, .err = err, .errlen = errlen};
    int rc;
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "%s: the config file must be a YAML mapping", name);
        rc = -1;
    } else {
        /* Parse into a copy so a bad file leaves `s` untouched. */
        struct kw_settings next;
        rc = settings_clone(&next, s);
        if (rc != 0)
            snprintf(err, errlen, "%s: out of memory", name);
        else
            rc = walk(&p, "", doc, &next);
        if (rc == 0) {
            kw_settings_free(s);
            *s = next;
        } else {
            kw_settings_free(&next);
        }
    }
    json_decref(doc);
    kw_yaml_positions_free(&pos);
    return rc;
}

int kw_settings_load_file(struct kw_settings *s, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *buf = kw_read_file(path, KW_READ_REGULAR, 1u << 20, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = kw_settings_parse(s, path, buf, len, err, errlen);
    free(buf);
    return rc;
}
