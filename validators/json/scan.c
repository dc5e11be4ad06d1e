/* The strict single-pass JSON lexer and grammar: kw_json_scan() reads a
 * length-delimited buffer once, left to right, and reports one event per
 * value, key and container boundary. kw_json_decode() builds its tree from
 * these events, so both accept the same language with the same errors.
 *
 * The rules, error texts and error positions are those of jansson 2.14's
 * json_loadb() with flags 0 (see docs/json.md for the two deliberate
 * differences). Strings are scanned sixteen bytes at a time and then 64
 * (SSE2; eight elsewhere) for the bytes that need attention ('"', '\\', control bytes, non-ASCII);
 * strings without escapes are reported in place, without a copy. Nesting is tracked with an
 * explicit stack: no recursion; kw_json_scan_document() differs only in not counting a scalar as a
 * level of it. */
#include "kw/json/json.h"
#include "internal.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson prints the token text after an error only when it is this short. */
#define CONTEXT_MAX 20

enum tok {
    T_EOF,
    T_LBRACE,
    T_RBRACE,
    T_LBRACKET,
    T_RBRACKET,
    T_COLON,
    T_COMMA,
    T_STRING,
    T_INTEGER,
    T_REAL,
    T_TRUE,
    T_FALSE,
    T_NULL,
    T_INVALID, /* not a token; the grammar words the error by position */
    T_ERROR    /* lexical error, already reported */
};

/* Growable buffer for decoded strings that contained escapes. */
struct scratch {
    char *buf;
    size_t cap;
};

struct lexer {
    const unsigned char *base, *end;
    const unsigned char *p;   /* next byte to read */
    const unsigned char *tok; /* first byte of the current token */
    /* Token positions: line count, start of the current line, and the
     * number of UTF-8 continuation bytes read (all inside strings) so that
     * columns count characters. */
    size_t line;
    const unsigned char *line_start;
    size_t cont, cont_at_line_start, cont_at_tok;
    /* Value of the current token. */
    const char *text;
    size_t len;
    int has_nul; /* string decoded a \u0000 */
    long long integer;
    double real;
    /* Two buffers, used in turn, so that a key's decoded text survives the
     * decoding of the string value that follows it. */
    struct scratch scratch[2];
    unsigned which;
    locale_t c_locale; /* created on the first real number */
    struct kw_json_error *err;
};

/*** errors ***/

/* Appends the token text [from, to) as jansson's "near '...'" context, cut
 * before a control byte or an incomplete UTF-8 sequence so that error texts
 * stay printable UTF-8. */
static void append_context(char *dst, size_t cap, const unsigned char *from,
                           const unsigned char *to)
{
    const unsigned char *p = from;
    while (p < to && *p >= 0x20) {
        size_t n = *p < 0x80 ? 1 : kw_json_utf8_length(p, to);
        if (n == 0)
            break;
        p += n;
    }
    size_t used = strlen(dst);
    snprintf(dst + used, cap - used, " near '%.*s'", (int)(p - from), (const char *)from);
}

/* How an error text names the token it stopped in. */
enum context {
    CTX_TOKEN,      /* "near '<token so far>'", or "near end of file" */
    CTX_TOKEN_ONLY, /* the same without "near end of file" (invalid UTF-8) */
    CTX_NONE        /* nothing (out of memory) */
};

/* Fills lx->err: the position is `pos` (bytes consumed), line and column
 * are counted the way jansson counts them (characters, not bytes), and the
 * text gets the token's context like jansson's: "near '<token so far>'",
 * "near end of file" when no token byte was read, nothing when the token is
 * longer than CONTEXT_MAX bytes. */
