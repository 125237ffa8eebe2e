/* ota_check_update_head(): the app's "do I want this image?" rules before any flash is touched. */
#include <string.h>

#include "ota/ota.h"

/* Version of the app in p (NUL-padded), or "" when it has no readable descriptor. */
static void version_of(const ota_ctx_t *ctx, const ota_partition_t *p, char out[33])
{
    p = p ? ota_partition_canonical(ctx->cfg.table, p) : NULL;
    if (!p || p->type != OTA_PART_TYPE_APP ||
        ota_image_read_app_version(ctx->cfg.flash, p->offset, p->size, out) != OTA_OK) {
        out[0] = '\0';
    }
}

/* The native example's rules: neither the version running now nor one that
 * already failed its first boot (it would only be rejected again). Version
 * fields are zero-padded by the descriptor readers, so comparing whole fields
 * equals comparing strings (and keeps strcmp out of small builds). */
static ota_err_t check_version(ota_ctx_t *ctx, const ota_app_desc_t *d)
{
    char have[33];
    version_of(ctx, ctx->cfg.running, have);
    if (have[0] && memcmp(have, d->version, sizeof have) == 0) {
        return OTA_ERR_OTA_SAME_VERSION;
    }
    const ota_partition_t *bad = NULL;
    if (ota_get_last_invalid_partition(ctx, &bad) == OTA_OK) {
        version_of(ctx, bad, have);
        if (have[0] && memcmp(have, d->version, sizeof have) == 0) {
            return OTA_ERR_OTA_KNOWN_INVALID;
        }
    }
    return OTA_OK;
}

ota_err_t ota_check_update_head(ota_ctx_t *ctx, const uint8_t *head, size_t len,
                                ota_app_desc_t *desc)
{
    if (!ctx || !head || !desc) {
        return OTA_ERR_INVALID_ARG;
    }
    /* The descriptor goes straight to the caller (also when the chip is
     * wrong: it may want to say which version): none on this stack. */
    memset(desc, 0, sizeof *desc);
    ota_err_t err =
        ota_image_check_head(head, len, OTA_IMAGE_APP, ctx->cfg.device, NULL, desc, NULL);
    if (!err) {
        err = check_version(ctx, desc);
    }
    if (!err && ctx->cfg.anti_rollback) {
        uint32_t counter = 0;
        err = ctx->cfg.read_secure_version(ctx->cfg.secure_version_ctx, &counter);
        if (!err) {
            err = ota_image_check_secure_version(desc, counter);
        }
    }
    return err;
}
