/* `kopia-webhook review [--mutate]`: one AdmissionReview on stdin, exactly
 * the server's answer on stdout (exit 0); where the server would answer
 * HTTP 400 the reason goes to stderr and the exit status is 2. --help prints
 * the help (docs/cli.md holds the same text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/cli.h"
#include "kw/server/readfile.h"
#include "kw/admission/core.h"
#include "kw/server/runtime.h"
#include "kw/server/server.h"

static const char help_text[] =
    "usage: kopia-webhook review [--mutate] [--config FILE] < review.json\n"
    "\n"
    "Reads one AdmissionReview (admission.k8s.io/v1, JSON) from standard input and\n"
    "prints the AdmissionReview the server would answer, as one line of JSON.\n"
    "\n"
    "flags:\n"
    "  --mutate        answer as the mutating webhook (/mutate); without it, as the\n"
    "                  validating webhook (/validate)\n"
    "  --config FILE   the webhook's YAML config file (docs/operations.md)\n"
    "  -h, --help      print this help\n"
    "\n"
    "exit status:\n"
    "  0  answered (the answer says whether the object is allowed)\n"
    "  1  the server would fail the request (HTTP 5xx); the reason on stderr\n"
    "  2  the review is malformed or too large (the server's HTTP 400 or 413; the\n"
    "     reason on stderr), the config file is unreadable, or a usage error\n"
    "\n"
    "example:\n"
    "  kopia-webhook review --mutate < examples/review-replicationsource.json\n";

int kw_cmd_review(int argc, char **argv)
{
    enum kw_webhook hook = KW_HOOK_VALIDATE;
    const char *config_path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--mutate") == 0) {
            hook = KW_HOOK_MUTATE;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else {
            fprintf(stderr, "kopia-webhook review: %s '%s'\n",
                    strcmp(argv[i], "--config") == 0 ? "a file must follow" : "unknown flag",
                    argv[i]);
            fputs(help_text, stderr);
            return 2;
        }
    }
    struct kw_runtime rt;
    char err[512] = "";
    if (kw_runtime_init(&rt, config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "kopia-webhook review: %s\n", err);
        return 2;
    }
    size_t len = 0;
    char *body =
        kw_read_file("-", KW_READ_STREAM, KW_DEFAULT_MAX_BODY_BYTES, &len, err, sizeof(err));
    if (!body) {
        fprintf(stderr, "kopia-webhook review: %s\n", err);
        kw_runtime_free(&rt);
        return 2;
    }
    struct kw_outcome out;
    kw_handle(&rt.cfg, hook, body, len, &out);
    free(body);
    int status = 0;
    if (out.http_status == 200) {
        fwrite(out.body, 1, out.body_len, stdout);
        fputc('\n', stdout);
    } else {
        fprintf(stderr, "kopia-webhook review: %s", out.body ? out.body : "out of memory\n");
        status = out.http_status == 400 || out.http_status == 413 ? 2 : 1;
    }
    kw_outcome_free(&out);
    kw_runtime_free(&rt);
    return status;
}
