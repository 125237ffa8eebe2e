/* Binary partition tables: parse, validate, serialize, look up (spec §1). */
#include <string.h>

#include "ota/partition.h"

#include "bytes_le.h"
#include "label.h"

#define ENTRY OTA_PART_ENTRY_SIZE
#define OFF_TYPE 2u
#define OFF_SUBTYPE 3u
#define OFF_OFFSET 4u
#define OFF_SIZE 8u
#define OFF_LABEL 12u
#define OFF_FLAGS 28u

static void decode_entry(const uint8_t *slot, ota_partition_t *p)
{
    p->type = slot[OFF_TYPE];
    p->subtype = slot[OFF_SUBTYPE];
    p->offset = le32_get(slot + OFF_OFFSET);
    p->size = le32_get(slot + OFF_SIZE);
    p->flags = le32_get(slot + OFF_FLAGS);
    /* A 16-byte name fills the field without a NUL; label[16] terminates it. */
    memset(p->label, 0, sizeof p->label);
    for (unsigned i = 0; i < OTA_PART_LABEL_LEN && slot[OFF_LABEL + i]; i++) {
        p->label[i] = (char)slot[OFF_LABEL + i];
    }
}

static void encode_entry(const ota_partition_t *p, uint8_t *slot)
{
    le16_put(slot, OTA_PART_MAGIC);
    slot[OFF_TYPE] = p->type;
    slot[OFF_SUBTYPE] = p->subtype;
    le32_put(slot + OFF_OFFSET, p->offset);
    le32_put(slot + OFF_SIZE, p->size);
    const char *nul = memchr(p->label, 0, OTA_PART_LABEL_LEN);
    size_t n = nul ? (size_t)(nul - p->label) : OTA_PART_LABEL_LEN;
    memset(slot + OFF_LABEL, 0, OTA_PART_LABEL_LEN);
    memcpy(slot + OFF_LABEL, p->label, n);
    le32_put(slot + OFF_FLAGS, p->flags);
}

static ota_err_t md5_digest(const ota_hash_t *md5, const uint8_t *data, size_t len, uint8_t *digest)
{
    ota_err_t err = md5->start(md5->ctx);
    if (!err) {
        err = md5->update(md5->ctx, data, len);
    }
    if (!err) {
        err = md5->finish(md5->ctx, digest);
    }
    return err;
}

/* The MD5 entry at buf + pos covers every byte before it. */
static ota_err_t check_md5_entry(const ota_hash_t *md5, const uint8_t *buf, size_t pos)
{
    if (!md5) {
        return OTA_OK;
    }
    uint8_t digest[OTA_MD5_LEN];
    ota_err_t err = md5_digest(md5, buf, pos, digest);
    if (!err && memcmp(digest, buf + pos + OTA_PART_MD5_OFFSET, OTA_MD5_LEN) != 0) {
        err = OTA_ERR_PART_MD5;
    }
    return err;
}

static int is_end_marker(const uint8_t *slot)
{
    return le32_get(slot) == 0xFFFFFFFFu;
}

/*
 * What the walk found. Partitions may only precede the MD5 entry, so they are
 * exactly the first `count` slots of the buffer: the checks below read them
 * there, and nothing has to be decoded to validate a table.
 */
typedef struct table_shape {
    size_t count;
    bool has_md5;
} table_shape_t;

/* One slot of the walk; sets *done at the end marker. */
static ota_err_t walk_slot(const uint8_t *buf, size_t pos, const ota_hash_t *md5,
                           table_shape_t *shape, int *done)
{
    const uint8_t *slot = buf + pos;
    if (is_end_marker(slot)) {
        *done = 1;
        return pos == 0 ? OTA_ERR_PART_EMPTY : OTA_OK;
    }
    switch (le16_get(slot)) {
    case OTA_PART_MD5_MAGIC:
        if (shape->has_md5) {
            return OTA_ERR_PART_DUP_MD5;
        }
        shape->has_md5 = true;
        return check_md5_entry(md5, buf, pos);
    case OTA_PART_MAGIC:
        if (shape->has_md5) {
            return OTA_ERR_PART_AFTER_MD5;
        }
        if (shape->count == OTA_PART_MAX_ENTRIES) {
            return OTA_ERR_PART_NO_END; /* this is the last slot: no room left for the end marker */
        }
        shape->count++;
        return OTA_OK;
    default:
        return OTA_ERR_PART_MAGIC;
    }
}

