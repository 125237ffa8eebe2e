#include "pytext.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CP_INVALID UINT32_MAX

/* One code point at s[0..len): returns its byte length (>= 1); *cp is CP_INVALID for bad UTF-8. */
static size_t utf8_get(const uint8_t *s, size_t len, uint32_t *cp)
{
    static const uint32_t k_min[] = {0, 0, 0x80, 0x800, 0x10000};
    uint8_t c = s[0];
    size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    *cp = CP_INVALID;
    if (need == 0 || need > len) {
        return 1;
    }
    uint32_t v = need == 1 ? c : c & (0x7Fu >> need);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < k_min[need] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        return 1;
    }
    *cp = v;
    return need;
}

static size_t utf8_put(uint32_t cp, char *out)
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

bool py_utf8_valid(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += utf8_get(s + i, len - i, &cp);
        if (cp == CP_INVALID) {
            return false;
        }
    }
    return true;
}

static bool copy_utf8(const uint8_t *data, size_t len, char **text, size_t *text_len)
{
    if (!py_utf8_valid(data, len) || memchr(data, 0, len)) {
        return false;
    }
    char *t = malloc(len + 1);
    if (!t) {
        return false;
    }
    memcpy(t, data, len);
    t[len] = '\0';
    *text = t;
    *text_len = len;
    return true;
}

static uint32_t get_unit(const uint8_t *p, size_t width, bool big_endian)
{
    uint32_t v = 0;
    for (size_t i = 0; i < width; i++) {
        v |= (uint32_t)p[big_endian ? width - 1 - i : i] << (8 * i);
    }
    return v;
}

/* UTF-16 (width 2, with surrogate pairs) or UTF-32 (width 4) after the BOM. */
static bool decode_wide(const uint8_t *p, size_t len, size_t width, bool big_endian, char **text,
                        size_t *text_len)
{
    if (len % width) {
        return false;
    }
    char *t = malloc(len * 2 + 1);
    if (!t) {
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i += width) {
        uint32_t cp = get_unit(p + i, width, big_endian);
        if (width == 2 && cp >= 0xD800 && cp <= 0xDBFF && i + 2 < len) {
            uint32_t lo = get_unit(p + i + 2, 2, big_endian);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            free(t);
            return false;
        }
        n += utf8_put(cp, t + n);
    }
    t[n] = '\0';
    *text = t;
    *text_len = n;
    return true;
}

bool py_decode_text(const uint8_t *data, size_t len, char **text, size_t *text_len)
{
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        return copy_utf8(data + 3, len - 3, text, text_len);
    }
    if (len >= 2 && (!memcmp(data, "\xFF\xFE", 2) || !memcmp(data, "\xFE\xFF", 2))) {
        return decode_wide(data + 2, len - 2, 2, data[0] == 0xFE, text, text_len);
    }
    if (len >= 4 && !memcmp(data, "\0\0\xFE\xFF", 4)) {
        return decode_wide(data + 4, len - 4, 4, true, text, text_len);
    }
    return copy_utf8(data, len, text, text_len);
}

/* Byte length of the line break at s, 0 if there is none. */
static size_t line_break_len(const char *s, size_t len)
{
    const uint8_t *u = (const uint8_t *)s;
    if (u[0] == '\r') {
        return len > 1 && u[1] == '\n' ? 2 : 1;
    }
    if (u[0] == '\n' || u[0] == 0x0B || u[0] == 0x0C || (u[0] >= 0x1C && u[0] <= 0x1E)) {
        return 1;
    }
    if (len >= 2 && u[0] == 0xC2 && u[1] == 0x85) {
        return 2;
    }
    if (len >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0xA8 || u[2] == 0xA9)) {
        return 3;
    }
    return 0;
}

bool py_next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len)
{
    size_t start = *pos;
    if (start >= len) {
        return false;
    }
    size_t i = start, brk = 0;
    while (i < len && (brk = line_break_len(text + i, len - i)) == 0) {
        i++;
    }
    *line = text + start;
    *line_len = i - start;
    *pos = i + brk;
    return true;
}

static bool is_py_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

void py_strip(const char **s, size_t *len)
{
    const uint8_t *p = (const uint8_t *)*s;
    size_t n = *len, first = n, end = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t w = utf8_get(p + i, n - i, &cp);
        if (!is_py_space(cp)) {
            first = first < i ? first : i;
            end = i + w;
        }
        i += w;
    }
    *s += first < n ? first : n;
    *len = first < n ? end - first : 0;
}

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A growing output string for py_expandvars. */
struct strbuf {
    char *p;
    size_t n, cap;
    bool oom;
};

