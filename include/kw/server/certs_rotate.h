/* Certificates, rotated in the cluster: `gen-certs --renew`
 * (server/certs_rotate.c) reads the CA Secret and the serving Secret
 * through the Kubernetes API, decides with kw_certs_renew_decide and, when
 * needed, writes a new serving pair signed by the CA back into the serving
 * Secret (a PUT carrying the resourceVersion it read, so a concurrent change
 * makes it fail rather than be lost). Messages never contain key material. */
#ifndef KW_CERTS_ROTATE_H
#define KW_CERTS_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kw/server/kubeclient.h"

#define KW_ROTATE_DEFAULT_SECRET    "kopia-webhook-tls"
#define KW_ROTATE_DEFAULT_CA_SECRET "kopia-webhook-ca"

/* Every pointer is borrowed for the call. */
struct kw_rotate_opts {
    const char *namespace; /* of the Service and both Secrets */
    const char *service;   /* the names to cover: SERVICE.NAMESPACE.svc[.cluster.local] */
    const char *secret;    /* the serving Secret (tls.crt, tls.key, ca.crt) */
    const char *ca_secret; /* the CA Secret (ca.crt, ca.key) */
    int renew_before_days; /* renew when tls.crt expires within this many days */
    int days;              /* validity of a new certificate; 0: KW_CERTS_DEFAULT_DAYS */
    struct kw_kube_config kube;
};

struct kw_rotate_result {
    bool renewed;
    char message[1024]; /* what was decided and why, or what failed */
};

/* One run. Returns 0 when the certificate was renewed or is still valid,
 * -1 on any failure (message names the Secret, the HTTP status and the API
 * server's Status message). `now` is the time the decision uses. */
int kw_certs_rotate(const struct kw_rotate_opts *o, time_t now, struct kw_rotate_result *res);

#endif
