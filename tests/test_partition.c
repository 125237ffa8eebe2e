/*
 * Binary partition tables (src/partition.c): upstream vectors made by
 * gen_esp32part, the worked vector of spec §1.9, and hand-made tables for
 * every error and limit.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/partition.h"
#include "json.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/simflash.h"
#include "testutil.h"

#define TABLE_LEN OTA_PART_TABLE_MAX_LEN
#define MIB (1024u * 1024u)

static mbedtls_md5_context g_md5_ctx;

static const ota_hash_t *md5_port(void)
{
    static ota_hash_t md5;
    ota_port_md5_init(&md5, &g_md5_ctx);
    return &md5;
}

/* ---- hand-made tables, encoded here independently of src/partition.c ---- */

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void raw_entry(uint8_t *buf, size_t index, uint16_t magic, uint8_t type, uint8_t subtype,
                      uint32_t offset, uint32_t size, const char *label, uint32_t flags)
{
    uint8_t *slot = buf + index * 32;
    slot[0] = (uint8_t)magic;
    slot[1] = (uint8_t)(magic >> 8);
    slot[2] = type;
    slot[3] = subtype;
    le32(slot + 4, offset);
    le32(slot + 8, size);
    memset(slot + 12, 0, 16);
    memcpy(slot + 12, label, strlen(label) < 16 ? strlen(label) : 16);
    le32(slot + 28, flags);
}

static void raw_data(uint8_t *buf, size_t index, uint32_t offset, uint32_t size, const char *label)
{
    raw_entry(buf, index, 0x50AA, OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, offset, size, label, 0);
}

/* MD5 entry in slot `index` over the bytes before it (mbedTLS one-shot). */
static void raw_md5(uint8_t *buf, size_t index)
{
    uint8_t *slot = buf + index * 32;
    memset(slot, 0xFF, 32);
    slot[0] = slot[1] = 0xEB;
    ota_port_md5(buf, index * 32, slot + 16);
}

/* A 0xC00 all-0xFF buffer (the erased state / padding). */
static uint8_t *blank(void)
{
    static uint8_t buf[0x1000];
    memset(buf, 0xFF, sizeof buf);
    return buf;
}

/* Parse, and check that ota_partition_table_verify() agrees: same error, same count. */
static ota_err_t parse_and_verify(const uint8_t *buf, size_t len,
                                  const ota_partition_parse_opts_t *opts, ota_partition_table_t *t)
{
    ota_err_t err = ota_partition_table_parse(buf, len, opts, t);
    size_t count = 1234;
    assert_int_equal(ota_partition_table_verify(buf, len, opts, &count), err);
    assert_int_equal(count, t->count);
    assert_int_equal(ota_partition_table_verify(buf, len, opts, NULL), err);
    return err;
}

static ota_err_t parse_plain(const uint8_t *buf, size_t len, ota_partition_table_t *t)
{
    return parse_and_verify(buf, len, NULL, t);
}

static ota_err_t parse_md5(const uint8_t *buf, size_t len, ota_partition_table_t *t)
{
    const ota_partition_parse_opts_t opts = {.md5 = md5_port()};
    return parse_and_verify(buf, len, &opts, t);
}

static void assert_part(const ota_partition_t *p, uint8_t type, uint8_t subtype, uint32_t offset,
                        uint32_t size, const char *label, uint32_t flags)
{
    assert_non_null(p);
    assert_non_null(label);
    assert_int_equal(p->type, type);
    assert_int_equal(p->subtype, subtype);
    assert_int_equal(p->offset, offset);
    assert_int_equal(p->size, size);
    assert_string_equal(p->label, label);
    assert_int_equal(p->flags, flags);
}

/* ---- manifest.json: the upstream tool's reading of each binary ---- */

static json_value_t *g_manifest;

static void load_manifest(void)
{
    char err[256] = "";
    if (!g_manifest) {
        g_manifest = json_parse_file(tu_vector_path("manifest.json"), err, sizeof err);
    }
    if (!g_manifest) {
        fail_msg("manifest.json: %s", err);
    }
}

/* The case of partition.{valid,idf_builtin,idf_testdata} describing binary rel. */
static const json_value_t *manifest_case(const char *rel)
{
    static const char *const sections[] = {"partition.valid", "partition.idf_builtin",
                                           "partition.idf_testdata"};
    for (size_t s = 0; s < 3; s++) {
        const json_value_t *cases = json_path(g_manifest, sections[s]);
        for (size_t i = 0; i < json_len(cases); i++) {
            const json_value_t *c = json_at(cases, i);
            const char *bin = json_str(json_get(c, "output_bin"));
            bin = bin ? bin : json_str(json_get(c, "file"));
            if (bin && strcmp(bin, rel) == 0) {
                return c;
            }
        }
    }
    fail_msg("%s: not described in manifest.json", rel);
    return NULL;
}

