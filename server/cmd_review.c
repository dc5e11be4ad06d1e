/* `kopia-webhook review [--mutate]`: one AdmissionReview on stdin, exactly
 * the server's answer on stdout (exit 0); where the server would answer
 * HTTP 400 the reason goes to stderr and the exit status is 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/server/cli.h"
#include "kw/server/readfile.h"
#include "kw/admission/core.h"
#include "kw/server/runtime.h"
#include "kw/server/server.h"

int kw_cmd_review(int argc, char **argv)
{
    enum kw_webhook hook = KW_HOOK_VALIDATE;
    const char *config_path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--mutate") == 0) {
            hook = KW_HOOK_MUTATE;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else {
            fprintf(stderr,
                    "kopia-webhook review: unknown argument '%s'\n"
                    "usage: kopia-webhook review [--mutate] [--config FILE] < review.json\n",
                    argv[i]);
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
