/* `kopia-webhook gen-certs`: flag parsing for its two modes. Files:
 * `--service NAME --namespace NS --out DIR [--host H]... [--days N]
 * [--force]` (kw_certs_generate, server/certs_generate.c). In the cluster:
 * `--renew --service NAME --namespace NS [--secret S] [--ca-secret S]
 * [--renew-before DAYS] [--days N] [--api-server URL] [--token-file F]
 * [--api-ca-file F] [--timeout SECONDS]` (kw_certs_rotate,
 * server/certs_rotate.c), which logs one line per run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kw/formats/formats.h"
#include "kw/server/certs_generate.h"
#include "kw/server/certs_renew.h"
#include "kw/server/certs_rotate.h"
#include "kw/server/cli.h"
#include "kw/server/log.h"

#define SA_DIR            "/var/run/secrets/kubernetes.io/serviceaccount"
#define MAX_TIMEOUT_SEC   300
#define DEFAULT_TIMEOUT_S (KW_KUBE_DEFAULT_TIMEOUT_MS / 1000)

/* The help: both modes, their flags, exit status and examples (docs/cli.md
 * holds the same text). */
static void print_usage(FILE *to)
{
    fprintf(to,
            "usage: kopia-webhook gen-certs --service NAME --namespace NS --out DIR [--host H]...\n"
            "                               [--days N] [--force]\n"
            "       kopia-webhook gen-certs --renew --service NAME --namespace NS [--secret NAME]\n"
            "                               [--ca-secret NAME] [--renew-before DAYS] [--days N]\n"
            "                               [--api-server URL] [--token-file F] [--api-ca-file F]\n"
            "                               [--timeout SECONDS]\n"
            "\n"
            "Files: writes a CA (ca.crt, ca.key) and a serving certificate signed by it\n"
            "(tls.crt, tls.key) for the webhook's Service, and caBundle (base64 of ca.crt)\n"
            "for the webhook configurations. An existing CA in DIR is reused.\n"
            "\n"
            "--renew, in the cluster (a CronJob): reads the CA Secret and the serving Secret\n"
            "through the Kubernetes API and, when tls.crt is missing, unreadable, expiring,\n"
            "not signed by the CA, not matching tls.key or not covering NAME.NS.svc and\n"
            "NAME.NS.svc.cluster.local, writes a new pair signed by the CA (caBundle never\n"
            "changes). One log line per run says what was decided and why.\n"
            "\n"
            "flags:\n"
            "  --service NAME        the webhook's Service (a DNS-1123 label)\n"
            "  --namespace NS        its namespace (a DNS-1123 label)\n"
            "  --out DIR             where the files go (created, mode 0700, when missing)\n"
            "  --host H              one more name or IP address in the certificate; repeatable\n"
            "  --days N              validity of a new serving certificate, 1 to %d\n"
            "                        (default %d)\n"
            "  --force               replace an existing tls.crt and tls.key (the CA is kept)\n"
            "  --renew               renew in the cluster instead of writing files\n"
            "  --secret NAME         --renew: the serving Secret (default %s)\n"
            "  --ca-secret NAME      --renew: the CA Secret, with ca.crt and ca.key\n"
            "                        (default %s)\n"
            "  --renew-before DAYS   --renew: renew this many days before expiry (default %d)\n"
            "  --api-server URL      --renew: the API server (default\n"
            "                        https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)\n"
            "  --token-file F        --renew: bearer token (default " SA_DIR "/token)\n"
            "  --api-ca-file F       --renew: CA of the API server (default " SA_DIR "/ca.crt)\n"
            "  --timeout SECONDS     --renew: for each API request, 1 to %d (default %d)\n"
            "  -h, --help            print this help\n"
            "\n"
            "exit status:\n"
            "  0  written; with --renew: renewed, or still valid\n"
            "  1  not written: an invalid name, certificates already there (without\n"
            "     --force), a file that cannot be written; with --renew: any failure (the\n"
            "     log line names the Secret, the HTTP status and the API server's message)\n"
            "  2  usage error (unknown flag, missing value or required flag)\n"
            "\n"
            "examples:\n"
            "  kopia-webhook gen-certs --service kopia-webhook --namespace kopia-webhook \\\n"
            "      --out manifests/overlays/gen-certs\n"
            "  kopia-webhook gen-certs --renew --service kopia-webhook --namespace kopia-webhook\n",
            KW_CERTS_MAX_DAYS, KW_CERTS_DEFAULT_DAYS, KW_ROTATE_DEFAULT_SECRET,
            KW_ROTATE_DEFAULT_CA_SECRET, KW_RENEW_DEFAULT_BEFORE_DAYS, MAX_TIMEOUT_SEC,
            DEFAULT_TIMEOUT_S);
}

