/* Integration-test support for the memory and latency bounds: the server
 * process's resident set (VmRSS) and its peak (VmHWM) from /proc, whether
 * such figures mean anything in this build, and the served latency of one
 * legitimate review on a fresh connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwtest.h"

#if defined(__SANITIZE_ADDRESS__)
#define KWT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KWT_SANITIZED 1
#endif
#endif
#ifndef KWT_SANITIZED
#define KWT_SANITIZED 0
#endif

bool kwt_sanitized(void)
{
    return KWT_SANITIZED;
}

bool kwt_memory_measurable(void)
{
    const char *w = getenv("KW_SERVER_WRAPPER");
    return !KWT_SANITIZED && !(w && *w);
}

long kwt_proc_status_kib(pid_t pid, const char *field)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    size_t flen = strlen(field);
    long kib = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            kib = strtol(line + flen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

long long kwt_legit_review_ms(const struct kwt_server *s, long *status)
{
    CURL *c = kwt_curl(s);
    char *body = kwt_review("admission.k8s.io/v1", "uid-legit", "ConfigMap");
    long long t0 = kwt_now_ms();
    struct kwt_response r;
    CURLcode rc = c && body
                      ? kwt_post(c, s, "/validate", "application/json", body, strlen(body), &r)
                      : CURLE_FAILED_INIT;
    long long ms = kwt_now_ms() - t0;
    *status = rc == CURLE_OK ? r.status : -1;
    if (rc == CURLE_OK)
        kwt_response_free(&r);
    free(body);
    if (c)
        curl_easy_cleanup(c);
    return ms;
}
