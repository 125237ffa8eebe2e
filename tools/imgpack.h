/*
 * Host-side builder of ESP app images (the layout esptool elf2image produces),
 * for tests, the demo and `ota image pack`.
 *
 * The app descriptor leads segment 0 at the chip's first mapped data address
 * + 0x20, so it lands at image offset 0x20; an optional deterministic payload
 * follows it in the same segment (like .rodata after .flash.appdesc). Other
 * segments are split into flash-mapped and RAM ones; each mapped segment is
 * placed so that its data offset matches its address modulo the MMU page,
 * using padding segments cut from RAM segments or filled with zeros, as
 * esptool does (including esptool's ESP32 0x24-byte segment end rule). Then
 * zero padding, the XOR checksum and the SHA-256 are appended.
 * Output is a pure function of the options.
 */
#ifndef OTA_TOOLS_IMGPACK_H
#define OTA_TOOLS_IMGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/image.h"

typedef struct imgpack_segment {
    uint32_t load_addr;
    const uint8_t *data;
    uint32_t len; /* padded with zeros to a multiple of 4 */
} imgpack_segment_t;

typedef struct imgpack_opts {
    uint16_t chip_id;
    uint8_t spi_mode;  /* header numbering: 0 QIO .. 3 DOUT */
    uint8_t spi_speed; /* nibble; 0 = the chip's 40 MHz-class default */
    uint8_t spi_size;  /* nibble; 0 = 1 MB */
    uint32_t entry_addr; /* 0: the chip's first mapped code address */
    uint16_t min_chip_rev_full;
    uint16_t max_chip_rev_full;
    bool hash_appended;
    const ota_app_desc_t *app_desc; /* NULL: no descriptor segment (e.g. a bootloader) */
    uint32_t payload_len;  /* deterministic bytes after the descriptor (needs app_desc) */
    uint32_t target_size;  /* nonzero: choose payload_len so the image has about this many bytes */
    const imgpack_segment_t *segments;
    size_t segment_count;
} imgpack_opts_t;

/* esptool elf2image defaults for an app: QIO, 1 MB, default frequency,
 * revisions 0..0xFFFF (max not set), SHA-256 appended; entry point 0 (the
 * chip's first mapped code address); no descriptor, no segments. */
void imgpack_defaults(imgpack_opts_t *opts, uint16_t chip_id);

/* A descriptor with magic, project, version, secure_version and idf_ver
 * "libota"; time/date empty (reproducible builds), everything else zero. */
void imgpack_app_desc(ota_app_desc_t *desc, const char *project, const char *version,
                      uint32_t secure_version);

/*
 * Build the image into a malloc'd buffer (*out, caller frees).
 * Errors: OTA_ERR_INVALID_ARG (unknown chip, payload without descriptor,
 * a segment of 16 MiB or more), OTA_ERR_IMG_MAP_ALIGN (two mapped segments
 * start in the same MMU page), OTA_ERR_IMG_SEG_COUNT (more than 16 segments
 * with padding), OTA_ERR_IO (out of memory).
 */
ota_err_t imgpack_build(const imgpack_opts_t *opts, uint8_t **out, size_t *out_len);

#endif