__attribute__((format(printf, 4, 5))) static int
lex_fail(struct lexer *lx, const unsigned char *pos, enum context ctx, const char *fmt, ...)
{
    struct kw_json_error *err = lx->err;
    if (!err)
        return T_ERROR;
    size_t line = 1;
    const unsigned char *line_start = lx->base;
    for (const unsigned char *q = lx->base; q < pos; q++) {
        q = memchr(q, '\n', (size_t)(pos - q));
        if (!q)
            break;
        line++;
        line_start = q + 1;
    }
    size_t column = 0;
    for (const unsigned char *q = line_start; q < pos; q++)
        column += (*q & 0xC0) != 0x80;
    err->line = line;
    err->column = column;
    err->position = (size_t)(pos - lx->base);

    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    size_t context_len = (size_t)(pos - lx->tok);
    if (ctx == CTX_NONE)
        return T_ERROR;
    if (context_len == 0) {
        if (ctx == CTX_TOKEN) {
            size_t used = strlen(err->text);
            snprintf(err->text + used, sizeof err->text - used, " near end of file");
        }
    } else if (context_len <= CONTEXT_MAX) {
        append_context(err->text, sizeof err->text, lx->tok, pos);
    }
    return T_ERROR;
}

/* An allocation of the scanner itself failed (a string with escapes, a long
 * number): the error says so and is marked as such, not as bad syntax. */
static int lex_fail_memory(struct lexer *lx, const unsigned char *pos)
{
    lex_fail(lx, pos, CTX_NONE, "not enough memory");
    if (lx->err)
        lx->err->failure = KW_JSON_FAIL_NO_MEMORY;
    return T_ERROR;
}

static int fail_utf8(struct lexer *lx, const unsigned char *at)
{
    return lex_fail(lx, at, CTX_TOKEN_ONLY, "unable to decode byte 0x%x", *at);
}

/*** characters ***/

#define PEEK_END   (-1)
#define PEEK_ERROR (-2)

/* The byte at p as the next character: PEEK_END at the end of input, and
 * PEEK_ERROR (reported) when it starts an invalid UTF-8 sequence, since
 * jansson decodes every character it looks at, even one past a token. */
