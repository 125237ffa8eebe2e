/*
 * Secure Boot v2 signature sectors (spec §4.8).
 *
 * A signed app is [image | 0xFF padding | signature sector]: the 4096-byte
 * sector starts at ALIGN_UP(image_len, 4096) from the image start and holds up
 * to three 1216-byte blocks at 0, 1216 and 2432. Every block is
 *
 *   0 magic 0xE7 | 1 version | 2 hash layout | 3 zero | digest | key | signature
 *   | zero padding | 1196 CRC-32 of bytes 0..1195 (LE) | 16 zero bytes
 *
 * with version 2 = RSA-3072-PSS, version 3 = ECDSA (byte 2: 0 = SHA-256
 * layout for P-192/P-256, 1 = SHA-384 layout for P-384). The digest covers the
 * image bytes [0, sector offset), padding included.
 *
 * The verifier decides like the chip ROM: the device trusts public-key
 * DIGESTS (SHA-256 of a block's key material, burned into eFuse), not keys.
 * Blocks are examined in order; a block counts only when its magic, CRC and
 * scheme are right, its key digest is trusted and not revoked, its stored
 * digest equals the image digest, and the signature verifies with the key in
 * the block. The first block that counts decides; a bad block is skipped.
 */
#ifndef OTA_SIGV2_H
#define OTA_SIGV2_H

#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"
#include "ota/flash.h"
#include "ota/hash.h"
#include "ota/sig.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_SIGV2_SECTOR_SIZE 4096u
#define OTA_SIGV2_BLOCK_SIZE 1216u
#define OTA_SIGV2_MAX_BLOCKS 3u
#define OTA_SIGV2_MAGIC 0xE7u
#define OTA_SIGV2_VERSION_RSA 2u
#define OTA_SIGV2_VERSION_ECDSA 3u
#define OTA_SIGV2_MAX_DIGEST_LEN 48u /* SHA-384 */
#define OTA_SIGV2_MAX_KEY_LEN 776u   /* RSA: n, e, rinv, mdash */
#define OTA_SIGV2_MAX_SIG_LEN 384u   /* RSA */
#define OTA_SIGV2_MAX_TRUSTED 32u    /* bits of the revoked mask */
/* Smallest scratch buffer: one block plus a 256-byte chunk to hash the image through. */
#define OTA_SIGV2_BUF_MIN (OTA_SIGV2_BLOCK_SIZE + 256u)

/* Where a scheme's fields sit in a block: [4, 4+digest) [.., +key) [.., +sig). */
typedef struct ota_sigv2_layout {
    uint8_t version;     /* byte 1 */
    uint8_t hash_layout; /* byte 2 */
    uint8_t curve_id;    /* ECDSA: first key byte, 1 P-192 / 2 P-256 / 3 P-384; RSA: 0 */
    size_t digest_len;   /* 32 or 48 */
    size_t key_len;      /* key material: RSA 776; ECDSA curve id + point field (65 or 97) */
    size_t sig_len;      /* RSA 384; ECDSA r + s field (64 or 96) */
    size_t width;        /* bytes per number: 384, or 24 / 32 / 48 */
} ota_sigv2_layout_t;

/* A parsed block: pointers into the caller's block bytes. */
typedef struct ota_sigv2_block {
    ota_sig_scheme_t scheme;
    ota_sigv2_layout_t layout;
    const uint8_t *digest; /* stored image digest */
    const uint8_t *key;    /* key material, hashed for the eFuse key digest */
    const uint8_t *sig;    /* signature field */
} ota_sigv2_block_t;

/* What the verifier needs. Everything is the caller's; nothing is kept. */
typedef struct ota_sigv2_cfg {
    const ota_flash_t *flash;
    const ota_hash_t *sha256;        /* required (key digests, SHA-256 layout) */
    const ota_hash_t *sha384;        /* NULL: P-384 blocks count as unsupported */
    const ota_sig_engine_t *engine;  /* required */
    const uint8_t (*key_digests)[OTA_SHA256_LEN]; /* trusted key digests (eFuse) */
    size_t key_count;                /* 1..OTA_SIGV2_MAX_TRUSTED */
    uint32_t revoked;                /* bit i set: key_digests[i] is revoked */
    uint32_t schemes;                /* OTA_SIG_SCHEME_BIT()s allowed; 0 = all */
    uint8_t *buf;                    /* scratch, at least OTA_SIGV2_BUF_MIN bytes */
    size_t buf_len;                  /* more than the minimum hashes in bigger chunks */
} ota_sigv2_cfg_t;