/* gen_args "--flash-size" "NMB" of the case, in bytes; 0 when absent. */
static uint32_t manifest_flash_size(const json_value_t *c)
{
    const json_value_t *args = json_get(c, "gen_args");
    for (size_t i = 0; i + 1 < json_len(args); i++) {
        const char *arg = json_str(json_at(args, i));
        if (arg && strcmp(arg, "--flash-size") == 0) {
            return (uint32_t)strtoul(json_str(json_at(args, i + 1)), NULL, 10) * MIB;
        }
    }
    return 0;
}

static uint32_t json_u32(const json_value_t *obj, const char *key)
{
    bool ok = false;
    int64_t v = json_int(json_get(obj, key), &ok);
    assert_true(ok && v >= 0 && v <= UINT32_MAX);
    return (uint32_t)v;
}

/* The parsed table equals the upstream tool's reading recorded in the manifest. */
static void assert_matches_manifest(const json_value_t *c, const ota_partition_table_t *t)
{
    assert_int_equal(t->has_md5, json_is(json_get(c, "md5"), JSON_OBJECT));
    const json_value_t *entries = json_get(c, "entries");
    assert_int_equal(json_len(entries), t->count);
    for (size_t i = 0; i < t->count; i++) {
        const json_value_t *e = json_at(entries, i);
        assert_part(&t->entries[i], (uint8_t)json_u32(e, "type"), (uint8_t)json_u32(e, "subtype"),
                    json_u32(e, "offset"), json_u32(e, "size"), json_str(json_get(e, "name")),
                    json_u32(e, "flags"));
    }
}

/* ---- upstream vectors ---- */

/* Parse rel with all checks, compare with the manifest, re-serialize identically. */
static void check_vector_bin(const char *rel)
{
    size_t len;
    uint8_t *bin = tu_read_file(tu_vector_path(rel), &len);
    assert_non_null(bin);
    const json_value_t *c = manifest_case(rel);
    const ota_partition_parse_opts_t opts = {
        .md5 = md5_port(), .check_overlap = true, .flash_size = manifest_flash_size(c)};
    ota_partition_table_t t;
    ota_err_t err = ota_partition_table_parse(bin, len, &opts, &t);
    if (err) {
        fail_msg("%s: %s", rel, ota_err_name(err));
    }
    assert_matches_manifest(c, &t);

    uint8_t out[TABLE_LEN];
    assert_int_equal(ota_partition_table_serialize(&t, t.has_md5 ? md5_port() : NULL, out, sizeof out),
                     OTA_OK);
    assert_int_equal(len, TABLE_LEN);
    if (memcmp(out, bin, TABLE_LEN) != 0) {
        fail_msg("%s: serialize(parse(bin)) differs from the file", rel);
    }
    free(bin);
}

static size_t check_vector_dir(const char *dir)
{
    char rel[512];
    size_t n = 0;
    DIR *d = opendir(tu_vector_path(dir));
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".bin") == 0) {
            snprintf(rel, sizeof rel, "%s/%s", dir, e->d_name);
            check_vector_bin(rel);
            n++;
        }
    }
    closedir(d);
    return n;
}

static void test_vectors_parse_and_roundtrip(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    load_manifest();
    assert_true(check_vector_dir("partition/valid") >= 14);
    assert_true(check_vector_dir("partition/idf_builtin") >= 12);
    assert_true(check_vector_dir("partition/idf_testdata") >= 2);
}

static void expect_vector_error(const char *rel, ota_err_t want)
{
    size_t len;
    uint8_t *bin = tu_read_file(tu_vector_path(rel), &len);
    assert_non_null(bin);
    ota_partition_table_t t;
    assert_int_equal(parse_md5(bin, len, &t), want);
    assert_int_equal(t.count, 0);
    free(bin);
}

static void test_vectors_invalid(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    expect_vector_error("partition/invalid/b01_bad_md5.bin", OTA_ERR_PART_MD5);
    expect_vector_error("partition/invalid/b02_bad_magic.bin", OTA_ERR_PART_MAGIC);
}

/* ---- spec §1.9: the two-OTA table ---- */

static const uint8_t k_two_ota_md5[16] = {0xbf, 0x25, 0x82, 0x2c, 0x0f, 0xa6, 0xd8, 0x64,
                                          0x1b, 0xd9, 0x30, 0x25, 0x1e, 0x06, 0xb4, 0xc4};
