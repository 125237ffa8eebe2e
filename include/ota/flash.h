/*
 * The flash port: the only thing libota needs from a device.
 *
 * A port fills one ota_flash_t: a context pointer, three callbacks and the
 * geometry. The library never touches flash any other way, never allocates,
 * and keeps no global state: the port is passed to every call.
 *
 * NOR semantics are assumed: erase sets a whole sector to `erased_value`
 * (0xFF), programming can only clear bits. The library only calls the port
 * with arguments that are in range and aligned:
 *   read:  any addr/len inside [0, size)
 *   write: addr and len multiples of write_size, inside [0, size)
 *   erase: addr a multiple of sector_size, one sector per call
 * The ota_flash_* helpers below check that before calling the port, so a port
 * may assume it (the host simulator checks again, to catch library bugs).
 */
#ifndef OTA_FLASH_H
#define OTA_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ota_flash {
    void *ctx; /* passed back to every callback */

    /* Read len bytes at addr into buf. */
    ota_err_t (*read)(void *ctx, uint32_t addr, void *buf, size_t len);
    /* Program len bytes at addr (can only clear bits). */
    ota_err_t (*write)(void *ctx, uint32_t addr, const void *buf, size_t len);
    /* Erase the sector that starts at addr. */
    ota_err_t (*erase)(void *ctx, uint32_t addr);

    uint32_t size;        /* total bytes */
    uint32_t sector_size; /* erase unit, a power of two (0x1000 on ESP chips) */
    uint32_t write_size;  /* program granularity, a power of two, >= 1 */
    uint8_t erased_value; /* 0xFF for NOR */
} ota_flash_t;

/*
 * Checked access. Errors: OTA_ERR_INVALID_ARG (NULL flash/buffer),
 * OTA_ERR_FLASH_RANGE (outside the flash), OTA_ERR_FLASH_ALIGN (write not
 * aligned to write_size, erase not aligned to sector_size), or whatever the
 * port returned. A zero length is a successful no-op.
 */
ota_err_t ota_flash_read(const ota_flash_t *flash, uint32_t addr, void *buf, size_t len);
ota_err_t ota_flash_write(const ota_flash_t *flash, uint32_t addr, const void *buf, size_t len);

/* Erase [addr, addr + len): both must be multiples of sector_size. */
ota_err_t ota_flash_erase_range(const ota_flash_t *flash, uint32_t addr, uint32_t len);

/* True when [addr, addr + len) lies inside the flash (no overflow). */
int ota_flash_in_range(const ota_flash_t *flash, uint32_t addr, uint64_t len);

#ifdef __cplusplus
}
#endif

#endif
