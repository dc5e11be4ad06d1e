/* The one list of rules (KW_RULE_LIST in include/kw/decision/rules.h): every
 * enum value has a unique kebab-case id that its enum name spells and that
 * kw_rule_find maps back; and docs/rules.md against it: the same ids,
 * severities and kinds, and every documented example, run through the core's
 * validating path, produces exactly the documented message under its id. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/admission/core.h"
#include "kw/json/util.h"
#include "kw/decision/rules.h"
#include "kw/schema/schema.h"
#include "kw/json/yaml.h"

#include "kwtest.h"

struct doc_rule {
    char id[96];
    char severity[16];
    char kinds[160];
    char *example; /* YAML, malloc'd; NULL when none */
    char *message; /* malloc'd; NULL when none */
};

static struct doc_rule docs[256];
static size_t ndocs;

/* The text of the fenced block of `lang` that starts at or after `from` and
 * before `limit`, malloc'd without its final newline; NULL when none. */
static char *fenced(const char *from, const char *limit, const char *lang)
{
    char open[32];
    snprintf(open, sizeof(open), "```%s\n", lang);
    const char *s = strstr(from, open);
    if (!s || (limit && s > limit))
        return NULL;
    s += strlen(open);
    const char *e = strstr(s, "\n```");
    cr_assert(e, "unterminated %s block", lang);
    return strndup(s, (size_t)(e - s));
}

static void parse_doc(void)
{
    char *doc = kwt_read_source("docs/rules.md", NULL);
    ndocs = 0;
    const char *p = doc;
    while ((p = strstr(p, "\n### `"))) {
        p += 6;
        cr_assert(ndocs < 256);
        struct doc_rule *r = &docs[ndocs++];
        memset(r, 0, sizeof(*r));
        const char *tick = strchr(p, '`');
        cr_assert(tick && (size_t)(tick - p) < sizeof(r->id));
        memcpy(r->id, p, (size_t)(tick - p));
        const char *next = strstr(tick, "\n### `");
        const char *sev = strstr(tick, "\n**");
        cr_assert(sev && (!next || sev < next), "%s: no severity line", r->id);
        sscanf(sev + 3, "%15[A-Za-z]** \xc2\xb7 %159[^\n]", r->severity, r->kinds);
        r->example = fenced(tick, next, "yaml");
        r->message = fenced(tick, next, "text");
        p = tick;
    }
    free(doc);
}

static void free_doc(void)
{
    for (size_t i = 0; i < ndocs; i++) {
        free(docs[i].example);
        free(docs[i].message);
    }
    ndocs = 0;
}

TestSuite(rules, .init = parse_doc, .fini = free_doc);

static const struct doc_rule *doc_find(const char *id)
{
    for (size_t i = 0; i < ndocs; i++)
        if (strcmp(docs[i].id, id) == 0)
            return &docs[i];
    return NULL;
}

/* "ReplicationSource, ReplicationDestination": the kinds of a kind-bit mask
 * in list order, as the doc's severity line names them. */
static void kinds_text(unsigned kinds, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int k = KW_KIND_OTHER + 1; k < KW_KIND_COUNT; k++)
        if (kinds & (1u << k))
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
                                  kw_kind_label((enum kw_kind)k));
}

/* A stable id: lower-case letters and digits in words joined by single '-'. */
static bool kebab_case(const char *id)
{
    if (!id || !islower((unsigned char)id[0]))
        return false;
    for (const char *p = id; *p; p++) {
        bool word = islower((unsigned char)*p) || isdigit((unsigned char)*p);
        if (!word && !(*p == '-' && p[1] && p[1] != '-'))
            return false;
    }
    return true;
}

