/* The Kopia identity scheme (SPEC §5.1): sanitising, the 50-character rule,
 * the two schemes, and the effective identity of an RS/RD. */
#include "kw/kopia/identity.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/util.h"

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Drops leading and trailing non-alphanumerics (the separators a sanitised
 * value may hold) from out[0..len); returns the new length. */
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

size_t kw_identity_sanitize_username(const char *s, char *out)
{
    size_t n = 0;
    for (; *s; s++)
        if (is_alnum(*s) || *s == '_' || *s == '-')
            out[n++] = *s;
    return trim_separators(out, n);
}

size_t kw_identity_sanitize_hostname(const char *s, char *out)
{
    size_t n = 0;
    for (; *s; s++) {
        char c = *s == '_' ? '-' : *s;
        if (is_alnum(c) || c == '.' || c == '-')
            out[n++] = c;
    }
    return trim_separators(out, n);
}

/* Replaces an empty value by the fallback; takes over `s`. */
static char *or_fallback(char *s)
{
    if (!s || s[0])
        return s;
    free(s);
    return strdup(KW_IDENTITY_FALLBACK);
}

/* Cuts out[0..len) to the username limit and trims what the cut exposed. */
static size_t cut_username(char *out, size_t len)
{
    if (len <= KW_IDENTITY_USERNAME_MAX)
        return len;
    out[KW_IDENTITY_USERNAME_MAX] = 0;
    return trim_separators(out, KW_IDENTITY_USERNAME_MAX);
}

char *kw_identity_username(const char *name, const char *namespace, enum kw_identity_scheme scheme)
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
    if (scheme == KW_IDENTITY_NAME_NAMESPACE && joined_fits) {
        if (ulen && nslen)
            user[ulen++] = '-';
        memcpy(user + ulen, ns, nslen + 1);
    } else {
        cut_username(user, ulen);
    }
    free(ns);
    return or_fallback(user);
}

char *kw_identity_hostname(const char *namespace)
{
    char *host = malloc(strlen(namespace) + 1);
    if (!host)
        return NULL;
    kw_identity_sanitize_hostname(namespace, host);
    return or_fallback(host);
}

void kw_identity_free(struct kw_identity *id)
{
    free(id->username);
    free(id->hostname);
    id->username = id->hostname = NULL;
}

char *kw_identity_string(const struct kw_identity *id)
{
    char *s = NULL;
    return asprintf(&s, "%s@%s", id->username, id->hostname) < 0 ? NULL : s;
}

/* An identity field as the effective identity reads it: *value is the
 * non-empty string or NULL when absent/null/empty. False for a wrong type. */
static bool read_part(const json_t *kopia, const char *key, const char **value)
{
    json_t *v = kw_obj_get(kopia, key);
    *value = NULL;
    if (!v)
        return true;
    if (!json_is_string(v))
        return false;
    *value = json_string_length(v) ? json_string_value(v) : NULL;
    return true;
}

/* Where the parts not written in the object come from: the name and namespace
 * the default identity is computed from. False when they are not known. */
static bool default_source(enum kw_kind kind, const char *name, const char *namespace,
                           const json_t *kopia, const char **src_name, const char **src_ns,
                           enum kw_identity_origin *origin)
{
    json_t *si = kind == KW_KIND_RD ? kw_obj_get(kopia, "sourceIdentity") : NULL;
    if (!si) {
        *src_name = name;
        *src_ns = namespace;
        *origin = KW_IDENTITY_FROM_OBJECT;
        return name[0] && namespace[0];
    }
    if (!json_is_object(si))
        return false;
    const char *sname, *sns;
    if (!read_part(si, "sourceName", &sname) || !read_part(si, "sourceNamespace", &sns))
        return false;
    *src_name = sname;
    *src_ns = sns ? sns : namespace;
    *origin = KW_IDENTITY_FROM_SOURCE_IDENTITY;
    return sname && (*src_ns)[0];
}

enum kw_identity_status kw_identity_effective(enum kw_kind kind, const char *name,
                                              const char *namespace, const json_t *object,
                                              enum kw_identity_scheme scheme,
                                              struct kw_identity *out)
{
    *out = (struct kw_identity){0};
    json_t *kopia = kw_path_get(object, "spec.kopia");
    const char *user, *host;
    if (!json_is_object(kopia) || !read_part(kopia, "username", &user) ||
        !read_part(kopia, "hostname", &host))
        return KW_IDENTITY_UNKNOWN;
    const char *src_name = NULL, *src_ns = NULL;
    enum kw_identity_origin origin = KW_IDENTITY_FROM_OBJECT;
    if (!(user && host) &&
        !default_source(kind, name, namespace, kopia, &src_name, &src_ns, &origin))
        return KW_IDENTITY_UNKNOWN;

    out->username = user ? strdup(user) : kw_identity_username(src_name, src_ns, scheme);
    out->hostname = host ? strdup(host) : kw_identity_hostname(src_ns);
    out->username_origin = user ? KW_IDENTITY_FROM_FIELD : origin;
    out->hostname_origin = host ? KW_IDENTITY_FROM_FIELD : origin;
    if (out->username && out->hostname)
        return KW_IDENTITY_OK;
    kw_identity_free(out);
    return KW_IDENTITY_NOMEM;
}
