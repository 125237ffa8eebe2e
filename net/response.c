/* Parsing of the few response headers the engine trusts, strictly. */
#include "response.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

void net_response_reset(net_response_t *r)
{
    memset(r, 0, sizeof *r);
}

/* Strict unsigned decimal: digits only, no sign, no overflow. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]) || v > (UINT64_MAX - 9) / 10) {
            return false;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* "bytes FIRST-LAST/TOTAL" with FIRST <= LAST < TOTAL; anything else ("*", garbage) is refused. */
static bool parse_content_range(const char *v, size_t len, net_response_t *r)
{
    static const char unit[] = "bytes ";
    if (len < sizeof unit - 1 || strncasecmp(v, unit, sizeof unit - 1) != 0) {
        return false;
    }
    const char *p = v + sizeof unit - 1, *end = v + len;
    const char *dash = memchr(p, '-', (size_t)(end - p));
    const char *slash = dash ? memchr(dash, '/', (size_t)(end - dash)) : NULL;
    return slash && parse_u64(p, (size_t)(dash - p), &r->range_first) &&
           parse_u64(dash + 1, (size_t)(slash - dash - 1), &r->range_last) &&
           parse_u64(slash + 1, (size_t)(end - slash - 1), &r->range_total) &&
           r->range_first <= r->range_last && r->range_last < r->range_total;
}

static void parse_length(const char *v, size_t len, net_response_t *r)
{
    uint64_t n;
    if (!parse_u64(v, len, &n) || (r->has_length && n != r->length)) {
        r->length_bad = true;
        return;
    }
    r->has_length = true;
    r->length = n;
}

/* Copy a value that fits (with its NUL) into dst, else leave dst empty. A
 * value holding a NUL is dropped too: cut there, two different validators
 * would compare equal. */
static void keep_text(char *dst, size_t cap, const char *v, size_t len)
{
    if (len < cap && !memchr(v, '\0', len)) {
        memcpy(dst, v, len);
        dst[len] = '\0';
    } else {
        dst[0] = '\0';
    }
}

/* Only a strong, quoted ETag identifies the exact bytes (RFC 9110 §8.8.3). */
static void parse_etag(const char *v, size_t len, net_response_t *r)
{
    if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
        keep_text(r->etag, sizeof r->etag, v, len);
    } else {
        r->etag[0] = '\0';
    }
}

static void parse_status(const char *line, size_t len, net_response_t *r)
{
    const char *sp = memchr(line, ' ', len);
    uint64_t code;
    net_response_reset(r);
    size_t rest = sp ? (size_t)(line + len - sp - 1) : 0; /* bytes after the space */
    if (rest >= 3 && (rest == 3 || sp[4] == ' ') && parse_u64(sp + 1, 3, &code)) {
        r->status = (long)code;
    }
}

void net_response_line(net_response_t *r, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n')) {
        len--;
    }
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        parse_status(line, len, r);
        return;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon) {
        return;
    }
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    size_t vlen = (size_t)(end - v);
#define IS_(name) (name_len == sizeof name - 1 && strncasecmp(line, name, name_len) == 0)
    if (IS_("Content-Length")) {
        parse_length(v, vlen, r);
    } else if (IS_("Content-Range")) {
        r->has_range = parse_content_range(v, vlen, r);
    } else if (IS_("ETag")) {
        parse_etag(v, vlen, r);
    } else if (IS_("Last-Modified")) {
        keep_text(r->last_modified, sizeof r->last_modified, v, vlen);
    }
#undef IS_
}
