/* Kubernetes field paths built incrementally while walking an object:
 * `spec.kopia.additionalArgs[2]`, `spec.kopia.moverPodLabels[app]`. One
 * buffer per walk (inline up to 256 bytes, grown on the heap past that), so
 * descending into a field costs no allocation in the common case. */
#ifndef KW_FIELDPATH_H
#define KW_FIELDPATH_H

#include <stdbool.h>
#include <stddef.h>

#define KW_FIELDPATH_INLINE 256

struct kw_fieldpath {
    char *buf; /* NUL-terminated path; points at `inline_buf` or the heap */
    size_t len, cap;
    bool out_of_memory; /* a push could not grow the buffer (path is cut) */
    char inline_buf[KW_FIELDPATH_INLINE];
};

/* Starts a path at `base` ("spec", or "" for none). The struct must not be
 * copied or moved afterwards (buf may point into it). */
void kw_fieldpath_init(struct kw_fieldpath *p, const char *base);
void kw_fieldpath_free(struct kw_fieldpath *p);

/* Each push returns a mark to hand to kw_fieldpath_pop to undo it. */
size_t kw_fieldpath_push_field(struct kw_fieldpath *p, const char *name); /* ".name" */
size_t kw_fieldpath_push_key(struct kw_fieldpath *p, const char *key);    /* "[key]" */
size_t kw_fieldpath_push_index(struct kw_fieldpath *p, size_t index);     /* "[2]" */
void kw_fieldpath_pop(struct kw_fieldpath *p, size_t mark);

#endif
