/* Recursive-descent JSON reader for the tests (see json.h). */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define JSON_MAX_DEPTH 200

typedef struct parser {
    const char *s;
    size_t len, pos;
    int depth;
    char *err;
    size_t err_len;
    bool failed;
} parser_t;

static void syntax_error(parser_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void syntax_error(parser_t *p, const char *fmt, ...)
{
    if (p->failed) {
        return;
    }
    p->failed = true;
    if (p->err && p->err_len) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->err_len, "JSON error at byte %zu: %s", p->pos, msg);
    }
}

static void skip_ws(parser_t *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos]) {
        p->pos++;
    }
}

static int peek(const parser_t *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static bool expect_word(parser_t *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        syntax_error(p, "expected '%s'", word);
        return false;
    }
    p->pos += n;
    return true;
}

static json_value_t *new_value(json_type_t type)
{
    json_value_t *v = calloc(1, sizeof *v);
    if (v) {
        v->type = type;
    }
    return v;
}

/* Growable byte buffer for decoded strings. */
typedef struct strbuf {
    char *buf;
    size_t len, cap;
} strbuf_t;

static bool sb_put(strbuf_t *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            return false;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return true;
}

static bool sb_put_utf8(strbuf_t *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return sb_put(b, u, n);
}

static bool read_hex4(parser_t *p, uint32_t *out)
{
    if (p->len - p->pos < 4) {
        syntax_error(p, "short \\u escape");
        return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (uint32_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (uint32_t)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (uint32_t)(c - 'A' + 10);
        } else {
            syntax_error(p, "bad hex digit in \\u escape");
            return false;
        }
    }
    *out = v;
    return true;
}

/* \uXXXX, combining a UTF-16 surrogate pair into one code point. */
static bool read_unicode_escape(parser_t *p, strbuf_t *b)
{
    uint32_t cp;
    if (!read_hex4(p, &cp)) {
        return false;
    }
    if (cp >= 0xD800 && cp < 0xDC00) {
        uint32_t lo;
        if (!expect_word(p, "\\u") || !read_hex4(p, &lo)) {
            return false;
        }
        if (lo < 0xDC00 || lo > 0xDFFF) {
            syntax_error(p, "unpaired surrogate");
            return false;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        syntax_error(p, "unpaired surrogate");
        return false;
    }
    return sb_put_utf8(b, cp);
}

static bool read_escape(parser_t *p, strbuf_t *b)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    int c = peek(p);
    p->pos++;
    if (c == 'u') {
        return read_unicode_escape(p, b);
    }
    const char *hit = c > 0 ? strchr(from, c) : NULL;
    if (!hit) {
        syntax_error(p, "bad escape");
        return false;
    }
    return sb_put(b, &to[hit - from], 1);
}

/* A string literal at p->pos (which is at the opening quote). */
static bool read_string(parser_t *p, char **out, size_t *out_len)
{
    strbuf_t b = {0};
    p->pos++;
    bool ok = sb_put(&b, "", 0);
    while (ok) {
        int c = peek(p);
        if (c < 0) {
            syntax_error(p, "unterminated string");
            ok = false;
        } else if (c == '"') {
            p->pos++;
            break;
        } else if (c < 0x20) {
            syntax_error(p, "control character in string");
            ok = false;
        } else if (c == '\\') {
            p->pos++;
            ok = read_escape(p, &b);
        } else {
            ok = sb_put(&b, p->s + p->pos++, 1);
        }
    }
    if (!ok) {
        free(b.buf);
        return false;
    }
    *out = b.buf;
    *out_len = b.len;
    return true;
}

static size_t span(const parser_t *p, size_t pos, const char *set)
{
    size_t n = 0;
    while (pos + n < p->len && p->s[pos + n] && strchr(set, p->s[pos + n])) {
        n++;
    }
    return n;
}

