/* `gen-certs --renew` (see include/kw/server/certs_rotate.h): GET the CA
 * and serving Secrets, decide (certs_renew.c), issue (certs_generate.c) and
 * PUT the serving Secret back with the resourceVersion it was read at.
 * Secret data is decoded into buffers that are wiped when freed; nothing
 * here prints it. */
#include "kw/server/certs_rotate.h"
#include "certs_internal.h"
#include "kw/server/certs.h"
#include "kw/server/certs_generate.h"
#include "kw/server/certs_renew.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#define DAY_SEC 86400

struct run {
    const struct kw_rotate_opts *o;
    struct kw_kube_client *client;
    struct kw_rotate_result *res;
};

__attribute__((format(printf, 2, 3))) static int fail(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->message, sizeof(r->res->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- base64 ------------------------------------------------------------ */

/* Decoded Secret data, NUL-terminated, malloc'd (free with
 * kw_certs_free_secret); NULL when not base64. */
static char *b64_decode(const char *in)
{
    size_t len = strlen(in);
    if (len % 4 != 0)
        return NULL;
    char *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    int n = len ? EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len) : 0;
    if (n < 0) {
        free(out);
        return NULL;
    }
    for (size_t i = len; i > 0 && in[i - 1] == '='; i--)
        n--;
    out[n] = '\0';
    return out;
}

static char *b64_encode(const char *in)
{
    size_t len = strlen(in);
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
    return out;
}

/* data[key] of a Secret, decoded; NULL when absent. An undecodable value
 * is returned as "" (so it reads as unparsable, not as missing). */
static char *secret_value(json_t *secret, const char *key)
{
    const char *v = json_string_value(json_object_get(json_object_get(secret, "data"), key));
    if (!v)
        return NULL;
    char *d = b64_decode(v);
    return d ? d : strdup("");
}

/* ---- API calls --------------------------------------------------------- */

static void secret_path(struct run *r, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "/api/v1/namespaces/%s/secrets/%s", r->o->namespace, name);
}

static const char *status_hint(int status)
{
    switch (status) {
    case 401:
        return " (the API server refused the token)";
    case 403:
        return " (the service account lacks the permission: check the Role and RoleBinding)";
    case 409:
        return " (it changed since it was read; the next run retries)";
    default:
        return "";
    }
}

/* One call; a status other than `want` is a failure naming the Secret. */
static int call(struct run *r, const char *method, const char *name, const char *body, int want,
                struct kw_http_response *resp)
{
    char path[512], err[512];
    secret_path(r, name, path, sizeof(path));
    if (kw_kube_request(r->client, method, path, body, resp, err, sizeof(err)) != 0)
        return fail(r, "%s Secret %s/%s: %s", method, r->o->namespace, name, err);
    if (resp->status == want)
        return 0;
    char msg[512];
    kw_kube_status_message(resp, msg, sizeof(msg));
    fail(r, "%s Secret %s/%s: HTTP %d %s%s%s%s", method, r->o->namespace, name, resp->status,
         resp->reason, *msg ? ": " : "", msg, status_hint(resp->status));
    kw_http_response_free(resp);
    return -1;
}

static json_t *get_secret(struct run *r, const char *name)
{
    struct kw_http_response resp;
    if (call(r, "GET", name, NULL, 200, &resp) != 0)
        return NULL;
    json_error_t je;
    json_t *j = json_loadb(resp.body, resp.body_len, 0, &je);
    kw_http_response_free(&resp);
    if (!json_is_object(j) || !json_is_object(json_object_get(j, "data"))) {
        json_decref(j);
        fail(r, "GET Secret %s/%s: the answer is not a Secret with data", r->o->namespace, name);
        return NULL;
    }
    return j;
}

/* ---- the run ----------------------------------------------------------- */

struct material {
    char *ca_crt, *ca_key;            /* the CA Secret's */
    char *tls_crt, *tls_key, *tls_ca; /* the serving Secret's */
};

static void material_free(struct material *m)
{
    free(m->ca_crt);
    kw_certs_free_secret(m->ca_key);
    free(m->tls_crt);
    kw_certs_free_secret(m->tls_key);
    free(m->tls_ca);
}

static int read_ca(struct run *r, struct material *m)
{
    json_t *ca = get_secret(r, r->o->ca_secret);
    if (!ca)
        return -1;
    m->ca_crt = secret_value(ca, "ca.crt");
    m->ca_key = secret_value(ca, "ca.key");
    json_decref(ca);
    if (!m->ca_crt || !m->ca_key)
        return fail(r, "Secret %s/%s has no %s", r->o->namespace, r->o->ca_secret,
                    !m->ca_crt ? "ca.crt" : "ca.key");
    return 0;
}

