/*
 * A small streaming-hash interface, so the core never implements crypto and an
 * MCU port can plug in its hardware SHA / MD5 engine. The host port in
 * port/hash_mbedtls.c backs it with mbedTLS.
 */
#ifndef OTA_HASH_H
#define OTA_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_SHA256_LEN 32
#define OTA_SHA384_LEN 48
#define OTA_MD5_LEN 16

typedef struct ota_hash {
    void *ctx;
    ota_err_t (*start)(void *ctx);
    ota_err_t (*update)(void *ctx, const void *data, size_t len);
    ota_err_t (*finish)(void *ctx, uint8_t *digest); /* writes digest_len bytes */
    size_t digest_len;
} ota_hash_t;

#ifdef __cplusplus
}
#endif

#endif
