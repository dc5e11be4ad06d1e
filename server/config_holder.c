/* The configuration holder (include/kw/server/server.h): the current read-only
 * kw_config behind a reference count, swapped atomically on reload. The
 * mutex only covers "read the current pointer and take a reference", a few
 * nanoseconds; the config's last user frees it outside the lock. */
#include "kw/server/server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct kw_config_ref {
    struct kw_config *cfg;
    atomic_uint refs;
    struct kw_config_holder *holder;
};

struct kw_config_holder {
    pthread_mutex_t lock;
    struct kw_config_ref *current; /* holds one reference */
    kw_config_free_fn free_fn;
    kw_config_load_fn load_fn;
    void *cls;
};

static struct kw_config_ref *ref_new(struct kw_config_holder *h, struct kw_config *cfg)
{
    struct kw_config_ref *r = malloc(sizeof(*r));
    if (!r)
        return NULL;
    r->cfg = cfg;
    atomic_init(&r->refs, 1);
    r->holder = h;
    return r;
}

struct kw_config_holder *kw_config_holder_new(struct kw_config *initial, kw_config_free_fn free_fn,
                                              kw_config_load_fn load_fn, void *cls)
{
    struct kw_config_holder *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->free_fn = free_fn;
    h->load_fn = load_fn;
    h->cls = cls;
    h->current = ref_new(h, initial);
    if (!h->current || pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h->current);
        free(h);
        return NULL;
    }
    return h;
}

void kw_config_release(struct kw_config_ref *ref)
{
    if (!ref)
        return;
    if (atomic_fetch_sub_explicit(&ref->refs, 1, memory_order_acq_rel) != 1)
        return;
    struct kw_config_holder *h = ref->holder;
    if (h->free_fn)
        h->free_fn(ref->cfg, h->cls);
    free(ref);
}

void kw_config_holder_free(struct kw_config_holder *h)
{
    if (!h)
        return;
    kw_config_release(h->current);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

const struct kw_config *kw_config_acquire(struct kw_config_holder *h,
                                          struct kw_config_ref **ref_out)
{
    pthread_mutex_lock(&h->lock);
    struct kw_config_ref *r = h->current;
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&h->lock);
    *ref_out = r;
    return r->cfg;
}

int kw_config_holder_swap(struct kw_config_holder *h, struct kw_config *next)
{
    struct kw_config_ref *r = ref_new(h, next);
    if (!r)
        return -1;
    pthread_mutex_lock(&h->lock);
    struct kw_config_ref *old = h->current;
    h->current = r;
    pthread_mutex_unlock(&h->lock);
    kw_config_release(old);
    return 0;
}

int kw_config_holder_reload(struct kw_config_holder *h, char *err, size_t errlen)
{
    if (!h->load_fn)
        return 1;
    struct kw_config *next = h->load_fn(h->cls, err, errlen);
    if (!next)
        return -1;
    if (kw_config_holder_swap(h, next) != 0) {
        if (h->free_fn)
            h->free_fn(next, h->cls);
        snprintf(err, errlen, "out of memory while swapping the configuration");
        return -1;
    }
    return 0;
}