static int peek(struct lexer *lx, const unsigned char *p)
{
    if (p == lx->end)
        return PEEK_END;
    if (*p < 0x80 || kw_json_utf8_length(p, lx->end))
        return *p;
    fail_utf8(lx, p);
    return PEEK_ERROR;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*** strings ***/

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* State of the string being decoded. jansson checks a string's raw syntax
 * to its closing quote before it decodes escapes, so a surrogate error is
 * remembered here and reported only when the rest of the string is sound. */
struct string_state {
    struct scratch *out; /* NULL until the first escape */
    size_t len;          /* bytes in out->buf */
    uint32_t high;       /* pending high surrogate, 0 if none */
    int bad;             /* 1: lone surrogate, 2: bad pair; first error wins */
    uint32_t bad_first, bad_second;
};

/* Reads the four hex digits after "\u" (p points at the 'u'). Returns the
 * code unit, or -1 with the error reported. */
static long read_hex4(struct lexer *lx, const unsigned char **pp)
{
    const unsigned char *p = *pp;
    long value = 0;
    for (int i = 0; i < 4; i++) {
        p++;
        int c = peek(lx, p);
        if (c == PEEK_ERROR)
            return -1;
        int h = c == PEEK_END ? -1 : hex_value(c);
        if (h < 0) {
            lex_fail(lx, c == PEEK_END ? p : p + 1, CTX_TOKEN, "invalid escape");
            return -1;
        }
        value = value * 16 + h;
    }
    *pp = p + 1;
    return value;
}

static void note_bad_surrogate(struct string_state *st, int kind, uint32_t first, uint32_t second)
{
    if (!st->bad) {
        st->bad = kind;
        st->bad_first = first;
        st->bad_second = second;
    }
}

/* Decodes one \uXXXX code unit into the output, pairing surrogates. `next`
 * points just past the escape. */
static void decode_code_unit(struct lexer *lx, struct string_state *st, uint32_t unit,
                             const unsigned char *next)
{
    if (st->bad)
        return;
    uint32_t cp = unit;
    if (st->high) {
        uint32_t high = st->high;
        st->high = 0;
        if (unit < 0xDC00 || unit > 0xDFFF) {
            note_bad_surrogate(st, 2, high, unit);
            return;
        }
        cp = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
    } else if (unit >= 0xD800 && unit <= 0xDBFF) {
        if (lx->end - next >= 2 && next[0] == '\\' && next[1] == 'u')
            st->high = unit;
        else
            note_bad_surrogate(st, 1, unit, 0);
        return;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        note_bad_surrogate(st, 1, unit, 0);
        return;
    }
    if (cp == 0)
        lx->has_nul = 1;
    st->len += utf8_encode(cp, st->out->buf + st->len);
}

/* Handles the escape whose backslash is at *pp; on success *pp points past
 * it. The output has room for what it writes (append_plain). */
static int lex_escape(struct lexer *lx, struct string_state *st, const unsigned char **pp)
{
    const unsigned char *p = *pp + 1;
    int c = peek(lx, p);
    if (c == PEEK_ERROR)
        return -1;
    if (c == PEEK_END) {
        lex_fail(lx, p, CTX_TOKEN, "invalid escape");
        return -1;
    }
    char byte;
    switch (c) {
    case '"':
    case '\\':
    case '/':
        byte = (char)c;
        break;
    case 'b':
        byte = '\b';
        break;
    case 'f':
        byte = '\f';
        break;
    case 'n':
        byte = '\n';
        break;
    case 'r':
        byte = '\r';
        break;
    case 't':
        byte = '\t';
        break;
    case 'u': {
        long unit = read_hex4(lx, &p);
        if (unit < 0)
            return -1;
        decode_code_unit(lx, st, (uint32_t)unit, p);
        *pp = p;
        return 0;
    }
    default:
        /* jansson consumes one byte of the offending character */
        lex_fail(lx, p + 1, CTX_TOKEN, "invalid escape");
        return -1;
    }
    st->out->buf[st->len++] = byte;
    *pp = p + 1;
    return 0;
}

/* The first buffer for decoded text holds this many bytes. */
#define SCRATCH_FIRST 256

/* Gives st->out room for `need` bytes of the text of the string whose
 * content starts at `start` (see append_plain). Decoding never lengthens a
 * string (a 2-byte escape gives one byte, \uXXXX at most three, a 12-byte
 * surrogate pair four), so the rest of the input from `start` bounds every
 * string's text, and a buffer of that size never grows again in this scan:
 *   - before anything of the string is written the old contents are dead
 *     (the text of the string before last), so the buffer is replaced by a
 *     fresh one: twice the old size (at least SCRATCH_FIRST) when that
 *     holds what is needed now, else the bound (the string's bytes before
 *     its first escape are already more);
 *   - a string that outgrows its buffer later gets the bound at once, so
 *     the text of a long string is copied at most once (what fitted in its
 *     first buffer), not at every doubling.
 * No buffer is bigger than the rest of the input. */
__attribute__((noinline, cold)) static int scratch_grow(struct lexer *lx, struct string_state *st,
                                                        const unsigned char *start, size_t need)
{
    struct scratch *s = st->out;
    size_t most = (size_t)(lx->end - start); /* >= need */
    size_t cap = most;
    char *buf;
    if (st->len == 0) {
        size_t step = s->cap < SCRATCH_FIRST / 2 ? SCRATCH_FIRST : s->cap * 2;
        if (need <= step && step < most)
            cap = step;
        buf = malloc(cap);
        if (buf)
            free(s->buf);
    } else {
        buf = realloc(s->buf, cap);
    }
    if (!buf) {
        lex_fail_memory(lx, lx->p);
        return -1;
    }
    s->buf = buf;
    s->cap = cap;
    return 0;
}

/* Appends the plain bytes [from, to) of the string whose content starts
 * at `start` to the decoded output, keeping room for the escape at `to`
 * (at most 4 bytes, and no more than the input has left: its text is never
 * longer than its escape). */
static int append_plain(struct lexer *lx, struct string_state *st, const unsigned char *start,
                        const unsigned char *from, const unsigned char *to)
{
    size_t n = (size_t)(to - from);
    size_t left = (size_t)(lx->end - to);
    size_t need = st->len + n + (left < 4 ? left : 4);
    if (need > st->out->cap && scratch_grow(lx, st, start, need))
        return -1;
    memcpy(st->out->buf + st->len, from, n);
    st->len += n;
    return 0;
}

/* Lexes a string; p points just past the opening quote. */
static int lex_string(struct lexer *lx, const unsigned char *p)
{
    const unsigned char *start = p, *end = lx->end;
    const unsigned char *run = p; /* plain bytes not yet copied */
    struct string_state st = {0};
    lx->has_nul = 0;
    for (;;) {
        p = kw_json_skip_plain(p, end);
        if (p == end)
            return lex_fail(lx, end, CTX_TOKEN, "premature end of input");
        unsigned c = *p;
        if (c == '"')
            break;
        if (c >= 0x80) {
            size_t n = kw_json_utf8_length(p, end);
            if (!n)
                return fail_utf8(lx, p);
            lx->cont += n - 1;
            p += n;
            continue;
        }
        if (c < 0x20) {
            if (c == '\n')
                return lex_fail(lx, p, CTX_TOKEN, "unexpected newline");
            return lex_fail(lx, p, CTX_TOKEN, "control character 0x%x", c);
        }
        if (!st.out) {
            lx->which ^= 1;
            st.out = &lx->scratch[lx->which];
        }
        if (append_plain(lx, &st, start, run, p) || lex_escape(lx, &st, &p))
            return T_ERROR;
        run = p;
    }
    if (st.bad == 1)
        return lex_fail(lx, p + 1, CTX_TOKEN, "invalid Unicode '\\u%04X'", (unsigned)st.bad_first);
    if (st.bad == 2)
        return lex_fail(lx, p + 1, CTX_TOKEN, "invalid Unicode '\\u%04X\\u%04X'",
                        (unsigned)st.bad_first, (unsigned)st.bad_second);
    if (st.out) {
        if (append_plain(lx, &st, start, run, p))
            return T_ERROR;
        lx->text = st.out->buf;
        lx->len = st.len;
    } else {
        lx->text = (const char *)start;
        lx->len = (size_t)(p - start);
    }
    lx->p = p + 1;
    return T_STRING;
}

/*** numbers and words ***/

/* Integer token [digits, end) (sign already skipped) to json_int_t, with
 * strtoll's range. */
static int lex_integer(struct lexer *lx, const unsigned char *digits, const unsigned char *end,
                       int negative)
{
    size_t n = (size_t)(end - digits);
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    int overflow = n > 19; /* 19 digits always fit in uint64_t */
    for (size_t i = 0; i < n && !overflow; i++)
        v = v * 10 + (uint64_t)(digits[i] - '0');
    if (overflow || v > limit)
        return lex_fail(lx, end, CTX_TOKEN,
                        negative ? "too big negative integer" : "too big integer");
    if (negative)
        lx->integer = v == limit ? INT64_MIN : -(long long)v;
    else
        lx->integer = (long long)v;
    lx->p = end;
    return T_INTEGER;
}

/* Real token [start, end): strtod in the C locale, like jansson's. */
static int lex_real(struct lexer *lx, const unsigned char *start, const unsigned char *end)
{
    size_t n = (size_t)(end - start);
    char small[64];
    char *copy = n < sizeof small ? small : malloc(n + 1);
    if (!lx->c_locale)
        lx->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!copy || !lx->c_locale) {
        if (copy != small)
            free(copy);
        return lex_fail_memory(lx, end);
    }
    memcpy(copy, start, n);
    copy[n] = '\0';
    double value = strtod_l(copy, NULL, lx->c_locale);
    if (copy != small)
        free(copy);
    lx->p = end;
    if (isinf(value))
        return lex_fail(lx, end, CTX_TOKEN, "real number overflow");
    lx->real = value;
    return T_REAL;
}