/* Number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static json_value_t *read_number(parser_t *p)
{
    size_t start = p->pos, pos = p->pos;
    pos += p->s[pos] == '-';
    size_t digits = span(p, pos, "0123456789");
    bool integral = true;
    if (digits == 0 || (digits > 1 && p->s[pos] == '0')) {
        syntax_error(p, "bad number");
        return NULL;
    }
    pos += digits;
    if (pos < p->len && p->s[pos] == '.') {
        integral = false;
        size_t frac = span(p, pos + 1, "0123456789");
        if (!frac) {
            syntax_error(p, "bad fraction");
            return NULL;
        }
        pos += 1 + frac;
    }
    if (pos < p->len && (p->s[pos] == 'e' || p->s[pos] == 'E')) {
        integral = false;
        pos++;
        pos += pos < p->len && (p->s[pos] == '+' || p->s[pos] == '-');
        size_t exp = span(p, pos, "0123456789");
        if (!exp) {
            syntax_error(p, "bad exponent");
            return NULL;
        }
        pos += exp;
    }
    char text[64];
    if (pos - start >= sizeof text) {
        syntax_error(p, "number too long");
        return NULL;
    }
    memcpy(text, p->s + start, pos - start);
    text[pos - start] = '\0';
    p->pos = pos;

    json_value_t *v = new_value(JSON_NUMBER);
    if (!v) {
        return NULL;
    }
    v->number = strtod(text, NULL);
    if (integral) {
        errno = 0;
        long long i = strtoll(text, NULL, 10);
        v->is_int = errno == 0;
        v->integer = i;
    }
    return v;
}

static json_value_t *read_value(parser_t *p);

static bool append(json_value_t *v, char *key, json_value_t *item)
{
    json_value_t **items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (!items) {
        return false;
    }
    v->items = items;
    if (v->type == JSON_OBJECT) {
        char **keys = realloc(v->keys, (v->count + 1) * sizeof *keys);
        if (!keys) {
            return false;
        }
        v->keys = keys;
        keys[v->count] = key;
    }
    items[v->count++] = item;
    return true;
}

/* One member "key": value, or one array item. */
static bool read_member(parser_t *p, json_value_t *v)
{
    char *key = NULL;
    size_t key_len;
    skip_ws(p);
    if (v->type == JSON_OBJECT) {
        if (peek(p) != '"') {
            syntax_error(p, "expected member name");
            return false;
        }
        if (!read_string(p, &key, &key_len)) {
            return false;
        }
        skip_ws(p);
        if (peek(p) != ':') {
            free(key);
            syntax_error(p, "expected ':'");
            return false;
        }
        p->pos++;
    }
    json_value_t *item = read_value(p);
    if (item && append(v, key, item)) {
        return true;
    }
    free(key);
    json_free(item);
    return false;
}

static json_value_t *read_container(parser_t *p, json_type_t type, char close)
{
    if (++p->depth > JSON_MAX_DEPTH) {
        syntax_error(p, "nesting too deep");
        return NULL;
    }
    json_value_t *v = new_value(type);
    p->pos++;
    skip_ws(p);
    bool ok = v != NULL;
    if (ok && peek(p) == close) {
        p->pos++;
    } else {
        while (ok) {
            ok = read_member(p, v);
            skip_ws(p);
            int c = peek(p);
            p->pos++;
            if (ok && c == close) {
                break;
            }
            if (ok && c != ',') {
                p->pos--;
                syntax_error(p, "expected ',' or '%c'", close);
                ok = false;
            }
        }
    }
    p->depth--;
    if (!ok) {
        json_free(v);
        return NULL;
    }
    return v;
}

