/* The kinds of object and the admission operations the core tells apart,
 * with their names: one list each (X-macros), from which the enums, the
 * review codec's lookups, the rule table's kind bits and the metrics labels
 * all come. Lowest layer: includes nothing of the project. */
#ifndef KW_BASE_KINDS_H
#define KW_BASE_KINDS_H

#include <stddef.h>

/* X(ID, API group, kind, Kubernetes' GroupKind.String()). OTHER stays first
 * so that a zeroed review is of no kind the webhook handles. */
#define KW_KIND_LIST(X)                                                                            \
    X(OTHER, "", "other", "")                                                                      \
    X(RS, "volsync.backube", "ReplicationSource", "ReplicationSource.volsync.backube")             \
    X(RD, "volsync.backube", "ReplicationDestination", "ReplicationDestination.volsync.backube")   \
    X(KM, "volsync.backube", "KopiaMaintenance", "KopiaMaintenance.volsync.backube")               \
    X(CONFIGMAP, "", "ConfigMap", "ConfigMap")                                                     \
    X(SECRET, "", "Secret", "Secret")

enum kw_kind {
#define KW_X_KIND_ENUM(id, group, kind, qualified) KW_KIND_##id,
    KW_KIND_LIST(KW_X_KIND_ENUM)
#undef KW_X_KIND_ENUM
        KW_KIND_COUNT
};

/* X(ID, request.operation as sent). OTHER takes every other operation. */
#define KW_OPERATION_LIST(X)                                                                       \
    X(CREATE, "CREATE")                                                                            \
    X(UPDATE, "UPDATE")                                                                            \
    X(DELETE, "DELETE")                                                                            \
    X(CONNECT, "CONNECT")                                                                          \
    X(OTHER, "other")

enum kw_operation {
#define KW_X_OP_ENUM(id, name) KW_OP_##id,
    KW_OPERATION_LIST(KW_X_OP_ENUM)
#undef KW_X_OP_ENUM
        KW_OP_COUNT
};

/* Maps request.kind (group, kind) to a kind; KW_KIND_OTHER when unknown or
 * NULL. */
enum kw_kind kw_kind_of(const char *group, const char *kind);
/* The kind's name ("ReplicationSource"; "other" for KW_KIND_OTHER and for
 * out-of-range values): the metrics label. Static. */
const char *kw_kind_label(enum kw_kind kind);
/* Kubernetes' qualified name ("ReplicationSource.volsync.backube", "Secret")
 * used in Status messages; "" for KW_KIND_OTHER. Static. */
const char *kw_kind_qualified(enum kw_kind kind);

/* Maps request.operation to an operation; KW_OP_OTHER when unknown. */
enum kw_operation kw_operation_of(const char *name);
/* "CREATE", ..., "other": the metrics label. Static. */
const char *kw_operation_label(enum kw_operation op);

#endif
