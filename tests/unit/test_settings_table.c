/* The settings table (include/kw/server/settings.h) is the single source of
 * the flags, the config keys, their limits and defaults: every row is
 * complete and consistent, the usage shows every flag with its default, and
 * the flag parser, the config-file reader and the option checks all enforce
 * each row's range. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/settings.h"

#define FOR_EACH_ROW(row)                                                                          \
    for (const struct kw_setting *row = kw_settings_table;                                         \
         row < kw_settings_table + kw_settings_table_len; row++)

static bool is_number(const struct kw_setting *row)
{
    return row->type == KW_SETTING_UINT || row->type == KW_SETTING_SIZE;
}

Test(settings_table, every_row_is_complete)
{
    cr_assert_gt(kw_settings_table_len, 0);
    FOR_EACH_ROW(row)
    {
        const char *name = row->flag ? row->flag : row->key;
        cr_assert_not_null(name, "row %td has neither a flag nor a key", row - kw_settings_table);
        if (row->flag) {
            cr_expect(strncmp(row->flag, "--", 2) == 0, "%s", name);
            cr_expect(row->arg && row->help && row->help[0], "%s: arg and help", name);
            cr_expect_eq(kw_setting_by_flag(row->flag, strlen(row->flag)), row, "%s", name);
        }
        if (row->type == KW_SETTING_SECTION)
            cr_expect(!row->flag && row->key, "%s: a section is a config key only", name);
        if (row->part == KW_SETTING_IN_CORE)
            cr_expect_null(row->flag, "%s: the core's settings come from the file", name);
        if (row->required)
            cr_expect(row->flag && row->part == KW_SETTING_IN_SERVER, "%s", name);
        for (const struct kw_setting *other = kw_settings_table; other < row; other++) {
            cr_expect(!row->flag || !other->flag || strcmp(row->flag, other->flag) != 0,
                      "flag %s twice", row->flag);
            cr_expect(!row->key || !other->key || strcmp(row->key, other->key) != 0, "key %s twice",
                      row->key);
        }
    }
}

Test(settings_table, defaults_are_within_the_limits)
{
    FOR_EACH_ROW(row)
    {
        if (!is_number(row))
            continue;
        const char *name = row->flag ? row->flag : row->key;
        cr_expect_leq(row->min, row->def, "%s: default below min", name);
        cr_expect_leq(row->def, row->max, "%s: default above max", name);
        cr_expect_geq(row->min, 0, "%s", name);
    }
}

/* The usage with every run of white space made one space. */
static char *usage_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    kw_settings_usage(f);
    fclose(f);
    char *w = buf;
    for (const char *r = buf; *r; r++) {
        bool space = *r == ' ' || *r == '\n';
        if (!space || (w > buf && w[-1] != ' '))
            *w++ = space ? ' ' : *r;
    }
    *w = 0;
    return buf;
}

Test(settings_table, the_usage_shows_every_flag_with_its_default)
{
    char *usage = usage_text();
    const char *synopsis = "usage: kopia-webhook serve --tls-cert FILE --tls-key FILE [flags] ";
    cr_assert(strncmp(usage, synopsis, strlen(synopsis)) == 0, "%s", usage);
    FOR_EACH_ROW(row)
    {
        if (!row->flag)
            continue;
        char want[256];
        snprintf(want, sizeof(want), " %s %s ", row->flag, row->arg);
        cr_expect(strstr(usage, want), "usage lacks '%s':\n%s", want, usage);
        if (is_number(row))
            snprintf(want, sizeof(want), "(default %lld)", row->def);
        else if (row->type == KW_SETTING_LOG_LEVEL)
            snprintf(want, sizeof(want), "(default %s)",
                     kw_log_level_name((enum kw_log_level)row->def));
        else if (row->def_text)
            snprintf(want, sizeof(want), "(default %s)", row->def_text);
        else
            continue;
        cr_expect(strstr(usage, want), "%s: usage lacks '%s'", row->flag, want);
    }
    free(usage);
}

