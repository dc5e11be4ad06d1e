/* The JSON text writer (include/kw/json/writer.h) against jansson 2.14's own
 * dump with JSON_COMPACT: the escaping of every byte and of byte sequences
 * around every UTF-8 boundary (refused exactly where jansson refuses),
 * member names, nesting and commas, every kind of value, integers and
 * base64; then the sticky first failure, and a buffer limit at every offset
 * of a document (each must fail cleanly, with nothing leaked). */
#include <criterion/criterion.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kw/json/writer.h"

/* jansson's text for a value (steals `v`), or NULL when jansson refuses. */
static char *jansson_text(json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    return text;
}

/* The writer's text of one string value, or NULL when it fails. */
static char *writer_string(const char *s, size_t len)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    struct kw_json_writer w;
    kw_json_writer_init(&w, &b);
    kw_json_write_stringn(&w, s, len);
    if (kw_json_writer_status(&w) != KW_JSON_WRITER_OK) {
        cr_assert_eq(kw_json_writer_status(&w), KW_JSON_WRITER_INVALID);
        kw_dynbuf_free(&b);
        return NULL;
    }
    return kw_dynbuf_take(&b, NULL);
}

/* Both write the same string alike, or both refuse it. */
static void assert_string_as_jansson(const char *s, size_t len)
{
    char *want = jansson_text(json_stringn_nocheck(s, len));
    char *got = writer_string(s, len);
    char shown[64] = "";
    for (size_t i = 0, o = 0; i < len && o + 4 < sizeof(shown); i++)
        o += (size_t)snprintf(shown + o, sizeof(shown) - o, "%02x ", (unsigned char)s[i]);
    if (!want)
        cr_assert_null(got, "bytes %s: jansson refuses, the writer wrote %s", shown, got);
    else
        cr_assert(got && strcmp(got, want) == 0, "bytes %s: jansson %s, writer %s", shown, want,
                  got ? got : "(refused)");
    free(want);
    free(got);
}

Test(json_writer, every_byte_alone_and_inside_text_is_escaped_as_jansson_does)
{
    for (int c = 0; c < 256; c++) {
        char one = (char)c;
        assert_string_as_jansson(&one, 1);
        char inside[5] = {'a', 'b', (char)c, 'y', 'z'};
        assert_string_as_jansson(inside, sizeof(inside));
    }
}

/* The plain bytes are skipped sixteen at a time, then 64 (four blocks of
 * sixteen), then sixteen, eight and one near the end: a byte to escape at
 * every offset across those blocks, in strings of every length around
 * them, is written as jansson writes it. */
Test(json_writer, a_byte_to_escape_at_every_offset_of_a_long_string)
{
    static const char specials[] = {'"', '\\', '\n', 0x01, 0x1f, 0x7f, (char)0xc3, (char)0xff};
    char text[260];
    for (size_t k = 0; k < sizeof(specials); k++)
        for (size_t at = 0; at < 180; at++)
            for (size_t tail = 0; tail < 80; tail += 13) {
                size_t n = 0;
                for (size_t i = 0; i < at; i++)
                    text[n++] = (char)('a' + i % 26);
                text[n++] = specials[k];
                if (specials[k] == (char)0xc3)
                    text[n++] = (char)0xa9; /* a valid two-byte sequence */
                for (size_t i = 0; i < tail; i++)
                    text[n++] = 'z';
                assert_string_as_jansson(text, n);
            }
}

Test(json_writer, control_bytes_are_upper_case_unicode_escapes)
{
    char *got = writer_string("\x01\x1f\x7f/\b\f\n\r\t\"\\", 11);
    cr_assert_str_eq(got, "\"\\u0001\\u001F\x7f/\\b\\f\\n\\r\\t\\\"\\\\\"");
    free(got);
    got = writer_string("a\0b", 3);
    cr_assert_str_eq(got, "\"a\\u0000b\"");
    free(got);
}

Test(json_writer, every_pair_of_bytes_is_written_or_refused_as_jansson_does)
{
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++) {
            char s[2] = {(char)a, (char)b};
            assert_string_as_jansson(s, 2);
        }
}

/* Bytes where UTF-8's rules change: ASCII edges, continuation ranges, lead
 * bytes of overlong forms, surrogates and the end of Unicode. */
