/* `kopia-webhook gen-certs --service NAME --namespace NS --out DIR
 * [--host H]... [--days N] [--force]`: flag parsing for kw_certs_generate
 * (server/certs_generate.c), which does the work with OpenSSL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/certs_generate.h"
#include "kw/server/cli.h"

static int usage(const char *why)
{
    fprintf(stderr,
            "kopia-webhook gen-certs: %s\n"
            "usage: kopia-webhook gen-certs --service NAME --namespace NS --out DIR "
            "[--host H]... [--days N] [--force]\n",
            why);
    return 2;
}

static int parse_days(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > KW_CERTS_MAX_DAYS)
        return -1;
    *out = (int)v;
    return 0;
}

int kw_cmd_gen_certs(int argc, char **argv)
{
    struct kw_gencerts_opts o = {0};
    const char *hosts[KW_CERTS_MAX_HOSTS];
    size_t nhosts = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool takes_value = strcmp(a, "--service") == 0 || strcmp(a, "--namespace") == 0 ||
                           strcmp(a, "--out") == 0 || strcmp(a, "--host") == 0 ||
                           strcmp(a, "--days") == 0;
        if (strcmp(a, "--force") == 0) {
            o.force = true;
            continue;
        }
        if (!takes_value) {
            char msg[160];
            snprintf(msg, sizeof(msg), "unknown argument '%s'", a);
            return usage(msg);
        }
        if (i + 1 >= argc) {
            char msg[160];
            snprintf(msg, sizeof(msg), "%s needs a value", a);
            return usage(msg);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--service") == 0)
            o.service = v;
        else if (strcmp(a, "--namespace") == 0)
            o.namespace = v;
        else if (strcmp(a, "--out") == 0)
            o.out_dir = v;
        else if (strcmp(a, "--days") == 0) {
            if (parse_days(v, &o.days) != 0)
                return usage("--days takes a whole number of days from 1 to 3650");
        } else if (nhosts == KW_CERTS_MAX_HOSTS)
            return usage("too many --host flags");
        else
            hosts[nhosts++] = v;
    }
    if (!o.service || !o.namespace || !o.out_dir)
        return usage("--service, --namespace and --out are required");
    o.extra_hosts = hosts;
    o.n_extra_hosts = nhosts;
    char err[512] = "";
    if (kw_certs_generate(&o, err, sizeof(err)) != 0) {
        fprintf(stderr, "kopia-webhook gen-certs: %s\n", err);
        return 1;
    }
    printf("wrote %s/{ca.crt,ca.key,tls.crt,tls.key,caBundle}\n", o.out_dir);
    return 0;
}
