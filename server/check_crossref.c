/* `check`'s set of objects (server/check_internal.h): every object read is
 * kept, with its verdict when it was judged, until the last input; then the
 * cross-object checks of the core (include/kw/kopia/crossref.h) run once
 * over the whole set, their warnings join each object's validate result, and
 * the objects are reported in input order. */
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "kw/base/dynbuf.h"
#include "kw/kopia/crossref.h"

struct kw_check_entry {
    struct kw_check_place at; /* at.file owned */
    struct kw_review rv;      /* strings borrowed from `object`, `group` and the run */
    char *group;              /* owned */
    json_t *object;           /* owned reference */
    struct kw_check_verdict v;
    bool judged;
};

struct kw_check_set {
    struct kw_check_entry **items;
    size_t len, cap;
};

static void entry_free(struct kw_check_entry *e)
{
    if (!e)
        return;
    if (e->judged) {
        kw_result_free(&e->v.mutated);
        kw_result_free(&e->v.validated);
        json_decref(e->v.patched);
    }
    json_decref(e->object);
    free(e->group);
    free((char *)e->at.file);
    free(e);
}

static void report_now(struct kw_check_run *run, const struct kw_check_place *at,
                       const struct kw_review *rv, struct kw_check_verdict *v)
{
    if (!v)
        return;
    kw_check_report_object(run, at, rv, v);
    kw_result_free(&v->mutated);
    kw_result_free(&v->validated);
    json_decref(v->patched);
}

void kw_check_keep(struct kw_check_run *run, const struct kw_check_place *at,
                   const struct kw_review *rv, json_t *object, struct kw_check_verdict *v)
{
    if (!run->set)
        run->set = calloc(1, sizeof(*run->set));
    struct kw_check_set *set = run->set;
    struct kw_check_entry *e = calloc(1, sizeof(*e));
    char *file = e ? strdup(at->file) : NULL;
    char *group = file ? strdup(rv->kind_group ? rv->kind_group : "") : NULL;
    if (!set || !group || KW_ARRAY_RESERVE(set->items, set->cap, set->len + 1)) {
        free(group);
        free(file);
        free(e);
        report_now(run, at, rv, v);
        return;
    }
    e->at = *at;
    e->at.file = file;
    e->group = group;
    e->rv = *rv;
    e->rv.kind_group = group;
    e->object = json_incref(object);
    e->judged = v != NULL;
    if (v)
        e->v = *v;
    set->items[set->len++] = e;
}

/* The cross-object checks over the set; their warnings go to each judged
 * object's validate result. They are advice: running out of memory here
 * loses warnings, never changes a verdict (the counts are already made). */
static void cross_check(struct kw_check_set *set)
{
    struct kw_crossref_object *objs = calloc(set->len, sizeof(*objs));
    struct kw_result *found = calloc(set->len, sizeof(*found));
    if (!objs || !found) {
        free(objs);
        free(found);
        return;
    }
    for (size_t i = 0; i < set->len; i++) {
        const struct kw_check_entry *e = set->items[i];
        objs[i] = (struct kw_crossref_object){
            .kind = e->rv.kind,
            .kind_name = e->rv.kind_name,
            .namespace = e->rv.namespace,
            .name = e->rv.name,
            .object = e->judged && e->v.patched ? e->v.patched : e->object,
        };
        kw_result_init(&found[i]);
    }
    kw_crossref_check(objs, set->len, found);
    for (size_t i = 0; i < set->len; i++) {
        struct kw_check_entry *e = set->items[i];
        struct kw_result *to = &e->v.validated;
        for (size_t w = 0; e->judged && w < found[i].nwarnings; w++)
            kw_result_warn(to, found[i].warnings[w].rule_id, "%s", found[i].warnings[w].text);
        kw_result_free(&found[i]);
    }
    free(found);
    free(objs);
}

void kw_check_flush(struct kw_check_run *run)
{
    struct kw_check_set *set = run->set;
    if (!set)
        return;
    cross_check(set);
    for (size_t i = 0; i < set->len; i++) {
        struct kw_check_entry *e = set->items[i];
        if (e->judged)
            kw_check_report_object(run, &e->at, &e->rv, &e->v);
        entry_free(e);
    }
    free(set->items);
    free(set);
    run->set = NULL;
}
