/* gen_esp32part's table verification and binary reader, with its messages (spec §1.7). */
#include <stdlib.h>
#include <string.h>

#include "ota_port/hash_mbedtls.h"
#include "partcsv_rows.h"
#include "pytext.h"

#define HEX_MAX 24
#define NVS_RW_MIN_SIZE 0x3000
#define OTADATA_SIZE 0x2000
#define SUBTYPE_DATA_OTA 0x00
#define SUBTYPE_DATA_NVS 0x02
#define SUBTYPE_DATA_COREDUMP 0x03
#define SUBTYPE_DATA_TEE_OTA 0x90

static void log_row(const partcsv_opts_t *o, const row_t *r)
{
    if (o->log) {
        row_write_csv(o->log, r, o->keywords, false);
        fputc('\n', o->log);
    }
}

static bool is_any_subtype_name(const partcsv_keywords_t *kw, const char *name)
{
    for (int64_t type = PT_TYPE_APP; type <= PT_TYPE_PARTITION_TABLE; type++) {
        kwset_t set = {kw, false, type};
        int v;
        if (kw_find(&set, name, strlen(name), false, &v)) {
            return true;
        }
    }
    return false;
}

/* Names that are type or subtype keywords of another kind: only a warning. */
static void warn_keyword_names(const row_t *r, const partcsv_opts_t *o)
{
    kwset_t types = {NULL, true, 0}, subtypes = {o->keywords, false, r->type};
    size_t len = strlen(r->name);
    char type[HEX_MAX], subtype[HEX_MAX];
    int v;
    py_hex(type, sizeof type, r->type);
    py_hex(subtype, sizeof subtype, r->subtype);
    if (!o->log) {
        return;
    }
    if (kw_find(&types, r->name, len, false, &v) && v != r->type) {
        fprintf(o->log,
                "WARNING: Partition has name '%s' which is a partition type, but does not match this "
                "partition's type (%s). Mistake in partition table?\n",
                r->name, type);
    }
    if (is_any_subtype_name(o->keywords, r->name) &&
        !(kw_find(&subtypes, r->name, len, false, &v) && v == r->subtype)) {
        fprintf(o->log,
                "WARNING: Partition has name '%s' which is a partition subtype, but this partition has "
                "non-matching type %s and subtype %s. Mistake in partition table?\n",
                r->name, type, subtype);
    }
}

/* PartitionDefinition.verify(). */
static ota_err_t verify_row(const row_t *r, const partcsv_opts_t *o, partcsv_error_t *err)
{
    int64_t offset_align = partcsv_offset_align(r->type);
    int64_t size_align = o->secure == PARTCSV_SECURE_V1 ? 0x10000 : 0x1000;
    char a[HEX_MAX], b[HEX_MAX];
    if (py_mod(r->offset, offset_align)) {
        py_hex(a, sizeof a, r->offset);
        py_hex(b, sizeof b, offset_align);
        return partcsv_fail(err, OTA_ERR_CSV_ALIGN, r->line, "Partition %s invalid: Offset %s is not aligned to %s",
                            r->name, a, b);
    }
    if (r->type == PT_TYPE_APP && py_mod(r->size, size_align)) {
        py_hex(a, sizeof a, r->size);
        py_hex(b, sizeof b, size_align);
        return partcsv_fail(err, OTA_ERR_CSV_ALIGN, r->line, "Partition %s invalid: Size %s is not aligned to %s",
                            r->name, a, b);
    }
    warn_keyword_names(r, o);
    bool data = r->type == PT_TYPE_DATA, readonly = r->flags & OTA_PART_FLAG_READONLY;
    if (data && (r->subtype == SUBTYPE_DATA_OTA || r->subtype == SUBTYPE_DATA_COREDUMP) && readonly) {
        return partcsv_fail(err, OTA_ERR_CSV_FLAGS, r->line,
                            "Partition %s invalid: '%s' partition of type %lld and subtype %lld is always "
                            "read-write and cannot be read-only",
                            r->name, r->name, (long long)r->type, (long long)r->subtype);
    }
    if (data && r->subtype == SUBTYPE_DATA_NVS && r->size < NVS_RW_MIN_SIZE && !readonly) {
        py_hex(a, sizeof a, r->size);
        return partcsv_fail(err, OTA_ERR_CSV_NVS_SIZE, r->line,
                            "Partition %s invalid: '%s' partition of type %lld and subtype %lld of this size (%s) "
                            "must be flagged as 'readonly' (the size of read/write NVS has to be at least 0x3000)",
                            r->name, r->name, (long long)r->type, (long long)r->subtype, a);
    }
    return OTA_OK;
}

