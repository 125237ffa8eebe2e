/*
 * ESP-IDF partition tables (spec §1).
 *
 * The binary table is a sequence of 32-byte entries (magic 0x50AA), an
 * optional MD5 entry (magic 0xEBEB) and an end marker (0xFF...), in the first
 * 0xC00 bytes of one sector at the table offset (0x8000 by default).
 *
 * ota_partition_table_t holds the parsed entries in table order. It is plain
 * caller-owned data (about 3.4 KiB): no allocation, no global list.
 */
#ifndef OTA_PARTITION_H
#define OTA_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/err.h"
#include "ota/flash.h"
#include "ota/hash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_PART_TABLE_OFFSET_DEFAULT 0x8000u
#define OTA_PART_TABLE_MAX_LEN 0xC00u /* bytes that may hold entries */
#define OTA_PART_ENTRY_SIZE 32u
#define OTA_PART_MAX_ENTRIES 95u /* 0xC00/32 minus the end marker */
#define OTA_PART_MAGIC 0x50AAu
#define OTA_PART_MD5_MAGIC 0xEBEBu
#define OTA_PART_LABEL_LEN 16u

/* Types (spec §1.4). */
#define OTA_PART_TYPE_APP 0x00u
#define OTA_PART_TYPE_DATA 0x01u
#define OTA_PART_TYPE_BOOTLOADER 0x02u
#define OTA_PART_TYPE_PARTITION_TABLE 0x03u
#define OTA_PART_TYPE_ANY 0xFFu

/* App subtypes. */
#define OTA_PART_SUBTYPE_FACTORY 0x00u
#define OTA_PART_SUBTYPE_OTA_MIN 0x10u /* ota_0 */
#define OTA_PART_SUBTYPE_OTA_MAX 0x1Fu /* ota_15 */
#define OTA_PART_SUBTYPE_TEST 0x20u
#define OTA_PART_SUBTYPE_TEE_0 0x30u
#define OTA_PART_SUBTYPE_TEE_1 0x31u
/* Data subtypes used by OTA. */
#define OTA_PART_SUBTYPE_DATA_OTA 0x00u
#define OTA_PART_SUBTYPE_DATA_PHY 0x01u
#define OTA_PART_SUBTYPE_DATA_NVS 0x02u
#define OTA_PART_SUBTYPE_DATA_UNDEFINED 0x06u
#define OTA_PART_SUBTYPE_DATA_TEE_OTA 0x90u
#define OTA_PART_SUBTYPE_ANY 0xFFu

/* Flags. */
#define OTA_PART_FLAG_ENCRYPTED 0x1u
#define OTA_PART_FLAG_READONLY 0x2u

#define OTA_PART_IS_OTA_SLOT(p) \
    ((p)->type == OTA_PART_TYPE_APP && ((p)->subtype & 0xF0u) == OTA_PART_SUBTYPE_OTA_MIN)

typedef struct ota_partition {
    uint8_t type;
    uint8_t subtype;
    uint32_t offset; /* absolute flash address */
    uint32_t size;
    char label[OTA_PART_LABEL_LEN + 1]; /* NUL-terminated copy of the 16 label bytes */
    uint32_t flags;                     /* all 32 bits as stored */
} ota_partition_t;

typedef struct ota_partition_table {
    ota_partition_t entries[OTA_PART_MAX_ENTRIES];
    size_t count;
    bool has_md5; /* an MD5 entry was present (and matched) */
} ota_partition_table_t;

/* What ota_partition_table_parse() demands. */
typedef struct ota_partition_parse_opts {
    uint32_t flash_size;     /* 0 = do not check partition ends against it */
    const ota_hash_t *md5;   /* NULL = do not check the MD5 entry */
    bool require_md5;        /* app-side loader rule: MD5 entry must exist */
    bool check_overlap;      /* refuse overlapping partitions */
} ota_partition_parse_opts_t;

/*
 * Parse and validate a binary table held in buf[0..len) (len may be anything up
 * to a whole sector; only the first 0xC00 bytes are considered).
 * Errors: OTA_ERR_INVALID_ARG, OTA_ERR_PART_EMPTY (first slot is the end
 * marker), OTA_ERR_PART_MAGIC, OTA_ERR_PART_DUP_MD5, OTA_ERR_PART_MD5,
 * OTA_ERR_PART_MD5_MISSING, OTA_ERR_PART_NO_END, OTA_ERR_PART_OUT_OF_FLASH,
 * OTA_ERR_PART_OVERLAP. On error *out is left with count = 0.
 */
ota_err_t ota_partition_table_parse(const uint8_t *buf, size_t len,
                                    const ota_partition_parse_opts_t *opts,
                                    ota_partition_table_t *out);

/*
 * Read the table at table_offset from flash (0xC00 bytes through the caller's
 * buffer `scratch` of at least OTA_PART_TABLE_MAX_LEN bytes) and parse it.
 * flash_size in opts defaults to flash->size when 0.
 */
ota_err_t ota_partition_table_load(const ota_flash_t *flash, uint32_t table_offset,
                                   const ota_partition_parse_opts_t *opts,
                                   uint8_t *scratch, ota_partition_table_t *out);

/*
 * Serialize to the 0xC00-byte binary form (entries, MD5 entry when md5 != NULL,
 * 0xFF padding). Errors: OTA_ERR_NO_SPACE (buf_len < 0xC00),
 * OTA_ERR_PART_TOO_MANY (entries + MD5 would reach 0xC00 bytes).
 */
ota_err_t ota_partition_table_serialize(const ota_partition_table_t *table, const ota_hash_t *md5,
                                        uint8_t *buf, size_t buf_len);

/*
 * First partition matching type, subtype and label in table order.
 * OTA_PART_TYPE_ANY / OTA_PART_SUBTYPE_ANY / label NULL match everything.
 */
const ota_partition_t *ota_partition_find_first(const ota_partition_table_t *table, uint8_t type,
                                                uint8_t subtype, const char *label);

/*
 * The next match after `prev` (NULL = start) in table order, or NULL.
 * Iterate: for (p = next(t, NULL, ...); p; p = next(t, p, ...)).
 */
const ota_partition_t *ota_partition_next(const ota_partition_table_t *table,
                                          const ota_partition_t *prev, uint8_t type,
                                          uint8_t subtype, const char *label);

/* The OTA slot ota_N (N in 0..15) or NULL. */
const ota_partition_t *ota_partition_ota_slot(const ota_partition_table_t *table, unsigned n);

#ifdef __cplusplus
}
#endif

#endif
