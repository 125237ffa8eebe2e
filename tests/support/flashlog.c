#include "flashlog.h"

#include <stdlib.h>
#include <string.h>

static void add(tu_flashlog_t *log, tu_flashlog_kind_t kind, uint32_t addr, uint32_t len,
                const void *data)
{
    if (log->count == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 16;
        tu_flashlog_op_t *ops = realloc(log->ops, cap * sizeof *ops);
        if (!ops) {
            abort();
        }
        log->ops = ops;
        log->cap = cap;
    }
    tu_flashlog_op_t *op = &log->ops[log->count++];
    *op = (tu_flashlog_op_t){kind, addr, len, NULL};
    if (data) {
        op->data = malloc(len);
        if (!op->data) {
            abort();
        }
        memcpy(op->data, data, len);
    }
}

static ota_err_t log_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    const tu_flashlog_t *log = ctx;
    return log->inner->read(log->inner->ctx, addr, buf, len);
}

static ota_err_t log_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    tu_flashlog_t *log = ctx;
    ota_err_t err = log->inner->write(log->inner->ctx, addr, buf, len);
    if (!err) {
        add(log, TU_FLASHLOG_WRITE, addr, (uint32_t)len, buf);
    }
    return err;
}

static ota_err_t log_erase(void *ctx, uint32_t addr)
{
    tu_flashlog_t *log = ctx;
    ota_err_t err = log->inner->erase(log->inner->ctx, addr);
    if (!err) {
        add(log, TU_FLASHLOG_ERASE, addr, log->inner->sector_size, NULL);
    }
    return err;
}

void tu_flashlog_init(tu_flashlog_t *log, const ota_flash_t *inner)
{
    *log = (tu_flashlog_t){.inner = inner};
    log->flash = *inner;
    log->flash.ctx = log;
    log->flash.read = log_read;
    log->flash.write = log_write;
    log->flash.erase = log_erase;
}

void tu_flashlog_clear(tu_flashlog_t *log)
{
    for (size_t i = 0; i < log->count; i++) {
        free(log->ops[i].data);
    }
    log->count = 0;
}

void tu_flashlog_free(tu_flashlog_t *log)
{
    tu_flashlog_clear(log);
    free(log->ops);
    log->ops = NULL;
    log->cap = 0;
}
