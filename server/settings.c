/* The config file parser (see include/kw/server/settings.h): a table of keys in
 * the style of nginx's directive tables — each row names a dotted key, its
 * type and where it goes — walked against the YAML document, with positions
 * from the YAML loader for every message. */
#include "kw/server/settings.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/readfile.h"
#include "kw/json/yaml.h"

enum key_type { K_SECTION, K_STRING, K_UINT, K_BOOL, K_STRING_LIST, K_LOG_LEVEL, K_SCHEME };

struct key {
    const char *path;
    enum key_type type;
    size_t offset;      /* into struct kw_settings */
    size_t count_off;   /* K_STRING_LIST: offset of the size_t count */
    long long min, max; /* K_UINT range */
};

#define S(field) offsetof(struct kw_settings, field)
#define C(field) (offsetof(struct kw_settings, core) + offsetof(struct kw_config, field))

static const struct key keys[] = {
    {"listen", K_STRING, S(listen), 0, 0, 0},
    {"healthListen", K_STRING, S(health_listen), 0, 0, 0},
    {"threads", K_UINT, S(threads), 0, 0, 1024},
    {"maxBodyBytes", K_UINT, S(max_body_bytes), 0, 1024, 1LL << 30},
    {"logLevel", K_LOG_LEVEL, S(log_level), 0, 0, 0},
    {"identityScheme", K_SCHEME, C(identity_scheme), 0, 0, 0},
    {"tls", K_SECTION, 0, 0, 0, 0},
    {"tls.certFile", K_STRING, S(tls_cert), 0, 0, 0},
    {"tls.keyFile", K_STRING, S(tls_key), 0, 0, 0},
    {"tls.clientCAFile", K_STRING, S(client_ca), 0, 0, 0},
    {"tls.pollSeconds", K_UINT, S(cert_poll_s), 0, 0, 86400},
    {"timeouts", K_SECTION, 0, 0, 0, 0},
    {"timeouts.idleSeconds", K_UINT, S(idle_timeout_s), 0, 1, 86400},
    {"timeouts.requestSeconds", K_UINT, S(request_timeout_s), 0, 1, 3600},
    {"timeouts.drainSeconds", K_UINT, S(drain_s), 0, 0, 3600},
    {"forbiddenArgs", K_STRING_LIST, C(extra_forbidden_args), C(n_extra_forbidden_args), 0, 0},
    {"tenancy", K_SECTION, 0, 0, 0, 0},
    {"tenancy.denyActions", K_BOOL, C(deny_actions), 0, 0, 0},
    {"tenancy.denyForeignHostname", K_BOOL, C(deny_foreign_hostname), 0, 0, 0},
    {"tenancy.denyCrossNamespaceSource", K_BOOL, C(deny_cross_namespace_source), 0, 0, 0},
    {"tenancy.allowedSourceNamespaces", K_STRING_LIST, C(allowed_source_namespaces),
     C(n_allowed_source_namespaces), 0, 0},
    {"tenancy.denyIdentityChange", K_BOOL, C(deny_identity_change), 0, 0, 0},
};

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};

void kw_settings_init(struct kw_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->threads = s->max_body_bytes = s->cert_poll_s = KW_UNSET;
    s->idle_timeout_s = s->request_timeout_s = s->drain_s = KW_UNSET;
    kw_config_defaults(&s->core);
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        free(items[i]);
    free(items);
}

void kw_settings_free(struct kw_settings *s)
{
    free(s->listen);
    free(s->health_listen);
    free(s->tls_cert);
    free(s->tls_key);
    free(s->client_ca);
    free(s->log_level);
    kw_config_free_arrays(&s->core);
    kw_settings_init(s);
}

/* ---- parsing ---- */

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

static const struct key *find_key(const char *path)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(keys[i].path, path) == 0)
            return &keys[i];
    return NULL;
}

