/* The settings of the server in one table (server/settings.c), in the style
 * of nginx's directive tables: one row per setting with its `serve` flag,
 * its config-file key, where its value goes, its type, range, default and a
 * line of help. The flag parser (kw_settings_set_flag), the config-file
 * reader (kw_settings_parse), the option defaults and range checks
 * (kw_server_options_defaults and kw_server_options_check, server.h) and
 * `serve`'s usage (kw_settings_usage) all read it, so each flag name, key,
 * limit and default is written once.
 *
 * The config file (`--config FILE`): every key optional, unknown keys and
 * bad values rejected with file, line and column. Its keys are the rows'
 * `key`s; docs/config.md is their reference, and test_settings_table checks
 * it against this table.
 *
 * Layering: a kw_settings starts at the defaults; the file, then (for
 * `serve`) the flags are applied over it, so flags win over the file. */
#ifndef KW_SETTINGS_H
#define KW_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kw/kopia/config.h"
#include "kw/server/log.h"
#include "kw/server/server.h"

enum kw_setting_type {
    KW_SETTING_SECTION,   /* a mapping of further keys (config file only) */
    KW_SETTING_STRING,    /* non-empty text, such as a file name (a char pointer) */
    KW_SETTING_ADDRESS,   /* a listen address (a char pointer), checked by kw_listen_parse */
    KW_SETTING_UINT,      /* unsigned, from min to max */
    KW_SETTING_SIZE,      /* size_t, from min to max */
    KW_SETTING_BOOL,      /* bool */
    KW_SETTING_LIST,      /* non-empty strings (char **) and their count (size_t) */
    KW_SETTING_LOG_LEVEL, /* enum kw_log_level, by name (include/kw/server/log.h) */
    KW_SETTING_SCHEME,    /* enum kw_identity_scheme, by name */
    KW_SETTING_OPERATOR,  /* enum kw_operator_version, "0.17" or "0.17.11" */
};

/* The struct a row's offset is into. */
enum kw_setting_part {
    KW_SETTING_IN_SETTINGS, /* struct kw_settings itself */
    KW_SETTING_IN_SERVER,   /* struct kw_server_options */
    KW_SETTING_IN_CORE,     /* struct kw_config; its defaults are the core's */
};

struct kw_setting {
    const char *flag; /* "--threads"; NULL: a config-file-only setting */
    const char *key;  /* "threads", "tls.certFile"; NULL: a flag-only setting */
    const char *arg;  /* what the flag takes, for the usage: "N", "FILE" */
    enum kw_setting_type type;
    enum kw_setting_part part;
    size_t offset;        /* of the value in the struct `part` names */
    long long min, max;   /* KW_SETTING_UINT and KW_SETTING_SIZE */
    long long def;        /* the default of a number or a log level */
    const char *def_text; /* the default of a string or address (NULL: none) */
    const char *help;     /* one line, for the usage */
    const char *required; /* non-NULL: must be given; what it names, for the message */
    size_t count_offset;  /* KW_SETTING_LIST: of its count, in the same struct */
};

extern const struct kw_setting kw_settings_table[];
extern const size_t kw_settings_table_len;

struct kw_settings {
    /* The server's options. The settings own their strings (listen, ...):
     * copies of the defaults, the file's or the flags' values. */
    struct kw_server_options server;
    enum kw_log_level log_level;
    char *config_path; /* --config (a flag only); owned, NULL when not given */
    /* The core's settings, the core's defaults where the file is silent.
     * Owns its string arrays (extra_forbidden_args, allowed_source_namespaces). */
    struct kw_config core;
};

/* Defaults from the table (and kw_config_defaults for the core). Returns -1
 * on allocation failure; `s` can be freed either way. */
int kw_settings_init(struct kw_settings *s);
/* Frees what `s` owns and zeroes it (freeing it again is harmless). */
void kw_settings_free(struct kw_settings *s);

/* Parses config text over `s`; `name` is used in messages
 * ("config.yaml:3:5: ..."). On error returns -1 and `s` is left as it was. */
int kw_settings_parse(struct kw_settings *s, const char *name, const char *buf, size_t len,
                      char *err, size_t errlen);

/* Reads and parses a file. */
int kw_settings_load_file(struct kw_settings *s, const char *path, char *err, size_t errlen);

/* The row whose flag is the first `name_len` bytes of `name` ("--threads"
 * in "--threads=4"); NULL if there is none. */
const struct kw_setting *kw_setting_by_flag(const char *name, size_t name_len);

/* Sets `row` (a row with a flag) from a flag's value (borrowed; copied).
 * Numbers are checked against the row's max only: its min is checked with
 * the other options by kw_server_options_check. Returns 0, or -1 with the
 * reason in `why` ("Invalid value: \"x\": must be a whole number from 0
 * to 1024"). */
int kw_settings_set_flag(struct kw_settings *s, const struct kw_setting *row, const char *value,
                         char *why, size_t whylen);

/* Writes `serve`'s usage: the synopsis, then each flag with its help and
 * default. */
void kw_settings_usage(FILE *out);

#endif
