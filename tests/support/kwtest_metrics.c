/* Test support: a strict parser of the Prometheus text exposition format
 * 0.0.4 (see kwtest.h), written from the format's description so that it
 * checks the server's output rather than sharing its code. */
#include <criterion/criterion.h>

#include "kwtest.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct family {
    char name[128];
    char type[16];
    bool help;
};

struct parser {
    struct family fams[64];
    int nfams;
    struct kwt_metrics *m;
    char *err;
    size_t errlen;
    int line;
    /* Histogram series in progress. */
    char hist_key[1024];
    double hist_last;
    bool hist_inf_seen;
    double hist_inf;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "line %d: %s", p->line, msg);
    return -1;
}

static bool name_char(char c, bool first)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':' ||
           (!first && isdigit((unsigned char)c));
}

static const char *read_name(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    if (!name_char(*s, true))
        return NULL;
    while (name_char(*s, n == 0) && n + 1 < cap)
        out[n++] = *s++;
    out[n] = '\0';
    return s;
}

static struct family *family(struct parser *p, const char *name)
{
    for (int i = 0; i < p->nfams; i++)
        if (strcmp(p->fams[i].name, name) == 0)
            return &p->fams[i];
    return NULL;
}

static int comment(struct parser *p, const char *s)
{
    char name[128];
    bool is_help = strncmp(s, "# HELP ", 7) == 0, is_type = strncmp(s, "# TYPE ", 7) == 0;
    if (!is_help && !is_type)
        return 0; /* a plain comment */
    const char *rest = read_name(s + 7, name, sizeof(name));
    if (!rest || (*rest != ' ' && *rest != '\0'))
        return fail(p, "bad metric name in %s", is_help ? "HELP" : "TYPE");
    struct family *f = family(p, name);
    if (!f) {
        if (p->nfams == 64)
            return fail(p, "too many families");
        f = &p->fams[p->nfams++];
        memset(f, 0, sizeof(*f));
        snprintf(f->name, sizeof(f->name), "%s", name);
    }
    if (is_help) {
        if (f->help)
            return fail(p, "second HELP for %s", name);
        f->help = true;
        return 0;
    }
    if (f->type[0])
        return fail(p, "second TYPE for %s", name);
    const char *t = rest + (*rest == ' ');
    static const char *const types[] = {"counter", "gauge", "histogram", "summary", "untyped"};
    for (size_t i = 0; i < 5; i++)
        if (strcmp(t, types[i]) == 0) {
            snprintf(f->type, sizeof(f->type), "%s", t);
            return 0;
        }
    return fail(p, "unknown type '%s'", t);
}

/* The family a sample belongs to (histogram samples carry suffixes). */
static struct family *family_of_sample(struct parser *p, const char *name, const char **suffix)
{
    *suffix = "";
    struct family *f = family(p, name);
    if (f)
        return f;
    static const char *const sfx[] = {"_bucket", "_sum", "_count"};
    for (size_t i = 0; i < 3; i++) {
        size_t nl = strlen(name), sl = strlen(sfx[i]);
        if (nl > sl && strcmp(name + nl - sl, sfx[i]) == 0) {
            char base[128];
            snprintf(base, sizeof(base), "%.*s", (int)(nl - sl), name);
            f = family(p, base);
            if (f && (strcmp(f->type, "histogram") == 0 || strcmp(f->type, "summary") == 0)) {
                *suffix = sfx[i];
                return f;
            }
        }
    }
    return NULL;
}

static const char *read_labels(struct parser *p, const char *s, struct kwt_sample *smp)
{
    s++; /* '{' */
    while (*s != '}') {
        if (smp->nlabels == 16)
            return fail(p, "too many labels"), NULL;
        char key[128];
        s = read_name(s, key, sizeof(key));
        if (!s || *s != '=' || s[1] != '"')
            return fail(p, "bad label"), NULL;
        s += 2;
        char *val = malloc(strlen(s) + 1);
        size_t n = 0;
        while (*s && *s != '"') {
            if (*s == '\\') {
                s++;
                if (*s == 'n')
                    val[n++] = '\n';
                else if (*s == '\\' || *s == '"')
                    val[n++] = *s;
                else
                    return free(val), fail(p, "bad escape \\%c", *s), NULL;
                s++;
            } else if (*s == '\n') {
                return free(val), fail(p, "raw newline in label"), NULL;
            } else {
                val[n++] = *s++;
            }
        }
        val[n] = '\0';
        if (*s != '"')
            return free(val), fail(p, "unterminated label value"), NULL;
        s++;
        smp->labels[smp->nlabels][0] = strdup(key);
        smp->labels[smp->nlabels][1] = val;
        smp->nlabels++;
        if (*s == ',')
            s++;
        else if (*s != '}')
            return fail(p, "expected ',' or '}' after a label"), NULL;
    }
    return s + 1;
}

static const char *label(const struct kwt_sample *smp, const char *key)
{
    for (int i = 0; i < smp->nlabels; i++)
        if (strcmp(smp->labels[i][0], key) == 0)
            return smp->labels[i][1];
    return NULL;
}

/* The series key of a histogram sample: base name and labels except le. */
static void series_key(const struct kwt_sample *smp, const char *base, char *out, size_t cap)
{
    size_t at = (size_t)snprintf(out, cap, "%s", base);
    for (int i = 0; i < smp->nlabels && at < cap; i++)
        if (strcmp(smp->labels[i][0], "le") != 0)
            at += (size_t)snprintf(out + at, cap - at, "|%s=%s", smp->labels[i][0],
                                   smp->labels[i][1]);
}