static int usage(const char *why)
{
    fprintf(stderr, "kopia-webhook gen-certs: %s\n", why);
    print_usage(stderr);
    return 2;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* Every flag of both modes, parsed into one place. */
struct flags {
    struct kw_gencerts_opts gen;
    const char *hosts[KW_CERTS_MAX_HOSTS];
    bool renew, help;
    const char *secret, *ca_secret, *api_server, *token_file, *api_ca_file;
    int renew_before, timeout_s;
    bool file_flags; /* --out, --host or --force given */
};

static bool takes_value(const char *a)
{
    static const char *const names[] = {"--service",    "--namespace",    "--out",
                                        "--host",       "--days",         "--secret",
                                        "--ca-secret",  "--renew-before", "--api-server",
                                        "--token-file", "--api-ca-file",  "--timeout"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(a, names[i]) == 0)
            return true;
    return false;
}

static int set_value(struct flags *f, const char *a, const char *v)
{
    if (strcmp(a, "--service") == 0)
        f->gen.service = v;
    else if (strcmp(a, "--namespace") == 0)
        f->gen.namespace = v;
    else if (strcmp(a, "--out") == 0)
        f->gen.out_dir = v, f->file_flags = true;
    else if (strcmp(a, "--days") == 0) {
        if (parse_int(v, 1, KW_CERTS_MAX_DAYS, &f->gen.days) != 0)
            return usage("--days takes a whole number of days from 1 to 3650");
    } else if (strcmp(a, "--renew-before") == 0) {
        if (parse_int(v, 1, KW_CERTS_MAX_DAYS, &f->renew_before) != 0)
            return usage("--renew-before takes a whole number of days from 1 to 3650");
    } else if (strcmp(a, "--timeout") == 0) {
        if (parse_int(v, 1, MAX_TIMEOUT_SEC, &f->timeout_s) != 0)
            return usage("--timeout takes a whole number of seconds from 1 to 300");
    } else if (strcmp(a, "--secret") == 0)
        f->secret = v;
    else if (strcmp(a, "--ca-secret") == 0)
        f->ca_secret = v;
    else if (strcmp(a, "--api-server") == 0)
        f->api_server = v;
    else if (strcmp(a, "--token-file") == 0)
        f->token_file = v;
    else if (strcmp(a, "--api-ca-file") == 0)
        f->api_ca_file = v;
    else if (f->gen.n_extra_hosts == KW_CERTS_MAX_HOSTS)
        return usage("too many --host flags");
    else {
        f->hosts[f->gen.n_extra_hosts++] = v;
        f->file_flags = true;
    }
    return 0;
}

static int parse_flags(int argc, char **argv, struct flags *f)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        char msg[160];
        if (strcmp(a, "--force") == 0) {
            f->gen.force = true;
            f->file_flags = true;
            continue;
        }
        if (strcmp(a, "--renew") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *(a[2] == 'r' ? &f->renew : &f->help) = true;
            continue;
        }
        if (!takes_value(a)) {
            snprintf(msg, sizeof(msg), "unknown flag '%s'", a);
            return usage(msg);
        }
        if (i + 1 >= argc) {
            snprintf(msg, sizeof(msg), "%s needs a value", a);
            return usage(msg);
        }
        int rc = set_value(f, a, argv[++i]);
        if (rc != 0)
            return rc;
    }
    f->gen.extra_hosts = f->hosts;
    return 0;
}

