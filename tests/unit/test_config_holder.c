/* The configuration holder (include/kw/server/server.h): references keep a config
 * alive across a swap, the last reference frees it, a failed reload keeps
 * the current one, and concurrent readers never see a freed config. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/server.h"

static atomic_int freed;

static void free_cfg(struct kw_config *cfg, void *cls)
{
    (void)cls;
    atomic_fetch_add(&freed, 1);
    free(cfg);
}

/* A config told apart from the others by `tag`, kept in a count field (no
 * array behind it: free_cfg frees only the struct). */
static struct kw_config *new_cfg(size_t tag)
{
    struct kw_config *c = malloc(sizeof(*c));
    kw_config_defaults(c);
    c->n_extra_forbidden_args = tag;
    return c;
}

static int loads;
static struct kw_config *load_ok(void *cls, char *err, size_t errlen)
{
    (void)cls;
    (void)err;
    (void)errlen;
    return new_cfg((size_t)++loads * 1000);
}

static struct kw_config *load_bad(void *cls, char *err, size_t errlen)
{
    (void)cls;
    snprintf(err, errlen, "config.yaml: line 3, column 1: unknown key");
    return NULL;
}

Test(config_holder, a_reference_outlives_a_swap)
{
    atomic_store(&freed, 0);
    struct kw_config_holder *h = kw_config_holder_new(new_cfg(1), free_cfg, NULL, NULL);
    struct kw_config_ref *ref;
    const struct kw_config *c = kw_config_acquire(h, &ref);
    cr_expect_eq(c->n_extra_forbidden_args, 1);
    cr_assert_eq(kw_config_holder_swap(h, new_cfg(2)), 0);
    cr_expect_eq(atomic_load(&freed), 0, "freed while referenced");
    cr_expect_eq(c->n_extra_forbidden_args, 1);
    struct kw_config_ref *ref2;
    cr_expect_eq(kw_config_acquire(h, &ref2)->n_extra_forbidden_args, 2);
    kw_config_release(ref);
    cr_expect_eq(atomic_load(&freed), 1);
    kw_config_release(ref2);
    kw_config_holder_free(h);
    cr_expect_eq(atomic_load(&freed), 2);
}

Test(config_holder, reload_swaps_or_keeps_the_current_config)
{
    atomic_store(&freed, 0);
    loads = 0;
    struct kw_config_holder *h = kw_config_holder_new(new_cfg(1), free_cfg, load_ok, NULL);
    char err[256];
    cr_expect_eq(kw_config_holder_reload(h, err, sizeof(err)), 0);
    struct kw_config_ref *ref;
    cr_expect_eq(kw_config_acquire(h, &ref)->n_extra_forbidden_args, 1000);
    kw_config_release(ref);
    kw_config_holder_free(h);

    h = kw_config_holder_new(new_cfg(7), free_cfg, load_bad, NULL);
    cr_expect_eq(kw_config_holder_reload(h, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "config.yaml: line 3, column 1: unknown key");
    cr_expect_eq(kw_config_acquire(h, &ref)->n_extra_forbidden_args, 7);
    kw_config_release(ref);
    kw_config_holder_free(h);

    struct kw_config fixed;
    kw_config_defaults(&fixed);
    h = kw_config_holder_new(&fixed, NULL, NULL, NULL);
    cr_expect_eq(kw_config_holder_reload(h, err, sizeof(err)), 1, "no loader: nothing to do");
    kw_config_holder_free(h);
}

struct race {
    struct kw_config_holder *h;
    atomic_bool stop;
};

static void *reader(void *cls)
{
    struct race *r = cls;
    for (int i = 0; i < 200000 && !atomic_load(&r->stop); i++) {
        struct kw_config_ref *ref;
        const struct kw_config *c = kw_config_acquire(r->h, &ref);
        /* A freed config would be caught by AddressSanitizer/valgrind here. */
        cr_assert_geq(c->n_extra_forbidden_args, 1);
        kw_config_release(ref);
    }
    return NULL;
}

Test(config_holder, concurrent_readers_and_swaps)
{
    atomic_store(&freed, 0);
    struct race r = {.h = kw_config_holder_new(new_cfg(1), free_cfg, NULL, NULL)};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, reader, &r);
    for (int i = 0; i < 2000; i++)
        cr_assert_eq(kw_config_holder_swap(r.h, new_cfg((size_t)i + 2)), 0);
    atomic_store(&r.stop, true);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    cr_expect_eq(atomic_load(&freed), 2000);
    kw_config_holder_free(r.h);
    cr_expect_eq(atomic_load(&freed), 2001);
}