static const uint8_t k_two_ota_sha256[32] = {
    0xd1, 0xc0, 0xe9, 0xd0, 0x2f, 0xa9, 0xd2, 0x6c, 0xd2, 0xe1, 0x98, 0x4e, 0x7b, 0x5d, 0xd2, 0x01,
    0x57, 0x20, 0x4f, 0x50, 0x1d, 0xdc, 0x83, 0xce, 0x82, 0x22, 0x9e, 0x5f, 0x31, 0x75, 0xee, 0x8b};

static void assert_two_ota_entries(const ota_partition_table_t *t)
{
    assert_int_equal(t->count, 6);
    assert_true(t->has_md5);
    assert_part(&t->entries[0], 1, 0x02, 0x9000, 0x4000, "nvs", 0);
    assert_part(&t->entries[1], 1, 0x00, 0xD000, 0x2000, "otadata", 0);
    assert_part(&t->entries[2], 1, 0x01, 0xF000, 0x1000, "phy_init", 0);
    assert_part(&t->entries[3], 0, 0x00, 0x10000, MIB, "factory", 0);
    assert_part(&t->entries[4], 0, 0x10, 0x110000, MIB, "ota_0", 0);
    assert_part(&t->entries[5], 0, 0x11, 0x210000, MIB, "ota_1", 0);
}

/* The §1.9 table encoded by this test's own writer. */
static void raw_two_ota(uint8_t *buf)
{
    memset(buf, 0xFF, TABLE_LEN);
    raw_entry(buf, 0, 0x50AA, 1, 0x02, 0x9000, 0x4000, "nvs", 0);
    raw_entry(buf, 1, 0x50AA, 1, 0x00, 0xD000, 0x2000, "otadata", 0);
    raw_entry(buf, 2, 0x50AA, 1, 0x01, 0xF000, 0x1000, "phy_init", 0);
    raw_entry(buf, 3, 0x50AA, 0, 0x00, 0x10000, MIB, "factory", 0);
    raw_entry(buf, 4, 0x50AA, 0, 0x10, 0x110000, MIB, "ota_0", 0);
    raw_entry(buf, 5, 0x50AA, 0, 0x11, 0x210000, MIB, "ota_1", 0);
    raw_md5(buf, 6);
}

/* Serializing the resolved entries gives the spec's bytes (no vector files needed). */
static void test_spec_two_ota_serialize(void **state)
{
    (void)state;
    static const struct {
        uint8_t type, subtype;
        uint32_t offset, size;
        const char *label;
    } rows[] = {{1, 0x02, 0x9000, 0x4000, "nvs"},      {1, 0x00, 0xD000, 0x2000, "otadata"},
                {1, 0x01, 0xF000, 0x1000, "phy_init"}, {0, 0x00, 0x10000, MIB, "factory"},
                {0, 0x10, 0x110000, MIB, "ota_0"},     {0, 0x11, 0x210000, MIB, "ota_1"}};
    ota_partition_table_t t = {.count = 6};
    for (size_t i = 0; i < 6; i++) {
        t.entries[i] = (ota_partition_t){.type = rows[i].type, .subtype = rows[i].subtype,
                                         .offset = rows[i].offset, .size = rows[i].size};
        strcpy(t.entries[i].label, rows[i].label);
    }
    uint8_t out[TABLE_LEN], sha[32];
    assert_int_equal(ota_partition_table_serialize(&t, md5_port(), out, sizeof out), OTA_OK);
    assert_memory_equal(out + 0xC0, "\xeb\xeb\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
    assert_memory_equal(out + 0xD0, k_two_ota_md5, 16);
    ota_port_sha256(out, sizeof out, sha);
    assert_memory_equal(sha, k_two_ota_sha256, 32);
    uint8_t raw[TABLE_LEN];
    raw_two_ota(raw); /* the test's own writer agrees with the spec, for the flash tests */
    assert_memory_equal(raw, out, TABLE_LEN);

    ota_partition_table_t back;
    assert_int_equal(parse_md5(out, sizeof out, &back), OTA_OK);
    assert_two_ota_entries(&back);
}

static void test_spec_two_ota_vector(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    size_t len;
    uint8_t sha[32], *bin = tu_read_file(tu_vector_path("partition/idf_builtin/partitions_two_ota.bin"), &len);
    assert_non_null(bin);
    ota_port_sha256(bin, len, sha);
    assert_memory_equal(sha, k_two_ota_sha256, 32); /* it is the spec's file */
    ota_partition_table_t t;
    const ota_partition_parse_opts_t opts = {.md5 = md5_port(), .require_md5 = true,
                                             .check_overlap = true, .flash_size = 4 * MIB};
    assert_int_equal(ota_partition_table_parse(bin, len, &opts, &t), OTA_OK);
    assert_two_ota_entries(&t);
    free(bin);
}

/* ---- hand-made tables: structure ---- */

static void test_empty_tables(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank();
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_ERR_PART_EMPTY);
    assert_int_equal(parse_md5(buf, 0x1000, &t), OTA_ERR_PART_EMPTY);
    /* Only the first 4 bytes make the end marker (bootloader rule). */
    memset(buf + 4, 0, 28);
    assert_int_equal(parse_plain(buf, TABLE_LEN, &t), OTA_ERR_PART_EMPTY);
    /* An MD5 entry alone is a valid table without partitions. */
    buf = blank();
    raw_md5(buf, 0);
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_OK);
    assert_int_equal(t.count, 0);
    assert_true(t.has_md5);
}

