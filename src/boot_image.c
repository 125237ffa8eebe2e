/* The bootloader's image check: verify, policy, secure_version (ota/boot_image.h). */
#include "ota/boot_image.h"

ota_err_t ota_boot_image_check(void *ctx, const ota_partition_t *p, uint32_t *secure_version)
{
    ota_boot_image_check_t *c = ctx;
    if (!c || !p || !secure_version) {
        return OTA_ERR_INVALID_ARG;
    }
    *secure_version = 0;
    ota_image_verify_opts_t opts = {.kind = OTA_IMAGE_APP, .device = c->device};
    ota_err_t err = ota_image_verify(c->flash, p->offset, p->size, &opts, c->sha256, c->scratch,
                                     c->scratch_len, &c->image);
    if (!err && c->policy) {
        err = c->policy(c->policy_ctx, c->flash, p, OTA_IMAGE_APP, &c->image);
    }
    if (!err) {
        err = ota_image_read_secure_version(c->flash, p->offset, p->size, secure_version);
    }
    return err;
}
