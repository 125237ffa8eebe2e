/*
 * Internal to partcsv*.c: the rows gen_esp32part works on before a table
 * exists. Values are wide (int64_t) because upstream's are Python integers:
 * negative sizes, offsets beyond 4 GiB and such are legal until the binary is
 * written, and the messages about them must read the same.
 */
#ifndef OTA_TOOLS_PARTCSV_ROWS_H
#define OTA_TOOLS_PARTCSV_ROWS_H

#include <stdarg.h>

#include "partcsv.h"

#define PT_TYPE_APP 0x00
#define PT_TYPE_DATA 0x01
#define PT_TYPE_BOOTLOADER 0x02
#define PT_TYPE_PARTITION_TABLE 0x03
#define PT_SUBTYPE_PRIMARY 0x00 /* bootloader and partition_table */
#define PT_SUBTYPE_RECOVERY 0x02 /* bootloader */
#define PT_TABLE_SECTOR 0x1000   /* flash taken by the table itself */

typedef struct row {
    char *name; /* whole CSV name; the binary keeps 16 bytes of it */
    int64_t type, subtype, offset, size;
    bool has_offset; /* false: placed automatically */
    uint32_t flags;  /* OTA_PART_FLAG_*, all bits as stored for binary input */
    unsigned line;   /* CSV line, 0 for binary input */
} row_t;

typedef struct rows {
    row_t *v;
    size_t n, cap;
} rows_t;

/* A new zeroed row at the end, NULL when out of memory. */
row_t *rows_add(rows_t *rows);
void rows_free(rows_t *rows);

/* A keyword set: the type names, or the subtype names of one type. */
typedef struct kwset {
    const partcsv_keywords_t *extra; /* may be NULL */
    bool types;
    int64_t type;
} kwset_t;

typedef struct kw_iter {
    const kwset_t *set;
    size_t i;
} kw_iter_t;

/* The next (name, value) of the set in upstream's dictionary order. */
bool kw_next(kw_iter_t *it, const char **name, int *value);

/* Look name[0..len) up: exactly (fold = false) or as upstream parses, lowercased. */
bool kw_find(const kwset_t *set, const char *name, size_t len, bool fold, int *value);

/* Record an error; returns code. */
ota_err_t partcsv_fail(partcsv_error_t *err, ota_err_t code, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Offset alignment of a partition type (spec §1.6). */
int64_t partcsv_offset_align(int64_t type);

bool row_is_primary_region(const row_t *r);

/* One row as gen_esp32part's to_csv() writes it, without newline. */
void row_write_csv(FILE *out, const row_t *r, const partcsv_keywords_t *keywords, bool simple);

/* gen_esp32part's verify(): per-row checks, names, overlaps, otadata. */
ota_err_t rows_verify(const rows_t *rows, const partcsv_opts_t *opts, partcsv_error_t *err);

/* verify_size_fits(): the partition with the highest offset must end within flash. */
ota_err_t rows_check_flash_size(const rows_t *rows, unsigned flash_mb, partcsv_error_t *err);

/* gen_esp32part's binary reader (from_binary). */
ota_err_t rows_read_binary(const uint8_t *data, size_t len, const partcsv_opts_t *opts, rows_t *rows,
                           partcsv_error_t *err);

#endif