/* Skips digits; reports invalid UTF-8 in the character after them. */
static const unsigned char *skip_digits(struct lexer *lx, const unsigned char *p, int *next)
{
    while (p < lx->end && is_digit(*p))
        p++;
    *next = peek(lx, p);
    return p;
}

/* Lexes a number the way jansson does: "-"? ("0" | [1-9][0-9]*) then an
 * optional fraction and exponent; anything else is an invalid token ending
 * after the last byte that could still belong to it. */
static int lex_number(struct lexer *lx, const unsigned char *p)
{
    const unsigned char *start = p;
    int negative = *p == '-';
    int c;
    if (negative) {
        p++;
        c = peek(lx, p);
        if (c == PEEK_ERROR)
            return T_ERROR;
        if (!is_digit(c)) {
            lx->p = p;
            return T_INVALID;
        }
    }
    const unsigned char *digits = p;
    if (*p == '0') {
        p++;
        c = peek(lx, p);
        if (is_digit(c)) {
            lx->p = p;
            return T_INVALID;
        }
    } else {
        p = skip_digits(lx, p, &c);
    }
    if (c == PEEK_ERROR)
        return T_ERROR;
    if (c != '.' && c != 'e' && c != 'E')
        return lex_integer(lx, digits, p, negative);
    if (c == '.') {
        p++;
        c = peek(lx, p);
        if (c == PEEK_ERROR)
            return T_ERROR;
        if (!is_digit(c)) {
            lx->p = p;
            return T_INVALID;
        }
        p = skip_digits(lx, p, &c);
        if (c == PEEK_ERROR)
            return T_ERROR;
    }
    if (c == 'e' || c == 'E') {
        p++;
        c = peek(lx, p);
        if (c == '+' || c == '-') {
            p++;
            c = peek(lx, p);
        }
        if (c == PEEK_ERROR)
            return T_ERROR;
        if (!is_digit(c)) {
            lx->p = p;
            return T_INVALID;
        }
        p = skip_digits(lx, p, &c);
        if (c == PEEK_ERROR)
            return T_ERROR;
    }
    return lex_real(lx, start, p);
}

