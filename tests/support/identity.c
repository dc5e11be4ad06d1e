/* Test helper: the default identity, both parts at once (see identity.h). */
#include "identity.h"

int kwt_identity_default(const char *name, const char *namespace, enum kw_identity_scheme scheme,
                         struct kw_identity *out)
{
    *out = (struct kw_identity){
        .username = kw_identity_username(name, namespace, scheme),
        .hostname = kw_identity_hostname(namespace, name),
        .username_origin = KW_IDENTITY_FROM_OBJECT,
        .hostname_origin = KW_IDENTITY_FROM_OBJECT,
    };
    if (out->username && out->hostname)
        return 0;
    kw_identity_free(out);
    return -1;
}
