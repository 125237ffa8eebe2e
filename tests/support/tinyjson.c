/* Minimal JSON reader for the tests (tinyjson.h): recursive descent over a NUL-terminated text. */
#include "tinyjson.h"

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MAX_DEPTH 64

struct parser {
    const char *p;
    int depth;
};

static tj_t *parse_value(struct parser *ps);

static void skip_ws(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') {
        ps->p++;
    }
}

static bool eat(struct parser *ps, char c)
{
    skip_ws(ps);
    if (*ps->p != c) {
        return false;
    }
    ps->p++;
    return true;
}

static tj_t *new_node(tj_type_t type)
{
    tj_t *v = calloc(1, sizeof *v);
    if (v) {
        v->type = type;
    }
    return v;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* \uXXXX (and a following low surrogate) at s (after the backslash-u); returns chars used or 0. */
static size_t unicode_escape(const char *s, unsigned *cp)
{
    int hi = hex4(s);
    if (hi < 0) {
        return 0;
    }
    *cp = (unsigned)hi;
    if (hi >= 0xD800 && hi < 0xDC00 && s[4] == '\\' && s[5] == 'u') {
        int lo = hex4(s + 6);
        if (lo >= 0xDC00 && lo < 0xE000) {
            *cp = 0x10000 + (((unsigned)hi - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
            return 10;
        }
    }
    if (*cp >= 0xD800 && *cp < 0xE000) {
        *cp = 0xFFFD;
    }
    return 4;
}

/* Decodes a string literal at ps->p (on the opening quote) into malloc'd UTF-8. */
static char *parse_string(struct parser *ps)
{
    const char *s = ps->p + 1;
    size_t raw = 0; /* the literal's length; escapes never grow when decoded */
    while (s[raw] && s[raw] != '"') {
        raw += s[raw] == '\\' && s[raw + 1] ? 2 : 1;
    }
    char *out = malloc(raw + 1);
    size_t n = 0;
    while (out && *s && *s != '"') {
        if ((unsigned char)*s < 0x20) {
            break;
        }
        if (*s != '\\') {
            out[n++] = *s++;
            continue;
        }
        const char *esc = strchr("\"\\/bfnrt", s[1]);
        if (s[1] && esc) {
            out[n++] = "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"];
            s += 2;
            continue;
        }
        unsigned cp;
        size_t used = s[1] == 'u' ? unicode_escape(s + 2, &cp) : 0;
        if (!used) {
            break;
        }
        n += put_utf8(out + n, cp);
        s += 2 + used;
    }
    if (!out || *s != '"') {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    ps->p = s + 1;
    return out;
}

static bool append(tj_t *v, tj_t *item, char *key)
{
    tj_t **items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (!items) {
        return false;
    }
    v->items = items;
    if (v->type == TJ_OBJECT) {
        char **keys = realloc(v->keys, (v->count + 1) * sizeof *keys);
        if (!keys) {
            return false;
        }
        v->keys = keys;
        v->keys[v->count] = key;
    }
    v->items[v->count++] = item;
    return true;
}

/* One member of an object or item of an array, appended to v. */
static bool parse_member(struct parser *ps, tj_t *v)
{
    char *key = NULL;
    if (v->type == TJ_OBJECT) {
        skip_ws(ps);
        key = *ps->p == '"' ? parse_string(ps) : NULL;
        if (!key || !eat(ps, ':')) {
            free(key);
            return false;
        }
    }
    tj_t *item = parse_value(ps);
    if (!item || !append(v, item, key)) {
        tj_free(item);
        free(key);
        return false;
    }
    return true;
}

static tj_t *parse_container(struct parser *ps, tj_type_t type, char close)
{
    tj_t *v = new_node(type);
    if (!v || ++ps->depth > MAX_DEPTH) {
        tj_free(v);
        return NULL;
    }
    ps->p++;
    bool ok = true;
    if (!eat(ps, close)) {
        do {
            ok = parse_member(ps, v);
        } while (ok && eat(ps, ','));
        ok = ok && eat(ps, close);
    }
    ps->depth--;
    if (!ok) {
        tj_free(v);
        return NULL;
    }
    return v;
}

static tj_t *parse_literal(struct parser *ps)
{
    static const struct {
        const char *text;
        tj_type_t type;
        bool value;
    } lits[] = {{"true", TJ_BOOL, true}, {"false", TJ_BOOL, false}, {"null", TJ_NULL, false}};
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        size_t n = strlen(lits[i].text);
        if (strncmp(ps->p, lits[i].text, n) == 0) {
            tj_t *v = new_node(lits[i].type);
            if (v) {
                v->boolean = lits[i].value;
                ps->p += n;
            }
            return v;
        }
    }
    char *end;
    double d = strtod(ps->p, &end);
    if (end == ps->p) {
        return NULL;
    }
    tj_t *v = new_node(TJ_NUMBER);
    if (v) {
        v->number = d;
        ps->p = end;
    }
    return v;
}

static tj_t *parse_value(struct parser *ps)
{
    skip_ws(ps);
    switch (*ps->p) {
    case '{':
        return parse_container(ps, TJ_OBJECT, '}');
    case '[':
        return parse_container(ps, TJ_ARRAY, ']');
    case '"': {
        char *s = parse_string(ps);
        tj_t *v = s ? new_node(TJ_STRING) : NULL;
        if (!v) {
            free(s);
            return NULL;
        }
        v->string = s;
        return v;
    }
    default:
        return parse_literal(ps);
    }
}

tj_t *tj_parse_file(const char *path)
{
    size_t len;
    uint8_t *raw = tu_read_file(path, &len);
    char *text = raw ? realloc(raw, len + 1) : NULL;
    if (!text) {
        free(raw);
        return NULL;
    }
    text[len] = '\0';
    struct parser ps = {text, 0};
    tj_t *v = parse_value(&ps);
    skip_ws(&ps);
    if (v && *ps.p != '\0') {
        tj_free(v);
        v = NULL;
    }
    free(text);
    return v;
}

void tj_free(tj_t *v)
{
    if (!v) {
        return;
    }
    for (size_t i = 0; i < v->count; i++) {
        tj_free(v->items[i]);
        if (v->keys) {
            free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

const tj_t *tj_get(const tj_t *obj, const char *key)
{
    for (size_t i = 0; obj && obj->type == TJ_OBJECT && i < obj->count; i++) {
        if (strcmp(obj->keys[i], key) == 0) {
            return obj->items[i];
        }
    }
    return NULL;
}

const tj_t *tj_at(const tj_t *v, size_t i)
{
    return v && (v->type == TJ_ARRAY || v->type == TJ_OBJECT) && i < v->count ? v->items[i] : NULL;
}

const char *tj_key_at(const tj_t *obj, size_t i)
{
    return obj && obj->type == TJ_OBJECT && i < obj->count ? obj->keys[i] : NULL;
}

size_t tj_len(const tj_t *v)
{
    return v && (v->type == TJ_ARRAY || v->type == TJ_OBJECT) ? v->count : 0;
}

const char *tj_str(const tj_t *v)
{
    return v && v->type == TJ_STRING ? v->string : NULL;
}

int64_t tj_int(const tj_t *v)
{
    return v && v->type == TJ_NUMBER ? (int64_t)v->number : 0;
}

bool tj_is_null(const tj_t *v)
{
    return v && v->type == TJ_NULL;
}