Test(settings_table, server_defaults_come_from_the_table)
{
    struct kw_server_options o;
    kw_server_options_defaults(&o);
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    FOR_EACH_ROW(row)
    {
        if (row->part != KW_SETTING_IN_SERVER)
            continue;
        const char *field = (const char *)&o + row->offset;
        const char *owned = (const char *)&s.server + row->offset;
        if (is_number(row)) {
            unsigned long long v = 0, w = 0;
            memcpy(&v, field, row->type == KW_SETTING_UINT ? sizeof(unsigned) : sizeof(size_t));
            memcpy(&w, owned, row->type == KW_SETTING_UINT ? sizeof(unsigned) : sizeof(size_t));
            cr_expect_eq(v, (unsigned long long)row->def, "%s", row->flag);
            cr_expect_eq(w, (unsigned long long)row->def, "%s", row->flag);
        } else {
            const char *v, *w;
            memcpy(&v, field, sizeof(v));
            memcpy(&w, owned, sizeof(w));
            cr_expect(v == row->def_text, "%s", row->flag);
            cr_expect(w == row->def_text || (w && strcmp(w, row->def_text) == 0), "%s", row->flag);
        }
    }
    cr_expect_eq(s.log_level, KW_LOG_DEFAULT_LEVEL);
    kw_settings_free(&s);
}

static int set_flag(const struct kw_setting *row, long long n, char *why)
{
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    char value[32];
    snprintf(value, sizeof(value), "%lld", n);
    int rc = kw_settings_set_flag(&s, row, value, why, 256);
    kw_settings_free(&s);
    return rc;
}

/* "timeouts.idleSeconds" -> "timeouts:\n  idleSeconds: n\n". */
static int set_key(const struct kw_setting *row, long long n, char *err)
{
    char text[256];
    const char *dot = strchr(row->key, '.');
    if (dot)
        snprintf(text, sizeof(text), "%.*s:\n  %s: %lld\n", (int)(dot - row->key), row->key,
                 dot + 1, n);
    else
        snprintf(text, sizeof(text), "%s: %lld\n", row->key, n);
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    int rc = kw_settings_parse(&s, "config.yaml", text, strlen(text), err, 512);
    kw_settings_free(&s);
    return rc;
}

Test(settings_table, flags_and_keys_enforce_each_range)
{
    FOR_EACH_ROW(row)
    {
        if (!is_number(row))
            continue;
        char err[512], want[256];
        if (row->flag) {
            cr_expect_eq(set_flag(row, row->max, err), 0, "%s %lld: %s", row->flag, row->max, err);
            cr_expect_eq(set_flag(row, row->max + 1, err), -1, "%s", row->flag);
            snprintf(want, sizeof(want), "must be a whole number from 0 to %lld", row->max);
            cr_expect(strstr(err, want), "%s: '%s' lacks '%s'", row->flag, err, want);
        }
        if (row->key) {
            cr_expect_eq(set_key(row, row->min, err), 0, "%s %lld: %s", row->key, row->min, err);
            cr_expect_eq(set_key(row, row->max, err), 0, "%s %lld: %s", row->key, row->max, err);
            snprintf(want, sizeof(want), "%s: must be a whole number from %lld to %lld", row->key,
                     row->min, row->max);
            cr_expect_eq(set_key(row, row->max + 1, err), -1, "%s", row->key);
            cr_expect(strstr(err, want), "'%s' lacks '%s'", err, want);
            cr_expect_eq(set_key(row, row->min - 1, err), -1, "%s", row->key);
            cr_expect(strstr(err, want), "'%s' lacks '%s'", err, want);
        }
    }
}

/* Sets a number of the server options through the row's offset. */
static void put(struct kw_server_options *o, const struct kw_setting *row, unsigned long long n)
{
    if (row->type == KW_SETTING_UINT) {
        unsigned u = (unsigned)n;
        memcpy((char *)o + row->offset, &u, sizeof(u));
    } else {
        size_t z = (size_t)n;
        memcpy((char *)o + row->offset, &z, sizeof(z));
    }
}

