/* The Kopia identity (username@hostname) of a ReplicationSource or
 * ReplicationDestination (docs/operator.md §a): what the
 * VolSync operator computes when an object sets no username/hostname (its
 * generateUsername/generateHostname, byte for byte), the value the webhook
 * pins under each identity scheme, and the effective identity of an object
 * (explicit fields, else what the operator computes: from sourceIdentity on
 * an RD whose sourceIdentity has a sourceName, else from the object itself).
 * The mutate path, the identity annotation, the identity warnings, the UPDATE
 * rules and `check` all use these functions, so they always agree. Pure. */
#ifndef KW_IDENTITY_H
#define KW_IDENTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kw/kopia/config.h"
#include "kw/base/kinds.h"

/* The operator's maxUsernameLength: longer computed usernames are cut. */
#define KW_IDENTITY_USERNAME_MAX 50
/* The operator's defaultUsername: what a part becomes when nothing is left
 * after sanitising. */
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

/* The operator's sanitizeForIdentifier. `out` must hold strlen(s) + 1
 * bytes; returns the length written. Username: keeps [A-Za-z0-9_-] and trims
 * leading/trailing '-' and '_'. Hostname: maps '_' to '-', keeps
 * [A-Za-z0-9.-] and trims leading/trailing '-' and '.'. Case is kept; every
 * other byte (non-ASCII included) is dropped. (kw_identity_effective also
 * reads JSON strings with NUL bytes in them, which are dropped likewise.) */
size_t kw_identity_sanitize_username(const char *s, char *out);
size_t kw_identity_sanitize_hostname(const char *s, char *out);

/* The username the webhook computes for an object `name` in `namespace`
 * under `scheme`:
 *   object-name: the operator's generateUsername: sanitise(name), "" ->
 *     "volsync-default", then cut to 50 bytes with NO trim after the cut (the
 *     result may end in '-' or '_'); the namespace is not used;
 *   name-namespace: sanitise(name) "-" sanitise(namespace) while that is at
 *     most 50 characters (an empty part is left out with its dash), else
 *     sanitise(name) cut to 50 and re-trimmed; "" -> "volsync-default".
 * malloc'd, caller frees; NULL only on allocation failure. */
char *kw_identity_username(const char *name, const char *namespace, enum kw_identity_scheme scheme);
/* The operator's generateHostname (the same under both schemes): the
 * sanitised namespace, else the sanitised name, else "volsync-default".
 * malloc'd, caller frees; NULL only on allocation failure. */
char *kw_identity_hostname(const char *namespace, const char *name);

/* True when `part` can be written into spec.kopia.username/hostname: the
 * CRD's pattern ^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$ or one alphanumeric.
 * The operator's own username fails it when its 50-byte cut ends in '-'/'_'. */
bool kw_identity_pinnable(const char *part);

enum kw_identity_status {
    KW_IDENTITY_OK,      /* `out` filled; free with kw_identity_free */
    KW_IDENTITY_UNKNOWN, /* not determinable (see below); `out` owns nothing */
    KW_IDENTITY_NOMEM,   /* allocation failure; `out` owns nothing */
};

/* The identity the operator uses for an RS/RD `object` (borrowed) named
 * `name` in `namespace` ("" = unknown), part by part: a non-empty string
 * spec.kopia.username/hostname as written; otherwise, on an RD whose
 * spec.kopia.sourceIdentity has a non-empty sourceName, what the operator's
 * discovery computes: username from sourceName, hostname from sourceNamespace
 * (which defaults to `namespace` when absent or "") falling back to
 * sourceName; otherwise the operator's default for the object itself (a
 * sourceIdentity without sourceName is ignored, as the operator ignores it).
 * Always the operator's rule (object-name), whatever the configured scheme:
 * a part the object does not write is computed by the operator.
 * UNKNOWN when a part is needed from an unknown name or namespace, or when a
 * field read has the wrong JSON type. */
enum kw_identity_status kw_identity_effective(enum kw_kind kind, const char *name,
                                              const char *namespace, const json_t *object,
                                              struct kw_identity *out);
/* As kw_identity_effective with username and hostname ignored: the
 * operator's default for the object (what sourceIdentity restores look for
 * when it is an RS). */
enum kw_identity_status kw_identity_operator_default(enum kw_kind kind, const char *name,
                                                     const char *namespace, const json_t *object,
                                                     struct kw_identity *out);

/* "username@hostname". malloc'd, caller frees; NULL on allocation failure. */
char *kw_identity_string(const struct kw_identity *id);

void kw_identity_free(struct kw_identity *id);

#endif
