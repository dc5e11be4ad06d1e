/* Kubernetes names and keys (DNS-1123 subdomain and label, label key and
 * value, ConfigMap key) with apimachinery's checks and wording, and the Kopia
 * identity part (username/hostname). Plain character checks, no allocation. */
#include "kw/formats/formats.h"

#include "message.h"

#include <string.h>

#define DNS1123_LABEL_MAX     63
#define DNS1123_SUBDOMAIN_MAX 253
#define QUALIFIED_NAME_MAX    63
#define LABEL_VALUE_MAX       63
#define CONFIGMAP_KEY_MAX     253

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_LABEL_ERR                                                                          \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "   \
    "must start and end with an alphanumeric character"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1123_SUBDOMAIN_ERR                                                                      \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "   \
    "'.', and must start and end with an alphanumeric character"
#define QUALIFIED_NAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QUALIFIED_NAME_ERR                                                                         \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "    \
    "alphanumeric character"
#define LABEL_VALUE_FMT "(" QUALIFIED_NAME_FMT ")?"
#define LABEL_VALUE_ERR                                                                            \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "    \
    "'.', and must start and end with an alphanumeric character"
#define CONFIGMAP_KEY_FMT "[-._a-zA-Z0-9]+"
#define CONFIGMAP_KEY_ERR                                                                          \
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
#define IDENTITY_FMT "^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$"
#define IDENTITY_ERR                                                                               \
    "must be a single alphanumeric character or consist of alphanumeric characters, '.', '_' or "  \
    "'-', and start and end with an alphanumeric character"

static const char *const label_examples[] = {"my-name", "123-abc", NULL};
static const char *const subdomain_examples[] = {"example.com", NULL};
static const char *const qualified_name_examples[] = {"MyName", "my.name", "123-abc", NULL};
static const char *const label_value_examples[] = {"MyValue", "my_value", "12345", NULL};
static const char *const configmap_key_examples[] = {"key.name", "KEY_NAME", "key-name", NULL};
static const char *const identity_examples[] = {"my-backup", "host.example.com", NULL};

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n). */
static bool matches_dns1123_label(const char *s, size_t n)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

/* Labels joined by single dots, over s[0..n). */
static bool matches_dns1123_subdomain(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!matches_dns1123_label(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] over s[0..n). */
static bool matches_qualified_name(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* apimachinery IsDNS1123Subdomain, each message a part prefixed by `prefix`. */
static void check_subdomain(const char *s, size_t n, const char *prefix, struct kw_fmsg *m)
{
    if (n > DNS1123_SUBDOMAIN_MAX)
        kw_fmsg_addpart(m, "%smust be no more than %d characters", prefix, DNS1123_SUBDOMAIN_MAX);
    if (!matches_dns1123_subdomain(s, n)) {
        kw_fmsg_addpart(m, "%s", prefix);
        kw_fmsg_regex(m, DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, subdomain_examples);
    }
}

bool kw_dns1123_subdomain_valid(const char *s, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    check_subdomain(s, strlen(s), "", &m);
    return m.parts == 0;
}

bool kw_dns1123_label_valid(const char *s, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    size_t n = strlen(s);
    if (n > DNS1123_LABEL_MAX)
        kw_fmsg_addpart(&m, "must be no more than %d characters", DNS1123_LABEL_MAX);
    if (!matches_dns1123_label(s, n)) {
        kw_fmsg_part(&m);
        /* A valid subdomain that is not a label: the length is checked
         * above, so it must be the dots. */
        if (matches_dns1123_subdomain(s, n))
            kw_fmsg_add(&m, "must not contain dots");
        else
            kw_fmsg_regex(&m, DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, label_examples);
    }
    return m.parts == 0;
}

bool kw_label_key_valid(const char *s, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    const char *slash = strchr(s, '/');
    if (slash && strchr(slash + 1, '/')) {
        kw_fmsg_addpart(&m, "a qualified name ");
        kw_fmsg_regex(&m, QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, qualified_name_examples);
        kw_fmsg_add(&m, " with an optional DNS subdomain prefix and '/' (e.g. "
                        "'example.com/MyName')");
        return false;
    }
    const char *name = s;
    if (slash) {
        size_t prefix_len = (size_t)(slash - s);
        if (prefix_len == 0)
            kw_fmsg_addpart(&m, "prefix part must be non-empty");
        else
            check_subdomain(s, prefix_len, "prefix part ", &m);
        name = slash + 1;
    }
    size_t n = strlen(name);
    if (n == 0)
        kw_fmsg_addpart(&m, "name part must be non-empty");
    else if (n > QUALIFIED_NAME_MAX)
        kw_fmsg_addpart(&m, "name part must be no more than %d characters", QUALIFIED_NAME_MAX);
    if (!matches_qualified_name(name, n)) {
        kw_fmsg_addpart(&m, "name part ");
        kw_fmsg_regex(&m, QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, qualified_name_examples);
    }
    return m.parts == 0;
}

bool kw_label_value_valid(const char *s, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    size_t n = strlen(s);
    if (n > LABEL_VALUE_MAX)
        kw_fmsg_addpart(&m, "must be no more than %d characters", LABEL_VALUE_MAX);
    if (n > 0 && !matches_qualified_name(s, n)) {
        kw_fmsg_part(&m);
        kw_fmsg_regex(&m, LABEL_VALUE_ERR, LABEL_VALUE_FMT, label_value_examples);
    }
    return m.parts == 0;
}

static bool matches_configmap_key(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

bool kw_configmap_key_valid(const char *s, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    size_t n = strlen(s);
    if (n > CONFIGMAP_KEY_MAX)
        kw_fmsg_addpart(&m, "must be no more than %d characters", CONFIGMAP_KEY_MAX);
    if (!matches_configmap_key(s, n)) {
        kw_fmsg_part(&m);
        kw_fmsg_regex(&m, CONFIGMAP_KEY_ERR, CONFIGMAP_KEY_FMT, configmap_key_examples);
    }
    /* apimachinery hasChDirPrefix: a key is a file name in a mounted volume. */
    if (strcmp(s, ".") == 0)
        kw_fmsg_addpart(&m, "must not be '.'");
    else if (strcmp(s, "..") == 0)
        kw_fmsg_addpart(&m, "must not be '..'");
    else if (strncmp(s, "..", 2) == 0)
        kw_fmsg_addpart(&m, "must not start with '..'");
    return m.parts == 0;
}

bool kw_identity_part_valid(const char *s, char *msg, size_t msglen)
{
    struct kw_fmsg m;
    kw_fmsg_init(&m, msg, msglen);
    size_t n = strlen(s);
    bool ok = n > 0 && is_alnum(s[0]) && is_alnum(s[n - 1]);
    for (size_t i = 1; ok && i + 1 < n; i++)
        ok = is_alnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-';
    if (!ok) {
        kw_fmsg_part(&m);
        kw_fmsg_regex(&m, IDENTITY_ERR, IDENTITY_FMT, identity_examples);
    }
    return ok;
}