Test(settings_table, the_option_check_enforces_each_range)
{
    FOR_EACH_ROW(row)
    {
        if (!is_number(row) || row->part != KW_SETTING_IN_SERVER)
            continue;
        struct kw_server_options o;
        kw_server_options_defaults(&o);
        o.tls_cert = "c.pem";
        o.tls_key = "k.pem";
        char err[256] = "", want[256];
        put(&o, row, (unsigned long long)row->max);
        cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), 0, "%s", err);
        put(&o, row, (unsigned long long)row->max + 1);
        cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), -1, "%s", row->flag);
        snprintf(want, sizeof(want), "%s: Invalid value: %lld: must be at most %lld", row->flag,
                 row->max + 1, row->max);
        cr_expect_str_eq(err, want);
        if (row->min == 0)
            continue;
        put(&o, row, (unsigned long long)row->min - 1);
        cr_expect_eq(kw_server_options_check(&o, err, sizeof(err)), -1, "%s", row->flag);
        snprintf(want, sizeof(want), "%s: Invalid value: %lld: must be at least %lld", row->flag,
                 row->min - 1, row->min);
        cr_expect_str_eq(err, want);
    }
}

Test(settings_table, log_levels_by_flag_and_key)
{
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    const struct kw_setting *row = kw_setting_by_flag("--log-level", 11);
    cr_assert_not_null(row);
    char why[256] = "";
    cr_expect_eq(kw_settings_set_flag(&s, row, "warn", why, sizeof(why)), 0, "%s", why);
    cr_expect_eq(s.log_level, KW_LOG_WARN);
    cr_expect_eq(kw_settings_set_flag(&s, row, "verbose", why, sizeof(why)), -1);
    cr_expect_str_eq(why, "Unsupported value: \"verbose\": supported values: \"debug\", "
                          "\"info\", \"warn\", \"error\"");
    cr_expect_eq(s.log_level, KW_LOG_WARN);
    char err[512] = "";
    cr_expect_eq(kw_settings_parse(&s, "c.yaml", "logLevel: error\n", 16, err, sizeof(err)), 0);
    cr_expect_eq(s.log_level, KW_LOG_ERROR);
    kw_settings_free(&s);
}

Test(settings_table, flag_only_and_file_only_settings)
{
    struct kw_settings s;
    cr_assert_eq(kw_settings_init(&s), 0);
    char why[256], err[512] = "";
    const struct kw_setting *config = kw_setting_by_flag("--config=x.yaml", 8);
    cr_assert_not_null(config);
    cr_expect_null(config->key);
    cr_expect_eq(kw_settings_set_flag(&s, config, "x.yaml", why, sizeof(why)), 0);
    cr_expect_str_eq(s.config_path, "x.yaml");
    cr_expect_eq(kw_settings_parse(&s, "c.yaml", "config: y\n", 10, err, sizeof(err)), -1);
    cr_expect(strstr(err, "config: unknown key"), "%s", err);
    cr_expect_null(kw_setting_by_flag("--identity-scheme", 17));
    cr_expect_null(kw_setting_by_flag("--tenancy", 9));
    kw_settings_free(&s);
}

/* docs/operations.md's table of flags names every flag with its default. */
Test(settings_table, the_operations_guide_lists_every_flag_with_its_default)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/docs/operations.md", getenv("KW_SOURCE_DIR"));
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char doc[1 << 16];
    doc[fread(doc, 1, sizeof(doc) - 1, f)] = 0;
    fclose(f);
    FOR_EACH_ROW(row)
    {
        if (!row->flag)
            continue;
        char name[128], def[64] = "";
        snprintf(name, sizeof(name), "`%s %s`", row->flag, row->arg);
        const char *line = strstr(doc, name);
        cr_expect(line, "docs/operations.md lacks %s", name);
        if (!line)
            continue;
        char text[512];
        snprintf(text, sizeof(text), "%.*s", (int)strcspn(line, "\n"), line);
        if (is_number(row))
            snprintf(def, sizeof(def), "| %lld", row->def);
        else if (row->type == KW_SETTING_LOG_LEVEL)
            snprintf(def, sizeof(def), "| %s", kw_log_level_name((enum kw_log_level)row->def));
        else if (row->def_text)
            snprintf(def, sizeof(def), "| `%s`", row->def_text);
        else
            continue;
        cr_expect(strstr(text, def), "docs/operations.md: %s: default '%s' not in '%s'", row->flag,
                  def, text);
    }
}

