/*
 * Secure Boot v2 signatures of image files, for `ota image sign|verify`
 * (tools/cmd_image.c), and PEM keys, for `ota key` too.
 *
 * A file is seen as a partition (tools/imgfile.h); its signature sector is at
 * ALIGN_UP(image_len, 4096) from its start, image_len being the length the
 * image parser found, and must lie inside the file. Sectors are checked by the
 * core verifier over the RAM flash holding the file, as a device checks its
 * partition.
 */
#ifndef OTA_TOOLS_IMGSIG_H
#define OTA_TOOLS_IMGSIG_H

#include <stddef.h>
#include <stdint.h>

#include "imgfile.h"
#include "ota/sigv2.h"
#include "ota_port/sig_mbedtls.h"

/* Load a PEM key (ota_port_sigkey_load); prints why it cannot be used. Returns 0 or CLI_EXIT_USAGE. */
int imgsig_load_key(const char *path, ota_port_sigkey_t *key);

/* The public-key digests a check trusts (as eFuse holds them), with the files they came from. */
typedef struct imgsig_trust {
    uint8_t digests[OTA_SIGV2_MAX_TRUSTED][OTA_SHA256_LEN];
    const char *paths[OTA_SIGV2_MAX_TRUSTED];
    size_t n;
} imgsig_trust_t;

/* Trust the digest of the PEM key (public or private) at path. Prints why not; returns 0 or CLI_EXIT_USAGE. */
int imgsig_trust_add(imgsig_trust_t *trust, const char *path);

/*
 * Check the signature sector of the image in f, image_len bytes long before
 * padding. Prints one line: on stdout when a block verifies, else
 * "ota: error: NAME: ..." on stderr with every examined block's reason.
 * Returns 0, CLI_EXIT_FAIL (no block counts) or CLI_EXIT_USAGE.
 */
int imgsig_check(const char *name, const imgfile_t *f, uint32_t image_len,
                 const imgsig_trust_t *trust);

/*
 * Sign the image in f (image_len bytes long) with the private PEM keys
 * keys[0..n) and write the result to out atomically ("-": stdout): the file
 * padded with 0xFF to ALIGN_UP(image_len, 4096), then a signature sector with
 * one block per key. A file that already ends in its signature sector gets
 * the blocks added there (valid blocks first, the rest erased, 3 at most).
 * name is the input's name for messages. Returns 0 or CLI_EXIT_USAGE.
 */
int imgsig_sign(const char *name, const imgfile_t *f, uint32_t image_len, const char *const *keys,
                size_t n, const char *out);

/* The same into memory: *out (malloc'd, the caller frees it) of *out_len bytes, nothing printed
 * but errors. Returns 0 or CLI_EXIT_USAGE. */
int imgsig_sign_mem(const char *name, const imgfile_t *f, uint32_t image_len,
                    const char *const *keys, size_t n, uint8_t **out, size_t *out_len);

#endif