/* Orders for sorted_rows(); ties fall back to table order (row address), as Python's stable sort. */
static int by_name(const void *pa, const void *pb)
{
    const row_t *a = *(const row_t *const *)pa, *b = *(const row_t *const *)pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a < b ? -1 : a > b);
}

static int by_offset(const void *pa, const void *pb)
{
    const row_t *a = *(const row_t *const *)pa, *b = *(const row_t *const *)pb;
    if (a->offset != b->offset) {
        return a->offset < b->offset ? -1 : 1;
    }
    return a < b ? -1 : a > b;
}

/* Row pointers sorted stably (ties keep table order); NULL when out of memory. */
static const row_t **sorted_rows(const rows_t *rows, int (*cmp)(const void *, const void *))
{
    const row_t **v = malloc((rows->n ? rows->n : 1) * sizeof *v);
    if (v) {
        for (size_t i = 0; i < rows->n; i++) {
            v[i] = &rows->v[i];
        }
        qsort(v, rows->n, sizeof *v, cmp);
    }
    return v;
}

static size_t name_count(const rows_t *rows, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < rows->n; i++) {
        n += !strcmp(rows->v[i].name, name);
    }
    return n;
}

static ota_err_t check_unique_names(const rows_t *rows, const partcsv_opts_t *o, partcsv_error_t *err)
{
    size_t i = 0;
    while (i < rows->n && name_count(rows, rows->v[i].name) < 2) {
        i++;
    }
    if (i == rows->n) {
        return OTA_OK;
    }
    const row_t **v = sorted_rows(rows, by_name);
    if (!v) {
        return partcsv_fail(err, OTA_ERR_NO_SPACE, 0, "out of memory");
    }
    if (o->log) {
        fputs("A list of partitions that have the same name:\n", o->log);
    }
    for (i = 0; i < rows->n; i++) {
        if (name_count(rows, v[i]->name) > 1) {
            log_row(o, v[i]);
        }
    }
    free(v);
    return partcsv_fail(err, OTA_ERR_CSV_DUP_NAME, 0, "Partition names must be unique");
}

static ota_err_t check_overlaps(const rows_t *rows, const partcsv_opts_t *o, partcsv_error_t *err)
{
    const row_t **v = sorted_rows(rows, by_offset);
    if (!v) {
        return partcsv_fail(err, OTA_ERR_NO_SPACE, 0, "out of memory");
    }
    int64_t first_free = (int64_t)o->table_offset + PT_TABLE_SECTOR;
    const row_t *last = NULL;
    ota_err_t e = OTA_OK;
    char a[HEX_MAX], b[HEX_MAX], c[HEX_MAX];
    for (size_t i = 0; i < rows->n && !e; i++) {
        const row_t *p = v[i];
        if (p->offset < first_free && !row_is_primary_region(p)) {
            py_hex(a, sizeof a, p->offset);
            py_hex(b, sizeof b, first_free);
            e = partcsv_fail(err, OTA_ERR_CSV_OVERLAP, p->line, "Partition offset %s is below %s", a, b);
        } else if (last && p->offset < last->offset + last->size) {
            py_hex(a, sizeof a, p->offset);
            py_hex(b, sizeof b, last->offset);
            py_hex(c, sizeof c, last->offset + last->size - 1);
            e = partcsv_fail(err, OTA_ERR_CSV_OVERLAP, p->line, "Partition at %s overlaps %s-%s", a, b, c);
        }
        last = p;
    }
    free(v);
    return e;
}

