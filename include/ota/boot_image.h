/*
 * The bootloader's image check (an ota_boot_check_image_fn for
 * ota_boot_select): the whole app image verified for the device, then an
 * optional image policy (e.g. ota_sig_policy_check: "require signed"), then
 * its secure_version read from the app descriptor. An image refused here is
 * skipped and the load order falls back as ESP-IDF's does (ota/boot.h).
 */
#ifndef OTA_BOOT_IMAGE_H
#define OTA_BOOT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"
#include "ota/flash.h"
#include "ota/hash.h"
#include "ota/image.h"
#include "ota/ota.h"
#include "ota/partition.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ota_boot_image_check {
    const ota_flash_t *flash;         /* required */
    const ota_hash_t *sha256;         /* required */
    const ota_image_device_t *device; /* chip and revision images must suit; NULL = any */
    uint8_t *scratch;                 /* required, at least OTA_IMAGE_BUF_MIN bytes */
    size_t scratch_len;
    ota_image_policy_fn policy; /* optional, called after the image verified */
    void *policy_ctx;
    /* Output: what the last check's verification learnt (the policy's input),
     * kept here in the caller's memory rather than on the boot stack. */
    ota_image_info_t image;
} ota_boot_image_check_t;

/*
 * ota_boot_check_image_fn with ctx = an ota_boot_image_check_t. *secure_version
 * is the descriptor's on success, 0 otherwise.
 * Errors: OTA_ERR_INVALID_ARG (NULL), those of ota_image_verify() (kind APP),
 * the policy's, those of ota_image_read_secure_version().
 */
ota_err_t ota_boot_image_check(void *ctx, const ota_partition_t *p, uint32_t *secure_version);

#ifdef __cplusplus
}
#endif

#endif
