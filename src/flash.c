/* Checked wrappers around the flash port (include/ota/flash.h). */
#include "ota/flash.h"

int ota_flash_in_range(const ota_flash_t *flash, uint32_t addr, uint64_t len)
{
    /* not addr + len <= size: a huge len (size_t on 64-bit hosts) would wrap */
    return len <= flash->size && addr <= flash->size - len;
}

static ota_err_t check(const ota_flash_t *flash, uint32_t addr, size_t len, uint32_t align)
{
    if (!ota_flash_in_range(flash, addr, len)) {
        return OTA_ERR_FLASH_RANGE;
    }
    if ((addr | len) & (align - 1u)) {
        return OTA_ERR_FLASH_ALIGN;
    }
    return OTA_OK;
}

ota_err_t ota_flash_read(const ota_flash_t *flash, uint32_t addr, void *buf, size_t len)
{
    if (!flash || (!buf && len)) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = check(flash, addr, len, 1);
    if (err || len == 0) {
        return err;
    }
    return flash->read(flash->ctx, addr, buf, len);
}

ota_err_t ota_flash_write(const ota_flash_t *flash, uint32_t addr, const void *buf, size_t len)
{
    if (!flash || (!buf && len)) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = check(flash, addr, len, flash->write_size);
    if (err || len == 0) {
        return err;
    }
    return flash->write(flash->ctx, addr, buf, len);
}

ota_err_t ota_flash_erase_range(const ota_flash_t *flash, uint32_t addr, uint32_t len)
{
    if (!flash) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = check(flash, addr, len, flash->sector_size);
    for (uint32_t off = 0; !err && off < len; off += flash->sector_size) {
        err = flash->erase(flash->ctx, addr + off);
    }
    return err;
}
