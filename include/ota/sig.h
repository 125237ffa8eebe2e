/*
 * The signature-verification port.
 *
 * The core never implements public-key crypto: it parses a signature block
 * and hands the primitive check (RSA-PSS or ECDSA over a digest the core has
 * computed) to an ota_sig_engine_t, so an MCU port can use its RSA / ECDSA
 * peripheral. The host engine in port/sig_mbedtls.c uses mbedTLS.
 *
 * Numbers reach the engine exactly as a Secure Boot v2 block stores them:
 * little-endian, `width` bytes each. RSA hardware on ESP chips consumes the
 * modulus with its Montgomery constants (rinv, mdash) as stored; a software
 * engine may ignore those two, because the trusted key digest covers them.
 */
#ifndef OTA_SIG_H
#define OTA_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ota_sig_scheme {
    OTA_SIG_RSA3072_PSS = 1, /* RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt */
    OTA_SIG_ECDSA_P192 = 2,  /* ECDSA over SHA-256 (cut to 192 bits, as ECDSA does) */
    OTA_SIG_ECDSA_P256 = 3,  /* ECDSA over SHA-256 */
    OTA_SIG_ECDSA_P384 = 4,  /* ECDSA over SHA-384 */
} ota_sig_scheme_t;

/* For allow-masks of schemes. */
#define OTA_SIG_SCHEME_BIT(s) (1u << (unsigned)(s))

#define OTA_SIG_RSA_LEN 384u /* RSA-3072 modulus and signature bytes */

/* One signature to check. Pointers are to `width` bytes, little-endian. */
typedef struct ota_sig_check {
    ota_sig_scheme_t scheme;
    const uint8_t *digest; /* the image digest the signature must cover */
    size_t digest_len;     /* 32 (SHA-256) or 48 (SHA-384, P-384 only) */
    size_t width;          /* 384 for RSA; 24, 32 or 48 for ECDSA */

    /* RSA-3072 (NULL for ECDSA) */
    const uint8_t *rsa_n;
    uint32_t rsa_e;
    const uint8_t *rsa_rinv; /* R^2 mod n with R = 2^3072 */
    uint32_t rsa_mdash;      /* -n^-1 mod 2^32 */
    const uint8_t *rsa_sig;  /* the RSASSA-PSS signature as an integer */

    /* ECDSA (NULL for RSA) */
    const uint8_t *ec_x, *ec_y; /* public point */
    const uint8_t *ec_r, *ec_s; /* signature */
} ota_sig_check_t;

typedef struct ota_sig_engine {
    void *ctx; /* passed back to verify */
    /*
     * Check one signature. Returns OTA_OK when it is valid,
     * OTA_ERR_IMG_SIG_INVALID when it is not (including a malformed key:
     * point not on the curve, even modulus...), OTA_ERR_IMG_SIG_SCHEME when
     * this engine cannot do check->scheme (the block is then skipped), or any
     * other code for an engine failure, which ends the verification with it.
     */
    ota_err_t (*verify)(void *ctx, const ota_sig_check_t *check);
} ota_sig_engine_t;

#ifdef __cplusplus
}
#endif

#endif
