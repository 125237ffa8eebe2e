/*
 * "Require signed": the Secure Boot v2 verifier (ota/sigv2.h) as an image
 * policy, so the update path (ota_config_t.image_policy: ota_end,
 * ota_set_boot_partition, rollback targets) and the bootloader
 * (ota/boot_image.h) refuse every image that does not carry a signature by
 * one of the device's trusted, non-revoked keys.
 *
 *     ota_sig_policy_t pol = {.sig = {.sha256 = ..., .engine = ..., .key_digests = efuse,
 *                                     .key_count = 3, .revoked = mask, .buf = buf,
 *                                     .buf_len = sizeof buf}};
 *     cfg.image_policy = ota_sig_policy_check;
 *     cfg.image_policy_ctx = &pol;
 *
 * The signature sector is looked for where the chip ROM looks: at
 * ALIGN_UP(image_len, 4096) from the partition start, image_len being what
 * the image verifier found, and it must lie inside the partition.
 */
#ifndef OTA_SIGPOLICY_H
#define OTA_SIGPOLICY_H

#include "ota/err.h"
#include "ota/flash.h"
#include "ota/image.h"
#include "ota/partition.h"
#include "ota/sigv2.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ota_sig_policy {
    /* Trusted key digests, revoked mask, allowed schemes, hashes, engine and
     * buffer, all the caller's. sig.flash is ignored: every check uses the
     * flash the image is on. */
    ota_sigv2_cfg_t sig;
    /* The last check's outcome per block, for messages. Written by every check. */
    ota_sigv2_result_t result;
} ota_sig_policy_t;

/*
 * An ota_image_policy_fn; policy is an ota_sig_policy_t. Apps and
 * bootloaders carry the same sector, so kind does not matter.
 * OTA_OK when a block by a trusted, non-revoked key verifies; otherwise the
 * error of ota_sigv2_verify(): OTA_ERR_IMG_SIG_NONE (unsigned),
 * OTA_ERR_IMG_SIG_KEY (other key), OTA_ERR_IMG_SIG_REVOKED,
 * OTA_ERR_IMG_SIG_DIGEST, OTA_ERR_IMG_SIG_INVALID, OTA_ERR_IMG_SIG_SCHEME,
 * OTA_ERR_IMG_SIG_CRC, OTA_ERR_IMG_SIG_RANGE (sector does not fit the
 * partition), OTA_ERR_INVALID_ARG (NULL argument or incomplete sig),
 * flash, hash and engine errors.
 */
ota_err_t ota_sig_policy_check(void *policy, const ota_flash_t *flash, const ota_partition_t *part,
                               ota_image_kind_t kind, const ota_image_info_t *info);

#ifdef __cplusplus
}
#endif

#endif
