/* Structured logging: one JSON object per line on stderr with time, level and
 * message plus optional string/number/bool/string-array fields. Never pass Secret data or
 * policy contents as a field. Thread-safe (one write(2) per line). */
#ifndef KW_LOG_H
#define KW_LOG_H

#include <stdbool.h>

enum kw_log_level { KW_LOG_DEBUG, KW_LOG_INFO, KW_LOG_WARN, KW_LOG_ERROR };
#define KW_LOG_LEVELS        (KW_LOG_ERROR + 1) /* levels run from 0 to KW_LOG_LEVELS - 1 */
#define KW_LOG_DEFAULT_LEVEL KW_LOG_INFO        /* the minimum level until one is set */

/* The level's name as flags, the config file and log lines spell it:
 * "debug", "info", "warn", "error" (static; NULL for a level out of range). */
const char *kw_log_level_name(enum kw_log_level level);
/* The level called `name`, in *level_out; -1 (and *level_out untouched)
 * for an unknown name. */
int kw_log_level_parse(const char *name, enum kw_log_level *level_out);

/* Sets the minimum level; returns -1 for an unknown name. */
int kw_log_set_level_name(const char *name);
void kw_log_set_level(enum kw_log_level level);
bool kw_log_enabled(enum kw_log_level level);

/* Field list entries for kw_log(): KW_LS(key, string), KW_LI(key, long long),
 * KW_LB(key, bool), KW_LD(key, double), KW_LA(key, strings, n) (a JSON array
 * of the n strings; the array and strings borrowed for the call); end the
 * list with KW_LEND. A field whose key is NULL is left out (for fields that
 * only some lines carry). Keys are camelCase, as Kubernetes spells its fields
 * (durationMs, deniedRules); tests/scripts/test_log_keys.sh checks every
 * key in server/. */
enum kw_log_field_type { KW_LF_END, KW_LF_STR, KW_LF_INT, KW_LF_BOOL, KW_LF_DOUBLE, KW_LF_STRS };
struct kw_log_field {
    enum kw_log_field_type type;
    const char *key;
    const char *s;
    long long i; /* an integer, a bool, or the number of strings in `list` */
    double d;
    const char *const *list;
};
#define KW_LF(t, k, sv, iv, dv, lv)                                                                \
    ((struct kw_log_field){.type = (t), .key = (k), .s = (sv), .i = (iv), .d = (dv), .list = (lv)})
#define KW_LS(k, v)    KW_LF(KW_LF_STR, (k), (v), 0, 0, NULL)
#define KW_LI(k, v)    KW_LF(KW_LF_INT, (k), NULL, (long long)(v), 0, NULL)
#define KW_LB(k, v)    KW_LF(KW_LF_BOOL, (k), NULL, (v) ? 1 : 0, 0, NULL)
#define KW_LD(k, v)    KW_LF(KW_LF_DOUBLE, (k), NULL, 0, (double)(v), NULL)
#define KW_LA(k, v, n) KW_LF(KW_LF_STRS, (k), NULL, (long long)(n), 0, (v))
#define KW_LEND        KW_LF(KW_LF_END, NULL, NULL, 0, 0, NULL)

/* kw_log(KW_LOG_INFO, "review", KW_LS("uid", uid), KW_LB("allowed", 1), KW_LEND); */
void kw_log(enum kw_log_level level, const char *msg, ...);

#endif
