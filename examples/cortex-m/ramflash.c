#include "ramflash.h"

#include <string.h>

/* libota checked range and alignment before calling (include/ota/flash.h). */
static ota_err_t ram_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    memcpy(buf, (const uint8_t *)ctx + addr, len);
    return OTA_OK;
}

static ota_err_t ram_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    uint8_t *dst = (uint8_t *)ctx + addr;
    const uint8_t *src = buf;
    for (size_t i = 0; i < len; i++) {
        dst[i] &= src[i];
    }
    return OTA_OK;
}

static ota_err_t ram_erase(void *ctx, uint32_t addr)
{
    memset((uint8_t *)ctx + addr, 0xFF, RAMFLASH_SECTOR);
    return OTA_OK;
}

void ramflash_init(ota_flash_t *flash, uint8_t *mem, uint32_t size)
{
    memset(mem, 0xFF, size);
    *flash = (ota_flash_t){
        .ctx = mem,
        .read = ram_read,
        .write = ram_write,
        .erase = ram_erase,
        .size = size,
        .sector_size = RAMFLASH_SECTOR,
        .write_size = 1,
        .erased_value = 0xFF,
    };
}
