/* `kopia-webhook gen-certs --service NAME --namespace NS --out DIR
 * [--host H]... [--days N] [--force]`: flag parsing for kw_certs_generate
 * (server/certs_generate.c), which does the work with OpenSSL, and its help
 * (docs/cli.md holds the same text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/certs_generate.h"
#include "kw/server/cli.h"

static const char help_text[] =
    "usage: kopia-webhook gen-certs --service NAME --namespace NS --out DIR [--host H]...\n"
    "                               [--days N] [--force]\n"
    "\n"
    "Writes a CA (ca.crt, ca.key) and a serving certificate signed by it (tls.crt,\n"
    "tls.key) for the webhook's Service, and caBundle (base64 of ca.crt) for the\n"
    "webhook configurations. An existing CA in DIR is reused.\n"
    "\n"
    "flags:\n"
    "  --service NAME     the webhook's Service (a DNS-1123 label); the certificate\n"
    "                     names NAME.NS.svc and NAME.NS.svc.cluster.local\n"
    "  --namespace NS     the Service's namespace (a DNS-1123 label)\n"
    "  --out DIR          where the files go (created, mode 0700, when missing)\n"
    "  --host H           one more name or IP address in the certificate; repeatable\n"
    "  --days N           validity of the serving certificate, 1 to 3650 (default 365)\n"
    "  --force            replace an existing tls.crt and tls.key (rotation)\n"
    "  -h, --help         print this help\n"
    "\n"
    "exit status:\n"
    "  0  written\n"
    "  1  not written: an invalid name, certificates already there (without\n"
    "     --force), or a file that cannot be written\n"
    "  2  usage error (unknown flag, missing value or required flag)\n"
    "\n"
    "example:\n"
    "  kopia-webhook gen-certs --service kopia-webhook --namespace kopia-webhook \\\n"
    "      --out manifests/overlays/gen-certs\n";

static int usage(const char *why)
{
    fprintf(stderr, "kopia-webhook gen-certs: %s\n", why);
    fputs(help_text, stderr);
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
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help_text, stdout);
            return 0;
        }
        bool takes_value = strcmp(a, "--service") == 0 || strcmp(a, "--namespace") == 0 ||
                           strcmp(a, "--out") == 0 || strcmp(a, "--host") == 0 ||
                           strcmp(a, "--days") == 0;
        if (strcmp(a, "--force") == 0) {
            o.force = true;
            continue;
        }
        if (!takes_value) {
            char msg[160];
            snprintf(msg, sizeof(msg), "unknown flag '%.100s'", a);
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
