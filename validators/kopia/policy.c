/* The Kopia JSON documents of an object: the inline
 * spec.kopia.policyConfig.repositoryConfig string, a Kopia connection file
 * (kw_validate_repository_config, docs/operator.md c.2, d.1), and the policy
 * files of a ConfigMap/Secret labelled kopia.volsync.backube/policy: "true"
 * (kw_validate_policy_object, c.7).
 *
 * Each document gets the size limit, then one pass of the text validator
 * (include/kw/schema/stream.h) against validators/kopia/schemas/
 * connection-config.yaml, global-policy.yaml or repository-config.yaml,
 * which checks the JSON syntax and the schema at once; the connection file
 * gets a second scan for what Kopia and the mover do with it (storage,
 * credentials). Nothing from a document is ever quoted: messages carry key
 * names, sizes, line/column positions and JSON type names only. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/json.h"
#include "kw/decision/rules.h"
#include "kw/json/util.h"
#include "kw/schema/schema.h"
#include "kw/schema/stream.h"
#include "kw/kopia/validate.h"

/* The mover refuses larger policy files, and so does the webhook
 * for the inline string. */
#define POLICY_MAX_BYTES 1048576u

/* The inline repositoryConfig reaches the mover as the environment variable
 * below. Linux refuses an exec whose single "NAME=value" string, counted
 * with its terminating NUL, is longer than MAX_ARG_STRLEN (32 pages =
 * 131072 bytes): the longest value that fits is 131072 - 36 = 131036 bytes. */
#define REPOSITORY_CONFIG_ENV "KOPIA_STRUCTURED_REPOSITORY_CONFIG"
#define LINUX_MAX_ARG_STRLEN  131072u
#define ENV_MAX_VALUE_BYTES   (LINUX_MAX_ARG_STRLEN - sizeof(REPOSITORY_CONFIG_ENV "="))

#define GLOBAL_POLICY_FILE     "global-policy.json"
#define REPOSITORY_CONFIG_FILE "repository.config"

/* ---- one document --------------------------------------------------- */

/* The decoder's error without anything quoted from the document: the
 * "near '...'" context is cut, and the texts that carry document bytes are
 * replaced by their class. */
static void error_class(const char *text, char *out, size_t outlen)
{
    static const struct {
        const char *prefix, *shown;
    } classes[] = {
        {"invalid Unicode", "invalid \\u escape (a lone or unpaired surrogate)"},
        {"unable to decode byte", "invalid UTF-8"},
        {"\\u0000 is not allowed", "\\u0000 is not allowed"},
        {"maximum parsing depth reached", "nested deeper than 2048 levels"},
    };
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        if (strncmp(text, classes[i].prefix, strlen(classes[i].prefix)) == 0) {
            snprintf(out, outlen, "%s", classes[i].shown);
            return;
        }
    }
    const char *near = strstr(text, " near ");
    int n = near ? (int)(near - text) : (int)strlen(text);
    snprintf(out, outlen, "%.*s", n, text);
}

static void invalid_json(const char *field, const char *name, const struct kw_json_error *err,
                         struct kw_result *res)
{
    char what[sizeof(err->text)];
    error_class(err->text, what, sizeof(what));
    kw_result_cause(res, KW_CAUSE_INVALID, KW_RULE_POLICY_INVALID_JSON, field, NULL,
                    "invalid JSON in %s at line %zu, column %zu: %s", name, err->line, err->column,
                    what);
}

static bool within_size_limit(const char *field, size_t len, struct kw_result *res)
{
    if (len <= POLICY_MAX_BYTES)
        return true;
    kw_result_cause(res, KW_CAUSE_TOO_LONG, KW_RULE_POLICY_TOO_LARGE, field, NULL,
                    "policy configuration too large (%zu bytes, max %u)", len, POLICY_MAX_BYTES);
    return false;
}

static size_t skip_blanks(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    return i;
}

struct top_values {
    size_t count;
    enum kw_json_event first;
};

static int count_top_values(void *ud, const struct kw_json_token *t)
{
    struct top_values *tv = ud;
    if (t->depth == 2 && t->ev != KW_JSON_KEY && t->ev != KW_JSON_OBJECT_END &&
        t->ev != KW_JSON_ARRAY_END && tv->count++ == 0)
        tv->first = t->ev;
    return 0;
}