/* Lexes a run of letters: true, false, null, or an invalid token. */
static int lex_word(struct lexer *lx, const unsigned char *p)
{
    const unsigned char *start = p;
    while (p < lx->end && is_alpha(*p))
        p++;
    if (peek(lx, p) == PEEK_ERROR)
        return T_ERROR;
    lx->p = p;
    size_t n = (size_t)(p - start);
    if (n == 4 && memcmp(start, "true", 4) == 0)
        return T_TRUE;
    if (n == 5 && memcmp(start, "false", 5) == 0)
        return T_FALSE;
    if (n == 4 && memcmp(start, "null", 4) == 0)
        return T_NULL;
    return T_INVALID;
}

/* Reads the next token; lx->tok..lx->p is its text. */
static int lex_next(struct lexer *lx)
{
    const unsigned char *p = lx->p, *end = lx->end;
    for (;; p++) {
        if (p == end) {
            lx->tok = lx->p = p;
            return T_EOF;
        }
        if (*p == ' ' || *p == '\t' || *p == '\r')
            continue;
        if (*p != '\n')
            break;
        lx->line++;
        lx->line_start = p + 1;
        lx->cont_at_line_start = lx->cont;
    }
    lx->tok = p;
    lx->cont_at_tok = lx->cont;
    lx->p = p + 1;
    switch (*p) {
    case '{':
        return T_LBRACE;
    case '}':
        return T_RBRACE;
    case '[':
        return T_LBRACKET;
    case ']':
        return T_RBRACKET;
    case ':':
        return T_COLON;
    case ',':
        return T_COMMA;
    case '"':
        return lex_string(lx, p + 1);
    case '\0':
        return lex_fail(lx, p + 1, CTX_NONE, "NUL byte outside a string");
    default:
        break;
    }
    if (*p == '-' || is_digit(*p))
        return lex_number(lx, p);
    if (is_alpha(*p))
        return lex_word(lx, p);
    if (*p >= 0x80) {
        size_t n = kw_json_utf8_length(p, end);
        if (!n)
            return fail_utf8(lx, p);
        lx->p = p + n;
    }
    return T_INVALID;
}

/*** grammar ***/

enum state { S_VALUE, S_AFTER_VALUE, S_KEY, S_DONE, S_FAIL, S_STOPPED };

