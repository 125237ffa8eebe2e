/*
 * Partition tables as ESP-IDF's gen_esp32part.py (v1.5) reads and writes them
 * (spec §1.7), for the host tools: CSV or binary input -> checked
 * ota_partition_table_t, and table -> CSV text.
 *
 * Input is accepted and refused exactly as gen_esp32part does, in its order
 * of checks, and every refusal carries gen_esp32part's own message. Status
 * lines, warnings and the rows gen_esp32part prints before some errors go to
 * opts.log (stderr in the CLI), as upstream prints them.
 */
#ifndef OTA_TOOLS_PARTCSV_H
#define OTA_TOOLS_PARTCSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ota/err.h"
#include "ota/partition.h"

#define PARTCSV_MESSAGE_MAX 2048

typedef struct partcsv_error {
    ota_err_t code;
    unsigned line; /* 1-based CSV line the error is about, 0 when none */
    /* gen_esp32part's text, e.g. "Error at line 5: ...\nPlease check ..."; no final newline */
    char message[PARTCSV_MESSAGE_MAX];
} partcsv_error_t;

/* Subtype names added with --extra-partition-subtypes (caller-owned, starts zeroed). */
typedef struct partcsv_extra_subtype {
    uint8_t type; /* 0..3: app, data, bootloader, partition_table */
    char *name;
    uint8_t value;
} partcsv_extra_subtype_t;

typedef struct partcsv_keywords {
    partcsv_extra_subtype_t *extra;
    size_t count;
} partcsv_keywords_t;

/*
 * Add one "TYPE,NAME,VALUE" definition (VALUE read as hex, as upstream does:
 * "41" is 0x41). A name already known for TYPE gets the new value.
 * Errors: OTA_ERR_CSV_EXTRA_SUBTYPE (not three fields, TYPE not one of the
 * four type names, VALUE not hex or above 0xFF, VALUE already used by TYPE),
 * OTA_ERR_NO_SPACE (out of memory).
 */
ota_err_t partcsv_keywords_add(partcsv_keywords_t *kw, const char *spec, partcsv_error_t *err);
void partcsv_keywords_free(partcsv_keywords_t *kw);

typedef enum {
    PARTCSV_SECURE_NONE,
    PARTCSV_SECURE_V1, /* app sizes aligned to 0x10000 */
    PARTCSV_SECURE_V2, /* app sizes aligned to 0x1000, as without secure boot */
} partcsv_secure_t;

/* gen_esp32part's command-line options. */
typedef struct partcsv_opts {
    uint32_t table_offset; /* --offset */
    bool has_primary_bootloader_offset;
    uint32_t primary_bootloader_offset;
    bool has_recovery_bootloader_offset;
    uint32_t recovery_bootloader_offset;
    partcsv_secure_t secure;
    bool disable_md5;      /* no MD5 entry written; an MD5 entry read is an invalid entry */
    bool no_verify;        /* skip the table checks (not the flash-size check) */
    unsigned flash_size_mb; /* 0: no flash-size check */
    const partcsv_keywords_t *keywords; /* extra subtypes, NULL for none */
    FILE *log;  /* status lines, warnings, rows listed before errors; NULL: silent */
    bool quiet; /* no status lines (warnings are still printed) */
} partcsv_opts_t;

/* Defaults of gen_esp32part: table at 0x8000, MD5 on, verification on, silent. */
void partcsv_opts_init(partcsv_opts_t *opts);

/* gen_esp32part's input detection: binary when the first bytes are AA 50. */
bool partcsv_is_binary(const uint8_t *data, size_t len);

/*
 * Parse CSV text or a binary table (partcsv_is_binary decides), resolve
 * automatic offsets, verify unless opts->no_verify, check the flash size when
 * set, and fill *out in table order. For CSV input the binary form must be
 * shorter than 0xC00 bytes, as gen_esp32part requires before writing it.
 * Errors (err->message holds upstream's text):
 *   CSV input: OTA_ERR_CSV_ENCODING (not UTF-8/16/32 text, or a NUL in it),
 *     OTA_ERR_CSV_UNKNOWN_VAR, OTA_ERR_CSV_EMPTY_FIELD, OTA_ERR_CSV_SYNTAX
 *     (invalid number or keyword), OTA_ERR_CSV_RANGE (value too large for a
 *     binary field), OTA_ERR_CSV_UNKNOWN_FLAG, OTA_ERR_CSV_NO_BOOTLOADER_OFFSET,
 *     OTA_ERR_CSV_OVERLAP (explicit offset below the previous end),
 *     OTA_ERR_CSV_TOO_MANY (binary would reach 0xC00 bytes);
 *   binary input: OTA_ERR_PART_LENGTH, OTA_ERR_PART_MD5, OTA_ERR_PART_MAGIC,
 *     OTA_ERR_PART_NO_END, OTA_ERR_CSV_ENCODING (name not UTF-8),
 *     OTA_ERR_PART_TOO_MANY (more than OTA_PART_MAX_ENTRIES entries);
 *   verification: OTA_ERR_CSV_ALIGN, OTA_ERR_CSV_FLAGS (readonly otadata or
 *     coredump), OTA_ERR_CSV_NVS_SIZE, OTA_ERR_CSV_DUP_NAME, OTA_ERR_CSV_OVERLAP,
 *     OTA_ERR_CSV_OTADATA (two otadata / tee_ota, or size != 0x2000),
 *     OTA_ERR_CSV_FLASH_SIZE;
 *   options: OTA_ERR_INVALID_ARG (primary bootloader not below the table);
 *   OTA_ERR_NO_SPACE (out of memory).
 * On error out->count is 0.
 */
ota_err_t partcsv_parse(const uint8_t *data, size_t len, const partcsv_opts_t *opts,
                        ota_partition_table_t *out, partcsv_error_t *err);

/*
 * The table as gen_esp32part writes CSV: two comment lines, then
 * "name,type,subtype,0xoffset,size,flags" per entry with type and subtype
 * names where known (else decimal) and sizes as nM / nK / 0x hex. simple = true
 * is upstream's "simple formatting": numbers only, sizes in hex.
 * Returns malloc'd NUL-terminated text, NULL when out of memory.
 */
char *partcsv_table_to_csv(const ota_partition_table_t *table, const partcsv_keywords_t *keywords,
                           bool simple);

#endif