/* At most one data partition of this subtype, and of size 0x2000 (otadata, tee_ota). */
static ota_err_t check_single_otadata(const rows_t *rows, const partcsv_opts_t *o, int64_t subtype,
                                      const char *multiple, const char *wrong_size, partcsv_error_t *err)
{
    size_t count = 0;
    const row_t *found = NULL;
    for (size_t i = 0; i < rows->n; i++) {
        if (rows->v[i].type == PT_TYPE_DATA && rows->v[i].subtype == subtype) {
            found = found ? found : &rows->v[i];
            count++;
        }
    }
    if (count > 1) {
        for (size_t i = 0; i < rows->n; i++) {
            if (rows->v[i].type == PT_TYPE_DATA && rows->v[i].subtype == subtype) {
                log_row(o, &rows->v[i]);
            }
        }
        return partcsv_fail(err, OTA_ERR_CSV_OTADATA, 0, "%s", multiple);
    }
    if (found && found->size != OTADATA_SIZE) {
        log_row(o, found);
        return partcsv_fail(err, OTA_ERR_CSV_OTADATA, found->line, "%s", wrong_size);
    }
    return OTA_OK;
}

ota_err_t rows_verify(const rows_t *rows, const partcsv_opts_t *o, partcsv_error_t *err)
{
    for (size_t i = 0; i < rows->n; i++) {
        ota_err_t e = verify_row(&rows->v[i], o, err);
        if (e) {
            return e;
        }
    }
    ota_err_t e = check_unique_names(rows, o, err);
    if (!e) {
        e = check_overlaps(rows, o, err);
    }
    if (!e) {
        e = check_single_otadata(rows, o, SUBTYPE_DATA_OTA,
                                 "Found multiple otadata partitions. Only one partition can be defined with "
                                 "type=\"data\"(1) and subtype=\"ota\"(0).",
                                 "otadata partition must have size = 0x2000", err);
    }
    if (!e) {
        e = check_single_otadata(rows, o, SUBTYPE_DATA_TEE_OTA,
                                 "Found multiple TEE otadata partitions. Only one partition can be defined with "
                                 "type=\"data\"(1) and subtype=\"tee_ota\"(0x90).",
                                 "TEE otadata partition must have size = 0x2000", err);
    }
    return e;
}

ota_err_t rows_check_flash_size(const rows_t *rows, unsigned flash_mb, partcsv_error_t *err)
{
    const row_t *last = NULL;
    for (size_t i = 0; i < rows->n; i++) {
        if (!last || rows->v[i].offset > last->offset) {
            last = &rows->v[i];
        }
    }
    int64_t used = last ? last->offset + last->size : 0;
    if (flash_mb == 0 || (int64_t)flash_mb * 1048576 >= used) {
        return OTA_OK;
    }
    return partcsv_fail(err, OTA_ERR_CSV_FLASH_SIZE, 0,
                        "Partitions tables occupies %.1fMB of flash (%lld bytes) which does not fit in configured "
                        "flash size %uMB. Change the flash size in menuconfig under the 'Serial Flasher Config' "
                        "menu.",
                        (double)used / 1048576.0, (long long)used, flash_mb);
}

static void hex_string(char *out, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        sprintf(out + 2 * i, "%02x", b[i]);
    }
}

/*
 * PartitionDefinition.from_binary(). Upstream decodes the name before it looks
 * at the magic, and crashes when the name is not UTF-8; the magic comes first
 * here so such an entry gets the "Invalid magic bytes" message instead.
 */
static ota_err_t decode_entry(const uint8_t *c, const partcsv_opts_t *o, row_t *r, partcsv_error_t *err)
{
    char repr[4 * OTA_PART_LABEL_LEN + 4];
    if (c[0] != 0xAA || c[1] != 0x50) {
        py_bytes_repr(repr, sizeof repr, c, 2);
        return partcsv_fail(err, OTA_ERR_PART_MAGIC, 0, "Invalid magic bytes (%s) for partition definition", repr);
    }
    /* The core decodes the entry: give it this entry and an end marker. */
    uint8_t one[2 * OTA_PART_ENTRY_SIZE];
    ota_partition_table_t t;
    ota_partition_parse_opts_t plain = {0};
    memcpy(one, c, OTA_PART_ENTRY_SIZE);
    memset(one + OTA_PART_ENTRY_SIZE, 0xFF, OTA_PART_ENTRY_SIZE);
    ota_err_t e = ota_partition_table_parse(one, sizeof one, &plain, &t);
    if (e) {
        return partcsv_fail(err, e, 0, "Invalid partition definition: %s", ota_strerror(e));
    }
    const ota_partition_t *p = &t.entries[0];
    size_t name_len = strlen(p->label);
    if (!py_utf8_valid((const uint8_t *)p->label, name_len)) {
        py_bytes_repr(repr, sizeof repr, (const uint8_t *)p->label, name_len);
        return partcsv_fail(err, OTA_ERR_CSV_ENCODING, 0, "Partition name %s is not valid UTF-8", repr);
    }
    r->name = malloc(name_len + 1);
    if (!r->name) {
        return partcsv_fail(err, OTA_ERR_NO_SPACE, 0, "out of memory");
    }
    memcpy(r->name, p->label, name_len + 1);
    r->type = p->type;
    r->subtype = p->subtype;
    r->offset = p->offset;
    r->size = p->size;
    r->has_offset = true;
    r->flags = p->flags;
    uint32_t unknown = p->flags & ~(uint32_t)(OTA_PART_FLAG_ENCRYPTED | OTA_PART_FLAG_READONLY);
    if (unknown && o->log) {
        fprintf(o->log, "WARNING: Partition definition had unknown flag(s) 0x%08x. Newer binary format?\n",
                (unsigned)unknown);
    }
    return OTA_OK;
}