/* The JSON type of buf[0..len) when it is one RFC 8259 scalar, which the
 * decoder (like jansson) refuses at the top level; else NULL. Checked by
 * scanning the text inside brackets: a copy, made on this error path only. */
static const char *top_level_scalar(const char *buf, size_t len, struct kw_result *res)
{
    char *wrapped = malloc(len + 2);
    if (!wrapped) {
        res->out_of_memory = true;
        return NULL;
    }
    wrapped[0] = '[';
    memcpy(wrapped + 1, buf, len);
    wrapped[len + 1] = ']';
    struct top_values tv = {0};
    int rc = kw_json_scan_document(wrapped, len + 2, count_top_values, &tv, NULL);
    free(wrapped);
    return rc == 0 && tv.count == 1 ? kw_json_event_type_name(tv.first) : NULL;
}

static void not_an_object(const char *field, const char *type, struct kw_result *res)
{
    char shown[16];
    snprintf(shown, sizeof(shown), "\"%s\"", type);
    kw_result_cause(res, KW_CAUSE_TYPE, KW_RULE_POLICY_NOT_OBJECT, field, shown,
                    "must be a JSON object");
}

enum check_outcome { CHECKED, NOT_JSON, NOT_OBJECT };

/* Syntax, "is an object" and schema of one document in one scan; findings
 * go to res. `name` names the document in the invalid-JSON message. */
/* Validates the document against the schema; observe (may be NULL) sees
 * every token of the same pass, and what it gathered is complete only when
 * the outcome is CHECKED. */
static enum check_outcome check_observed(const struct kw_schema *schema, const char *buf,
                                         size_t len, const char *field, const char *name,
                                         struct kw_result *res, struct kw_text_stats *stats,
                                         kw_json_visit_fn observe, void *observe_ud)
{
    struct kw_json_error err;
    size_t start = skip_blanks(buf, len);
    int rc;
    if (start < len && buf[start] == '[') /* valid JSON, but not an object? */
        rc = kw_json_scan_document(buf, len, NULL, NULL, &err) == 0 ? 1 : -1;
    else
        rc = kw_schema_validate_text_observed(schema, buf, len, field, KW_TEXT_EMBEDDED, res, &err,
                                              stats, observe, observe_ud);
    if (rc == 0)
        return CHECKED;
    if (rc > 0) {
        not_an_object(field, "array", res);
        return NOT_OBJECT;
    }
    if (strcmp(err.text, "not enough memory") == 0) {
        res->out_of_memory = true;
        return NOT_JSON;
    }
    const char *scalar =
        strncmp(err.text, "'[' or '{' expected", 19) == 0 ? top_level_scalar(buf, len, res) : NULL;
    if (scalar) {
        not_an_object(field, scalar, res);
        return NOT_OBJECT;
    }
    if (!res->out_of_memory)
        invalid_json(field, name, &err, res);
    return NOT_JSON;
}

static enum check_outcome check_document(const struct kw_schema *schema, const char *buf,
                                         size_t len, const char *field, const char *name,
                                         struct kw_result *res, struct kw_text_stats *stats)
{
    return check_observed(schema, buf, len, field, name, res, stats, NULL, NULL);
}

static const struct kw_schema *find_schema(const struct kw_object_ctx *ctx, const char *name,
                                           struct kw_result *res)
{
    const struct kw_schema *s = kw_schema_find(ctx->cfg->schemas, name);
    if (!s) /* A server without its schemas must not allow anything. */
        kw_result_bad_request(res, "the webhook has no compiled schema \"%s\"", name);
    return s;
}

/* ---- inline repositoryConfig: a Kopia connection file ---------------
 * docs/operator.md c.2 and d.1: the mover writes the string to a file and
 * runs `kopia repository connect from-config --file` with it. Kopia decodes
 * it into repo.LocalConfig with Go's encoding/json and uses only `storage`;
 * with a usable storage the mover returns before it sets the client
 * identity, the cache and the policy files. */