static int run_files(struct flags *f)
{
    if (f->secret || f->ca_secret || f->renew_before || f->api_server || f->token_file ||
        f->api_ca_file || f->timeout_s)
        return usage("--secret, --ca-secret, --renew-before, --api-server, --token-file, "
                     "--api-ca-file and --timeout need --renew");
    if (!f->gen.service || !f->gen.namespace || !f->gen.out_dir)
        return usage("--service, --namespace and --out are required");
    char err[512] = "";
    if (kw_certs_generate(&f->gen, err, sizeof(err)) != 0) {
        fprintf(stderr, "kopia-webhook gen-certs: %s\n", err);
        return 1;
    }
    printf("wrote %s/{ca.crt,ca.key,tls.crt,tls.key,caBundle}\n", f->gen.out_dir);
    return 0;
}

/* Names go into the API paths: DNS-1123 labels and subdomains only. */
static int check_names(const struct kw_rotate_opts *o)
{
    char msg[KW_MSGLEN], why[KW_MSGLEN + 200];
    const char *what = NULL, *val = NULL;
    if (!kw_dns1123_label_valid(o->namespace, msg, sizeof(msg)))
        what = "--namespace", val = o->namespace;
    else if (!kw_dns1123_label_valid(o->service, msg, sizeof(msg)))
        what = "--service", val = o->service;
    else if (!kw_dns1123_subdomain_valid(o->secret, msg, sizeof(msg)))
        what = "--secret", val = o->secret;
    else if (!kw_dns1123_subdomain_valid(o->ca_secret, msg, sizeof(msg)))
        what = "--ca-secret", val = o->ca_secret;
    if (!what)
        return 0;
    snprintf(why, sizeof(why), "%s: Invalid value: \"%s\": %s", what, val, msg);
    return usage(why);
}

/* https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT */
static int in_cluster_url(char *buf, size_t len)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host)
        return -1;
    bool v6 = strchr(host, ':') != NULL;
    snprintf(buf, len, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
             port && *port ? port : "443");
    return 0;
}

static int run_renew(struct flags *f)
{
    if (f->file_flags)
        return usage("--out, --host and --force do not apply to --renew");
    if (!f->gen.service || !f->gen.namespace)
        return usage("--renew needs --service and --namespace");
    struct kw_rotate_opts o = {
        .namespace = f->gen.namespace,
        .service = f->gen.service,
        .secret = f->secret ? f->secret : KW_ROTATE_DEFAULT_SECRET,
        .ca_secret = f->ca_secret ? f->ca_secret : KW_ROTATE_DEFAULT_CA_SECRET,
        .renew_before_days = f->renew_before ? f->renew_before : KW_RENEW_DEFAULT_BEFORE_DAYS,
        .days = f->gen.days ? f->gen.days : KW_CERTS_DEFAULT_DAYS,
        .kube = {.api_server = f->api_server,
                 .token_file = f->token_file ? f->token_file : SA_DIR "/token",
                 .ca_file = f->api_ca_file ? f->api_ca_file : SA_DIR "/ca.crt",
                 .timeout_ms = (f->timeout_s ? f->timeout_s : DEFAULT_TIMEOUT_S) * 1000}};
    if (check_names(&o) != 0)
        return 2;
    if (o.renew_before_days >= o.days)
        return usage("--renew-before must be fewer days than --days (or every run renews)");
    char url[300];
    if (!o.kube.api_server) {
        if (in_cluster_url(url, sizeof(url)) != 0)
            return usage("not in a cluster (KUBERNETES_SERVICE_HOST is unset): pass --api-server");
        o.kube.api_server = url;
    }
    struct kw_rotate_result res;
    int rc = kw_certs_rotate(&o, time(NULL), &res);
    char secret[300];
    snprintf(secret, sizeof(secret), "%s/%s", o.namespace, o.secret);
    kw_log(rc == 0 ? KW_LOG_INFO : KW_LOG_ERROR, res.message, KW_LS("secret", secret),
           KW_LS("outcome", rc != 0       ? "failed"
                            : res.renewed ? "renewed"
                                          : "valid"),
           KW_LEND);
    return rc == 0 ? 0 : 1;
}

int kw_cmd_gen_certs(int argc, char **argv)
{
    struct flags f;
    memset(&f, 0, sizeof(f));
    int rc = parse_flags(argc, argv, &f);
    if (rc != 0)
        return rc;
    if (f.help) {
        print_usage(stdout);
        return 0;
    }
    return f.renew ? run_renew(&f) : run_files(&f);
}
