/*
 * Binary partition tables (ota_partition_table_parse / _serialize / lookups).
 * Input: the table bytes, any length.
 * Invariants: a refused table leaves count 0; what the strict parse (MD5,
 * flash size, overlap) accepts the lax one accepts identically; an accepted
 * table serializes to bytes that parse back to the same table and serialize
 * to the same bytes, and each entry keeps the input's bytes (labels up to
 * their first NUL); lookups only return entries of the table.
 */
#include <string.h>

#include "fuzz.h"
#include "ota/partition.h"
#include "ota_port/hash_mbedtls.h"

#define FLASH_SIZE 0x1000000u

static bool same_entry(const ota_partition_t *a, const ota_partition_t *b)
{
    return a->type == b->type && a->subtype == b->subtype && a->offset == b->offset &&
           a->size == b->size && a->flags == b->flags && strcmp(a->label, b->label) == 0;
}

static bool same_table(const ota_partition_table_t *a, const ota_partition_table_t *b)
{
    if (a->count != b->count || a->has_md5 != b->has_md5) {
        return false;
    }
    for (size_t i = 0; i < a->count; i++) {
        if (!same_entry(&a->entries[i], &b->entries[i])) {
            return false;
        }
    }
    return true;
}

/* Serialized entry i against the input: same bytes, label cut at its first NUL. */
static void check_entry_bytes(const uint8_t *in, const uint8_t *out, const ota_partition_t *p)
{
    size_t label_len = strlen(p->label);
    FUZZ_CHECK(memcmp(in, out, 12) == 0);
    FUZZ_CHECK(memcmp(in + 12, out + 12, label_len) == 0);
    for (size_t i = label_len; i < OTA_PART_LABEL_LEN; i++) {
        FUZZ_CHECK(out[12 + i] == 0);
    }
    FUZZ_CHECK(memcmp(in + 28, out + 28, 4) == 0);
}

static void check_round_trip(const uint8_t *data, const ota_partition_table_t *t, const ota_hash_t *md5)
{
    uint8_t b1[OTA_PART_TABLE_MAX_LEN], b2[OTA_PART_TABLE_MAX_LEN];
    const ota_hash_t *h = t->has_md5 ? md5 : NULL;
    FUZZ_CHECK(ota_partition_table_serialize(t, h, b1, sizeof b1) == OTA_OK);
    ota_partition_table_t t2;
    ota_partition_parse_opts_t opts = {.md5 = md5, .require_md5 = t->has_md5};
    FUZZ_CHECK(ota_partition_table_parse(b1, sizeof b1, &opts, &t2) == OTA_OK);
    FUZZ_CHECK(same_table(t, &t2));
    FUZZ_CHECK(ota_partition_table_serialize(&t2, h, b2, sizeof b2) == OTA_OK);
    FUZZ_CHECK(memcmp(b1, b2, sizeof b1) == 0);
    for (size_t i = 0; i < t->count; i++) {
        check_entry_bytes(data + i * OTA_PART_ENTRY_SIZE, b1 + i * OTA_PART_ENTRY_SIZE, &t->entries[i]);
    }
}

static bool in_table(const ota_partition_table_t *t, const ota_partition_t *p)
{
    return p >= t->entries && p < t->entries + t->count;
}

static void check_lookups(const ota_partition_table_t *t)
{
    size_t apps = 0;
    for (const ota_partition_t *p = ota_partition_next(t, NULL, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_ANY, NULL);
         p; p = ota_partition_next(t, p, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_ANY, NULL)) {
        FUZZ_CHECK(in_table(t, p) && p->type == OTA_PART_TYPE_APP);
        apps++;
    }
    FUZZ_CHECK(apps <= t->count);
    for (unsigned n = 0; n <= 16; n++) {
        const ota_partition_t *p = ota_partition_ota_slot(t, n);
        FUZZ_CHECK(!p || (in_table(t, p) && p->subtype == OTA_PART_SUBTYPE_OTA_MIN + n));
    }
    for (size_t i = 0; i < t->count; i++) {
        const ota_partition_t *p = ota_partition_find_first(t, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY,
                                                            t->entries[i].label);
        FUZZ_CHECK(p && p <= &t->entries[i] && strcmp(p->label, t->entries[i].label) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mbedtls_md5_context md5_ctx;
    ota_hash_t md5;
    ota_port_md5_init(&md5, &md5_ctx);
    ota_partition_table_t lax, strict;
    ota_partition_parse_opts_t opts = {FLASH_SIZE, &md5, true, true};
    ota_err_t lax_err = ota_partition_table_parse(data, size, NULL, &lax);
    ota_err_t strict_err = ota_partition_table_parse(data, size, &opts, &strict);
    FUZZ_CHECK(lax_err == OTA_OK || (lax.count == 0 && !lax.has_md5));
    FUZZ_CHECK(strict_err == OTA_OK || (strict.count == 0 && !strict.has_md5));
    FUZZ_CHECK(strict_err != OTA_OK || (lax_err == OTA_OK && same_table(&lax, &strict)));
    if (lax_err == OTA_OK) {
        FUZZ_CHECK(lax.count <= (lax.has_md5 ? OTA_PART_MAX_ENTRIES_MD5 : OTA_PART_MAX_ENTRIES));
        check_round_trip(data, &lax, &md5);
        check_lookups(&lax);
    }
    return 0;
}
