/* Multi-document streams split at their column-0 markers (kw_yaml_split) and
 * each part loaded on its own with the stream's line numbers
 * (kw_yaml_load_part), so one bad document hides no other. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/yaml.h"

/* Splits `text` and checks each part's text and first line; `want` holds
 * pairs of (text, line), NULL-terminated. */
static void expect_parts(const char *text, const char *const *want_texts, const size_t *want_lines,
                         size_t want_n)
{
    struct kw_yaml_part *parts = NULL;
    size_t n = 0;
    cr_assert_eq(kw_yaml_split(text, strlen(text), &parts, &n), 0);
    cr_assert_eq(n, want_n, "%s: %zu parts, want %zu", text, n, want_n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(parts[i].len, strlen(want_texts[i]), "part %zu of %s", i, text);
        cr_assert(memcmp(text + parts[i].offset, want_texts[i], parts[i].len) == 0,
                  "part %zu of %s: %.*s", i, text, (int)parts[i].len, text + parts[i].offset);
        cr_assert_eq(parts[i].first_line, want_lines[i], "part %zu of %s: line %zu", i, text,
                     parts[i].first_line);
    }
    free(parts);
}

#define PARTS(text, ...)                                                                           \
    do {                                                                                           \
        const char *const texts_[] = {__VA_ARGS__};                                                \
        expect_parts(text, texts_, lines_, sizeof(texts_) / sizeof(texts_[0]));                    \
    } while (0)

Test(yaml_split, no_marker_is_one_part)
{
    static const size_t lines_[] = {1};
    PARTS("a: 1\nb: 2\n", "a: 1\nb: 2\n");
    PARTS("", "");
}

Test(yaml_split, markers_start_documents)
{
    static const size_t lines_[] = {1, 2, 4};
    PARTS("a: 1\n---\nb: 2\n--- {c: 3}\n", "a: 1\n", "---\nb: 2\n", "--- {c: 3}\n");
}

Test(yaml_split, leading_comments_and_directives_stay_with_their_document)
{
    static const size_t lines_[] = {1, 5};
    PARTS("# head\n%YAML 1.1\n---\na: 1\n---\nb: 2", "# head\n%YAML 1.1\n---\na: 1\n", "---\nb: 2");
}

Test(yaml_split, document_end_marker_ends_a_part)
{
    static const size_t lines_[] = {1, 3};
    PARTS("a: 1\n...\n---\nb: 2\n", "a: 1\n...\n", "---\nb: 2\n");
}

Test(yaml_split, only_column_0_markers_split)
{
    static const size_t lines_[] = {1, 5};
    /* Indented inside a block scalar, followed by text, or in a comment:
     * not markers. */
    PARTS("a: |\n  ---\n  text\n---x: 1\n---\t# next\nb: 2\n", "a: |\n  ---\n  text\n---x: 1\n",
          "---\t# next\nb: 2\n");
}

Test(yaml_split, crlf_and_byte_order_mark)
{
    static const size_t lines_[] = {1, 2};
    PARTS("\xEF\xBB\xBF---\r\na: 1\r\n", "\xEF\xBB\xBF---\r\na: 1\r\n");
    PARTS("a: 1\r\n---\r\nb: 2\r\n", "a: 1\r\n", "---\r\nb: 2\r\n");
}

Test(yaml_split, empty_documents_are_parts)
{
    static const size_t lines_[] = {1, 2, 3};
    PARTS("---\n---\n---\na: 1\n", "---\n", "---\n", "---\na: 1\n");
}

/* Loads part `i` of `text` with positions. */
static json_t *load_part(const char *text, size_t i, struct kw_yaml_positions *pos,
                         struct kw_yaml_error *err)
{
    struct kw_yaml_part *parts = NULL;
    size_t n = 0;
    cr_assert_eq(kw_yaml_split(text, strlen(text), &parts, &n), 0);
    cr_assert(i < n);
    json_t *docs =
        kw_yaml_load_part(text + parts[i].offset, parts[i].len, parts[i].first_line, pos, err);
    free(parts);
    return docs;
}

static size_t line_of(const struct kw_yaml_positions *pos, const char *path)
{
    for (size_t i = 0; i < pos->len; i++)
        if (strcmp(pos->items[i].path, path) == 0)
            return pos->items[i].line;
    return 0;
}

Test(yaml_split, parts_load_on_their_own_with_the_streams_lines)
{
    const char *text = "a: 1\n---\nb: [\n---\n# c\nkind: List\nitems:\n- x: 1\n-   y: 2\n";
    struct kw_yaml_positions pos;
    struct kw_yaml_error err;
    json_t *docs = load_part(text, 0, &pos, &err);
    cr_assert(docs && json_array_size(docs) == 1);
    cr_assert_eq(line_of(&pos, ""), 1);
    json_decref(docs);
    kw_yaml_positions_free(&pos);

    /* The bad document: its error has the stream's line. */
    cr_assert_null(load_part(text, 1, &pos, &err));
    cr_assert_eq(err.line, 4, "line %zu: %s", err.line, err.text);
    cr_assert(strncmp(err.text, "line 4, column ", 15) == 0, "%s", err.text);
    cr_assert(strstr(err.text, err.detail), "%s / %s", err.text, err.detail);
    cr_assert_eq(pos.len, 0);

    /* The one after it loads, with the lines of its root and its items. */
    docs = load_part(text, 2, &pos, &err);
    cr_assert(docs && json_array_size(docs) == 1, "%s", err.text);
    cr_assert_eq(line_of(&pos, ""), 6);
    cr_assert_eq(line_of(&pos, "items[0]"), 8);
    cr_assert_eq(line_of(&pos, "items[1]"), 9);
    json_decref(docs);
    kw_yaml_positions_free(&pos);
}

Test(yaml_split, positions_are_optional)
{
    struct kw_yaml_error err;
    json_t *docs = kw_yaml_load_part("a: 1\na: 2\n", 10, 10, NULL, &err);
    cr_assert_null(docs);
    cr_assert_eq(err.line, 11, "%s", err.text);
    cr_assert_str_eq(err.text, "line 11, column 1: mapping key \"a\" already defined");
    docs = kw_yaml_load_part("a: 1", 4, 10, NULL, &err);
    cr_assert(docs && json_array_size(docs) == 1);
    json_decref(docs);

    /* A scalar root has a position too. */
    struct kw_yaml_positions pos;
    docs = kw_yaml_load_part("hello\n", 6, 5, &pos, &err);
    cr_assert(docs && json_array_size(docs) == 1);
    cr_assert_eq(line_of(&pos, ""), 5);
    json_decref(docs);
    kw_yaml_positions_free(&pos);
}