/* Kopia's registered storage types (an exact, case-sensitive lookup). */
static const char *const storage_types[] = {"filesystem", "s3",     "gcs",    "azureBlob", "b2",
                                            "sftp",       "webdav", "rclone", "gdrive"};
#define STORAGE_TYPE_LIST "filesystem, s3, gcs, azureBlob, b2, sftp, webdav, rclone, gdrive"

/* Keys of storage.config that hold secrets: Kopia's `kopia:"sensitive"`
 * options, and spellings of them Kopia ignores but that are still readable
 * in the object. */
static const char *const credential_keys[] = {
    "secretAccessKey", "sessionToken", "webIdentityToken", "credentials",       "credentialsJSON",
    "storageKey",      "sasToken",     "ClientSecret",     "clientCertificate", "key",
    "password",        "keyData",      "embeddedConfig",
};
#define NCREDENTIALS (sizeof(credential_keys) / sizeof(credential_keys[0]))

/* Top-level keys Kopia decodes but `connect from-config` does not use. */
static const char *const client_keys[] = {
    "hostname",         "username",      "readonly",
    "description",      "enableActions", "formatBlobCacheDuration",
    "throttlingLimits", "caching",       "apiServer",
};
#define NCLIENT (sizeof(client_keys) / sizeof(client_keys[0]))

enum top_key { TOP_OTHER, TOP_STORAGE, TOP_PERMISSIVE, TOP_CLIENT };
enum storage_key { ST_OTHER, ST_TYPE, ST_CONFIG };

/* What the mover's Kopia takes from the document: the last occurrence of
 * each key wins, as in encoding/json. */
struct conn_facts {
    /* the walk */
    enum top_key top;
    size_t client_index; /* TOP_CLIENT: which of client_keys */
    enum storage_key in_storage;
    int credential; /* the pending storage.config key's index, or -1 */
    /* the findings */
    bool storage;         /* storage is an object */
    bool type_known;      /* storage.type is a registered type */
    bool config;          /* storage.config is present (null counts) */
    bool permissive;      /* permissiveCacheLoading: true */
    unsigned clients;     /* bit i: client_keys[i] is set */
    unsigned credentials; /* bit i: credential_keys[i] holds a value */
};

static int find_key(const char *const *names, size_t n, const char *key, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (kw_schema_go_key_equal(key, len, names[i]))
            return (int)i;
    return -1;
}

static void top_key(struct conn_facts *f, const struct kw_json_token *t)
{
    int client = find_key(client_keys, NCLIENT, t->text, t->len);
    f->top = TOP_OTHER;
    if (kw_schema_go_key_equal(t->text, t->len, "storage"))
        f->top = TOP_STORAGE;
    else if (kw_schema_go_key_equal(t->text, t->len, "permissiveCacheLoading"))
        f->top = TOP_PERMISSIVE;
    else if (client >= 0) {
        f->top = TOP_CLIENT;
        f->client_index = (size_t)client;
    }
}

static void top_value(struct conn_facts *f, const struct kw_json_token *t)
{
    bool null = t->ev == KW_JSON_NULL;
    if (f->top == TOP_STORAGE) {
        f->storage = t->ev == KW_JSON_OBJECT_BEGIN; /* a new storage replaces the old */
        f->type_known = f->config = false;
        f->credentials = 0;
        f->in_storage = ST_OTHER;
    } else if (f->top == TOP_PERMISSIVE) {
        f->permissive = t->ev == KW_JSON_TRUE;
    } else if (f->top == TOP_CLIENT) {
        unsigned bit = 1u << f->client_index;
        f->clients = null ? f->clients & ~bit : f->clients | bit;
    }
}

static void storage_value(struct conn_facts *f, const struct kw_json_token *t)
{
    if (f->in_storage == ST_TYPE) {
        f->type_known = false;
        for (size_t i = 0;
             t->ev == KW_JSON_STRING && i < sizeof(storage_types) / sizeof(*storage_types); i++)
            if (strlen(storage_types[i]) == t->len &&
                memcmp(storage_types[i], t->text, t->len) == 0)
                f->type_known = true;
    } else if (f->in_storage == ST_CONFIG) {
        f->config = true; /* "config": null decodes to the zero options */
        f->credentials = 0;
    }
}