static void test_bad_magic(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    raw_entry(buf, 1, 0x50AB, 1, 2, 0xA000, 0x1000, "b", 0);
    assert_int_equal(parse_plain(buf, TABLE_LEN, &t), OTA_ERR_PART_MAGIC);
    assert_int_equal(t.count, 0);
    raw_entry(buf, 1, 0xFFAA, 1, 2, 0xA000, 0x1000, "b", 0); /* half an end marker */
    assert_int_equal(parse_plain(buf, TABLE_LEN, &t), OTA_ERR_PART_MAGIC);
}

static void test_md5_checked(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    raw_data(buf, 1, 0xA000, 0x1000, "b");
    raw_md5(buf, 2);
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_OK);
    assert_int_equal(t.count, 2);
    assert_true(t.has_md5);

    buf[2 * 32 + 31] ^= 1; /* last digest byte */
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_ERR_PART_MD5);
    assert_int_equal(t.count, 0);
    /* Without a hash the digest is not checked, the entry still counts. */
    assert_int_equal(parse_plain(buf, TABLE_LEN, &t), OTA_OK);
    assert_true(t.has_md5);
    buf[2 * 32 + 31] ^= 1;
    buf[12] ^= 0x20; /* label "a" -> "A": covered bytes change */
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_ERR_PART_MD5);
}

static void test_md5_required(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    const ota_partition_parse_opts_t need = {.md5 = md5_port(), .require_md5 = true};
    assert_int_equal(parse_and_verify(buf, TABLE_LEN, &need, &t), OTA_ERR_PART_MD5_MISSING);
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_OK);
    assert_false(t.has_md5);
    raw_md5(buf, 1);
    assert_int_equal(parse_and_verify(buf, TABLE_LEN, &need, &t), OTA_OK);
}

static void test_md5_position(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    raw_md5(buf, 1);
    raw_md5(buf, 2);
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_ERR_PART_DUP_MD5);
    assert_int_equal(parse_plain(buf, TABLE_LEN, &t), OTA_ERR_PART_DUP_MD5);

    buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    raw_md5(buf, 1);
    raw_data(buf, 2, 0xA000, 0x1000, "b");
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_ERR_PART_AFTER_MD5);
    assert_int_equal(t.count, 0);
}

static void test_no_end(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    raw_data(buf, 1, 0xA000, 0x1000, "b");
    assert_int_equal(parse_plain(buf, 64, &t), OTA_ERR_PART_NO_END);
    assert_int_equal(parse_plain(buf, 96, &t), OTA_OK);
    assert_int_equal(parse_plain(NULL, 0, &t), OTA_ERR_PART_NO_END);

    /* 96 partitions fill every slot. */
    for (size_t i = 0; i < 96; i++) {
        raw_data(buf, i, 0x10000 + 0x1000 * (uint32_t)i, 0x1000, "p");
    }
    assert_int_equal(parse_plain(buf, 0x1000, &t), OTA_ERR_PART_NO_END);
    /* 95 partitions and an MD5 entry: no slot left for the end marker. */
    raw_md5(buf, 95);
    assert_int_equal(parse_md5(buf, 0x1000, &t), OTA_ERR_PART_NO_END);
    assert_int_equal(t.count, 0);
    /* An end marker beyond 0xC00 does not count. */
    memset(buf + TABLE_LEN, 0xFF, 0x400);
    assert_int_equal(parse_plain(buf, 0x1000, &t), OTA_ERR_PART_NO_END);
}

static void test_length(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    raw_data(buf, 1, 0xA000, 0x1000, "b");
    assert_int_equal(parse_plain(buf, 40, &t), OTA_ERR_PART_LENGTH);
    assert_int_equal(parse_plain(buf, 95, &t), OTA_ERR_PART_LENGTH);
    assert_int_equal(parse_plain(buf, 100, &t), OTA_OK); /* end marker before the ragged tail */
    assert_int_equal(t.count, 2);
    assert_int_equal(parse_plain(buf, 20, &t), OTA_ERR_PART_LENGTH);
}

