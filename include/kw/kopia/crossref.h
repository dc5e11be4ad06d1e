/* Cross-object checks over a whole set of manifests (what `kopia-webhook
 * check` reads), which the webhook, seeing one object at a time, cannot do:
 * a ReplicationDestination's sourceIdentity against the ReplicationSource it
 * names (present, same identity and path), the repository Secret's keys, the
 * policyConfig files and the customCA key. Only warnings, each naming both
 * objects, and only about objects that are in the set or clearly should be
 * (docs/rules.md "Cross-object checks"). Values of Secrets are never read
 * into a message: only their key names are looked at. Pure. */
#ifndef KW_KOPIA_CROSSREF_H
#define KW_KOPIA_CROSSREF_H

#include <jansson.h>
#include <stddef.h>

#include "kw/base/kinds.h"
#include "kw/decision/result.h"

/* One object of the set. Every pointer is borrowed for the duration of the
 * call. */
struct kw_crossref_object {
    enum kw_kind kind;     /* KW_KIND_OTHER for kinds the webhook does not judge */
    const char *kind_name; /* as written: "Secret", "SealedSecret", ... */
    const char *namespace; /* as the object will be created: its own, else the default */
    const char *name;      /* "" when unknown (generateName) */
    /* The object after defaulting for RS, RD and KM (the patched object `check`
     * validated); as written for every other kind. NULL: only the name is known. */
    const json_t *object;
};

/* Runs every cross-object check over `objects` (n of them) and appends the
 * warnings about objects[i] to results[i] (borrowed, initialised by the
 * caller, n of them). An allocation failure marks the result concerned
 * out_of_memory, as every rule module does. */
void kw_crossref_check(const struct kw_crossref_object *objects, size_t n,
                       struct kw_result *results);

#endif
