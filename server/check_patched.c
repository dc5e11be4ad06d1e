/* `kopia-webhook check --output patched`: the allowed objects, defaulted, as
 * a YAML stream on stdout written with libyaml's emitter: block style, keys in
 * the order of the manifest (jansson keeps insertion order; the patch adds
 * keys at the end of their parent), `---` between documents. A string that
 * would read back as another type (true, 1, null, ...) is quoted; one with a
 * newline is a literal block when libyaml allows it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "kw/json/yaml.h"

static int emit(struct kw_check_run *run, yaml_event_t *ev)
{
    if (yaml_emitter_emit(run->emitter, ev))
        return 0;
    fprintf(stderr, "kopia-webhook check: writing YAML: %s\n",
            run->emitter->problem ? run->emitter->problem : "error");
    return -1;
}

/* Whether `s`, written as a plain scalar, reads back as this same string
 * (through the loader `check` reads manifests with, kubectl's resolution):
 * "true", "yes", "1", "~" and the like do not. */
static bool plain_reads_back(const char *s, size_t len)
{
    if (len == 0 || memchr(s, '\n', len))
        return false;
    struct kw_yaml_error err;
    json_t *v = kw_yaml_load_one(s, len, &err);
    bool same = json_is_string(v) && json_string_length(v) == len &&
                memcmp(json_string_value(v), s, len) == 0;
    json_decref(v);
    return same;
}

static int emit_string(struct kw_check_run *run, const char *s, size_t len)
{
    yaml_event_t ev;
    bool plain = plain_reads_back(s, len);
    yaml_scalar_style_t style = plain                  ? YAML_PLAIN_SCALAR_STYLE
                                : memchr(s, '\n', len) ? YAML_LITERAL_SCALAR_STYLE
                                                       : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, plain, !plain,
                                      style))
        return -1;
    return emit(run, &ev);
}

/* true, false, null and numbers: plain, as JSON writes them. */
static int emit_plain(struct kw_check_run *run, const char *text)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 0,
                                      YAML_PLAIN_SCALAR_STYLE))
        return -1;
    return emit(run, &ev);
}

static int emit_value(struct kw_check_run *run, const json_t *v);

static int emit_mapping(struct kw_check_run *run, const json_t *obj)
{
    yaml_event_t ev;
    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
        emit(run, &ev) != 0)
        return -1;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        if (emit_string(run, key, strlen(key)) != 0 || emit_value(run, value) != 0)
            return -1;
    }
    if (!yaml_mapping_end_event_initialize(&ev))
        return -1;
    return emit(run, &ev);
}

static int emit_sequence(struct kw_check_run *run, const json_t *arr)
{
    yaml_event_t ev;
    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
        emit(run, &ev) != 0)
        return -1;
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        if (emit_value(run, item) != 0)
            return -1;
    }
    if (!yaml_sequence_end_event_initialize(&ev))
        return -1;
    return emit(run, &ev);
}

/* A number as JSON writes it; a real always with a '.' or an exponent so
 * that it reads back as a number of the same kind. */
static int emit_number(struct kw_check_run *run, const json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY);
    if (!text)
        return -1;
    int rc = emit_plain(run, text);
    free(text);
    return rc;
}

static int emit_value(struct kw_check_run *run, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return emit_mapping(run, v);
    case JSON_ARRAY:
        return emit_sequence(run, v);
    case JSON_STRING:
        return emit_string(run, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
    case JSON_REAL:
        return emit_number(run, v);
    case JSON_TRUE:
        return emit_plain(run, "true");
    case JSON_FALSE:
        return emit_plain(run, "false");
    case JSON_NULL:
        break;
    }
    return emit_plain(run, "null");
}

int kw_check_yaml_open(struct kw_check_run *run, FILE *to)
{
    run->emitter = calloc(1, sizeof(*run->emitter));
    if (!run->emitter || !yaml_emitter_initialize(run->emitter)) {
        free(run->emitter);
        run->emitter = NULL;
        fputs("kopia-webhook check: out of memory\n", stderr);
        return -1;
    }
    yaml_emitter_set_output_file(run->emitter, to);
    yaml_emitter_set_unicode(run->emitter, 1);
    yaml_emitter_set_indent(run->emitter, 2);
    yaml_emitter_set_width(run->emitter, -1); /* no folding of long scalars */
    yaml_event_t ev;
    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(run, &ev) != 0) {
        kw_check_yaml_close(run);
        return -1;
    }
    return 0;
}

int kw_check_yaml_document(struct kw_check_run *run, const json_t *object)
{
    yaml_event_t ev;
    /* Explicit starts: `---` before every document, the first included. */
    if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0) || emit(run, &ev) != 0 ||
        emit_value(run, object) != 0 || !yaml_document_end_event_initialize(&ev, 1) ||
        emit(run, &ev) != 0)
        return -1;
    return yaml_emitter_flush(run->emitter) ? 0 : -1;
}

void kw_check_yaml_close(struct kw_check_run *run)
{
    if (!run->emitter)
        return;
    yaml_event_t ev;
    if (yaml_stream_end_event_initialize(&ev))
        emit(run, &ev);
    yaml_emitter_delete(run->emitter);
    free(run->emitter);
    run->emitter = NULL;
}