static void test_trailing_bytes_ignored(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    buf[32 + 4] = 0x00; /* end marker is only the first 4 bytes */
    raw_entry(buf, 2, 0x1234, 0, 0, 0, 0, "junk", 0);
    memset(buf + TABLE_LEN, 0x00, 0x400); /* signature area */
    assert_int_equal(parse_plain(buf, 0x1000, &t), OTA_OK);
    assert_int_equal(t.count, 1);
}

/* ---- hand-made tables: entry fields ---- */

static void test_label_of_16_bytes(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank(), out[TABLE_LEN];
    raw_entry(buf, 0, 0x50AA, 0x40, 0x07, 0x9000, 0x1000, "0123456789abcdef", 0xFFFFFFFF);
    raw_md5(buf, 1);
    assert_int_equal(parse_md5(buf, TABLE_LEN, &t), OTA_OK);
    assert_part(&t.entries[0], 0x40, 0x07, 0x9000, 0x1000, "0123456789abcdef", 0xFFFFFFFF);
    assert_int_equal(ota_partition_table_serialize(&t, md5_port(), out, sizeof out), OTA_OK);
    assert_memory_equal(out, buf, TABLE_LEN);
}

static void test_label_stops_at_nul(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank(), out[TABLE_LEN];
    raw_entry(buf, 0, 0x50AA, 1, 2, 0x9000, 0x1000, "nvs", 0);
    memcpy(buf + 12 + 4, "junk", 4); /* "nvs\0junk..." */
    assert_int_equal(parse_plain(buf, TABLE_LEN, &t), OTA_OK);
    assert_string_equal(t.entries[0].label, "nvs");
    assert_int_equal(ota_partition_table_serialize(&t, NULL, out, sizeof out), OTA_OK);
    assert_memory_equal(out + 12, "nvs\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
}

static void test_unknown_flags_kept(void **state)
{
    (void)state;
    ota_partition_table_t t;
    uint8_t *buf = blank(), out[TABLE_LEN];
    raw_entry(buf, 0, 0x50AA, 1, 2, 0x9000, 0x3000, "nvs", 0x80000003u);
    raw_entry(buf, 1, 0x50AA, 0, 0x10, 0x10000, 0x10000, "ota_0", 0x00010000u);
    assert_int_equal(parse_plain(buf, TABLE_LEN, &t), OTA_OK);
    assert_int_equal(t.entries[0].flags, 0x80000003u);
    assert_int_equal(t.entries[1].flags, 0x00010000u);
    assert_int_equal(ota_partition_table_serialize(&t, NULL, out, sizeof out), OTA_OK);
    assert_memory_equal(out, buf, TABLE_LEN);
}

/* ---- flash bounds and overlap ---- */

static ota_err_t parse_two(uint32_t off_a, uint32_t size_a, uint32_t off_b, uint32_t size_b,
                           const ota_partition_parse_opts_t *opts)
{
    ota_partition_table_t t;
    uint8_t *buf = blank();
    raw_data(buf, 0, off_a, size_a, "a");
    raw_data(buf, 1, off_b, size_b, "b");
    return parse_and_verify(buf, TABLE_LEN, opts, &t);
}

static void test_out_of_flash(void **state)
{
    (void)state;
    const ota_partition_parse_opts_t f4 = {.flash_size = 4 * MIB};
    assert_int_equal(parse_two(0x9000, 0x1000, 0x300000, MIB, &f4), OTA_OK); /* ends exactly at 4 MiB */
    assert_int_equal(parse_two(0x9000, 0x1000, 0x300000, MIB + 1, &f4), OTA_ERR_PART_OUT_OF_FLASH);
    assert_int_equal(parse_two(0x9000, 0x1000, 4 * MIB + 0x1000, 0, &f4), OTA_ERR_PART_OUT_OF_FLASH);
    assert_int_equal(parse_two(0x9000, 0x1000, 4 * MIB, 0, &f4), OTA_OK); /* offset == flash size */
    /* offset + size wraps around 32 bits: still beyond the flash. */
    assert_int_equal(parse_two(0x9000, 0xFFFFF000u, 0xA000, 0x1000, &f4), OTA_ERR_PART_OUT_OF_FLASH);
    /* No flash size: not checked. */
    assert_int_equal(parse_two(0x9000, 0x1000, 0x300000, 16 * MIB, NULL), OTA_OK);
}

static void test_overlap(void **state)
{
    (void)state;
    const ota_partition_parse_opts_t ov = {.check_overlap = true};
    assert_int_equal(parse_two(0x9000, 0x2000, 0xB000, 0x1000, &ov), OTA_OK); /* adjacent */
    assert_int_equal(parse_two(0x9000, 0x2000, 0xA000, 0x1000, &ov), OTA_ERR_PART_OVERLAP);
    assert_int_equal(parse_two(0xA000, 0x1000, 0x9000, 0x2000, &ov), OTA_ERR_PART_OVERLAP); /* unsorted */
    assert_int_equal(parse_two(0x9000, 0x4000, 0xA000, 0x1000, &ov), OTA_ERR_PART_OVERLAP); /* inside */
    assert_int_equal(parse_two(0x9000, 0x2000, 0x9000, 0x2000, &ov), OTA_ERR_PART_OVERLAP); /* same */
    assert_int_equal(parse_two(0x9000, 0x2000, 0xA000, 0, &ov), OTA_OK); /* zero size */
    assert_int_equal(parse_two(0x9000, 0x2000, 0xA000, 0x1000, NULL), OTA_OK); /* not asked */
    /* An end past 4 GiB: a huge partition still overlaps a later one. */
    assert_int_equal(parse_two(0x9000, 0xFFFFF000u, 0x20000, 0x1000, &ov), OTA_ERR_PART_OVERLAP);
}

/* ---- serialize limits ---- */

static void fill_table(ota_partition_table_t *t, size_t n)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n && i < OTA_PART_MAX_ENTRIES; i++) {
        t->entries[i] = (ota_partition_t){.type = 1, .subtype = 0x81,
                                          .offset = 0x10000 + 0x1000 * (uint32_t)i, .size = 0x1000};
        snprintf(t->entries[i].label, sizeof t->entries[i].label, "p%zu", i);
    }
    t->count = n;
}

