/* The Kopia identity (username@hostname) of a ReplicationSource or
 * ReplicationDestination (SPEC §5.1): the default computed from a name and a
 * namespace under either identity scheme, and the effective identity of an
 * object (explicit fields, else derived from sourceIdentity on an RD, else the
 * default). The mutate path, the identity annotation, the UPDATE rules and
 * `check` all use these functions, so they always agree. Pure. */
#ifndef KW_IDENTITY_H
#define KW_IDENTITY_H

#include <jansson.h>
#include <stddef.h>

#include "kw/kopia/config.h"
#include "kw/base/kinds.h"

/* The longest computed username; longer ones are cut (SPEC §5.1). */
#define KW_IDENTITY_USERNAME_MAX 50
/* What a part becomes when nothing is left after sanitising. */
#define KW_IDENTITY_FALLBACK "volsync-default"
/* The annotation holding the effective identity, and its JSON Pointer token
 * (RFC 6901: "/" is written "~1"). */
#define KW_IDENTITY_ANNOTATION         "kopia-webhook.io/identity"
#define KW_IDENTITY_ANNOTATION_POINTER "/metadata/annotations/kopia-webhook.io~1identity"

/* Where one part of an effective identity came from. */
enum kw_identity_origin {
    KW_IDENTITY_FROM_FIELD,           /* spec.kopia.username / hostname as written */
    KW_IDENTITY_FROM_OBJECT,          /* computed from the object's name and namespace */
    KW_IDENTITY_FROM_SOURCE_IDENTITY, /* RD: computed from spec.kopia.sourceIdentity */
};

struct kw_identity {
    char *username; /* owned */
    char *hostname; /* owned */
    enum kw_identity_origin username_origin, hostname_origin;
};

/* Sanitising (SPEC §5.1). `out` must hold strlen(s) + 1 bytes; returns the
 * length written. Username: keeps [A-Za-z0-9_-]. Hostname: maps '_' to '-'
 * and keeps [A-Za-z0-9.-]. Both trim leading and trailing separators. */
size_t kw_identity_sanitize_username(const char *s, char *out);
size_t kw_identity_sanitize_hostname(const char *s, char *out);

/* The default username for an object `name` in `namespace` under `scheme`
 * (name-namespace: "<name>-<namespace>" while at most 50 characters, else the
 * name cut to 50; object-name: the name cut to 50; trailing separators are
 * trimmed after a cut; empty -> "volsync-default"). malloc'd, caller frees;
 * NULL only on allocation failure. */
char *kw_identity_username(const char *name, const char *namespace, enum kw_identity_scheme scheme);
/* The default hostname: the sanitised namespace, or "volsync-default".
 * malloc'd, caller frees; NULL only on allocation failure. */
char *kw_identity_hostname(const char *namespace);

enum kw_identity_status {
    KW_IDENTITY_OK,      /* `out` filled; free with kw_identity_free */
    KW_IDENTITY_UNKNOWN, /* not determinable (see below); `out` owns nothing */
    KW_IDENTITY_NOMEM,   /* allocation failure; `out` owns nothing */
};

/* The effective identity of an RS/RD `object` (borrowed) named `name` in
 * `namespace` ("" = unknown): a non-empty string spec.kopia.username or
 * hostname as written; otherwise, on an RD with spec.kopia.sourceIdentity,
 * the default identity of sourceName in sourceNamespace (which defaults to
 * `namespace`); otherwise the default identity of the object itself.
 * UNKNOWN when a part is needed from an unknown name or namespace, when
 * sourceIdentity has no sourceName, or when a field read has the wrong
 * JSON type. */
enum kw_identity_status kw_identity_effective(enum kw_kind kind, const char *name,
                                              const char *namespace, const json_t *object,
                                              enum kw_identity_scheme scheme,
                                              struct kw_identity *out);

/* "username@hostname". malloc'd, caller frees; NULL on allocation failure. */
char *kw_identity_string(const struct kw_identity *id);

void kw_identity_free(struct kw_identity *id);

#endif
