/*
 * mbedTLS 2.28 configuration for a device that takes only libota's hashes
 * from mbedTLS: build library/sha256.c, md5.c and platform_util.c with
 * -DMBEDTLS_CONFIG_FILE='"ota_port/mbedtls_hash_config.h"' and use
 * port/hash_mbedtls.c as the ota_hash_t port. Used by make size and
 * examples/cortex-m with Debian's mbedTLS source (scripts/install-deps size).
 * SHA-384 (only for ECDSA P-384 signature blocks) would also need
 * MBEDTLS_SHA512_C and library/sha512.c.
 */
#ifndef OTA_PORT_MBEDTLS_HASH_CONFIG_H
#define OTA_PORT_MBEDTLS_HASH_CONFIG_H

#define MBEDTLS_SHA256_C
#define MBEDTLS_MD5_C
/* The rolled-up SHA-256 rounds: smaller code for a slower hash (mbedTLS's
 * config.h: about 2 KB -> 0.5 KB on Cortex-M4, about 30% slower). */
#define MBEDTLS_SHA256_SMALLER

#include "mbedtls/check_config.h"

#endif