static void test_serialize_limits(void **state)
{
    (void)state;
    static ota_partition_table_t t, back;
    uint8_t out[0x1000];
    fill_table(&t, 94);
    assert_int_equal(ota_partition_table_serialize(&t, md5_port(), out, TABLE_LEN), OTA_OK);
    assert_int_equal(out[94 * 32], 0xEB);
    assert_int_equal(out[95 * 32], 0xFF);
    assert_int_equal(parse_md5(out, TABLE_LEN, &back), OTA_OK);
    assert_int_equal(back.count, 94);
    assert_true(back.has_md5);

    fill_table(&t, 95);
    assert_int_equal(ota_partition_table_serialize(&t, md5_port(), out, TABLE_LEN), OTA_ERR_PART_TOO_MANY);
    assert_int_equal(ota_partition_table_serialize(&t, NULL, out, TABLE_LEN), OTA_OK);
    assert_int_equal(parse_md5(out, TABLE_LEN, &back), OTA_OK);
    assert_int_equal(back.count, 95);
    assert_false(back.has_md5);
    assert_string_equal(back.entries[94].label, "p94");

    fill_table(&t, 96);
    assert_int_equal(ota_partition_table_serialize(&t, NULL, out, TABLE_LEN), OTA_ERR_PART_TOO_MANY);
}

static void test_serialize_buffer(void **state)
{
    (void)state;
    static ota_partition_table_t t;
    uint8_t out[0x1000];
    fill_table(&t, 0);
    assert_int_equal(ota_partition_table_serialize(&t, NULL, out, TABLE_LEN - 1), OTA_ERR_NO_SPACE);
    assert_int_equal(ota_partition_table_serialize(NULL, NULL, out, TABLE_LEN), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_partition_table_serialize(&t, NULL, NULL, TABLE_LEN), OTA_ERR_INVALID_ARG);
    /* Exactly 0xC00 bytes are written, even into a larger buffer. */
    memset(out, 0x5A, sizeof out);
    assert_int_equal(ota_partition_table_serialize(&t, NULL, out, sizeof out), OTA_OK);
    assert_int_equal(out[TABLE_LEN - 1], 0xFF);
    assert_int_equal(out[TABLE_LEN], 0x5A);
}