static const unsigned char edges[] = {0x00, 0x1f, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0x8f,
                                      0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
                                      0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
#define NEDGES (sizeof(edges) / sizeof(edges[0]))

Test(json_writer, three_and_four_byte_sequences_around_utf8_boundaries_match_jansson)
{
    static const unsigned char leads[] = {0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf1, 0xf4, 0xf5};
    for (size_t i = 0; i < NEDGES; i++)
        for (size_t j = 0; j < NEDGES; j++)
            for (size_t k = 0; k < NEDGES; k++) {
                char s[3] = {(char)edges[i], (char)edges[j], (char)edges[k]};
                assert_string_as_jansson(s, 3);
            }
    for (size_t l = 0; l < sizeof(leads); l++)
        for (size_t i = 0; i < NEDGES; i++)
            for (size_t j = 0; j < NEDGES; j++)
                for (size_t k = 0; k < NEDGES; k++) {
                    char s[4] = {(char)leads[l], (char)edges[i], (char)edges[j], (char)edges[k]};
                    assert_string_as_jansson(s, 4);
                }
}

Test(json_writer, utf8_passes_through)
{
    const char *text = "é € 😀 \xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80";
    assert_string_as_jansson(text, strlen(text));
    char *got = writer_string(text, strlen(text));
    cr_assert_eq(strlen(got), strlen(text) + 2);
    cr_assert_eq(memcmp(got + 1, text, strlen(text)), 0);
    free(got);
}

/* A writer on a fresh unlimited buffer; capture_text checks it did not
 * fail and hands over the text (free it). */
struct capture {
    struct kw_dynbuf buf;
    struct kw_json_writer w;
};

static struct kw_json_writer *capture_start(struct capture *c)
{
    kw_dynbuf_init(&c->buf, KW_DYNBUF_UNLIMITED);
    kw_json_writer_init(&c->w, &c->buf);
    return &c->w;
}

static char *capture_text(struct capture *c)
{
    cr_assert_eq(kw_json_writer_status(&c->w), KW_JSON_WRITER_OK);
    return kw_dynbuf_take(&c->buf, NULL);
}

/* A document that uses every call: nesting, empty containers, commas after
 * a nested container, keys with escapes, every value kind. */
static json_t *sample_value(void)
{
    json_t *v = json_pack("{s:[i,[],{},[{s:b,s:n}],s],s:{},s:I,s:f}", "a", 1, "b", true, "c", "x",
                          "d", "e", (json_int_t)LLONG_MIN, "r", 0.1);
    cr_assert(v);
    cr_assert_eq(json_object_set_new(v, "k\x01\"\\/é", json_stringn("s\0t", 3)), 0);
    return v;
}

static void write_sample(struct kw_json_writer *w)
{
    json_t *real = json_real(0.1);
    kw_json_write_object_begin(w);
    kw_json_write_key(w, "a");
    kw_json_write_array_begin(w);
    kw_json_write_integer(w, 1);
    kw_json_write_array_begin(w);
    kw_json_write_array_end(w);
    kw_json_write_object_begin(w);
    kw_json_write_object_end(w);
    kw_json_write_array_begin(w);
    kw_json_write_object_begin(w);
    kw_json_write_key(w, "b");
    kw_json_write_bool(w, true);
    kw_json_write_key(w, "c");
    kw_json_write_value(w, json_null());
    kw_json_write_object_end(w);
    kw_json_write_array_end(w);
    kw_json_write_string(w, "x");
    kw_json_write_array_end(w);
    kw_json_write_key(w, "d");
    kw_json_write_object_begin(w);
    kw_json_write_object_end(w);
    kw_json_write_key(w, "e");
    kw_json_write_integer(w, LLONG_MIN);
    kw_json_write_key(w, "r");
    kw_json_write_value(w, real);
    kw_json_write_key(w, "k\x01\"\\/é");
    kw_json_write_stringn(w, "s\0t", 3);
    kw_json_write_object_end(w);
    json_decref(real);
}

Test(json_writer, nesting_and_commas_match_jansson)
{
    char *want = jansson_text(sample_value());
    struct capture c;
    write_sample(capture_start(&c));
    char *got = capture_text(&c);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
    struct kw_json_writer *w = capture_start(&c);
    kw_json_write_array_begin(w);
    kw_json_write_array_end(w);
    got = capture_text(&c);
    cr_assert_str_eq(got, "[]");
    free(got);
}

Test(json_writer, any_value_is_written_as_jansson_dumps_it)
{
    json_t *key_with_nul = json_object();
    json_object_setn_new(key_with_nul, "a\0b", 3, json_integer(1));
    json_t *values[] = {
        json_string(""),
        json_string("plain"),
        json_stringn("\0\x01\"\\\x7f", 5),
        json_integer(0),
        json_integer(-1),
        json_integer(LLONG_MAX),
        json_integer(LLONG_MIN),
        json_real(0.1),
        json_real(-0.0),
        json_real(3.0),
        json_real(1e300),
        json_real(-2.5e-300),
        json_true(),
        json_false(),
        json_null(),
        json_object(),
        json_array(),
        sample_value(),
        key_with_nul,
        json_pack("[s,[[[{s:[i,f,n]}]]]]", "é", "x", 7, 1.5),
    };
    json_t *all = json_array();
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        cr_assert(values[i]);
        char *want = json_dumps(values[i], JSON_COMPACT | JSON_ENCODE_ANY);
        struct capture c;
        kw_json_write_value(capture_start(&c), values[i]);
        char *got = capture_text(&c);
        cr_assert_str_eq(got, want, "value %zu", i);
        free(got);
        free(want);
        json_array_append(all, values[i]);
    }
    /* And all of them as members of an array, after commas. */
    char *want = json_dumps(all, JSON_COMPACT);
    struct capture c;
    struct kw_json_writer *w = capture_start(&c);
    kw_json_write_array_begin(w);
    for (size_t i = 0; i < json_array_size(all); i++)
        kw_json_write_value(w, json_array_get(all, i));
    kw_json_write_array_end(w);
    char *got = capture_text(&c);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        json_decref(values[i]);
    json_decref(all);
}

