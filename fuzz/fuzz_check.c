/* Fuzz target: the input side of `check` — YAML/JSON manifests split into
 * their documents (kw_yaml_split), each part through the YAML loader with
 * its positions, then each document as a CREATE review through mutate and
 * validate, as the check command does; every reply encoded must be JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kw/admission/core.h"
#include "kw/json/util.h"
#include "kw/server/runtime.h"
#include "kw/json/yaml.h"

static struct kw_runtime rt;
static int ready;

static void evaluate(json_t *doc)
{
    const char *kind = kw_obj_str(doc, "kind");
    const char *api = kw_obj_str(doc, "apiVersion");
    if (!kind || !api)
        return;
    struct kw_review rv = {.api_version = "admission.k8s.io/v1",
                           .uid = "fuzz",
                           .kind_group = strchr(api, '/') ? "volsync.backube" : "",
                           .kind_name = kind,
                           .operation = "CREATE",
                           .op = KW_OP_CREATE,
                           .name = "n",
                           .namespace = "ns",
                           .subresource = "",
                           .object = doc};
    rv.kind = kw_kind_of(rv.kind_group, kind);
    for (int hook = KW_HOOK_VALIDATE; hook <= KW_HOOK_MUTATE; hook++) {
        struct kw_result res;
        kw_result_init(&res);
        kw_evaluate(&rt.cfg, (enum kw_webhook)hook, &rv, &res);
        size_t len;
        char *text = kw_review_encode(&rv, &res, hook == KW_HOOK_MUTATE, &len);
        if (text) {
            json_t *reply = json_loadb(text, len, 0, NULL);
            if (!reply)
                abort(); /* a reply, when there is one, is JSON */
            json_decref(reply);
        }
        free(text);
        kw_result_free(&res);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        char err[256];
        if (kw_runtime_init(&rt, NULL, err, sizeof(err)) != 0)
            abort();
        ready = 1;
    }
    struct kw_yaml_part *parts = NULL;
    size_t nparts = 0;
    const char *text = (const char *)data;
    if (kw_yaml_split(text, size, &parts, &nparts) != 0)
        return 0;
    for (size_t p = 0; p < nparts; p++) {
        /* Parts tile the input, in order. */
        if (parts[p].offset + parts[p].len > size ||
            (p && parts[p].offset != parts[p - 1].offset + parts[p - 1].len))
            abort();
        struct kw_yaml_error err;
        struct kw_yaml_positions pos;
        json_t *docs = kw_yaml_load_part(text + parts[p].offset, parts[p].len, parts[p].first_line,
                                         &pos, &err);
        if (!docs)
            continue;
        size_t i;
        json_t *doc;
        json_array_foreach(docs, i, doc) evaluate(doc);
        json_decref(docs);
        kw_yaml_positions_free(&pos);
    }
    if (nparts && parts[nparts - 1].offset + parts[nparts - 1].len != size)
        abort();
    free(parts);
    return 0;
}
