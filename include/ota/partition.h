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
#define OTA_PART_MAX_ENTRIES 95u     /* 0xC00/32 minus the end marker, without MD5 entry */
#define OTA_PART_MAX_ENTRIES_MD5 94u /* ... and minus the MD5 entry */
#define OTA_PART_MAGIC 0x50AAu
#define OTA_PART_MD5_MAGIC 0xEBEBu
#define OTA_PART_LABEL_LEN 16u
#define OTA_PART_MD5_OFFSET 16u /* digest position inside the MD5 entry */

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
    bool has_md5; /* an MD5 entry was present (and matched, when it was checked) */
} ota_partition_table_t;

/* What ota_partition_table_parse() demands. A NULL opts means all zero: no optional checks. */
typedef struct ota_partition_parse_opts {
    uint32_t flash_size;     /* 0 = do not check partition ends against it */
    const ota_hash_t *md5;   /* NULL = do not check the MD5 entry's digest */
    bool require_md5;        /* app-side loader rule: MD5 entry must exist */
    bool check_overlap;      /* refuse overlapping partitions */
} ota_partition_parse_opts_t;

/*
 * Parse and validate a binary table held in buf[0..len). len may be anything
 * (e.g. the whole 0x1000-byte sector); only the first 0xC00 bytes are
 * considered, walked as 32-byte slots like the bootloader's verifier:
 *   - magic 0x50AA: a partition; the 16 label bytes are copied up to the first
 *     NUL (the rest of the label field is not kept), all 32 flag bits are kept;
 *   - magic 0xEBEB: the MD5 entry; with opts->md5 its bytes 16..31 must equal
 *     the MD5 of every byte before it (bytes 2..15 are not checked);
 *   - first 4 bytes FF FF FF FF: the end marker; what follows it is ignored.
 * Position rule (stricter than the bootloader, which would accept and count
 * entries after the MD5 entry while ESP-IDF's app-side loader silently drops
 * them): only the end marker may follow the MD5 entry. gen_esp32part never
 * writes anything else, and a table that the bootloader and the app would
 * read differently is refused rather than trusted.
 * A table holding only an MD5 entry is valid and has count 0 (as in ESP-IDF).
 * Checks done after the walk, in this order: require_md5, flash_size
 * (offset <= flash_size and size <= flash_size - offset), check_overlap
 * (zero-size partitions never overlap anything).
 *
 * Errors: OTA_ERR_INVALID_ARG (NULL buf with len > 0, NULL out, opts->md5
 * with digest_len != 16), OTA_ERR_PART_EMPTY (first slot is the end marker),
 * OTA_ERR_PART_MAGIC (a slot with any other magic), OTA_ERR_PART_DUP_MD5
 * (second MD5 entry), OTA_ERR_PART_AFTER_MD5 (a partition after the MD5
 * entry), OTA_ERR_PART_MD5 (digest mismatch), OTA_ERR_PART_LENGTH (len < 0xC00,
 * not a multiple of 32 and no end marker in the whole slots),
 * OTA_ERR_PART_NO_END (no end marker in the first min(len, 0xC00) bytes),
 * OTA_ERR_PART_MD5_MISSING (require_md5 without an MD5 entry),
 * OTA_ERR_PART_OUT_OF_FLASH, OTA_ERR_PART_OVERLAP, or an error of the hash.
 * On error *out is left with count = 0.
 */
ota_err_t ota_partition_table_parse(const uint8_t *buf, size_t len,
                                    const ota_partition_parse_opts_t *opts,
                                    ota_partition_table_t *out);

/*
 * The checks of ota_partition_table_parse(), same rules, order and errors,
 * without decoding the entries: no ota_partition_table_t (3.4 KiB) is needed,
 * e.g. to validate a staged table on a device (esp_partition_table_verify).
 * count may be NULL; otherwise it receives the number of partitions (0 on error).
 */
ota_err_t ota_partition_table_verify(const uint8_t *buf, size_t len,
                                     const ota_partition_parse_opts_t *opts, size_t *count);

/*
 * Read the 0xC00 bytes at table_offset from flash (through the caller's buffer
 * `scratch` of at least OTA_PART_TABLE_MAX_LEN bytes) and parse them.
 * The flash size checked against is opts->flash_size, or flash->size when
 * opts is NULL or opts->flash_size is 0.
 * Errors: OTA_ERR_INVALID_ARG (NULL flash, scratch or out), the flash errors
 * of ota_flash_read() (e.g. OTA_ERR_FLASH_RANGE), and those of
 * ota_partition_table_parse(). On error *out is left with count = 0.
 */
ota_err_t ota_partition_table_load(const ota_flash_t *flash, uint32_t table_offset,
                                   const ota_partition_parse_opts_t *opts,
                                   uint8_t *scratch, ota_partition_table_t *out);

/*
 * Serialize to the 0xC00-byte binary form gen_esp32part writes: the entries in
 * table order, then the MD5 entry (EB EB, 14 x FF, digest of the entries) when
 * md5 != NULL, then 0xFF up to exactly 0xC00 bytes. Each label is written up
 * to its first NUL (at most 16 bytes) and NUL-padded; flags are written as
 * stored. Only the first 0xC00 bytes of buf are written.
 * Errors: OTA_ERR_INVALID_ARG (NULL table or buf, md5 with digest_len != 16),
 * OTA_ERR_NO_SPACE (buf_len < 0xC00), OTA_ERR_PART_TOO_MANY (entries plus the
 * MD5 entry would reach 0xC00 bytes: more than 94 partitions with MD5, 95
 * without), or an error of the hash.
 */
ota_err_t ota_partition_table_serialize(const ota_partition_table_t *table, const ota_hash_t *md5,
                                        uint8_t *buf, size_t buf_len);

/*
 * First partition matching type, subtype and label in table order, or NULL.
 * OTA_PART_TYPE_ANY / OTA_PART_SUBTYPE_ANY / label NULL match everything; the
 * label must match exactly. As in ESP-IDF, OTA_PART_TYPE_ANY with a specific
 * subtype is a usage error and matches nothing.
 */
const ota_partition_t *ota_partition_find_first(const ota_partition_table_t *table, uint8_t type,
                                                uint8_t subtype, const char *label);

/*
 * The next match after `prev` (NULL = start) in table order, or NULL. prev
 * must be NULL or a pointer into table->entries (as returned by these calls).
 * Iterate: for (p = next(t, NULL, ...); p; p = next(t, p, ...)).
 */
const ota_partition_t *ota_partition_next(const ota_partition_table_t *table,
                                          const ota_partition_t *prev, uint8_t type,
                                          uint8_t subtype, const char *label);

/* The first app partition with subtype ota_N (N in 0..15), or NULL. */
const ota_partition_t *ota_partition_ota_slot(const ota_partition_table_t *table, unsigned n);

#ifdef __cplusplus
}
#endif

#endif