static ota_err_t walk(const uint8_t *buf, size_t len, const ota_hash_t *md5, table_shape_t *shape)
{
    size_t window = len < OTA_PART_TABLE_MAX_LEN ? len : OTA_PART_TABLE_MAX_LEN;
    int done = 0;
    for (size_t pos = 0; pos + ENTRY <= window; pos += ENTRY) {
        ota_err_t err = walk_slot(buf, pos, md5, shape, &done);
        if (err || done) {
            return err;
        }
    }
    return window % ENTRY ? OTA_ERR_PART_LENGTH : OTA_ERR_PART_NO_END;
}

static ota_err_t check_in_flash(const uint8_t *buf, size_t count, uint32_t flash_size)
{
    for (const uint8_t *slot = buf; slot < buf + count * ENTRY; slot += ENTRY) {
        uint32_t offset = le32_get(slot + OFF_OFFSET);
        if (offset > flash_size || le32_get(slot + OFF_SIZE) > flash_size - offset) {
            return OTA_ERR_PART_OUT_OF_FLASH;
        }
    }
    return OTA_OK;
}

/* The one that starts first reaches the other's start: 32-bit, nothing can wrap. */
static bool overlap(const uint8_t *a, const uint8_t *b)
{
    uint32_t a_off = le32_get(a + OFF_OFFSET), a_size = le32_get(a + OFF_SIZE);
    uint32_t b_off = le32_get(b + OFF_OFFSET), b_size = le32_get(b + OFF_SIZE);
    if (a_size == 0 || b_size == 0) {
        return false;
    }
    return a_off >= b_off ? a_off - b_off < b_size : b_off - a_off < a_size;
}

/* Pairwise, because tables need not be sorted; at most 95 * 94 / 2 pairs. */
static ota_err_t check_no_overlap(const uint8_t *buf, size_t count)
{
    const uint8_t *end = buf + count * ENTRY;
    for (const uint8_t *a = buf; a < end; a += ENTRY) {
        for (const uint8_t *b = a + ENTRY; b < end; b += ENTRY) {
            if (overlap(a, b)) {
                return OTA_ERR_PART_OVERLAP;
            }
        }
    }
    return OTA_OK;
}

static ota_err_t check_table(const uint8_t *buf, size_t len, const ota_partition_parse_opts_t *opts,
                             table_shape_t *shape)
{
    static const ota_partition_parse_opts_t no_checks = {0};
    opts = opts ? opts : &no_checks;
    if (!buf && len) {
        return OTA_ERR_INVALID_ARG;
    }
    if (opts->md5 && opts->md5->digest_len != OTA_MD5_LEN) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = walk(buf, len, opts->md5, shape);
    if (!err && opts->require_md5 && !shape->has_md5) {
        err = OTA_ERR_PART_MD5_MISSING;
    }
    if (!err && opts->flash_size) {
        err = check_in_flash(buf, shape->count, opts->flash_size);
    }
    if (!err && opts->check_overlap) {
        err = check_no_overlap(buf, shape->count);
    }
    return err;
}

ota_err_t ota_partition_table_verify(const uint8_t *buf, size_t len,
                                     const ota_partition_parse_opts_t *opts, size_t *count)
{
    table_shape_t shape = {0};
    ota_err_t err = check_table(buf, len, opts, &shape);
    if (count) {
        *count = err ? 0 : shape.count;
    }
    return err;
}

