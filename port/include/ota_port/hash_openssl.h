/*
 * Host hash port: ota_hash_t SHA-256 backed by OpenSSL's libcrypto (EVP), which
 * uses the CPU's SHA extensions where present. Optional: built as its own
 * library (ota_port_openssl), not part of ota_port.
 */
#ifndef OTA_PORT_HASH_OPENSSL_H
#define OTA_PORT_HASH_OPENSSL_H

#include "ota/hash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Caller-owned state; the fields are private. */
typedef struct ota_openssl_sha256 {
    void *md;  /* EVP_MD * */
    void *ctx; /* EVP_MD_CTX * */
} ota_openssl_sha256_t;

/*
 * Fill *hash so that it uses *state (allocates the EVP context once).
 * Errors: OTA_ERR_INVALID_ARG (NULL), OTA_ERR_IO (OpenSSL failed).
 */
ota_err_t ota_port_openssl_sha256_init(ota_hash_t *hash, ota_openssl_sha256_t *state);

/* Release what init allocated; safe to call twice. */
void ota_port_openssl_sha256_free(ota_openssl_sha256_t *state);

#ifdef __cplusplus
}
#endif

#endif
