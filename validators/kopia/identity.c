/* The Kopia identity: the operator's sanitising, its
 * 50-byte username cut without re-trim, its hostname fallbacks, the legacy
 * name-namespace scheme, and the effective identity of an RS/RD as the
 * operator computes it (docs/operator.md §a.1-§a.4 cite the Go code this
 * follows line by line). */
#include "kw/kopia/identity.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/formats/formats.h"
#include "kw/json/util.h"

/* A string with its length: JSON strings may hold NUL bytes. */
struct text {
    const char *s;
    size_t len;
};

static struct text text_of(const char *s)
{
    return (struct text){s, strlen(s)};
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* strings.Trim with the operator's trim set ("-_" for usernames, "-." for
 * hostnames): given the characters each sanitiser keeps, that is exactly
 * every non-alphanumeric byte at either end of out[0..len). Returns the new
 * length. */
static size_t trim_separators(char *out, size_t len)
{
    size_t start = 0;
    while (start < len && !is_alnum(out[start]))
        start++;
    while (len > start && !is_alnum(out[len - 1]))
        len--;
    memmove(out, out + start, len - start);
    out[len - start] = 0;
    return len - start;
}

/* sanitizeForIdentifier(input, allowUnderscore, allowDots) with the two
 * combinations the operator uses (username: true, false; hostname: false,
 * true). Go ranges over runes; every rune the function keeps is ASCII, and
 * every byte of a multi-byte or invalid sequence is >= 0x80, so dropping
 * bytes gives the same result. */
static size_t sanitize(struct text in, bool username, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.s[i];
        if (is_alnum(c) || c == '-')
            out[n++] = c;
        else if (c == '_')
            out[n++] = username ? '_' : '-';
        else if (c == '.' && !username)
            out[n++] = '.';
    }
    return trim_separators(out, n);
}

size_t kw_identity_sanitize_username(const char *s, char *out)
{
    return sanitize(text_of(s), true, out);
}

size_t kw_identity_sanitize_hostname(const char *s, char *out)
{
    return sanitize(text_of(s), false, out);
}

/* Replaces an empty value by the fallback; takes over `s`. */
static char *or_fallback(char *s)
{
    if (!s || s[0])
        return s;
    free(s);
    return strdup(KW_IDENTITY_FALLBACK);
}

/* generateUsername(nil, name, _) (builder.go:516-538@v0.17.11): sanitise,
 * fall back when empty, cut to 50 bytes. No trim after the cut. */
static char *operator_username(struct text name)
{
    char *user = malloc(name.len + 1);
    if (!user)
        return NULL;
    size_t len = sanitize(name, true, user);
    if (len > KW_IDENTITY_USERNAME_MAX)
        user[KW_IDENTITY_USERNAME_MAX] = 0;
    return or_fallback(user);
}

/* The name-namespace scheme: no operator release computes it;
 * kept for repositories written that way. Always pinnable: the cut is
 * re-trimmed. */
static char *name_namespace_username(const char *name, const char *namespace)
{
    size_t nlen = strlen(name), slen = strlen(namespace);
    char *user = malloc(nlen + slen + 2);
    char *ns = malloc(slen + 1);
    if (!user || !ns) {
        free(user);
        free(ns);
        return NULL;
    }
    size_t ulen = kw_identity_sanitize_username(name, user);
    size_t nslen = kw_identity_sanitize_username(namespace, ns);
    bool joined_fits = ulen + (ulen && nslen ? 1 : 0) + nslen <= KW_IDENTITY_USERNAME_MAX;
    if (joined_fits) {
        if (ulen && nslen)
            user[ulen++] = '-';
        memcpy(user + ulen, ns, nslen + 1);
    } else if (ulen > KW_IDENTITY_USERNAME_MAX) {
        user[KW_IDENTITY_USERNAME_MAX] = 0;
        trim_separators(user, KW_IDENTITY_USERNAME_MAX);
    }
    free(ns);
    return or_fallback(user);
}

char *kw_identity_username(const char *name, const char *namespace, enum kw_identity_scheme scheme)
{
    if (scheme == KW_IDENTITY_NAME_NAMESPACE)
        return name_namespace_username(name, namespace);
    return operator_username(text_of(name));
}

/* generateHostname(nil, _, namespace, name) (builder.go:553-572@v0.17.11). */
static char *operator_hostname(struct text namespace, struct text name)
{
    char *host = malloc((namespace.len > name.len ? namespace.len : name.len) + 1);
    if (!host)
        return NULL;
    if (sanitize(namespace, false, host) == 0)
        sanitize(name, false, host);
    return or_fallback(host);
}