static void config_value(struct conn_facts *f, const struct kw_json_token *t)
{
    if (f->credential < 0)
        return;
    unsigned bit = 1u << f->credential;
    bool empty = t->ev == KW_JSON_NULL || (t->ev == KW_JSON_STRING && t->len == 0);
    f->credentials = empty ? f->credentials & ~bit : f->credentials | bit;
    f->credential = -1;
}

/* A key or value at depth 2 (the document's members). */
__attribute__((noinline)) static void top_token(struct conn_facts *f, const struct kw_json_token *t)
{
    if (t->ev == KW_JSON_KEY)
        top_key(f, t);
    else if (t->ev != KW_JSON_OBJECT_END && t->ev != KW_JSON_ARRAY_END)
        top_value(f, t);
}

/* A key or value at depth 3 or 4 inside the storage object. */
__attribute__((noinline)) static void storage_token(struct conn_facts *f,
                                                    const struct kw_json_token *t)
{
    if (t->ev == KW_JSON_KEY) {
        if (t->depth == 3)
            f->in_storage = kw_schema_go_key_equal(t->text, t->len, "type")     ? ST_TYPE
                            : kw_schema_go_key_equal(t->text, t->len, "config") ? ST_CONFIG
                                                                                : ST_OTHER;
        else if (f->in_storage == ST_CONFIG)
            f->credential = find_key(credential_keys, NCREDENTIALS, t->text, t->len);
        return;
    }
    if (t->ev == KW_JSON_OBJECT_END || t->ev == KW_JSON_ARRAY_END)
        return;
    if (t->depth == 3)
        storage_value(f, t);
    else if (f->in_storage == ST_CONFIG)
        config_value(f, t);
}

/* Sees every token of the document: most of a large one is neither a
 * member nor inside storage, and costs two comparisons here (the work is
 * in the helpers, out of line, so this call saves no registers). */
static int collect_facts(void *ud, const struct kw_json_token *t)
{
    struct conn_facts *f = ud;
    if (t->depth == 2)
        top_token(f, t);
    else if ((t->depth == 3 || t->depth == 4) && f->top == TOP_STORAGE && f->storage)
        storage_token(f, t);
    return 0;
}

/* "a, b and c" of the names whose bit is set; into buf. */
static void name_list(const char *const *names, size_t n, unsigned bits, const char *prefix,
                      char *buf, size_t len)
{
    size_t o = 0, count = 0, total = 0;
    for (size_t i = 0; i < n; i++)
        total += (bits >> i) & 1u;
    buf[0] = 0;
    for (size_t i = 0; i < n && o < len; i++) {
        if (!((bits >> i) & 1u))
            continue;
        const char *sep = count == 0 ? "" : count + 1 == total ? " and " : ", ";
        o += (size_t)snprintf(buf + o, len - o, "%s%s%s", sep, prefix, names[i]);
        count++;
    }
}

/* Runs the connection-file schema; its type and value findings become
 * warnings (Kopia cannot load the file, the mover falls back to the
 * Secret). Returns the outcome, and in *broken whether Kopia fails to
 * load it. */
/* Checks the connection file against its schema and gathers its facts
 * (collect_facts) in the same pass: a large repositoryConfig is read once. */
static enum check_outcome check_connection_schema(const struct kw_schema *schema, const char *buf,
                                                  size_t len, const char *field,
                                                  struct kw_result *res, bool *broken,
                                                  struct conn_facts *facts)
{
    struct kw_result tmp;
    kw_result_init(&tmp);
    enum check_outcome out = check_observed(schema, buf, len, field, "repositoryConfig", &tmp, NULL,
                                            collect_facts, facts);
    *broken = false;
    for (size_t i = 0; i < tmp.ncauses; i++) {
        const struct kw_cause *c = &tmp.causes[i];
        if (c->rule_id != KW_RULE_REPOSITORY_CONFIG_FIELD_TYPE) {
            kw_result_cause(res, c->type, c->rule_id, c->field, c->value, "%s", c->detail);
            continue;
        }
        *broken = true;
        kw_result_warn(res, KW_RULE_REPOSITORY_CONFIG_FIELD_TYPE,
                       "%s: %s; Kopia cannot load a connection file with this error, so the "
                       "mover ignores repositoryConfig and connects with the repository Secret",
                       c->field, c->detail);
    }
    for (size_t i = 0; i < tmp.nwarnings; i++)
        kw_result_warn(res, tmp.warnings[i].rule_id, "%s", tmp.warnings[i].text);
    if (tmp.out_of_memory)
        res->out_of_memory = true;
    kw_result_free(&tmp);
    return out;
}