ota_err_t ota_partition_table_parse(const uint8_t *buf, size_t len,
                                    const ota_partition_parse_opts_t *opts,
                                    ota_partition_table_t *out)
{
    if (!out) {
        return OTA_ERR_INVALID_ARG;
    }
    table_shape_t shape = {0};
    ota_err_t err = check_table(buf, len, opts, &shape);
    if (err) {
        shape = (table_shape_t){0};
    }
    out->count = shape.count;
    out->has_md5 = shape.has_md5;
    for (size_t i = 0; i < shape.count; i++) {
        decode_entry(buf + i * ENTRY, &out->entries[i]);
    }
    return err;
}

ota_err_t ota_partition_table_load(const ota_flash_t *flash, uint32_t table_offset,
                                   const ota_partition_parse_opts_t *opts,
                                   uint8_t *scratch, ota_partition_table_t *out)
{
    if (!out) {
        return OTA_ERR_INVALID_ARG;
    }
    out->count = 0;
    out->has_md5 = false;
    if (!flash || !scratch) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = ota_flash_read(flash, table_offset, scratch, OTA_PART_TABLE_MAX_LEN);
    if (err) {
        return err;
    }
    ota_partition_parse_opts_t o = {0};
    if (opts) {
        o = *opts;
    }
    if (o.flash_size == 0) {
        o.flash_size = flash->size;
    }
    return ota_partition_table_parse(scratch, OTA_PART_TABLE_MAX_LEN, &o, out);
}

ota_err_t ota_partition_table_serialize(const ota_partition_table_t *table, const ota_hash_t *md5,
                                        uint8_t *buf, size_t buf_len)
{
    if (!table || !buf || (md5 && md5->digest_len != OTA_MD5_LEN)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (buf_len < OTA_PART_TABLE_MAX_LEN) {
        return OTA_ERR_NO_SPACE;
    }
    if (table->count > (md5 ? OTA_PART_MAX_ENTRIES_MD5 : OTA_PART_MAX_ENTRIES)) {
        return OTA_ERR_PART_TOO_MANY;
    }
    memset(buf, 0xFF, OTA_PART_TABLE_MAX_LEN);
    for (size_t i = 0; i < table->count; i++) {
        encode_entry(&table->entries[i], buf + i * ENTRY);
    }
    if (!md5) {
        return OTA_OK;
    }
    size_t pos = table->count * ENTRY;
    le16_put(buf + pos, OTA_PART_MD5_MAGIC); /* bytes 2..15 stay 0xFF */
    return md5_digest(md5, buf, pos, buf + pos + OTA_PART_MD5_OFFSET);
}

static bool matches(const ota_partition_t *p, uint8_t type, uint8_t subtype, const char *label)
{
    return (type == OTA_PART_TYPE_ANY || p->type == type) &&
           (subtype == OTA_PART_SUBTYPE_ANY || p->subtype == subtype) &&
           (!label || label_equal(p->label, label));
}

const ota_partition_t *ota_partition_next(const ota_partition_table_t *table,
                                          const ota_partition_t *prev, uint8_t type,
                                          uint8_t subtype, const char *label)
{
    /* ESP-IDF refuses a subtype without a type: subtype values mean nothing alone. */
    if (!table || (type == OTA_PART_TYPE_ANY && subtype != OTA_PART_SUBTYPE_ANY)) {
        return NULL;
    }
    for (size_t i = prev ? (size_t)(prev - table->entries) + 1 : 0; i < table->count; i++) {
        if (matches(&table->entries[i], type, subtype, label)) {
            return &table->entries[i];
        }
    }
    return NULL;
}

const ota_partition_t *ota_partition_find_first(const ota_partition_table_t *table, uint8_t type,
                                                uint8_t subtype, const char *label)
{
    return ota_partition_next(table, NULL, type, subtype, label);
}

const ota_partition_t *ota_partition_ota_slot(const ota_partition_table_t *table, unsigned n)
{
    if (n > OTA_PART_SUBTYPE_OTA_MAX - OTA_PART_SUBTYPE_OTA_MIN) {
        return NULL;
    }
    return ota_partition_find_first(table, OTA_PART_TYPE_APP,
                                    (uint8_t)(OTA_PART_SUBTYPE_OTA_MIN + n), NULL);
}
