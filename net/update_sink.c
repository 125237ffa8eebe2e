/* ota_net_update_sink_t: the download goes straight into an update session (include/ota/net.h). */
#include "ota/net.h"

static ota_err_t sink_begin(void *arg, uint64_t total, uint64_t offset)
{
    ota_net_update_sink_t *us = arg;
    if (total > us->part->size || offset > total) {
        return OTA_ERR_OTA_TOO_LARGE;
    }
    ota_net_update_sink_close(us);
    /* Sequential erase: a sector is erased only when data reaches it, so an
     * update that dies early has touched as little as possible. */
    ota_err_t err = offset == 0
                        ? ota_begin(us->ctx, &us->session, us->part, OTA_ERASE_SEQUENTIAL, 0)
                        : ota_resume(us->ctx, &us->session, us->part, (uint32_t)offset);
    us->open = !err;
    us->pos = offset;
    return err;
}

static ota_err_t sink_write(void *arg, uint64_t offset, const void *data, size_t len)
{
    ota_net_update_sink_t *us = arg;
    if (!us->open || offset != us->pos) {
        return OTA_ERR_INVALID_STATE;
    }
    ota_err_t err = ota_write(&us->session, data, len);
    us->pos += err ? 0 : len;
    return err;
}

static ota_err_t sink_flush(void *arg)
{
    ota_net_update_sink_t *us = arg;
    return us->persist ? us->persist(us->persist_arg) : OTA_OK;
}

static ota_err_t sink_restart(void *arg)
{
    ota_net_update_sink_close(arg);
    return OTA_OK;
}

static ota_err_t sink_read(void *arg, uint64_t offset, void *buf, size_t len)
{
    const ota_net_update_sink_t *us = arg;
    if (offset > us->part->size || len > us->part->size - offset) {
        return OTA_ERR_FLASH_RANGE;
    }
    return ota_flash_read(us->ctx->cfg.flash, us->part->offset + (uint32_t)offset, buf, len);
}

void ota_net_update_sink_init(ota_net_update_sink_t *us, ota_ctx_t *ctx, const ota_partition_t *part,
                              ota_err_t (*persist)(void *arg), void *persist_arg)
{
    *us = (ota_net_update_sink_t){
        .sink = {
            .ctx = us,
            .capacity = part ? part->size : 0,
            .begin = sink_begin,
            .write = sink_write,
            .flush = sink_flush,
            .restart = sink_restart,
            .read = sink_read,
        },
        .ctx = ctx,
        .part = part,
        .persist = persist,
        .persist_arg = persist_arg,
    };
}

ota_err_t ota_net_update_sink_decide(void *arg, const uint8_t *head, size_t len, uint64_t total)
{
    ota_net_update_sink_t *us = arg;
    (void)total; /* the engine already held it against the slot's size */
    return ota_check_update_head(us->ctx, head, len, &us->desc);
}

ota_err_t ota_net_update_sink_finish(ota_net_update_sink_t *us)
{
    if (!us->open) {
        return OTA_ERR_OTA_SESSION_CLOSED;
    }
    us->open = false;
    ota_err_t err = ota_end(&us->session);
    return err ? err : ota_set_boot_partition(us->ctx, us->part);
}

void ota_net_update_sink_close(ota_net_update_sink_t *us)
{
    if (us->open) {
        (void)ota_abort(&us->session);
        us->open = false;
    }
}
