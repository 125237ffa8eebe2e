/*
 * Host signature port on mbedTLS (2.28 API):
 *   - ota_sig_engine_t that verifies RSA-3072-PSS and ECDSA P-192/P-256/P-384
 *     signatures as the core hands them over (include/ota/sig.h);
 *   - Secure Boot v2 keys loaded from PEM, with their key material (the
 *     bytes a block stores and the eFuse digest is taken over), and signing
 *     with a private key, for the CLI.
 */
#ifndef OTA_PORT_SIG_MBEDTLS_H
#define OTA_PORT_SIG_MBEDTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

#include "ota/hash.h"
#include "ota/sig.h"
#include "ota/sigv2.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fill *engine with the mbedTLS verifier (stateless: ctx is NULL). */
void ota_port_sig_engine_init(ota_sig_engine_t *engine);

typedef struct ota_port_sigkey {
    mbedtls_pk_context pk;
    ota_sig_scheme_t scheme;
    bool has_private;
    uint8_t material[OTA_SIGV2_MAX_KEY_LEN]; /* as a block stores it */
    size_t material_len;                     /* 776 (RSA), 65 or 97 (ECDSA) */
} ota_port_sigkey_t;

/*
 * Load a PEM public key (SubjectPublicKeyInfo) or private key (PKCS#1,
 * SEC1 or unencrypted PKCS#8) and compute its key material.
 * Errors: OTA_ERR_IO (not a regular file, or cannot be read), OTA_ERR_INVALID_ARG (not a PEM
 * key mbedTLS can parse, or encrypted), OTA_ERR_IMG_SIG_SCHEME (not RSA-3072
 * with a 32-bit exponent, nor ECDSA on P-192, P-256 or P-384).
 * On error nothing needs freeing; on success call ota_port_sigkey_free().
 */
ota_err_t ota_port_sigkey_load(ota_port_sigkey_t *key, const char *path);

void ota_port_sigkey_free(ota_port_sigkey_t *key);

/* SHA-256 of the key material: the public-key digest burned into eFuse. */
void ota_port_sigkey_digest(const ota_port_sigkey_t *key, uint8_t out[OTA_SHA256_LEN]);

/*
 * Sign an image digest (32 bytes, 48 for P-384) and write the signature field
 * of a block (the scheme's sig_len bytes: RSA little-endian, ECDSA r | s
 * little-endian with zero tail). RSA-PSS uses a random 32-byte salt, ECDSA a
 * random nonce, from a CTR-DRBG seeded by mbedTLS's entropy source.
 * Errors: OTA_ERR_INVALID_ARG (public key only, wrong digest length),
 * OTA_ERR_IO (RNG or mbedTLS failure).
 */
ota_err_t ota_port_sigkey_sign(const ota_port_sigkey_t *key, const uint8_t *digest,
                               size_t digest_len, uint8_t *sig);

#ifdef __cplusplus
}
#endif

#endif
