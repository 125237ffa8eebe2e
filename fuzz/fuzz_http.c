/*
 * The pure parts of the download engine's response path: the header parser
 * (net_response_line, fed line by line as libcurl delivers header lines:
 * status lines of redirects and 1xx answers, Content-Length, Content-Range,
 * ETag, Last-Modified) and the progress record decoder. The rest of the
 * engine (evaluate / accept_partial / consume in net/fetch.c) is static and
 * only reachable through libcurl and a socket, so it is not fuzzed here.
 *
 * Input: byte 0 even: header lines, the rest split after each '\n'.
 *        byte 0 odd: a progress record (bytes 2-, padded with 0 to
 *        OTA_NET_RECORD_LEN); byte 1 bit 0 set: its check hash is fixed up
 *        first, so the field checks behind it are reached.
 *
 * Invariants: after every line the status is a 3-digit number or 0, a kept
 * Content-Range has first <= last < total, a kept ETag is a quoted string
 * that fits, Last-Modified fits; a decoded record has committed <= total and
 * terminated texts, and encodes to bytes that decode to the same record.
 */
#include <string.h>

#include "fuzz.h"
#include "ota/net.h"
#include "ota_port/hash_mbedtls.h"
#include "response.h"

#define RECORD_CHECK_AT (OTA_NET_RECORD_LEN - OTA_SHA256_LEN)

static void check_response(const net_response_t *r)
{
    FUZZ_CHECK(r->status >= 0 && r->status <= 999);
    FUZZ_CHECK(!r->has_range || (r->range_first <= r->range_last && r->range_last < r->range_total));
    size_t etag = strnlen(r->etag, sizeof r->etag);
    FUZZ_CHECK(etag < sizeof r->etag);
    FUZZ_CHECK(etag == 0 || (etag >= 2 && r->etag[0] == '"' && r->etag[etag - 1] == '"'));
    FUZZ_CHECK(strnlen(r->last_modified, sizeof r->last_modified) < sizeof r->last_modified);
}

static void fuzz_headers(const uint8_t *data, size_t size)
{
    net_response_t r;
    net_response_reset(&r);
    while (size > 0) {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - data) + 1 : size;
        net_response_line(&r, (const char *)data, n);
        check_response(&r);
        data += n;
        size -= n;
    }
}

static bool same_record(const ota_net_record_t *a, const ota_net_record_t *b)
{
    return !memcmp(a->url_sha256, b->url_sha256, sizeof a->url_sha256) && a->total == b->total &&
           a->committed == b->committed &&
           !memcmp(a->prefix_sha256, b->prefix_sha256, sizeof a->prefix_sha256) &&
           !strcmp(a->etag, b->etag) && !strcmp(a->last_modified, b->last_modified);
}

static void fuzz_record(const uint8_t *data, size_t size)
{
    uint8_t raw[OTA_NET_RECORD_LEN] = {0};
    bool fix_check = size > 0 && (data[0] & 1u);
    if (size > 0) {
        memcpy(raw, data + 1, size - 1 < sizeof raw ? size - 1 : sizeof raw);
    }
    if (fix_check) {
        ota_port_sha256(raw, RECORD_CHECK_AT, raw + RECORD_CHECK_AT);
    }
    ota_net_record_t rec, again;
    if (ota_net_record_decode(raw, sizeof raw, &rec) != OTA_OK) {
        return;
    }
    FUZZ_CHECK(rec.committed <= rec.total);
    FUZZ_CHECK(memchr(rec.etag, 0, sizeof rec.etag) && memchr(rec.last_modified, 0, sizeof rec.last_modified));
    ota_net_record_encode(&rec, raw);
    FUZZ_CHECK(ota_net_record_decode(raw, sizeof raw, &again) == OTA_OK && same_record(&rec, &again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    if (data[0] & 1u) {
        fuzz_record(data + 1, size - 1);
    } else {
        fuzz_headers(data + 1, size - 1);
    }
    return 0;
}