static int check_histogram(struct parser *p, const struct family *f, const char *suffix,
                           const struct kwt_sample *smp)
{
    char key[1024];
    series_key(smp, f->name, key, sizeof(key));
    if (strcmp(suffix, "_bucket") == 0) {
        const char *le = label(smp, "le");
        if (!le)
            return fail(p, "bucket without le");
        if (strcmp(key, p->hist_key) != 0) {
            snprintf(p->hist_key, sizeof(p->hist_key), "%s", key);
            p->hist_last = 0;
            p->hist_inf_seen = false;
        }
        if (smp->value < p->hist_last)
            return fail(p, "bucket counts decrease");
        p->hist_last = smp->value;
        if (strcmp(le, "+Inf") == 0) {
            p->hist_inf_seen = true;
            p->hist_inf = smp->value;
        }
        return 0;
    }
    if (strcmp(suffix, "_count") == 0) {
        if (strcmp(key, p->hist_key) != 0 || !p->hist_inf_seen)
            return fail(p, "_count without a +Inf bucket before it");
        if (smp->value != p->hist_inf)
            return fail(p, "_count %g differs from the +Inf bucket %g", smp->value, p->hist_inf);
    }
    return 0;
}

static int sample(struct parser *p, const char *s)
{
    struct kwt_sample smp;
    memset(&smp, 0, sizeof(smp));
    s = read_name(s, smp.name, sizeof(smp.name));
    if (!s)
        return fail(p, "bad sample name");
    const char *suffix;
    struct family *f = family_of_sample(p, smp.name, &suffix);
    if (!f || !f->type[0])
        return fail(p, "sample %s has no TYPE line before it", smp.name);
    if (*s == '{')
        s = read_labels(p, s, &smp);
    int rc = -1;
    if (s && *s == ' ') {
        char *end;
        smp.value = strtod(s + 1, &end);
        if (end == s + 1 || (*end != '\0' && *end != ' '))
            fail(p, "bad value");
        else if (strcmp(f->type, "histogram") == 0 && check_histogram(p, f, suffix, &smp) != 0)
            ;
        else
            rc = 0;
    } else if (s) {
        fail(p, "expected a space before the value");
    }
    if (rc != 0) {
        for (int i = 0; i < smp.nlabels; i++) {
            free(smp.labels[i][0]);
            free(smp.labels[i][1]);
        }
        return -1;
    }
    struct kwt_metrics *m = p->m;
    m->samples = realloc(m->samples, (m->n + 1) * sizeof(*m->samples));
    m->samples[m->n++] = smp;
    return 0;
}

int kwt_metrics_parse(const char *text, struct kwt_metrics *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    struct parser *p = calloc(1, sizeof(*p));
    p->m = m;
    p->err = err;
    p->errlen = errlen;
    int rc = 0;
    for (const char *line = text; *line && rc == 0;) {
        const char *nl = strchr(line, '\n');
        if (!nl) {
            p->line++;
            rc = fail(p, "the text must end with a newline");
            break;
        }
        char *copy = strndup(line, (size_t)(nl - line));
        p->line++;
        if (copy[0] == '#')
            rc = comment(p, copy);
        else if (copy[0] != '\0')
            rc = sample(p, copy);
        free(copy);
        line = nl + 1;
    }
    free(p);
    if (rc != 0)
        kwt_metrics_free(m);
    return rc;
}

void kwt_metrics_free(struct kwt_metrics *m)
{
    for (size_t i = 0; i < m->n; i++)
        for (int k = 0; k < m->samples[i].nlabels; k++) {
            free(m->samples[i].labels[k][0]);
            free(m->samples[i].labels[k][1]);
        }
    free(m->samples);
    memset(m, 0, sizeof(*m));
}

double kwt_metric(const struct kwt_metrics *m, const char *name, ...)
{
    const char *want[16];
    int nwant = 0;
    va_list ap;
    va_start(ap, name);
    for (const char *kv; nwant < 16 && (kv = va_arg(ap, const char *));)
        want[nwant++] = kv;
    va_end(ap);
    double found = NAN;
    int hits = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct kwt_sample *smp = &m->samples[i];
        if (strcmp(smp->name, name) != 0)
            continue;
        bool all = true;
        for (int w = 0; w < nwant && all; w++) {
            const char *eq = strchr(want[w], '=');
            char key[128];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - want[w]), want[w]);
            const char *v = label(smp, key);
            all = v && strcmp(v, eq + 1) == 0;
        }
        if (all) {
            found = smp->value;
            hits++;
        }
    }
    return hits == 1 ? found : NAN;
}

int kwt_scrape(const struct kwt_server *s, struct kwt_metrics *m, char *err, size_t errlen)
{
    CURL *h = kwt_curl(s);
    struct kwt_response r;
    CURLcode rc = kwt_get(h, s, false, "/metrics", &r);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK || r.status != 200) {
        snprintf(err, errlen, "GET /metrics: curl %d, status %ld", (int)rc, r.status);
        kwt_response_free(&r);
        return -1;
    }
    int prc = kwt_metrics_parse(r.body, m, err, errlen);
    kwt_response_free(&r);
    return prc;
}

double kwt_scrape_metric(const struct kwt_server *s, const char *name, const char *label)
{
    struct kwt_metrics m;
    char err[256];
    cr_assert_eq(kwt_scrape(s, &m, err, sizeof(err)), 0, "%s", err);
    double v = kwt_metric(&m, name, label, NULL);
    kwt_metrics_free(&m);
    return v;
}
