/* Printing what the image verifier found: text (like esptool image-info), JSON, failure reasons. */
#ifndef OTA_TOOLS_IMAGE_REPORT_H
#define OTA_TOOLS_IMAGE_REPORT_H

#include <stdio.h>

#include "ota/image.h"

/* Everything `ota image info` shows about one file. */
typedef struct image_report {
    const char *path;
    uint32_t file_len;
    ota_err_t result;             /* of the FORMAT verification */
    const ota_image_info_t *info; /* complete */
    const ota_app_desc_t *app_desc;   /* NULL when absent */
    const ota_boot_desc_t *boot_desc; /* NULL when absent */
} image_report_t;

void image_report_text(FILE *out, const image_report_t *r);
void image_report_json(FILE *out, const image_report_t *r);

/*
 * One line naming why verification failed, for "ota: error: FILE: <line>":
 * the error's description, then what the image says (offsets, lengths,
 * values), e.g. "image: truncated: segment 4 data (0x21c4 bytes at file
 * offset 0x280c8) extends beyond end of file (0x291aa)".
 */
void image_describe_failure(char *out, size_t n, ota_err_t err, const ota_image_info_t *info,
                            uint32_t file_len, const ota_image_device_t *device);

#endif