static void warn_no_storage(const struct conn_facts *f, const char *field, struct kw_result *res)
{
    const char *why = f->permissive ? "permissiveCacheLoading: true makes Kopia refuse to load it"
                      : !f->storage ? "it has no storage {type, config}, the only part Kopia "
                                      "reads from it"
                      : !f->type_known ? "storage.type is not one of Kopia's storage types "
                                         "(" STORAGE_TYPE_LIST "; case-sensitive)"
                                       : "storage has no config";
    kw_result_warn(res, KW_RULE_REPOSITORY_CONFIG_NO_STORAGE,
                   "%s: has no effect: %s; the mover connects with the repository Secret "
                   "(spec.kopia.repository) instead",
                   field, why);
}

static void use_storage(const struct kw_object_ctx *ctx, const struct conn_facts *f,
                        const char *field, struct kw_result *res)
{
    if (ctx->cfg->deny_inline_repository_config) {
        kw_result_cause(res, KW_CAUSE_FORBIDDEN, KW_RULE_ADMIN_DENY_INLINE_REPOSITORY_CONFIG, field,
                        NULL,
                        "the cluster's admission policy refuses a repositoryConfig with storage "
                        "(it bypasses the backup identity); put the repository in the Secret "
                        "named by spec.kopia.repository");
        return;
    }
    if (ctx->kind == KW_KIND_RS)
        kw_result_warn(res, KW_RULE_REPOSITORY_CONFIG_IDENTITY,
                       "%s: connects with its own storage, and then the mover sets NO backup "
                       "identity: snapshots are written as the container user at the mover "
                       "pod's name, a new identity on every run (unless a cache PVC keeps the "
                       "connection), so retention never prunes them and sourceIdentity restores "
                       "never find them; the mover also skips the cache settings and the policy "
                       "files; put the repository in the Secret named by spec.kopia.repository "
                       "and remove repositoryConfig",
                       field);
    else
        kw_result_warn(res, KW_RULE_REPOSITORY_CONFIG_IDENTITY,
                       "%s: connects with its own storage, and then the mover sets no client "
                       "identity and skips the cache settings and the policy files; put the "
                       "repository in the Secret named by spec.kopia.repository and remove "
                       "repositoryConfig",
                       field);
    if (f->clients) {
        char names[256];
        name_list(client_keys, NCLIENT, f->clients, "", names, sizeof(names));
        kw_result_warn(res, KW_RULE_REPOSITORY_CONFIG_KEY_IGNORED,
                       "%s: %s %s no effect: `kopia repository connect from-config` reads only "
                       "storage from the file (the rest comes from the mover's flags and Kopia's "
                       "defaults)",
                       field, names, (f->clients & (f->clients - 1)) ? "have" : "has");
    }
}

static void warn_credentials(const struct kw_object_ctx *ctx, const struct conn_facts *f,
                             const char *field, struct kw_result *res)
{
    if (!f->credentials)
        return;
    char names[512];
    name_list(credential_keys, NCREDENTIALS, f->credentials, "storage.config.", names,
              sizeof(names));
    kw_result_warn(res, KW_RULE_REPOSITORY_CONFIG_CREDENTIALS,
                   "%s: %s %s a credential in plain text: anyone who can read this %s can read "
                   "it; keep credentials in the repository Secret",
                   field, names, (f->credentials & (f->credentials - 1)) ? "hold" : "holds",
                   kw_kind_label(ctx->kind));
}