/* "listen, healthListen, ..." for the keys directly under `section`. */
static void known_keys(const char *section, char *out, size_t outlen)
{
    size_t len = 0, slen = strlen(section);
    out[0] = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *k = keys[i].path;
        if (slen && (strncmp(k, section, slen) != 0 || k[slen] != '.'))
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

static int set_string(const struct parse *p, const struct key *k, json_t *v, char **slot)
{
    if (!json_is_string(v) || !json_string_length(v))
        return fail_at(p, k->path, "must be a non-empty string");
    char *copy = strdup(json_string_value(v));
    if (!copy)
        return fail_at(p, k->path, "out of memory");
    free(*slot);
    *slot = copy;
    return 0;
}

static int set_list(const struct parse *p, const struct key *k, json_t *v, char ***slot,
                    size_t *count)
{
    if (!json_is_array(v))
        return fail_at(p, k->path, "must be a list of strings");
    size_t n = json_array_size(v);
    char **items = calloc(n ? n : 1, sizeof(*items));
    if (!items)
        return fail_at(p, k->path, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_string(item) || !json_string_length(item)) {
            free_list(items, i);
            char path[128];
            snprintf(path, sizeof(path), "%s[%zu]", k->path, i);
            return fail_at(p, path, "must be a non-empty string");
        }
        if (!(items[i] = strdup(json_string_value(item)))) {
            free_list(items, i);
            return fail_at(p, k->path, "out of memory");
        }
    }
    free_list(*slot, *count);
    *slot = items;
    *count = n;
    return 0;
}

static int set_value(const struct parse *p, const struct key *k, json_t *v, struct kw_settings *s)
{
    char *base = (char *)s;
    switch (k->type) {
    case K_STRING:
        return set_string(p, k, v, (char **)(base + k->offset));
    case K_UINT:
        if (!json_is_integer(v) || json_integer_value(v) < k->min || json_integer_value(v) > k->max)
            return fail_at(p, k->path, "must be a whole number from %lld to %lld", k->min, k->max);
        *(long long *)(base + k->offset) = json_integer_value(v);
        return 0;
    case K_BOOL:
        if (!json_is_boolean(v))
            return fail_at(p, k->path, "must be true or false");
        *(bool *)(base + k->offset) = json_is_true(v);
        return 0;
    case K_STRING_LIST:
        return set_list(p, k, v, (char ***)(base + k->offset), (size_t *)(base + k->count_off));
    case K_LOG_LEVEL:
        for (const char *const *l = log_levels; *l; l++)
            if (json_is_string(v) && strcmp(json_string_value(v), *l) == 0)
                return set_string(p, k, v, (char **)(base + k->offset));
        return fail_at(p, k->path, "must be one of debug, info, warn, error");
    case K_SCHEME: {
        const char *scheme = json_string_value(v);
        enum kw_identity_scheme *slot = (enum kw_identity_scheme *)(base + k->offset);
        if (scheme && strcmp(scheme, "name-namespace") == 0)
            *slot = KW_IDENTITY_NAME_NAMESPACE;
        else if (scheme && strcmp(scheme, "object-name") == 0)
            *slot = KW_IDENTITY_OBJECT_NAME;
        else
            return fail_at(p, k->path, "must be name-namespace or object-name");
        return 0;
    }
    case K_SECTION:
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
        const struct key *k = find_key(path);
        if (!k) {
            char known[512];
            known_keys(section, known, sizeof(known));
            return fail_at(p, path, "unknown key (known keys%s%s: %s)", section[0] ? " in " : "",
                           section, known);
        }
        if (json_is_null(value))
            continue; /* an empty key keeps the default */
        if (k->type == K_SECTION) {
            if (!json_is_object(value))
                return fail_at(p, path, "must be a mapping");
            if (walk(p, path, value, s) != 0)
                return -1;
        } else if (set_value(p, k, value, s) != 0) {
            return -1;
        }
    }
    return 0;
}

static int dup_string(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst ? -1 : 0;
}

/* A deep copy of src into dst (initialised here); -1 on allocation failure,
 * with dst still safe to free. */
static int settings_clone(struct kw_settings *dst, const struct kw_settings *src)
{
    kw_settings_init(dst);
    dst->threads = src->threads;
    dst->max_body_bytes = src->max_body_bytes;
    dst->cert_poll_s = src->cert_poll_s;
    dst->idle_timeout_s = src->idle_timeout_s;
    dst->request_timeout_s = src->request_timeout_s;
    dst->drain_s = src->drain_s;
    if (dup_string(&dst->listen, src->listen) ||
        dup_string(&dst->health_listen, src->health_listen) ||
        dup_string(&dst->tls_cert, src->tls_cert) || dup_string(&dst->tls_key, src->tls_key) ||
        dup_string(&dst->client_ca, src->client_ca) || dup_string(&dst->log_level, src->log_level))
        return -1;
    struct kw_config core;
    if (kw_config_copy(&core, &src->core) != 0)
        return -1;
    dst->core = core;
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
    char *buf = kw_read_file(path, 1u << 20, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = kw_settings_parse(s, path, buf, len, err, errlen);
    free(buf);
    return rc;
}