struct parser {
    struct lexer lx;
    int t; /* current token */
    size_t depth;
    unsigned char in_object[KW_JSON_MAX_DEPTH]; /* per open container */
    bool containers_only;                       /* the depth limit counts objects and arrays only */
    kw_json_visit_fn visit;
    void *ud;
    int stop; /* visitor's value */
};

/* Reports a grammar error on the current token. */
static enum state syntax_error(struct parser *ps, const char *what)
{
    lex_fail(&ps->lx, ps->lx.p, CTX_TOKEN, "%s", what);
    return S_FAIL;
}

static int advance(struct parser *ps)
{
    ps->t = lex_next(&ps->lx);
    return ps->t != T_ERROR;
}

/* Reports the current token as event `ev` at nesting level `level`. Every
 * field of the token is written once (a large document has a token every
 * few dozen bytes). */
static int emit(struct parser *ps, enum kw_json_event ev, size_t level)
{
    if (!ps->visit)
        return 0;
    const struct lexer *lx = &ps->lx;
    struct kw_json_token tok;
    tok.ev = ev;
    if (ev == KW_JSON_KEY || ev == KW_JSON_STRING) {
        tok.text = lx->text;
        tok.len = lx->len;
    } else {
        tok.text = (const char *)lx->tok;
        tok.len = (size_t)(lx->p - lx->tok);
    }
    tok.integer = ev == KW_JSON_INTEGER ? lx->integer : 0;
    tok.real = ev == KW_JSON_REAL ? lx->real : 0;
    tok.line = lx->line;
    tok.column =
        (size_t)(lx->tok - lx->line_start) - (lx->cont_at_tok - lx->cont_at_line_start) + 1;
    tok.offset = (size_t)(lx->tok - lx->base);
    tok.depth = level;
    ps->stop = ps->visit(ps->ud, &tok);
    return ps->stop;
}

static enum state open_container(struct parser *ps, int object)
{
    ps->in_object[ps->depth++] = (unsigned char)object;
    if (emit(ps, object ? KW_JSON_OBJECT_BEGIN : KW_JSON_ARRAY_BEGIN, ps->depth))
        return S_STOPPED;
    if (!advance(ps))
        return S_FAIL;
    if (ps->t == (object ? T_RBRACE : T_RBRACKET)) {
        ps->depth--;
        if (emit(ps, object ? KW_JSON_OBJECT_END : KW_JSON_ARRAY_END, ps->depth + 1))
            return S_STOPPED;
        return S_AFTER_VALUE;
    }
    if (object)
        return S_KEY;
    if (ps->t == T_EOF)
        return syntax_error(ps, "']' expected");
    return S_VALUE;
}

static const enum kw_json_event scalar_event[] = {
    [T_STRING] = KW_JSON_STRING, [T_INTEGER] = KW_JSON_INTEGER, [T_REAL] = KW_JSON_REAL,
    [T_TRUE] = KW_JSON_TRUE,     [T_FALSE] = KW_JSON_FALSE,     [T_NULL] = KW_JSON_NULL,
};

/* Whether a value starting with the current token would nest too deep: one
 * level below the open containers, where jansson counts a scalar too. */
static bool too_deep(const struct parser *ps)
{
    bool container = ps->t == T_LBRACE || ps->t == T_LBRACKET;
    return ps->depth + 1 > KW_JSON_MAX_DEPTH && (container || !ps->containers_only);
}

/* The current token starts a value one level below the open containers. */
static enum state parse_value(struct parser *ps)
{
    if (too_deep(ps))
        return syntax_error(ps, "maximum parsing depth reached");
    switch (ps->t) {
    case T_LBRACE:
        return open_container(ps, 1);
    case T_LBRACKET:
        return open_container(ps, 0);
    case T_STRING:
        if (ps->lx.has_nul)
            return syntax_error(ps, "\\u0000 is not allowed without JSON_ALLOW_NUL");
        /* fall through */
    case T_INTEGER:
    case T_REAL:
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        if (emit(ps, scalar_event[ps->t], ps->depth + 1))
            return S_STOPPED;
        return S_AFTER_VALUE;
    case T_INVALID:
        return syntax_error(ps, "invalid token");
    default:
        return syntax_error(ps, "unexpected token");
    }
}