/* Replaces data's tls.crt, tls.key and ca.crt and PUTs the Secret. */
static int put_renewed(struct run *r, json_t *secret, const char *crt, const char *key,
                       const char *ca)
{
    const char *rv =
        json_string_value(json_object_get(json_object_get(secret, "metadata"), "resourceVersion"));
    if (!rv || !*rv)
        return fail(r, "GET Secret %s/%s: no metadata.resourceVersion", r->o->namespace,
                    r->o->secret);
    json_t *data = json_object_get(secret, "data");
    char *b_crt = b64_encode(crt), *b_key = b64_encode(key), *b_ca = b64_encode(ca);
    int rc = -1;
    if (b_crt && b_key && b_ca && json_object_set_new(data, "tls.crt", json_string(b_crt)) == 0 &&
        json_object_set_new(data, "tls.key", json_string(b_key)) == 0 &&
        json_object_set_new(data, "ca.crt", json_string(b_ca)) == 0) {
        char *body = json_dumps(secret, JSON_COMPACT);
        struct kw_http_response resp;
        if (!body)
            fail(r, "out of memory");
        else if (call(r, "PUT", r->o->secret, body, 200, &resp) == 0) {
            kw_http_response_free(&resp);
            rc = 0;
        }
        kw_certs_free_secret(body);
    } else
        fail(r, "out of memory");
    free(b_crt);
    kw_certs_free_secret(b_key);
    free(b_ca);
    return rc;
}

static int renew(struct run *r, json_t *secret, const struct material *m, time_t now,
                 const char *why)
{
    struct kw_certs_issue in = {.service = r->o->service,
                                .namespace = r->o->namespace,
                                .ca_cert_pem = m->ca_crt,
                                .ca_key_pem = m->ca_key,
                                .days = r->o->days,
                                .now = now};
    char ca_name[300], err[512], *crt = NULL, *key = NULL;
    snprintf(ca_name, sizeof(ca_name), "Secret %s/%s", r->o->namespace, r->o->ca_secret);
    in.ca_name = ca_name;
    if (kw_certs_issue_serving(&in, &crt, &key, err, sizeof(err)) != 0)
        return fail(r, "cannot renew Secret %s/%s (%s): %s", r->o->namespace, r->o->secret, why,
                    err);
    int rc = put_renewed(r, secret, crt, key, m->ca_crt);
    free(crt);
    kw_certs_free_secret(key);
    if (rc == 0) {
        char until[64];
        int days = r->o->days ? r->o->days : KW_CERTS_DEFAULT_DAYS;
        kw_certs_format_utc(now + (time_t)days * DAY_SEC, until, sizeof(until));
        r->res->renewed = true;
        snprintf(r->res->message, sizeof(r->res->message),
                 "renewed Secret %s/%s: %s; the new tls.crt is valid until %s", r->o->namespace,
                 r->o->secret, why, until);
    }
    return rc;
}

static int run(struct run *r, time_t now)
{
    struct material m = {0};
    json_t *secret = NULL;
    int rc = -1;
    if (read_ca(r, &m) != 0 || !(secret = get_secret(r, r->o->secret)))
        goto out;
    m.tls_crt = secret_value(secret, "tls.crt");
    m.tls_key = secret_value(secret, "tls.key");
    m.tls_ca = secret_value(secret, "ca.crt");
    struct kw_renew_input in = {.tls_crt = m.tls_crt,
                                .tls_key = m.tls_key,
                                .secret_ca_crt = m.tls_ca,
                                .ca_crt = m.ca_crt,
                                .service = r->o->service,
                                .namespace = r->o->namespace,
                                .now = now,
                                .renew_before_days = r->o->renew_before_days};
    struct kw_renew_decision d;
    char err[512];
    if (kw_certs_renew_decide(&in, &d, err, sizeof(err)) != 0) {
        fail(r, "Secret %s/%s: %s", r->o->namespace, r->o->ca_secret, err);
        goto out;
    }
    if (d.verdict == KW_RENEW_KEEP) {
        snprintf(r->res->message, sizeof(r->res->message), "Secret %s/%s: %s; not renewed",
                 r->o->namespace, r->o->secret, d.reason);
        rc = 0;
    } else
        rc = renew(r, secret, &m, now, d.reason);
out:
    json_decref(secret);
    material_free(&m);
    return rc;
}

int kw_certs_rotate(const struct kw_rotate_opts *o, time_t now, struct kw_rotate_result *res)
{
    memset(res, 0, sizeof(*res));
    struct run r = {.o = o, .res = res};
    char err[512];
    r.client = kw_kube_client_new(&o->kube, err, sizeof(err));
    if (!r.client)
        return fail(&r, "%s", err);
    int rc = run(&r, now);
    kw_kube_client_free(r.client);
    return rc;
}