Test(rules, every_rule_has_a_unique_kebab_case_id_and_a_row)
{
    cr_assert_gt(KW_RULE_COUNT, 0);
    for (int i = 0; i < KW_RULE_COUNT; i++) {
        const struct kw_rule *r = &kw_rules[i];
        cr_expect(kebab_case(r->id), "rule %d: id \"%s\" is not kebab-case", i,
                  r->id ? r->id : "(null)");
        if (!r->id)
            continue;
        cr_expect_eq(kw_rule_id_string((enum kw_rule_id)i), r->id);
        cr_expect(r->summary && r->summary[0] && !strchr(r->summary, '\n'), "%s: summary", r->id);
        cr_expect(r->severity == KW_SEV_DENY || r->severity == KW_SEV_WARN ||
                      r->severity == KW_SEV_DEFAULT,
                  "%s: severity", r->id);
        cr_expect(r->kinds && !(r->kinds & ~(unsigned)(KW_KB_KOPIA | KW_KB_KM | KW_KB_POLICY)),
                  "%s: kinds", r->id);
        for (int j = i + 1; j < KW_RULE_COUNT; j++)
            cr_expect(!kw_rules[j].id || strcmp(r->id, kw_rules[j].id) != 0,
                      "rule %s is in the list twice", r->id);
    }
}

/* The enum constant spells the id (KW_RULE_MOVER_REQUIRED: "mover-required"),
 * so code that names a rule reads as its id, and the list's rows are the
 * enum's values in order. */
Test(rules, every_enum_name_spells_its_id)
{
    static const struct {
        int value;
        const char *name, *id;
    } rows[] = {
#define KW_X_RULE_NAME(name, id, kinds, severity, summary) {KW_RULE_##name, #name, id},
        KW_RULE_LIST(KW_X_RULE_NAME)
#undef KW_X_RULE_NAME
    };
    cr_assert_eq(sizeof(rows) / sizeof(rows[0]), (size_t)KW_RULE_COUNT);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cr_expect_eq(rows[i].value, (int)i, "KW_RULE_%s", rows[i].name);
        char spelt[128];
        size_t n = 0;
        for (const char *p = rows[i].name; *p && n + 1 < sizeof(spelt); p++)
            spelt[n++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
        spelt[n] = '\0';
        cr_expect_str_eq(spelt, rows[i].id, "KW_RULE_%s", rows[i].name);
    }
}

Test(rules, kw_rule_find_round_trips_and_knows_nothing_else)
{
    for (int i = 0; i < KW_RULE_COUNT; i++) {
        enum kw_rule_id r = (enum kw_rule_id)i;
        cr_expect_eq(kw_rule_find(kw_rule_id_string(r)), r, "%s", kw_rule_id_string(r));
    }
    cr_expect_eq(kw_rule_find("no-such-rule"), KW_RULE_NONE);
    cr_expect_eq(kw_rule_find("Mover-Required"), KW_RULE_NONE);
    cr_expect_eq(kw_rule_find(""), KW_RULE_NONE);
    cr_expect_eq(kw_rule_find(NULL), KW_RULE_NONE);
    cr_expect_str_eq(kw_rule_id_string(KW_RULE_NONE), "");
    cr_expect_str_eq(kw_rule_id_string((enum kw_rule_id)KW_RULE_COUNT), "");
}

Test(rules, the_doc_lists_every_rule_of_the_table_and_nothing_else)
{
    static const char *const sev_names[] = {"Deny", "Warn", "Default"};
    for (int i = 0; i < KW_RULE_COUNT; i++) {
        const struct kw_rule *r = &kw_rules[i];
        const struct doc_rule *d = doc_find(r->id);
        cr_expect(d, "rule %s is not in docs/rules.md", r->id);
        if (!d)
            continue;
        cr_expect_str_eq(d->severity, sev_names[r->severity], "%s: severity", r->id);
        char kinds[160];
        kinds_text(r->kinds, kinds, sizeof(kinds));
        cr_expect_str_eq(d->kinds, kinds, "%s: kinds", r->id);
    }
    for (size_t i = 0; i < ndocs; i++) {
        cr_expect(kw_rule_find(docs[i].id) != KW_RULE_NONE,
                  "docs/rules.md documents %s, which is not a rule", docs[i].id);
        for (size_t j = i + 1; j < ndocs; j++)
            cr_expect(strcmp(docs[i].id, docs[j].id) != 0, "%s is documented twice", docs[i].id);
    }
}

