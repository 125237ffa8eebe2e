/* Shared by otadata.c and otadata_journal.c; not part of the public API. */
#ifndef OTA_OTADATA_INTERNAL_H
#define OTA_OTADATA_INTERNAL_H

#include "ota/otadata.h"

/*
 * Can copies of otadata be written on this flash? *unit gets the bytes one
 * entry write programs: max(32, write unit). Errors: OTA_ERR_OTADATA_SIZE
 * (partition smaller than two copies), OTA_ERR_OTADATA_WRITE_SIZE.
 */
ota_err_t ota__otadata_check(const ota_flash_t *flash, const ota_partition_t *otadata,
                             uint32_t *unit);

/* Flash address of copy `sector` (0 or 1). */
uint32_t ota__otadata_copy_addr(const ota_flash_t *flash, const ota_partition_t *otadata,
                                unsigned sector);

#endif