static json_value_t *read_value(parser_t *p)
{
    skip_ws(p);
    int c = peek(p);
    json_value_t *v = NULL;
    if (c == '{') {
        return read_container(p, JSON_OBJECT, '}');
    }
    if (c == '[') {
        return read_container(p, JSON_ARRAY, ']');
    }
    if (c == '"') {
        v = new_value(JSON_STRING);
        if (v && !read_string(p, &v->string, &v->string_len)) {
            json_free(v);
            v = NULL;
        }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v = read_number(p);
    } else if (c == 't' || c == 'f') {
        bool b = c == 't';
        if (expect_word(p, b ? "true" : "false") && (v = new_value(JSON_BOOL))) {
            v->boolean = b;
        }
    } else if (c == 'n') {
        v = expect_word(p, "null") ? new_value(JSON_NULL) : NULL;
    } else {
        syntax_error(p, c < 0 ? "unexpected end of input" : "unexpected character");
    }
    if (!v) {
        syntax_error(p, "out of memory");
    }
    return v;
}

json_value_t *json_parse(const char *text, size_t len, char *err, size_t err_len)
{
    parser_t p = {.s = text, .len = len, .err = err, .err_len = err_len};
    if (err && err_len) {
        err[0] = '\0';
    }
    json_value_t *v = text ? read_value(&p) : NULL;
    skip_ws(&p);
    if (v && p.pos != p.len) {
        syntax_error(&p, "trailing data");
        json_free(v);
        v = NULL;
    }
    return v;
}

json_value_t *json_parse_file(const char *path, char *err, size_t err_len)
{
    size_t len;
    uint8_t *buf = tu_read_file(path, &len);
    if (!buf) {
        if (err && err_len) {
            snprintf(err, err_len, "cannot read %s", path);
        }
        return NULL;
    }
    json_value_t *v = json_parse((const char *)buf, len, err, err_len);
    free(buf);
    return v;
}

void json_free(json_value_t *v)
{
    if (!v) {
        return;
    }
    for (size_t i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys) {
            free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

const json_value_t *json_get(const json_value_t *obj, const char *key)
{
    if (!json_is(obj, JSON_OBJECT) || !key) {
        return NULL;
    }
    for (size_t i = 0; i < obj->count; i++) {
        if (strcmp(obj->keys[i], key) == 0) {
            return obj->items[i];
        }
    }
    return NULL;
}

const json_value_t *json_at(const json_value_t *arr, size_t index)
{
    return json_is(arr, JSON_ARRAY) && index < arr->count ? arr->items[index] : NULL;
}

const json_value_t *json_path(const json_value_t *root, const char *path)
{
    const json_value_t *v = root;
    char part[256];
    while (v && path && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof part) {
            return NULL;
        }
        memcpy(part, path, n);
        part[n] = '\0';
        path += n + (path[n] == '.');
        if (json_is(v, JSON_ARRAY)) {
            char *end;
            unsigned long i = strtoul(part, &end, 10);
            v = *part && !*end ? json_at(v, i) : NULL;
        } else {
            v = json_get(v, part);
        }
    }
    return v;
}

size_t json_len(const json_value_t *v)
{
    return json_is(v, JSON_ARRAY) || json_is(v, JSON_OBJECT) ? v->count : 0;
}

bool json_is(const json_value_t *v, json_type_t type)
{
    return v && v->type == type;
}

const char *json_str(const json_value_t *v)
{
    return json_is(v, JSON_STRING) ? v->string : NULL;
}

int64_t json_int(const json_value_t *v, bool *ok)
{
    bool exact = json_is(v, JSON_NUMBER) && v->is_int;
    if (ok) {
        *ok = exact;
    }
    return exact ? v->integer : 0;
}

double json_num(const json_value_t *v)
{
    return json_is(v, JSON_NUMBER) ? v->number : 0.0;
}

bool json_bool(const json_value_t *v)
{
    return json_is(v, JSON_BOOL) && v->boolean;
}

int json_load_vector(const char *rel, json_value_t **out)
{
    char err[200];
    *out = NULL;
    if (!tu_have_vectors()) {
        return 0;
    }
    *out = json_parse_file(tu_vector_path(rel), err, sizeof err);
    if (!*out) {
        print_error("%s: %s\n", rel, err);
        return -1;
    }
    return 0;
}