char *kw_identity_hostname(const char *namespace, const char *name)
{
    return operator_hostname(text_of(namespace), text_of(name));
}

void kw_identity_free(struct kw_identity *id)
{
    free(id->username);
    free(id->hostname);
    id->username = id->hostname = NULL;
}

bool kw_identity_pinnable(const char *part)
{
    return kw_identity_part_valid(part, NULL, 0);
}

char *kw_identity_string(const struct kw_identity *id)
{
    char *s = NULL;
    return asprintf(&s, "%s@%s", id->username, id->hostname) < 0 ? NULL : s;
}

/* A string member as the operator reads it (a Go string or *string: null,
 * absent and "" all mean "not given"): *value is the non-empty string or
 * {NULL, 0}. False for a wrong JSON type. */
static bool read_part(const json_t *obj, const char *key, struct text *value)
{
    json_t *v = kw_obj_get(obj, key);
    *value = (struct text){NULL, 0};
    if (!v)
        return true;
    if (!json_is_string(v))
        return false;
    if (json_string_length(v))
        *value = (struct text){json_string_value(v), json_string_length(v)};
    return true;
}

/* Where the parts not written in the object come from (FromDestination,
 * builder.go:310-409@v0.17.11): an RD whose sourceIdentity has a sourceName
 * derives them from sourceName and sourceNamespace (defaulting to the RD's
 * namespace); anything else from its own name and namespace. False when they
 * are not known or a member has the wrong type. */
static bool default_source(enum kw_kind kind, const char *name, const char *namespace,
                           const json_t *kopia, struct text *src_name, struct text *src_ns,
                           enum kw_identity_origin *origin)
{
    json_t *si = kind == KW_KIND_RD ? kw_obj_get(kopia, "sourceIdentity") : NULL;
    struct text sname = {NULL, 0}, sns = {NULL, 0};
    if (si && (!json_is_object(si) || !read_part(si, "sourceName", &sname) ||
               !read_part(si, "sourceNamespace", &sns)))
        return false;
    if (!sname.s) {
        /* useSourceIdentity is false: the block is ignored. */
        *src_name = text_of(name);
        *src_ns = text_of(namespace);
        *origin = KW_IDENTITY_FROM_OBJECT;
        return name[0] && namespace[0];
    }
    *src_name = sname;
    *src_ns = sns.s ? sns : text_of(namespace);
    *origin = KW_IDENTITY_FROM_SOURCE_IDENTITY;
    return src_ns->len > 0;
}

static enum kw_identity_status identity_of(enum kw_kind kind, const char *name,
                                           const char *namespace, const json_t *object,
                                           bool use_fields, struct kw_identity *out)
{
    *out = (struct kw_identity){0};
    json_t *kopia = kw_path_get(object, "spec.kopia");
    struct text user, host;
    if (!json_is_object(kopia) || !read_part(kopia, "username", &user) ||
        !read_part(kopia, "hostname", &host))
        return KW_IDENTITY_UNKNOWN;
    if (!use_fields)
        user.s = host.s = NULL;
    struct text src_name = {NULL, 0}, src_ns = {NULL, 0};
    enum kw_identity_origin origin = KW_IDENTITY_FROM_OBJECT;
    if (!(user.s && host.s) &&
        !default_source(kind, name, namespace, kopia, &src_name, &src_ns, &origin))
        return KW_IDENTITY_UNKNOWN;

    out->username = user.s ? strndup(user.s, user.len) : operator_username(src_name);
    out->hostname = host.s ? strndup(host.s, host.len) : operator_hostname(src_ns, src_name);
    out->username_origin = user.s ? KW_IDENTITY_FROM_FIELD : origin;
    out->hostname_origin = host.s ? KW_IDENTITY_FROM_FIELD : origin;
    if (out->username && out->hostname)
        return KW_IDENTITY_OK;
    kw_identity_free(out);
    return KW_IDENTITY_NOMEM;
}

enum kw_identity_status kw_identity_effective(enum kw_kind kind, const char *name,
                                              const char *namespace, const json_t *object,
                                              struct kw_identity *out)
{
    return identity_of(kind, name, namespace, object, true, out);
}

enum kw_identity_status kw_identity_operator_default(enum kw_kind kind, const char *name,
                                                     const char *namespace, const json_t *object,
                                                     struct kw_identity *out)
{
    return identity_of(kind, name, namespace, object, false, out);
}
