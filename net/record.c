/*
 * The progress record in its portable form (little-endian, fixed size):
 *
 *   0    4  magic "OTAN"
 *   4    4  format version (1)
 *   8   32  SHA-256 of the URL
 *  40    8  image length
 *  48    8  bytes committed
 *  56   32  SHA-256 of the committed prefix
 *  88  128  strong ETag, NUL-padded
 * 216   64  Last-Modified, NUL-padded
 * 280   32  SHA-256 of bytes [0, 280): detects any corruption of the blob
 */
#include <string.h>

#include "ota/net.h"
#include "ota_port/hash_mbedtls.h"

#define REC_MAGIC "OTAN"
#define REC_VERSION 1u
#define OFF_URL 8u
#define OFF_TOTAL 40u
#define OFF_COMMITTED 48u
#define OFF_PREFIX 56u
#define OFF_ETAG 88u
#define OFF_LM (OFF_ETAG + OTA_NET_ETAG_MAX)
#define OFF_CHECK (OFF_LM + OTA_NET_LAST_MODIFIED_MAX)

_Static_assert(OFF_CHECK + OTA_SHA256_LEN == OTA_NET_RECORD_LEN, "record layout");

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

void ota_net_record_encode(const ota_net_record_t *rec, uint8_t out[OTA_NET_RECORD_LEN])
{
    memset(out, 0, OTA_NET_RECORD_LEN);
    memcpy(out, REC_MAGIC, 4);
    put_le(out + 4, REC_VERSION, 4);
    memcpy(out + OFF_URL, rec->url_sha256, OTA_SHA256_LEN);
    put_le(out + OFF_TOTAL, rec->total, 8);
    put_le(out + OFF_COMMITTED, rec->committed, 8);
    memcpy(out + OFF_PREFIX, rec->prefix_sha256, OTA_SHA256_LEN);
    /* strnlen keeps an unterminated field from reading past it; the last byte stays NUL */
    memcpy(out + OFF_ETAG, rec->etag, strnlen(rec->etag, OTA_NET_ETAG_MAX - 1));
    memcpy(out + OFF_LM, rec->last_modified,
           strnlen(rec->last_modified, OTA_NET_LAST_MODIFIED_MAX - 1));
    ota_port_sha256(out, OFF_CHECK, out + OFF_CHECK);
}

/* A text field must be NUL-terminated inside its slot. */
static bool copy_text(char *dst, const uint8_t *src, size_t cap)
{
    if (!memchr(src, 0, cap)) {
        return false;
    }
    memcpy(dst, src, cap);
    return true;
}

ota_err_t ota_net_record_decode(const uint8_t *buf, size_t len, ota_net_record_t *rec)
{
    if (!buf || !rec) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t check[OTA_SHA256_LEN];
    if (len != OTA_NET_RECORD_LEN || memcmp(buf, REC_MAGIC, 4) != 0 ||
        get_le(buf + 4, 4) != REC_VERSION) {
        return OTA_ERR_NET_RECORD;
    }
    ota_port_sha256(buf, OFF_CHECK, check);
    if (memcmp(check, buf + OFF_CHECK, OTA_SHA256_LEN) != 0) {
        return OTA_ERR_NET_RECORD;
    }
    memcpy(rec->url_sha256, buf + OFF_URL, OTA_SHA256_LEN);
    rec->total = get_le(buf + OFF_TOTAL, 8);
    rec->committed = get_le(buf + OFF_COMMITTED, 8);
    memcpy(rec->prefix_sha256, buf + OFF_PREFIX, OTA_SHA256_LEN);
    if (rec->committed > rec->total ||
        !copy_text(rec->etag, buf + OFF_ETAG, OTA_NET_ETAG_MAX) ||
        !copy_text(rec->last_modified, buf + OFF_LM, OTA_NET_LAST_MODIFIED_MAX)) {
        return OTA_ERR_NET_RECORD;
    }
    return OTA_OK;
}