Test(json_writer, integers_are_printf_lld)
{
    long long samples[] = {0,
                           1,
                           -1,
                           9,
                           10,
                           -10,
                           99,
                           100,
                           422,
                           2147483647LL,
                           -2147483648LL,
                           LLONG_MAX,
                           LLONG_MIN,
                           LLONG_MIN + 1,
                           1000000000000000000LL};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char want[32];
        snprintf(want, sizeof(want), "%lld", samples[i]);
        struct capture c;
        kw_json_write_integer(capture_start(&c), samples[i]);
        char *got = capture_text(&c);
        cr_assert_str_eq(got, want);
        free(got);
    }
}

Test(json_writer, base64_is_evp_encode_block_in_quotes)
{
    unsigned char data[300];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof(data); len++) {
        char want[410] = "\"";
        int n = EVP_EncodeBlock((unsigned char *)want + 1, data, (int)len);
        want[n + 1] = '"';
        want[n + 2] = 0;
        struct capture c;
        kw_json_write_base64(capture_start(&c), data, len);
        char *got = capture_text(&c);
        cr_assert_str_eq(got, want, "length %zu", len);
        free(got);
    }
    struct capture c;
    struct kw_json_writer *w = capture_start(&c);
    kw_json_write_object_begin(w);
    kw_json_write_key(w, "p");
    kw_json_write_base64(w, "[]", 2);
    kw_json_write_key(w, "q");
    kw_json_write_base64(w, NULL, 0);
    kw_json_write_object_end(w);
    char *got = capture_text(&c);
    cr_assert_str_eq(got, "{\"p\":\"W10=\",\"q\":\"\"}");
    free(got);
}