/* Runs one documented example on /validate and looks for its message. */
static bool example_gives(const struct kw_config *cfg, const struct doc_rule *d, char *got,
                          size_t gotlen)
{
    struct kw_yaml_error yerr;
    json_t *obj = kw_yaml_load_one(d->example, strlen(d->example), &yerr);
    cr_assert(obj, "%s: example is not YAML: %s", d->id, yerr.text);
    const char *kind = kw_obj_str(obj, "kind");
    json_t *meta = kw_obj_get(obj, "metadata");
    /* apiVersion "v1" (ConfigMap, Secret) is the core group. */
    const char *api = kw_obj_str(obj, "apiVersion");
    const char *group = api && !strchr(api, '/') ? "" : "volsync.backube";
    struct kw_review rv = {
        .kind_group = group,
        .kind_name = kind,
        .kind = kw_kind_of(group, kind ? kind : ""),
        .operation = "CREATE",
        .op = KW_OP_CREATE,
        .name = kw_obj_str(meta, "name") ? kw_obj_str(meta, "name") : "",
        .namespace = kw_obj_str(meta, "namespace") ? kw_obj_str(meta, "namespace") : "",
        .object = obj,
    };
    struct kw_result res;
    kw_result_init(&res);
    kw_evaluate(cfg, KW_HOOK_VALIDATE, &rv, &res);
    enum kw_rule_id want = kw_rule_find(d->id);
    bool found = false;
    snprintf(got, gotlen, "(nothing under that id)");
    if (want == KW_RULE_OBJECT_DECODE && res.bad_request) {
        snprintf(got, gotlen, "%s", res.bad_request);
        found = strcmp(res.bad_request, d->message) == 0;
    }
    for (size_t i = 0; i < res.ncauses && !found; i++) {
        if (res.causes[i].rule_id != want)
            continue;
        char *b = kw_cause_body(&res.causes[i]);
        snprintf(got, gotlen, "%s: %s", res.causes[i].field, b);
        free(b);
        found = strcmp(got, d->message) == 0;
    }
    for (size_t i = 0; i < res.nwarnings && !found; i++) {
        if (res.warnings[i].rule_id != want)
            continue;
        snprintf(got, gotlen, "%s", res.warnings[i].text);
        found = strcmp(got, d->message) == 0;
    }
    kw_result_free(&res);
    json_decref(obj);
    return found;
}

Test(rules, every_documented_example_gives_its_documented_message)
{
    char err[512];
    struct kw_schema_set *set = kw_schema_set_load(err, sizeof(err));
    cr_assert(set, "%s", err);
    struct kw_config cfg;
    kw_config_defaults(&cfg);
    cfg.schemas = set;
    cfg.deny_actions = cfg.deny_foreign_hostname = cfg.deny_cross_namespace_source = true;
    size_t checked = 0;
    for (size_t i = 0; i < ndocs; i++) {
        const struct doc_rule *d = &docs[i];
        if (!d->example && !d->message)
            continue;
        cr_expect(d->example && d->message, "%s: an example needs a message and vice versa", d->id);
        if (!d->example || !d->message)
            continue;
        char got[2048];
        /* An admin switch that turns a warning into a deny: on for the
         * admin rules' examples only. */
        cfg.deny_inline_repository_config = strncmp(d->id, "admin-", 6) == 0;
        cr_expect(example_gives(&cfg, d, got, sizeof(got)), "%s: documented\n  %s\nbut got\n  %s",
                  d->id, d->message, got);
        checked++;
    }
    /* Every rule of the Kopia validator carries a checked example. */
    cr_expect_geq(checked, 67);
    kw_schema_set_free(set);
}