static void sb_put(struct strbuf *b, const char *s, size_t len)
{
    if (b->oom) {
        return;
    }
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

/* The environment value of name[0..len), NULL when unset (or not a possible name). */
static const char *env_value(const char *name, size_t len)
{
    char key[256];
    if (len == 0 || len >= sizeof key || memchr(name, '=', len)) {
        return NULL;
    }
    memcpy(key, name, len);
    key[len] = '\0';
    return getenv(key);
}

/* Length of the $-reference at s[0] == '$' (0 if none) and its name. */
static size_t var_ref(const char *s, size_t len, const char **name, size_t *name_len)
{
    size_t j = 1;
    while (j < len && is_word(s[j])) {
        j++;
    }
    if (j > 1) {
        *name = s + 1;
        *name_len = j - 1;
        return j;
    }
    const char *close = len > 1 && s[1] == '{' ? memchr(s + 2, '}', len - 2) : NULL;
    if (!close) {
        return 0;
    }
    *name = s + 2;
    *name_len = (size_t)(close - (s + 2));
    return (size_t)(close - s) + 1;
}

char *py_expandvars(const char *s, size_t len)
{
    struct strbuf b = {0};
    sb_put(&b, "", 0);
    for (size_t i = 0; i < len;) {
        const char *name = NULL;
        size_t name_len = 0;
        size_t ref = s[i] == '$' ? var_ref(s + i, len - i, &name, &name_len) : 0;
        if (ref == 0) {
            sb_put(&b, s + i, 1);
            i++;
            continue;
        }
        const char *value = env_value(name, name_len);
        if (value) {
            sb_put(&b, value, strlen(value));
        } else {
            sb_put(&b, s + i, ref);
        }
        i += ref;
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}

static int prefix_base(char c)
{
    switch (c) {
    case 'x':
    case 'X':
        return 16;
    case 'o':
    case 'O':
        return 8;
    case 'b':
    case 'B':
        return 2;
    default:
        return 0;
    }
}

py_int_status_t py_int(const char *s, size_t len, int base, int64_t *out)
{
    py_strip(&s, &len);
    bool neg = len > 0 && s[0] == '-';
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        s++, len--;
    }
    bool prefixed = len >= 2 && s[0] == '0' && prefix_base(s[1]) &&
                    (base == 0 || base == prefix_base(s[1]));
    int b = prefixed ? prefix_base(s[1]) : base ? base : 10;
    if (prefixed) {
        s += 2, len -= 2;
    }
    uint64_t mag = 0;
    bool overflow = false, after_digit = prefixed; /* '_' may follow a prefix */
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_') {
            if (!after_digit || i + 1 >= len || digit_value(s[i + 1]) >= b) {
                return PY_INT_SYNTAX;
            }
            after_digit = false;
            continue;
        }
        int d = digit_value(s[i]);
        if (d >= b) {
            return PY_INT_SYNTAX;
        }
        overflow = overflow || mag > (UINT64_MAX - (uint64_t)d) / (uint64_t)b;
        mag = mag * (uint64_t)b + (uint64_t)d;
        digits++;
        after_digit = true;
    }
    if (digits == 0) {
        return PY_INT_SYNTAX;
    }
    if (base == 0 && !prefixed && s[0] == '0' && (overflow || mag != 0)) {
        return PY_INT_SYNTAX; /* "010" is not an integer literal */
    }
    if (overflow || mag > (uint64_t)INT64_MAX + (neg ? 1u : 0u)) {
        return PY_INT_RANGE;
    }
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return PY_INT_OK;
}

int64_t py_mod(int64_t a, int64_t b)
{
    int64_t m = a % b;
    return m < 0 ? m + b : m;
}

void py_hex(char *buf, size_t size, int64_t v)
{
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    snprintf(buf, size, "0x%s%" PRIx64, v < 0 ? "-" : "", mag);
}

void py_bytes_repr(char *buf, size_t size, const uint8_t *b, size_t len)
{
    char quote = memchr(b, '\'', len) && !memchr(b, '"', len) ? '"' : '\'';
    size_t n = (size_t)snprintf(buf, size, "b%c", quote);
    for (size_t i = 0; i < len && n < size; i++) {
        uint8_t c = b[i];
        const char *esc = c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : NULL;
        if (esc) {
            n += (size_t)snprintf(buf + n, size - n, "%s", esc);
        } else if (c == quote || c == '\\') {
            n += (size_t)snprintf(buf + n, size - n, "\\%c", c);
        } else if (c < 0x20 || c >= 0x7F) {
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
        } else {
            n += (size_t)snprintf(buf + n, size - n, "%c", c);
        }
    }
    if (n < size) {
        snprintf(buf + n, size - n, "%c", quote);
    }
}
