/*
 * An image file seen as a partition: its bytes are loaded into a RAM flash
 * simulator at IMGFILE_PART_OFFSET (0x10000, where ESP-IDF's first app
 * partition usually starts, and where the vectors' verification model puts
 * it), in a partition of the file's size rounded up to a sector. Verifying
 * then runs the core verifier with data_len = the file size, so reading past
 * the file is reported as truncation.
 */
#ifndef OTA_TOOLS_IMGFILE_H
#define OTA_TOOLS_IMGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "ota/image.h"
#include "ota_port/simflash.h"

#define IMGFILE_PART_OFFSET 0x10000u
#define IMGFILE_SECTOR 0x1000u

typedef struct imgfile {
    ota_simflash_t sim;
    uint32_t part_size; /* len rounded up to a sector, at least one sector */
    uint32_t len;       /* file size */
} imgfile_t;

/* Errors: OTA_ERR_INVALID_ARG (NULL, or a file too big for a 32-bit flash), OTA_ERR_IO. */
ota_err_t imgfile_open(imgfile_t *f, const uint8_t *data, size_t len);
void imgfile_close(imgfile_t *f);

/* ota_image_verify() on the file with a malloc'd work buffer of buf_len bytes. */
ota_err_t imgfile_verify(const imgfile_t *f, ota_image_kind_t kind, const ota_image_device_t *device,
                         size_t buf_len, ota_image_info_t *info);

#endif