Test(json_writer, the_first_failure_sticks_and_later_calls_do_nothing)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    struct kw_json_writer w;
    kw_json_writer_init(&w, &b);
    kw_json_write_array_begin(&w);
    kw_json_write_string(&w, "ok");
    kw_json_write_string(&w, "bad \xff byte");
    cr_assert_eq(kw_json_writer_status(&w), KW_JSON_WRITER_INVALID);
    size_t len = kw_dynbuf_len(&b);
    kw_json_write_string(&w, "more");
    kw_json_write_integer(&w, 1);
    kw_json_write_bool(&w, true);
    kw_json_write_key(&w, "k");
    kw_json_write_value(&w, json_null());
    kw_json_write_base64(&w, "x", 1);
    kw_json_write_array_end(&w);
    kw_json_writer_fail(&w, KW_JSON_WRITER_NO_MEMORY);
    cr_assert_eq(kw_dynbuf_len(&b), len, "nothing is written after a failure");
    cr_assert_eq(kw_json_writer_status(&w), KW_JSON_WRITER_INVALID, "the first failure is kept");
    kw_dynbuf_free(&b);

    /* NULL strings, keys and values are refused, as json_pack refuses them. */
    const int kinds = 3;
    for (int k = 0; k < kinds; k++) {
        kw_json_writer_init(&w, &b);
        if (k == 0)
            kw_json_write_string(&w, NULL);
        else if (k == 1)
            kw_json_write_key(&w, NULL);
        else
            kw_json_write_value(&w, NULL);
        cr_assert_eq(kw_json_writer_status(&w), KW_JSON_WRITER_INVALID);
        kw_dynbuf_free(&b);
    }

    /* A value jansson refuses to dump (a string that is not UTF-8 inside an
     * array, written by jansson) fails the writer too. */
    json_t *bad = json_array();
    json_array_append_new(bad, json_stringn_nocheck("\xc0\x80", 2));
    kw_json_writer_init(&w, &b);
    kw_json_write_value(&w, bad);
    cr_assert_eq(kw_json_writer_status(&w), KW_JSON_WRITER_INVALID);
    kw_dynbuf_free(&b);
    json_decref(bad);

    /* A caller's own failure is recorded the same way. */
    kw_json_writer_init(&w, &b);
    kw_json_writer_fail(&w, KW_JSON_WRITER_NO_MEMORY);
    kw_json_write_string(&w, "x");
    cr_assert_eq(kw_json_writer_status(&w), KW_JSON_WRITER_NO_MEMORY);
    cr_assert_eq(kw_dynbuf_len(&b), 0);
    kw_dynbuf_free(&b);
}

/* The sample plus base64, so that every kind of write meets the limit. */
static void write_limited_sample(struct kw_json_writer *w)
{
    kw_json_write_array_begin(w);
    write_sample(w);
    json_t *obj = sample_value();
    kw_json_write_value(w, obj);
    json_decref(obj);
    kw_json_write_base64(w, "some patch text", 15);
    kw_json_write_string(w, "tail \x01");
    kw_json_write_array_end(w);
}

Test(json_writer, a_limit_at_every_offset_fails_cleanly)
{
    struct capture c;
    write_limited_sample(capture_start(&c));
    char *full = capture_text(&c);
    size_t n = strlen(full);
    for (size_t limit = 0; limit <= n; limit++) {
        struct kw_dynbuf b;
        kw_dynbuf_init(&b, limit);
        struct kw_json_writer w;
        kw_json_writer_init(&w, &b);
        write_limited_sample(&w);
        if (limit < n) {
            cr_assert_eq(kw_json_writer_status(&w), KW_JSON_WRITER_TOO_BIG, "limit %zu", limit);
            cr_assert_leq(kw_dynbuf_len(&b), limit);
            cr_assert_eq(memcmp(kw_dynbuf_ptr(&b), full, kw_dynbuf_len(&b)), 0,
                         "limit %zu: %s is no prefix of %s", limit, kw_dynbuf_ptr(&b), full);
        } else {
            cr_assert_eq(kw_json_writer_status(&w), KW_JSON_WRITER_OK);
            cr_assert_str_eq(kw_dynbuf_ptr(&b), full);
        }
        kw_dynbuf_free(&b);
    }
    free(full);
}

Test(json_writer, appends_after_what_the_buffer_holds)
{
    struct kw_dynbuf b;
    kw_dynbuf_init(&b, KW_DYNBUF_UNLIMITED);
    cr_assert_eq(kw_dynbuf_append(&b, "x=", 2), KW_DYNBUF_OK);
    struct kw_json_writer w;
    kw_json_writer_init(&w, &b);
    kw_json_write_integer(&w, 5);
    cr_assert_str_eq(kw_dynbuf_ptr(&b), "x=5");
    kw_dynbuf_free(&b);
}
