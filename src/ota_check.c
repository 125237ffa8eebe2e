/* ota_check_update_head(): the app's "do I want this image?" rules before any flash is touched. */
#include <string.h>

#include "ota/ota.h"

/* Version of the app in p, or "" when it has no readable descriptor. */
static void version_of(const ota_ctx_t *ctx, const ota_partition_t *p, char out[33])
{
    ota_app_desc_t d;
    out[0] = '\0';
    if (p && ota_get_partition_description(ctx, p, &d) == OTA_OK) {
        memcpy(out, d.version, sizeof d.version);
    }
}

/* The native example's rules: neither the version running now nor one that
 * already failed its first boot (it would only be rejected again). Version
 * fields are zero-padded by the descriptor parser, so comparing whole fields
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
    ota_app_desc_t d;
    memset(&d, 0, sizeof d);
    ota_err_t err = ctx && head ? ota_image_check_head(head, len, OTA_IMAGE_APP, ctx->cfg.device,
                                                       NULL, &d, NULL)
                                : OTA_ERR_INVALID_ARG;
    if (desc) {
        *desc = d; /* also when the chip is wrong: the caller may want to say which version */
    }
    if (!err) {
        err = check_version(ctx, &d);
    }
    if (!err && ctx->cfg.anti_rollback) {
        uint32_t counter = 0;
        err = ctx->cfg.read_secure_version(ctx->cfg.secure_version_ctx, &counter);
        if (!err) {
            err = ota_image_check_secure_version(&d, counter);
        }
    }
    return err;
}