/* The row of docs/config.md's key table for `key` ("| `key` | ..."), copied
 * into line (empty when there is none). */
static void config_doc_row(const char *doc, const char *key, char *line, size_t len)
{
    char head[128];
    snprintf(head, sizeof(head), "\n| `%s` |", key);
    const char *at = strstr(doc, head);
    line[0] = '\0';
    if (at)
        snprintf(line, len, "%.*s", (int)strcspn(at + 1, "\n"), at + 1);
}

static char *read_doc(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/docs/%s", getenv("KW_SOURCE_DIR"), name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char doc[1 << 16];
    doc[fread(doc, 1, sizeof(doc) - 1, f)] = 0;
    fclose(f);
    return doc;
}

/* docs/config.md names every key of the file with its flag, its default and
 * whether SIGHUP applies it (the core's settings only). */
Test(settings_table, the_config_reference_lists_every_key)
{
    const char *doc = read_doc("config.md");
    FOR_EACH_ROW(row)
    {
        if (!row->key || row->type == KW_SETTING_SECTION)
            continue;
        char line[1024];
        config_doc_row(doc, row->key, line, sizeof(line));
        cr_expect(line[0], "docs/config.md has no row for %s", row->key);
        if (!line[0])
            continue;
        char want[128];
        if (row->flag) {
            snprintf(want, sizeof(want), "| `%s` |", row->flag);
            cr_expect(strstr(line, want), "docs/config.md: %s: no flag %s in '%s'", row->key,
                      row->flag, line);
        }
        if (is_number(row)) {
            snprintf(want, sizeof(want), "| %lld |", row->def);
            cr_expect(strstr(line, want), "docs/config.md: %s: default %lld not in '%s'", row->key,
                      row->def, line);
        } else if (row->type == KW_SETTING_LOG_LEVEL) {
            snprintf(want, sizeof(want), "| %s |", kw_log_level_name((enum kw_log_level)row->def));
            cr_expect(strstr(line, want), "docs/config.md: %s: default not in '%s'", row->key,
                      line);
        } else if (row->def_text) {
            snprintf(want, sizeof(want), "| `%s` |", row->def_text);
            cr_expect(strstr(line, want), "docs/config.md: %s: default not in '%s'", row->key,
                      line);
        }
        const char *reload = row->part == KW_SETTING_IN_CORE ? "| yes |" : "| no |";
        size_t n = strlen(line);
        cr_expect(n >= strlen(reload) && strcmp(line + n - strlen(reload), reload) == 0,
                  "docs/config.md: %s: SIGHUP column is not '%s' in '%s'", row->key, reload, line);
    }
}

/* ... and no key the server does not know. */
Test(settings_table, the_config_reference_lists_no_unknown_key)
{
    const char *doc = read_doc("config.md");
    size_t rows = 0;
    for (const char *at = strstr(doc, "\n| `"); at; at = strstr(at + 1, "\n| `")) {
        const char *key = at + 4;
        size_t len = strcspn(key, "`");
        bool known = false;
        FOR_EACH_ROW(row)
        {
            if (row->key && strlen(row->key) == len && strncmp(row->key, key, len) == 0)
                known = true;
        }
        cr_expect(known, "docs/config.md lists %.*s, which the server does not know", (int)len,
                  key);
        rows++;
    }
    cr_expect_gt(rows, 20);
}