void kw_validate_repository_config(const struct kw_object_ctx *ctx, const json_t *value,
                                   const char *field_path, struct kw_result *res)
{
    if (!json_is_string(value))
        return; /* absent, or a type error the spec schema reports */
    size_t len = json_string_length(value);
    if (!within_size_limit(field_path, len, res) || len == 0)
        return; /* the empty string is allowed (no inline config) */
    if (len > ENV_MAX_VALUE_BYTES)
        kw_result_warn(res, KW_RULE_REPOSITORY_CONFIG_ENV_TOO_LARGE,
                       "%s: %zu bytes exceed the environment limit (%zu); the mover would not "
                       "start",
                       field_path, len, (size_t)ENV_MAX_VALUE_BYTES);
    const struct kw_schema *schema = find_schema(ctx, KW_SCHEMA_CONNECTION_CONFIG, res);
    if (!schema)
        return;
    const char *buf = json_string_value(value);
    bool broken;
    struct conn_facts f = {.credential = -1};
    if (check_connection_schema(schema, buf, len, field_path, res, &broken, &f) != CHECKED)
        return;
    warn_credentials(ctx, &f, field_path, res);
    if (broken)
        return; /* already said: the file has no effect */
    if (f.permissive || !f.storage || !f.type_known || !f.config)
        warn_no_storage(&f, field_path, res);
    else
        use_storage(ctx, &f, field_path, res);
}

/* ---- policy ConfigMaps and Secrets ------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_policy_file(const char *key)
{
    return strcmp(key, REPOSITORY_CONFIG_FILE) == 0 || ends_with(key, ".json");
}

/* Appends copies of src's findings to dst. */
static void append_result(struct kw_result *dst, const struct kw_result *src)
{
    for (size_t i = 0; i < src->ncauses; i++) {
        const struct kw_cause *c = &src->causes[i];
        kw_result_cause(dst, c->type, c->rule_id, c->field, c->value, "%s", c->detail);
    }
    for (size_t i = 0; i < src->nwarnings; i++)
        kw_result_warn(dst, src->warnings[i].rule_id, "%s", src->warnings[i].text);
    if (src->out_of_memory)
        dst->out_of_memory = true;
}

/* A key ending in .json other than global-policy.json may be either file:
 * which one is up to the ReplicationSource that mounts it. It is checked
 * against the schema that knows more of its keys (fewer unknown keys), the
 * global policy on a tie. */
static void check_either_file(const struct kw_schema *global, const struct kw_schema *repo,
                              const char *buf, size_t len, const char *field, const char *name,
                              struct kw_result *res)
{
    struct kw_result as_global, as_repo;
    struct kw_text_stats sg = {0}, sr = {0};
    kw_result_init(&as_global);
    kw_result_init(&as_repo);
    if (check_document(global, buf, len, field, name, &as_global, &sg) == CHECKED)
        check_document(repo, buf, len, field, name, &as_repo, &sr);
    else
        sr.unknown_fields = (size_t)-1; /* the syntax error is reported once */
    bool repo_fits = sr.unknown_fields < sg.unknown_fields;
    append_result(res, repo_fits ? &as_repo : &as_global);
    kw_result_free(&as_global);
    kw_result_free(&as_repo);
}

static void check_file(const struct kw_schema *global, const struct kw_schema *repo,
                       const char *key, const char *buf, size_t len, const char *field,
                       struct kw_result *res)
{
    if (!within_size_limit(field, len, res))
        return;
    if (len == 0) {
        kw_result_cause(res, KW_CAUSE_INVALID, KW_RULE_POLICY_INVALID_JSON, field, NULL,
                        "invalid JSON in %s: the file is empty", key);
        return;
    }
    if (strcmp(key, GLOBAL_POLICY_FILE) == 0)
        check_document(global, buf, len, field, key, res, NULL);
    else if (strcmp(key, REPOSITORY_CONFIG_FILE) == 0)
        check_document(repo, buf, len, field, key, res, NULL);
    else
        check_either_file(global, repo, buf, len, field, key, res);
}

static bool base64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Standard base64 with padding, as Kubernetes encodes []byte; line breaks
 * are skipped (as Go's decoder does). Returns the decoded bytes (caller
 * frees; *outlen set), or NULL with *bad_at = the offending byte offset (the
 * length when the input is cut short) and *oom on allocation failure. */
