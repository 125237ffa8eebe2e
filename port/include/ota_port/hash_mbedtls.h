/* Host hash port: ota_hash_t backed by mbedTLS (SHA-256, SHA-384, MD5). */
#ifndef OTA_PORT_HASH_MBEDTLS_H
#define OTA_PORT_HASH_MBEDTLS_H

#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "ota/hash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fill *hash so that it uses *ctx (caller-owned storage). */
void ota_port_sha256_init(ota_hash_t *hash, mbedtls_sha256_context *ctx);
void ota_port_sha384_init(ota_hash_t *hash, mbedtls_sha512_context *ctx);
void ota_port_md5_init(ota_hash_t *hash, mbedtls_md5_context *ctx);

/* One-shot helpers for host code. */
void ota_port_sha256(const void *data, size_t len, uint8_t out[OTA_SHA256_LEN]);
void ota_port_sha384(const void *data, size_t len, uint8_t out[OTA_SHA384_LEN]);
void ota_port_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN]);

#ifdef __cplusplus
}
#endif

#endif