static void test_parse_bad_args(void **state)
{
    (void)state;
    ota_partition_table_t t;
    ota_hash_t wrong = *md5_port();
    wrong.digest_len = OTA_SHA256_LEN;
    const ota_partition_parse_opts_t bad = {.md5 = &wrong};
    uint8_t *buf = blank();
    raw_data(buf, 0, 0x9000, 0x1000, "a");
    assert_int_equal(ota_partition_table_parse(buf, TABLE_LEN, NULL, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_partition_table_parse(NULL, TABLE_LEN, NULL, &t), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_partition_table_parse(buf, TABLE_LEN, &bad, &t), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_partition_table_verify(NULL, TABLE_LEN, NULL, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_partition_table_verify(buf, TABLE_LEN, &bad, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_partition_table_serialize(&t, &wrong, buf, TABLE_LEN), OTA_ERR_INVALID_ARG);
}

/* ---- lookup ---- */

static void lookup_table(ota_partition_table_t *t)
{
    uint8_t *buf = blank();
    raw_entry(buf, 0, 0x50AA, 1, 0x02, 0x9000, 0x4000, "nvs", 0);
    raw_entry(buf, 1, 0x50AA, 1, 0x00, 0xD000, 0x2000, "otadata", 0);
    raw_entry(buf, 2, 0x50AA, 0, 0x00, 0x10000, MIB, "factory", 0);
    raw_entry(buf, 3, 0x50AA, 0, 0x10, 0x110000, MIB, "ota_0", 0);
    raw_entry(buf, 4, 0x50AA, 0, 0x11, 0x210000, MIB, "ota_1", 0);
    raw_entry(buf, 5, 0x50AA, 0, 0x13, 0x310000, MIB, "ota_3", 0);
    raw_entry(buf, 6, 0x50AA, 0x40, 0x01, 0x410000, 0x1000, "ota_1", 0); /* same label, other type */
    raw_entry(buf, 7, 0x50AA, 1, 0x02, 0x411000, 0x3000, "nvs2", 0);
    assert_int_equal(parse_plain(buf, TABLE_LEN, t), OTA_OK);
}

static void test_find_first(void **state)
{
    (void)state;
    ota_partition_table_t t;
    lookup_table(&t);
    assert_ptr_equal(ota_partition_find_first(&t, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_ANY, NULL),
                     &t.entries[2]);
    assert_ptr_equal(ota_partition_find_first(&t, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, NULL),
                     &t.entries[0]);
    assert_ptr_equal(ota_partition_find_first(&t, OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, NULL),
                     &t.entries[1]);
    assert_ptr_equal(ota_partition_find_first(&t, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, "ota_1"),
                     &t.entries[4]);
    assert_ptr_equal(ota_partition_find_first(&t, 0x40, OTA_PART_SUBTYPE_ANY, "ota_1"), &t.entries[6]);
    assert_ptr_equal(ota_partition_find_first(&t, OTA_PART_TYPE_DATA, 0x02, "nvs2"), &t.entries[7]);
    /* Exact label match only. */
    assert_null(ota_partition_find_first(&t, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, "ota"));
    assert_null(ota_partition_find_first(&t, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, "nvs22"));
    assert_null(ota_partition_find_first(&t, OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_ANY, "factory"));
    assert_null(ota_partition_find_first(&t, OTA_PART_TYPE_APP, 0x12, NULL));
    /* A subtype without a type matches nothing (ESP-IDF rule). */
    assert_null(ota_partition_find_first(&t, OTA_PART_TYPE_ANY, 0x10, NULL));
    assert_null(ota_partition_find_first(NULL, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, NULL));
}

static void test_next_iterates_in_table_order(void **state)
{
    (void)state;
    ota_partition_table_t t;
    lookup_table(&t);
    static const size_t apps[] = {2, 3, 4, 5};
    size_t n = 0;
    for (const ota_partition_t *p = ota_partition_next(&t, NULL, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_ANY, NULL);
         p; p = ota_partition_next(&t, p, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_ANY, NULL)) {
        assert_true(n < 4);
        assert_ptr_equal(p, &t.entries[apps[n++]]);
    }
    assert_int_equal(n, 4);

    const ota_partition_t *p = ota_partition_next(&t, NULL, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, "ota_1");
    assert_ptr_equal(p, &t.entries[4]);
    p = ota_partition_next(&t, p, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, "ota_1");
    assert_ptr_equal(p, &t.entries[6]);
    assert_null(ota_partition_next(&t, p, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, "ota_1"));

    size_t all = 0;
    for (p = ota_partition_next(&t, NULL, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, NULL); p;
         p = ota_partition_next(&t, p, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, NULL)) {
        all++;
    }
    assert_int_equal(all, t.count);
}

static void test_ota_slot(void **state)
{
    (void)state;
    ota_partition_table_t t;
    lookup_table(&t);
    assert_ptr_equal(ota_partition_ota_slot(&t, 0), &t.entries[3]);
    assert_ptr_equal(ota_partition_ota_slot(&t, 1), &t.entries[4]);
    assert_null(ota_partition_ota_slot(&t, 2));
    assert_ptr_equal(ota_partition_ota_slot(&t, 3), &t.entries[5]);
    assert_null(ota_partition_ota_slot(&t, 15));
    assert_null(ota_partition_ota_slot(&t, 16)); /* would be subtype 0x20 = test */
    assert_true(OTA_PART_IS_OTA_SLOT(&t.entries[5]));
    assert_false(OTA_PART_IS_OTA_SLOT(&t.entries[2]));
}

/* ---- load from flash (simulator) ---- */

static void sim_with_table(ota_simflash_t *sim, uint32_t size, uint32_t table_offset)
{
    const ota_simflash_geometry_t geo = {.size = size, .sector_size = 0x1000, .write_size = 4};
    uint8_t raw[TABLE_LEN];
    assert_int_equal(ota_simflash_init_ram(sim, &geo), OTA_OK);
    raw_two_ota(raw);
    assert_int_equal(ota_flash_write(&sim->flash, table_offset, raw, sizeof raw), OTA_OK);
    ota_simflash_reset_stats(sim);
}

static void test_load_from_flash(void **state)
{
    (void)state;
    ota_simflash_t sim;
    ota_partition_table_t t;
    uint8_t scratch[TABLE_LEN];
    const ota_partition_parse_opts_t all = {.md5 = md5_port(), .require_md5 = true, .check_overlap = true};
    sim_with_table(&sim, 4 * MIB, OTA_PART_TABLE_OFFSET_DEFAULT);
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x8000, &all, scratch, &t), OTA_OK);
    assert_two_ota_entries(&t);
    assert_int_equal(sim.stats.reads, 1); /* one read of exactly the entry window */
    assert_int_equal(sim.stats.bytes_read, TABLE_LEN);
    assert_int_equal(sim.stats.mutations, 0);
    /* Another offset holds nothing: erased flash is an empty table. */
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x10000, NULL, scratch, &t), OTA_ERR_PART_EMPTY);
    ota_simflash_close(&sim);

    sim_with_table(&sim, 4 * MIB, 0x10000);
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x10000, &all, scratch, &t), OTA_OK);
    assert_int_equal(t.count, 6);
    ota_simflash_close(&sim);
}