static unsigned char *base64_decode(const char *in, size_t len, size_t *outlen, size_t *bad_at,
                                    bool *oom)
{
    *oom = false;
    char *clean = malloc(len + 1);
    if (!clean) {
        *oom = true;
        return NULL;
    }
    size_t n = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\r' || c == '\n')
            continue;
        bool ok = pad == 0 ? base64_char(c) || c == '=' : c == '=';
        if (!ok || (c == '=' && ++pad > 2)) {
            *bad_at = i;
            free(clean);
            return NULL;
        }
        clean[n++] = (char)c;
    }
    if (n % 4 != 0) {
        *bad_at = len;
        free(clean);
        return NULL;
    }
    unsigned char *out = malloc(n / 4 * 3 + 1);
    if (!out) {
        *oom = true;
        free(clean);
        return NULL;
    }
    int got = n ? EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n) : 0;
    free(clean);
    if (got < 0 || (size_t)got < pad) {
        *bad_at = 0;
        free(out);
        return NULL;
    }
    *outlen = (size_t)got - pad;
    return out;
}

struct policy_map {
    const char *member;       /* "data", "stringData", "binaryData" */
    bool base64;              /* values are base64 */
    const char *shadowed_by;  /* a member whose keys replace this one's ("stringData") */
    const char *plain_member; /* where plain text goes instead, for the base64 hint */
};

static void check_map_value(const struct kw_schema *global, const struct kw_schema *repo,
                            const struct policy_map *m, const char *key, const char *value,
                            size_t len, const char *field, struct kw_result *res)
{
    if (!m->base64) {
        check_file(global, repo, key, value, len, field, res);
        return;
    }
    size_t outlen = 0, bad_at = 0;
    bool oom;
    unsigned char *raw = base64_decode(value, len, &outlen, &bad_at, &oom);
    if (!raw) {
        if (oom)
            res->out_of_memory = true;
        else
            kw_result_cause(res, KW_CAUSE_INVALID, KW_RULE_POLICY_BASE64_INVALID, field, NULL,
                            "not valid base64 at byte %zu (%s values are base64; use %s for "
                            "plain text)",
                            bad_at, m->member, m->plain_member);
        return;
    }
    check_file(global, repo, key, (const char *)raw, outlen, field, res);
    free(raw);
}

static void check_map(const struct kw_object_ctx *ctx, const struct kw_schema *global,
                      const struct kw_schema *repo, const struct policy_map *m,
                      struct kw_result *res)
{
    const json_t *map = kw_obj_get(ctx->object, m->member);
    if (!map)
        return;
    if (!json_is_object(map)) {
        kw_result_bad_request(res, "%s must be an object", m->member);
        return;
    }
    const json_t *shadow = m->shadowed_by ? kw_obj_get(ctx->object, m->shadowed_by) : NULL;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)map, key, value)
    {
        if (!is_policy_file(key) || (shadow && kw_obj_has(shadow, key)) || json_is_null(value))
            continue;
        if (!json_is_string(value)) {
            kw_result_bad_request(res, "%s[%s] must be a string", m->member, key);
            continue;
        }
        char *field = NULL;
        if (asprintf(&field, "%s[%s]", m->member, key) < 0) {
            res->out_of_memory = true;
            return;
        }
        check_map_value(global, repo, m, key, json_string_value(value), json_string_length(value),
                        field, res);
        free(field);
    }
}

void kw_validate_policy_object(const struct kw_object_ctx *ctx, struct kw_result *res)
{
    const struct kw_schema *global = find_schema(ctx, KW_SCHEMA_GLOBAL_POLICY, res);
    const struct kw_schema *repo = find_schema(ctx, KW_SCHEMA_REPOSITORY_CONFIG, res);
    if (!global || !repo)
        return;
    /* A Secret's stringData is merged over its data when stored. */
    static const struct policy_map secret[] = {
        {"stringData", false, NULL, NULL},
        {"data", true, "stringData", "stringData"},
    };
    static const struct policy_map configmap[] = {
        {"data", false, NULL, NULL},
        {"binaryData", true, NULL, "data"},
    };
    const struct policy_map *maps = ctx->kind == KW_KIND_SECRET ? secret : configmap;
    for (size_t i = 0; i < 2; i++)
        check_map(ctx, global, repo, &maps[i], res);
}
