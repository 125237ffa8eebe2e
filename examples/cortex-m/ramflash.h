/*
 * A NOR flash in RAM behind ota_flash_t: erase sets a 4 KiB sector to 0xFF,
 * a write can only clear bits (the result is old AND new), like the SPI NOR
 * of an ESP chip. A real port replaces the three callbacks with the
 * device's flash driver (docs/PORTING.md); libota sees no difference.
 */
#ifndef EXAMPLE_RAMFLASH_H
#define EXAMPLE_RAMFLASH_H

#include <stdint.h>

#include "ota/flash.h"

#define RAMFLASH_SECTOR 0x1000u

/* Make *flash a port over mem[0, size) (size a multiple of 4 KiB), erased. */
void ramflash_init(ota_flash_t *flash, uint8_t *mem, uint32_t size);

#endif