static void test_load_checks_flash_size(void **state)
{
    (void)state;
    ota_simflash_t sim;
    ota_partition_table_t t;
    uint8_t scratch[TABLE_LEN];
    sim_with_table(&sim, 2 * MIB, 0x8000); /* ota_1 ends at 0x310000 */
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x8000, NULL, scratch, &t),
                     OTA_ERR_PART_OUT_OF_FLASH);
    assert_int_equal(t.count, 0);
    const ota_partition_parse_opts_t zero = {.md5 = md5_port()};
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x8000, &zero, scratch, &t),
                     OTA_ERR_PART_OUT_OF_FLASH);
    const ota_partition_parse_opts_t big = {.flash_size = 4 * MIB};
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x8000, &big, scratch, &t), OTA_OK);
    ota_simflash_close(&sim);
}

static void test_load_errors(void **state)
{
    (void)state;
    ota_simflash_t sim;
    ota_partition_table_t t;
    uint8_t scratch[TABLE_LEN];
    sim_with_table(&sim, MIB, 0x8000);
    const ota_partition_parse_opts_t loose = {.flash_size = 4 * MIB};
    assert_int_equal(ota_partition_table_load(&sim.flash, MIB - 0x800, NULL, scratch, &t),
                     OTA_ERR_FLASH_RANGE);
    sim.fail.read_at = 1;
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x8000, &loose, scratch, &t), OTA_ERR_FLASH_IO);
    assert_int_equal(t.count, 0);
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x8000, &loose, scratch, &t), OTA_OK);
    assert_int_equal(ota_partition_table_load(NULL, 0x8000, NULL, scratch, &t), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x8000, NULL, NULL, &t), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_partition_table_load(&sim.flash, 0x8000, NULL, scratch, NULL), OTA_ERR_INVALID_ARG);
    ota_simflash_close(&sim);
}

static int teardown_group(void **state)
{
    (void)state;
    json_free(g_manifest);
    g_manifest = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_parse_and_roundtrip),
        cmocka_unit_test(test_vectors_invalid),
        cmocka_unit_test(test_spec_two_ota_serialize),
        cmocka_unit_test(test_spec_two_ota_vector),
        cmocka_unit_test(test_empty_tables),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_md5_checked),
        cmocka_unit_test(test_md5_required),
        cmocka_unit_test(test_md5_position),
        cmocka_unit_test(test_no_end),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_trailing_bytes_ignored),
        cmocka_unit_test(test_label_of_16_bytes),
        cmocka_unit_test(test_label_stops_at_nul),
        cmocka_unit_test(test_unknown_flags_kept),
        cmocka_unit_test(test_out_of_flash),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_serialize_limits),
        cmocka_unit_test(test_serialize_buffer),
        cmocka_unit_test(test_parse_bad_args),
        cmocka_unit_test(test_find_first),
        cmocka_unit_test(test_next_iterates_in_table_order),
        cmocka_unit_test(test_ota_slot),
        cmocka_unit_test(test_load_from_flash),
        cmocka_unit_test(test_load_checks_flash_size),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_group);
}
