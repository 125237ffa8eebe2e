/* Shared by otadata.c and otadata_journal.c; not part of the public API. */
#ifndef OTA_OTADATA_INTERNAL_H
#define OTA_OTADATA_INTERNAL_H

#include "ota/otadata.h"

/* HARDENED asked for and compiled in: the test that lets the compiler drop the journal's paths. */
#define OTA__HARDENED(writes) (OTA_CONFIG_HARDENED_WRITES && (writes) == OTA_WRITES_HARDENED)

/*
 * Can this build write otadata as `writes` says? OTA_ERR_INVALID_ARG for an
 * unknown mode, OTA_ERR_NOT_SUPPORTED for HARDENED without
 * OTA_CONFIG_HARDENED_WRITES (ota/config.h).
 */
static inline ota_err_t ota__writes_check(ota_writes_t writes)
{
    if (writes > OTA_WRITES_FAITHFUL) {
        return OTA_ERR_INVALID_ARG;
    }
    return writes == OTA_WRITES_HARDENED && !OTA_CONFIG_HARDENED_WRITES ? OTA_ERR_NOT_SUPPORTED
                                                                         : OTA_OK;
}

/*
 * Can copies of otadata be written on this flash? *unit gets the bytes one
 * entry write programs: max(32, write unit). Errors: OTA_ERR_OTADATA_SIZE
 * (partition smaller than two copies), OTA_ERR_OTADATA_WRITE_SIZE.
 */
ota_err_t ota__otadata_check(const ota_flash_t *flash, const ota_partition_t *otadata,
                             uint32_t *unit);

/*
 * The scratch buffer of an otadata writer: an entry padded to one write unit,
 * a journal record (OTA__JNL_BODY_LEN bytes padded to the write unit), a done
 * mark, or flash read back to compare. One per writer, passed down, so a
 * write's stack holds a single buffer however deep the journal goes. Sized
 * for the record padded to the largest unit: at least one unit, and enough
 * for every unit that divides the largest (a unit that does not, e.g. 13 of
 * 16, may need more: OTA_ERR_OTADATA_WRITE_SIZE).
 */
#define OTA__JNL_BODY_LEN 44u
#define OTA__OTADATA_BUF_LEN                                                                \
    ((OTA__JNL_BODY_LEN + OTA_OTADATA_MAX_WRITE_SIZE - 1u) / OTA_OTADATA_MAX_WRITE_SIZE *  \
     OTA_OTADATA_MAX_WRITE_SIZE)

/*
 * ota_otadata_write_entry with the caller's scratch buffer (OTA__OTADATA_BUF_LEN
 * bytes); e NULL: buf already starts with the 32 stored bytes to write.
 */
ota_err_t ota__otadata_write_entry(const ota_flash_t *flash, const ota_partition_t *otadata,
                                   unsigned sector, const ota_select_entry_t *e, uint8_t *buf);

/* Flash address of copy `sector` (0 or 1). */
uint32_t ota__otadata_copy_addr(const ota_flash_t *flash, const ota_partition_t *otadata,
                                unsigned sector);

#endif