typedef struct ota_sigv2_result {
    uint32_t sector_offset; /* from the partition start */
    int block;              /* block that verified, or -1 */
    ota_sig_scheme_t scheme;   /* its scheme (when block >= 0) */
    size_t key_index;          /* the trusted digest it matched (when block >= 0) */
    unsigned checked;          /* blocks examined: the first success ends the walk */
    /* For each examined block: OTA_OK or why it does not count (see ota_sigv2_verify). */
    ota_err_t block_err[OTA_SIGV2_MAX_BLOCKS];
} ota_sigv2_result_t;

/*
 * Verify the signature sector of the image that starts at part_offset (the
 * partition start) and is image_len bytes long before padding. The sector is
 * at part_offset + ALIGN_UP(image_len, 4096) and must lie inside
 * [part_offset, part_offset + part_size). A sector offset may be given as
 * image_len: it is its own ALIGN_UP.
 *
 * OTA_OK when a block counts (res->block says which). Otherwise each block's
 * reason, in the order they are checked, is one of
 *   OTA_ERR_IMG_SIG_NONE     no 0xE7 magic (empty slot, erased sector)
 *   OTA_ERR_IMG_SIG_CRC      block CRC wrong
 *   OTA_ERR_IMG_SIG_SCHEME   unknown version / hash layout / curve, a scheme
 *                            not in cfg->schemes, P-384 without cfg->sha384,
 *                            or one the engine cannot do
 *   OTA_ERR_IMG_SIG_KEY      key digest not among the trusted digests
 *   OTA_ERR_IMG_SIG_REVOKED  key digest trusted only in revoked slots
 *   OTA_ERR_IMG_SIG_DIGEST   stored digest differs from the image digest
 *   OTA_ERR_IMG_SIG_INVALID  the signature does not verify
 * and the function returns the reason of the block that got furthest.
 * Other errors: OTA_ERR_INVALID_ARG (NULL or incomplete cfg, buffer too
 * small, wrong digest_len of a hash port, image_len 0),
 * OTA_ERR_IMG_SIG_RANGE (sector not inside the partition), and flash, hash
 * or engine errors unchanged. res is filled as far as the walk got.
 */
ota_err_t ota_sigv2_verify(const ota_sigv2_cfg_t *cfg, uint32_t part_offset, uint32_t part_size,
                           uint32_t image_len, ota_sigv2_result_t *res);

/*
 * The layout of a scheme. Errors: OTA_ERR_INVALID_ARG (not a scheme).
 */
ota_err_t ota_sigv2_layout(ota_sig_scheme_t scheme, ota_sigv2_layout_t *out);

/*
 * Parse one OTA_SIGV2_BLOCK_SIZE-byte block (no crypto). Errors:
 * OTA_ERR_IMG_SIG_NONE, OTA_ERR_IMG_SIG_CRC, OTA_ERR_IMG_SIG_SCHEME, as above;
 * OTA_ERR_INVALID_ARG for NULL arguments.
 */
ota_err_t ota_sigv2_block_parse(const uint8_t *block, ota_sigv2_block_t *out);

/*
 * Build a block (for signing tools): header, digest, key material and
 * signature (lengths from the scheme's layout), zero padding and CRC.
 * Errors: OTA_ERR_INVALID_ARG (NULL argument, not a scheme).
 */
ota_err_t ota_sigv2_block_build(uint8_t *block, ota_sig_scheme_t scheme, const uint8_t *digest,
                                const uint8_t *key, const uint8_t *sig);

/* "RSA-3072-PSS", "ECDSA-P-192", "ECDSA-P-256", "ECDSA-P-384" or "unknown". */
const char *ota_sig_scheme_name(ota_sig_scheme_t scheme);

#ifdef __cplusplus
}
#endif

#endif