/* A value just ended: expect a separator, a closing bracket, or the end. */
static enum state parse_after_value(struct parser *ps)
{
    if (!advance(ps))
        return S_FAIL;
    if (ps->depth == 0)
        return ps->t == T_EOF ? S_DONE : syntax_error(ps, "end of file expected");
    int object = ps->in_object[ps->depth - 1];
    if (ps->t == T_COMMA) {
        if (!advance(ps))
            return S_FAIL;
        if (object)
            return S_KEY;
        return ps->t == T_EOF ? syntax_error(ps, "']' expected") : S_VALUE;
    }
    if (ps->t == (object ? T_RBRACE : T_RBRACKET)) {
        ps->depth--;
        if (emit(ps, object ? KW_JSON_OBJECT_END : KW_JSON_ARRAY_END, ps->depth + 1))
            return S_STOPPED;
        return S_AFTER_VALUE;
    }
    return syntax_error(ps, object ? "'}' expected" : "']' expected");
}

/* The current token must be an object key, followed by ':' and a value. */
static enum state parse_key(struct parser *ps)
{
    if (ps->t != T_STRING)
        return syntax_error(ps, "string or '}' expected");
    if (ps->lx.has_nul)
        return syntax_error(ps, "NUL byte in object key not supported");
    if (emit(ps, KW_JSON_KEY, ps->depth + 1))
        return S_STOPPED;
    if (!advance(ps))
        return S_FAIL;
    if (ps->t != T_COLON)
        return syntax_error(ps, "':' expected");
    return advance(ps) ? S_VALUE : S_FAIL;
}

static void lexer_release(struct lexer *lx)
{
    free(lx->scratch[0].buf);
    free(lx->scratch[1].buf);
    if (lx->c_locale)
        freelocale(lx->c_locale);
}

static int scan(const char *buf, size_t len, bool containers_only, kw_json_visit_fn visit, void *ud,
                struct kw_json_error *err)
{
    struct parser ps = {.containers_only = containers_only, .visit = visit, .ud = ud};
    struct lexer *lx = &ps.lx;
    static const char empty[1] = "";
    lx->base = lx->p = lx->tok = lx->line_start = (const unsigned char *)(buf ? buf : empty);
    lx->end = lx->base + (buf ? len : 0);
    lx->line = 1;
    lx->err = err;
    if (err)
        memset(err, 0, sizeof *err);

    enum state s = S_FAIL;
    if (advance(&ps)) {
        if (ps.t == T_LBRACE || ps.t == T_LBRACKET)
            s = S_VALUE;
        else
            s = syntax_error(&ps, "'[' or '{' expected");
    }
    while (s == S_VALUE || s == S_AFTER_VALUE || s == S_KEY) {
        if (s == S_VALUE)
            s = parse_value(&ps);
        else if (s == S_AFTER_VALUE)
            s = parse_after_value(&ps);
        else
            s = parse_key(&ps);
    }
    lexer_release(lx);
    if (s == S_DONE)
        return 0;
    if (s == S_STOPPED)
        return ps.stop;
    return -1;
}

int kw_json_scan(const char *buf, size_t len, kw_json_visit_fn visit, void *ud,
                 struct kw_json_error *err)
{
    return scan(buf, len, false, visit, ud, err);
}

int kw_json_scan_document(const char *buf, size_t len, kw_json_visit_fn visit, void *ud,
                          struct kw_json_error *err)
{
    return scan(buf, len, true, visit, ud, err);
}

const char *kw_json_event_type_name(enum kw_json_event ev)
{
    switch (ev) {
    case KW_JSON_OBJECT_BEGIN:
        return "object";
    case KW_JSON_ARRAY_BEGIN:
        return "array";
    case KW_JSON_STRING:
        return "string";
    case KW_JSON_INTEGER:
        return "integer";
    case KW_JSON_REAL:
        return "number";
    case KW_JSON_TRUE:
    case KW_JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}
