/* Test helper: both parts of an object's default Kopia identity at once, from
 * the identity module's kw_identity_username and kw_identity_hostname (the
 * product computes the parts one by one, see kw_identity_effective). */
#ifndef KW_TEST_IDENTITY_H
#define KW_TEST_IDENTITY_H

#include "kw/kopia/identity.h"

/* The default identity of an object `name` in `namespace` under `scheme`,
 * both parts from the object (KW_IDENTITY_FROM_OBJECT). Returns 0, or -1 on
 * allocation failure (`out` then owns nothing). Free with kw_identity_free. */
int kwt_identity_default(const char *name, const char *namespace, enum kw_identity_scheme scheme,
                         struct kw_identity *out);

#endif