static bool all_ff(const uint8_t *c)
{
    for (size_t i = 0; i < OTA_PART_ENTRY_SIZE; i++) {
        if (c[i] != 0xFF) {
            return false;
        }
    }
    return true;
}

/* MD5 entry check: the digest covers every earlier non-MD5 chunk (kept in `hashed`). */
static ota_err_t check_md5_entry(const uint8_t *c, const uint8_t *hashed, size_t hashed_len, partcsv_error_t *err)
{
    uint8_t digest[OTA_MD5_LEN];
    char computed[2 * OTA_MD5_LEN + 1], parsed[2 * OTA_MD5_LEN + 1];
    ota_port_md5(hashed, hashed_len, digest);
    if (!memcmp(digest, c + 16, OTA_MD5_LEN)) {
        return OTA_OK;
    }
    hex_string(computed, digest, OTA_MD5_LEN);
    hex_string(parsed, c + 16, OTA_MD5_LEN);
    return partcsv_fail(err, OTA_ERR_PART_MD5, 0, "MD5 checksums don't match! (computed: 0x%s, parsed: 0xb'%s')",
                        computed, parsed);
}

static ota_err_t read_chunks(const uint8_t *data, size_t len, const partcsv_opts_t *o, rows_t *rows,
                             uint8_t *hashed, partcsv_error_t *err)
{
    size_t hashed_len = 0;
    for (size_t off = 0; off < len; off += OTA_PART_ENTRY_SIZE) {
        const uint8_t *c = data + off;
        ota_err_t e = OTA_OK;
        if (len - off < OTA_PART_ENTRY_SIZE) {
            return partcsv_fail(err, OTA_ERR_PART_LENGTH, 0, "Partition table length must be a multiple of 32 bytes");
        }
        if (all_ff(c)) {
            return OTA_OK;
        }
        if (!o->disable_md5 && c[0] == 0xEB && c[1] == 0xEB) {
            e = check_md5_entry(c, hashed, hashed_len, err);
            if (e) {
                return e;
            }
            continue;
        }
        memcpy(hashed + hashed_len, c, OTA_PART_ENTRY_SIZE);
        hashed_len += OTA_PART_ENTRY_SIZE;
        row_t *r = rows_add(rows);
        e = r ? decode_entry(c, o, r, err) : partcsv_fail(err, OTA_ERR_NO_SPACE, 0, "out of memory");
        if (e) {
            return e;
        }
    }
    return partcsv_fail(err, OTA_ERR_PART_NO_END, 0, "Partition table is missing an end-of-table marker");
}

ota_err_t rows_read_binary(const uint8_t *data, size_t len, const partcsv_opts_t *o, rows_t *rows,
                           partcsv_error_t *err)
{
    if (o->log && !o->quiet) {
        fputs("Parsing binary partition input...\n", o->log);
    }
    uint8_t *hashed = malloc(len ? len : 1);
    if (!hashed) {
        return partcsv_fail(err, OTA_ERR_NO_SPACE, 0, "out of memory");
    }
    ota_err_t e = read_chunks(data, len, o, rows, hashed, err);
    free(hashed);
    return e;
}
