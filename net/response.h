/* What the engine needs from an HTTP response's header block (internal to ota_net). */
#ifndef OTA_NET_RESPONSE_H
#define OTA_NET_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/net.h"

typedef struct net_response {
    long status; /* 0 until a status line was seen */
    bool has_length;
    bool length_bad; /* unparsable, or two different Content-Length headers */
    uint64_t length;
    bool has_range; /* a well-formed "bytes FIRST-LAST/TOTAL" Content-Range */
    uint64_t range_first, range_last, range_total;
    char etag[OTA_NET_ETAG_MAX]; /* strong ETag with its quotes; "" if none, weak or too long */
    char last_modified[OTA_NET_LAST_MODIFIED_MAX]; /* "" if none or too long */
} net_response_t;

void net_response_reset(net_response_t *r);

/* Feed one header line as libcurl delivers it (CRLF included, not NUL-terminated).
 * A status line starts a new response (redirects and 1xx come before the final one). */
void net_response_line(net_response_t *r, const char *line, size_t len);

#endif
