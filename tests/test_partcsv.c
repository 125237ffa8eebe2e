/*
 * tools/partcsv: ESP-IDF's own gen_esp32part tests (spec §8.2,
 * components/partition_table/test_gen_esp32part_host/gen_esp32part_tests.py)
 * ported case by case with their expected values, plus malformed input.
 *
 * Upstream's CSVParserTests / BinaryOutputTests run with the module's table
 * offset at 0; VerificationTests run the command line (offset 0x8000).
 */
#include <stdlib.h>
#include <string.h>

#include "ota_port/hash_mbedtls.h"
#include "partcsv.h"
#include "testutil.h"

#define HINT "\nPlease check extra_partition_subtypes.inc file in build/config directory"

static const char k_simple_csv[] = "\n# Name,Type,SubType,Offset,Size,Flags\nfactory,0,2,65536,1048576,\n";

/* upstream's LONGER_BINARY_TABLE: three entries, MD5 entry, end marker */
static const uint8_t k_longer_binary[] = {
    0xaa, 0x50, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 'f', 'a', 'c', 't',
    'o', 'r', 'y', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xaa, 0x50, 0x01, 0x20, 0x00, 0x00, 0x11, 0x00, 0x00, 0x02, 0x00, 0x00, 'd', 'a', 't', 'a',
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xaa, 0x50, 0x10, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x10, 0x00, 0x00, 's', 'e', 'c', 'o',
    'n', 'd', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xeb, 0xeb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xf9, 0xbd, 0x06, 0x1b, 0x45, 0x68, 0x6f, 0x86, 0x57, 0x1a, 0x2c, 0xd5, 0x2a, 0x1d, 0xa6, 0x5b,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

typedef struct fixture {
    partcsv_opts_t opts;
    ota_partition_table_t table;
    partcsv_error_t err;
    char *log;
    size_t log_len;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    partcsv_opts_init(&f->opts);
    f->opts.table_offset = 0; /* upstream's module default in its unit tests */
    f->opts.quiet = true;     /* the log then holds only warnings and rows listed before errors */
    f->opts.log = open_memstream(&f->log, &f->log_len);
    *state = f;
    return f->opts.log ? 0 : -1;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    fclose(f->opts.log);
    free(f->log);
    free(f);
    return 0;
}

static ota_err_t parse(fixture_t *f, const char *csv)
{
    return partcsv_parse((const uint8_t *)csv, strlen(csv), &f->opts, &f->table, &f->err);
}

static const char *logged(fixture_t *f)
{
    fflush(f->opts.log);
    return f->log ? f->log : "";
}

static const ota_partition_t *entry(fixture_t *f, const char *name)
{
    const ota_partition_t *p = ota_partition_find_first(&f->table, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, name);
    assert_non_null(p);
    return p;
}

/* The 0xC00-byte binary of f->table with the MD5 entry. */
static void serialize(fixture_t *f, uint8_t bin[OTA_PART_TABLE_MAX_LEN])
{
    mbedtls_md5_context ctx;
    ota_hash_t md5;
    ota_port_md5_init(&md5, &ctx);
    assert_int_equal(ota_partition_table_serialize(&f->table, &md5, bin, OTA_PART_TABLE_MAX_LEN), OTA_OK);
}

/* ---- CSVParserTests ---- */

static void test_simple_partition(void **state)
{
    fixture_t *f = *state;
    f->opts.no_verify = true;
    assert_int_equal(parse(f, k_simple_csv), OTA_OK);
    assert_int_equal(f->table.count, 1);
    const ota_partition_t *p = &f->table.entries[0];
    assert_string_equal(p->label, "factory");
    assert_int_equal(p->type, 0);
    assert_int_equal(p->subtype, 2);
    assert_int_equal(p->offset, 65536);
    assert_int_equal(p->size, 1048576);
}

static void test_require_type(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "\n# Name,Type, SubType,Offset,Size\nihavenotype,\n"), OTA_ERR_CSV_EMPTY_FIELD);
    assert_int_equal(f->err.line, 3);
    assert_string_equal(f->err.message, "Error at line 3: Field 'type' can't be left empty." HINT);
    assert_int_equal(f->table.count, 0);
}

static void test_type_subtype_names(void **state)
{
    fixture_t *f = *state;
    static const char magic[] = "\n# Name, Type, SubType, Offset, Size\n"
                                "myapp, 0, 0,,  0x100000\nmyota_0, 0, 0x10,, 0x100000\n"
                                "myota_1, 0, 0x11,, 0x100000\nmyota_15, 0, 0x1f,, 0x100000\n"
                                "mytest, 0, 0x20,, 0x100000\nmyota_status, 1, 0,, 0x2000\n        ";
    static const char named[] = "\n# Name, Type, SubType, Offset, Size\n"
                                "myapp, app, factory,, 0x100000\nmyota_0, app, ota_0,, 0x100000\n"
                                "myota_1, app, ota_1,, 0x100000\nmyota_15, app, ota_15,, 0x100000\n"
                                "mytest, app, test,, 0x100000\nmyota_status, data, ota,, 0x2000\n";
    assert_int_equal(parse(f, magic), OTA_OK);
    ota_partition_table_t by_number = f->table;
    assert_int_equal(parse(f, named), OTA_OK);
    assert_int_equal(f->table.count, 6);
    assert_int_equal(entry(f, "myapp")->type, 0);
    assert_int_equal(entry(f, "myapp")->subtype, 0);
    assert_int_equal(entry(f, "myota_0")->type, 0);
    assert_int_equal(entry(f, "myota_0")->subtype, 0x10);
    assert_int_equal(entry(f, "myota_15")->subtype, 0x1F);
    assert_int_equal(entry(f, "mytest")->subtype, 0x20);
    assert_int_equal(entry(f, "myota_status")->type, 1);
    assert_int_equal(entry(f, "myota_status")->subtype, 0);
    assert_memory_equal(&by_number, &f->table, sizeof by_number);
}

static void test_unit_suffixes(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "\n# Name, Type, Subtype, Offset, Size\none_megabyte, app, factory, 64k, 1M\n"),
                     OTA_OK);
    assert_int_equal(f->table.entries[0].offset, 64 * 1024);
    assert_int_equal(f->table.entries[0].size, 1024 * 1024);
}

static void test_default_offsets(void **state)
{
    fixture_t *f = *state;
    f->opts.no_verify = true;
    assert_int_equal(parse(f, "\n# Name, Type, Subtype, Offset, Size\nfirst, app, factory,, 1M\n"
                              "second, data, 0x15,, 1M\nminidata, data, 0x40,, 32K\n"
                              "otherapp, app, factory,, 1M\n        "),
                     OTA_OK);
    assert_int_equal(f->table.entries[0].offset, 0x010000); /* 64 KiB boundary: an app */
    assert_int_equal(f->table.entries[0].size, 0x100000);
    assert_int_equal(f->table.entries[1].offset, 0x110000);
    assert_int_equal(f->table.entries[1].size, 0x100000);
    assert_int_equal(f->table.entries[2].offset, 0x210000);
    assert_int_equal(f->table.entries[3].offset, 0x220000);
}

static void test_negative_size_to_offset(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "\n# Name, Type, Subtype, Offset, Size\nfirst, app, factory, 0x10000, -2M\n"
                              "second, data, 0x15,         ,  1M\n        "),
                     OTA_OK);
    assert_int_equal(f->table.entries[0].offset, 0x10000);
    assert_int_equal(f->table.entries[0].size, 0x200000 - 0x10000);
    assert_int_equal(f->table.entries[1].offset, 0x200000);
}

static void test_overlapping_offsets_fail(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "\nfirst, app, factory, 0x100000, 2M\nsecond, app, ota_0,  0x200000, 1M\n"),
                     OTA_ERR_CSV_OVERLAP);
    assert_string_equal(f->err.message,
                        "CSV Error at line 3: Partitions overlap. Partition sets offset 0x200000. "
                        "Previous partition ends 0x300000");
    assert_int_equal(f->err.line, 3);
}

static void test_unique_name_fail(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "\nfirst, app, factory, 0x100000, 1M\nfirst, app, ota_0,  0x200000, 1M\n"),
                     OTA_ERR_CSV_DUP_NAME);
    assert_string_equal(f->err.message, "Partition names must be unique");
    assert_string_equal(logged(f), "A list of partitions that have the same name:\n"
                                   "first,app,factory,0x100000,1M,\nfirst,app,ota_0,0x200000,1M,\n");
}

static void test_bootloader_rows_need_offset(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "\nbootloader, bootloader, primary, N/A, N/A\n"), OTA_ERR_CSV_NO_BOOTLOADER_OFFSET);
    assert_string_equal(f->err.message,
                        "Error at line 2: Primary bootloader offset is not defined. "
                        "Please use --primary-bootloader-offset" HINT);
}

static void test_bootloader_and_part_table_partitions(void **state)
{
    fixture_t *f = *state;
    f->opts.has_primary_bootloader_offset = f->opts.has_recovery_bootloader_offset = true;
    f->opts.primary_bootloader_offset = 0x1000;
    f->opts.recovery_bootloader_offset = 0x200000;
    f->opts.table_offset = 0x9000;
    assert_int_equal(parse(f, "\nbootloader,       bootloader,       primary, N/A, N/A\n"
                              "partition_table,  partition_table,  primary, N/A, N/A\n"
                              "FactoryApp,       app,              factory, ,    1M\n"
                              "OtaBTLDR,         bootloader,       ota,     ,    N/A\n"
                              "OtaPrtTable,      partition_table,  ota,     ,    N/A\n"
                              "RecoveryBTLDR,    bootloader,       recovery, N/A, N/A\n"),
                     OTA_OK);
    static const uint32_t k_expect[][2] = {{0x1000, 0x8000},   {0x9000, 0x1000},   {0x10000, 0x100000},
                                           {0x110000, 0x8000}, {0x118000, 0x1000}, {0x200000, 0x8000}};
    assert_int_equal(f->table.count, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(f->table.entries[i].offset, k_expect[i][0]);
        assert_int_equal(f->table.entries[i].size, k_expect[i][1]);
    }
}

/* ---- BinaryOutputTests ---- */

static void test_binary_entry(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    f->opts.no_verify = true;
    assert_int_equal(parse(f, "\nfirst, 0x30, 0xEE, 0x100400, 0x300000\n"), OTA_OK);
    serialize(f, bin);
    assert_memory_equal(bin, "\xaa\x50\x30\xee\x00\x04\x10\x00\x00\x00\x30\x00", 12);
    assert_memory_equal(bin + 32, "\xeb\xeb\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
    assert_memory_equal(bin + 48, "\x43\x03\x3f\x33\x40\x87\x57\x51\x69\x83\x9b\x40\x61\xb1\x27\x26", 16);
    for (size_t i = 64; i < sizeof bin; i++) {
        assert_int_equal(bin[i], 0xFF);
    }
}

static void test_multiple_entries(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    f->opts.no_verify = true;
    assert_int_equal(parse(f, "\nfirst, 0x30, 0xEE, 0x100400, 0x300000\nsecond,0x31, 0xEF,         , 0x100000\n"),
                     OTA_OK);
    serialize(f, bin);
    assert_memory_equal(bin, "\xaa\x50", 2);
    assert_memory_equal(bin + 32, "\xaa\x50", 2);
    assert_memory_equal(bin + 64, "\xeb\xeb", 2);
    assert_memory_equal(bin + 96, "\xff\xff\xff\xff", 4);
}

static void test_encrypted_flag(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    assert_int_equal(parse(f, "\n# Name, Type, Subtype, Offset, Size, Flags\nfirst, app, factory,, 1M, encrypted\n"),
                     OTA_OK);
    assert_int_equal(f->table.entries[0].flags, OTA_PART_FLAG_ENCRYPTED);
    serialize(f, bin);
    assert_int_equal(partcsv_parse(bin, sizeof bin, &f->opts, &f->table, &f->err), OTA_OK);
    assert_int_equal(f->table.entries[0].flags, OTA_PART_FLAG_ENCRYPTED);
}

static void test_only_empty_subtype_is_not_0(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "\n# Name,Type, SubType,Offset,Size\n"
                              "nvs,            data,    nvs,          , 0x4000,\n"
                              "otadata,        data,    ota,          , 0x2000,\n"
                              "phy_init,       data,    phy,          , 0x1000,\n"
                              "factory,        app, factory,          , 1M\n"
                              "ota_0,             0,  ota_0,          , 1M,\n"
                              "ota_1,             0,  ota_1,          , 1M,\n"
                              "storage,        data,       ,          , 512k,\n"
                              "storage2,       data, undefined,       , 12k,\n"),
                     OTA_OK);
    assert_string_equal(f->table.entries[1].label, "otadata");
    assert_int_equal(f->table.entries[1].type, 1);
    assert_int_equal(f->table.entries[1].subtype, 0);
    assert_string_equal(f->table.entries[6].label, "storage");
    assert_int_equal(f->table.entries[6].subtype, 0x06);
    assert_string_equal(f->table.entries[7].label, "storage2");
    assert_int_equal(f->table.entries[7].subtype, 0x06);
}

/* ---- BinaryParserTests (via the input detection, so bad entries come second) ---- */

static void test_parse_one_entry(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[64];
    memcpy(bin, "\xaa\x50\x30\xee\x00\x00\x10\x00\x00\x00\x20\x00" "0123456789abc\0\0\0" "\0\0\0\0", 32);
    memset(bin + 32, 0xFF, 32);
    assert_int_equal(partcsv_parse(bin, sizeof bin, &f->opts, &f->table, &f->err), OTA_OK);
    assert_int_equal(f->table.count, 1);
    const ota_partition_t *e = &f->table.entries[0];
    assert_int_equal(e->type, 0x30);
    assert_int_equal(e->subtype, 0xEE);
    assert_int_equal(e->offset, 0x100000);
    assert_int_equal(e->size, 0x200000);
    assert_string_equal(e->label, "0123456789abc");
}

static void test_parse_multiple_entries(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    assert_int_equal(partcsv_parse(k_longer_binary, sizeof k_longer_binary, &f->opts, &f->table, &f->err), OTA_OK);
    assert_int_equal(f->table.count, 3);
    assert_int_equal(f->table.entries[0].type, OTA_PART_TYPE_APP);
    assert_string_equal(f->table.entries[0].label, "factory");
    assert_int_equal(f->table.entries[1].type, OTA_PART_TYPE_DATA);
    assert_string_equal(f->table.entries[1].label, "data");
    assert_int_equal(f->table.entries[2].type, 0x10);
    assert_string_equal(f->table.entries[2].label, "second");
    serialize(f, bin);
    assert_memory_equal(bin, k_longer_binary, sizeof k_longer_binary);
}

static void test_bad_magic(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[96];
    memcpy(bin, k_longer_binary, 32);
    memcpy(bin + 32, "OHAI\x00\x00\x10\x00\x00\x00\x20\x00" "0123456789abc\0\0\0" "\0\0\0\0", 32);
    memset(bin + 64, 0xFF, 32);
    assert_int_equal(partcsv_parse(bin, sizeof bin, &f->opts, &f->table, &f->err), OTA_ERR_PART_MAGIC);
    assert_string_equal(f->err.message, "Invalid magic bytes (b'OH') for partition definition");
}

static void test_bad_length(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[54];
    memcpy(bin, k_longer_binary, 32);
    memcpy(bin + 32, "OHAI\x00\x00\x10\x00\x00\x00\x20\x00" "0123456789", 22);
    assert_int_equal(partcsv_parse(bin, sizeof bin, &f->opts, &f->table, &f->err), OTA_ERR_PART_LENGTH);
    assert_string_equal(f->err.message, "Partition table length must be a multiple of 32 bytes");
}

static void test_md5_mismatch_and_missing_end(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[sizeof k_longer_binary];
    memcpy(bin, k_longer_binary, sizeof bin);
    bin[12] = 'F'; /* "factory" -> "Factory": the stored MD5 no longer matches */
    assert_int_equal(partcsv_parse(bin, sizeof bin, &f->opts, &f->table, &f->err), OTA_ERR_PART_MD5);
    assert_non_null(strstr(f->err.message, "MD5 checksums don't match! (computed: 0x"));
    assert_non_null(strstr(f->err.message, ", parsed: 0xb'f9bd061b45686f86571a2cd52a1da65b')"));
    /* Without MD5 the MD5 entry is read as a partition, with a bad magic. */
    f->opts.disable_md5 = true;
    assert_int_equal(partcsv_parse(k_longer_binary, sizeof k_longer_binary, &f->opts, &f->table, &f->err),
                     OTA_ERR_PART_MAGIC);
    assert_string_equal(f->err.message, "Invalid magic bytes (b'\\xeb\\xeb') for partition definition");
    f->opts.disable_md5 = false;
    assert_int_equal(partcsv_parse(k_longer_binary, 128, &f->opts, &f->table, &f->err), OTA_ERR_PART_NO_END);
    assert_string_equal(f->err.message, "Partition table is missing an end-of-table marker");
}

static void test_binary_name_and_flags(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[64];
    memcpy(bin, "\xaa\x50\x01\x81\x00\x00\x10\x00\x00\x00\x01\x00" "ab\xff\0\0\0\0\0\0\0\0\0\0\0\0\0"
                "\x03\x00\x00\x80", 32);
    memset(bin + 32, 0xFF, 32);
    assert_int_equal(partcsv_parse(bin, sizeof bin, &f->opts, &f->table, &f->err), OTA_ERR_CSV_ENCODING);
    assert_string_equal(f->err.message, "Partition name b'ab\\xff' is not valid UTF-8");
    bin[14] = 'c';
    assert_int_equal(partcsv_parse(bin, sizeof bin, &f->opts, &f->table, &f->err), OTA_OK);
    assert_string_equal(f->table.entries[0].label, "abc");
    assert_int_equal(f->table.entries[0].flags, 0x80000003u); /* kept as stored */
    assert_string_equal(logged(f), "WARNING: Partition definition had unknown flag(s) 0x80000000. Newer binary format?\n");
}

/* ---- CSVOutputTests ---- */

static void check_output_round_trip(fixture_t *f, bool simple, const char *expected_row)
{
    f->opts.no_verify = true;
    assert_int_equal(parse(f, k_simple_csv), OTA_OK);
    ota_partition_table_t table = f->table;
    char *csv = partcsv_table_to_csv(&table, NULL, simple);
    assert_non_null(csv);
    char expected[256];
    snprintf(expected, sizeof expected, "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n%s\n",
             expected_row);
    assert_string_equal(csv, expected);
    assert_int_equal(parse(f, csv), OTA_OK);
    assert_memory_equal(&f->table, &table, sizeof table);
    free(csv);
}

static void test_output_simple_formatting(void **state)
{
    check_output_round_trip(*state, true, "factory,0,2,0x10000,0x100000,");
}

static void test_output_smart_formatting(void **state)
{
    check_output_round_trip(*state, false, "factory,app,2,0x10000,1M,");
}

/* ---- VerificationTests (command-line defaults: table at 0x8000) ---- */

static void expect_error(fixture_t *f, const char *csv, ota_err_t code, const char *message)
{
    assert_int_equal(parse(f, csv), code);
    assert_string_equal(f->err.message, message);
    assert_int_equal(f->table.count, 0);
}

static void test_check_secure_app_size(void **state)
{
    fixture_t *f = *state;
    static const char csv[] = "\nota_0,  app, ota_0, ,  0x101000\nota_1,  app, ota_1, ,  0x100800\n        ";
    f->opts.table_offset = OTA_PART_TABLE_OFFSET_DEFAULT;
    expect_error(f, csv, OTA_ERR_CSV_ALIGN, "Partition ota_1 invalid: Size 0x100800 is not aligned to 0x1000");
    f->opts.secure = PARTCSV_SECURE_V1;
    expect_error(f, csv, OTA_ERR_CSV_ALIGN, "Partition ota_0 invalid: Size 0x101000 is not aligned to 0x10000");
    f->opts.secure = PARTCSV_SECURE_V2;
    expect_error(f, csv, OTA_ERR_CSV_ALIGN, "Partition ota_1 invalid: Size 0x100800 is not aligned to 0x1000");
}

static void test_bad_alignment(void **state)
{
    fixture_t *f = *state;
    expect_error(f, "\n# Name,Type, SubType,Offset,Size\napp,app, factory, 32K, 1M\n", OTA_ERR_CSV_ALIGN,
                 "Partition app invalid: Offset 0x8000 is not aligned to 0x10000");
    expect_error(f,
                 "\n# Name,   Type, SubType, Offset,  Size, Flags\nnvs,      data, nvs,     0x9420,  0x6000,\n"
                 "phy_init, data, phy,     ,        0x1000,\nfactory,  app,  factory, ,        1M,\n\n",
                 OTA_ERR_CSV_ALIGN, "Partition nvs invalid: Offset 0x9420 is not aligned to 0x1000");
}

static void test_overlap_part_table(void **state)
{
    expect_error(*state,
                 "\n# Name,Type, SubType,Offset,Size\nnvs,      data, nvs,     0x0000,  0x6000,\n"
                 "phy_init, data, phy,     ,        0x1000,\nfactory,  app,  factory, ,        1M,\n",
                 OTA_ERR_CSV_OVERLAP,
                 "CSV Error at line 3: Partitions overlap. Partition sets offset 0x0. But partition table "
                 "occupies the whole sector 0x0. Use a free offset 0x1000 or higher.");
}

static void test_only_one_otadata(void **state)
{
    fixture_t *f = *state;
    expect_error(f,
                 "\n# Name,Type, SubType,Offset,Size\nnvs,            data,    nvs,          , 0x4000,\n"
                 "otadata,        data,    ota,          , 0x2000,\notadata2,       data,    ota,          , 0x2000,\n"
                 "factory,        app, factory,          , 1M\nota_0,             0,  ota_0,          , 1M,\n"
                 "ota_1,             0,  ota_1,          , 1M,\n",
                 OTA_ERR_CSV_OTADATA,
                 "Found multiple otadata partitions. Only one partition can be defined with type=\"data\"(1) and "
                 "subtype=\"ota\"(0).");
    assert_string_equal(logged(f), "otadata,data,ota,0x5000,8K,\notadata2,data,ota,0x7000,8K,\n");
}

static void test_otadata_must_have_fixed_size(void **state)
{
    expect_error(*state,
                 "\n# Name,Type, SubType,Offset,Size\nnvs,            data,    nvs,          , 0x4000,\n"
                 "otadata,        data,    ota,          , 0x3000,\nfactory,        app, factory,          , 1M\n"
                 "ota_0,             0,  ota_0,          , 1M,\nota_1,             0,  ota_1,          , 1M,\n",
                 OTA_ERR_CSV_OTADATA, "otadata partition must have size = 0x2000");
}

static void test_app_cannot_have_empty_subtype(void **state)
{
    expect_error(*state,
                 "\n# Name,Type, SubType,Offset,Size\nnvs,            data,    nvs,          , 0x4000,\n"
                 "otadata,        data,    ota,          , 0x2000,\nfactory,        app,        ,          , 1M\n",
                 OTA_ERR_CSV_EMPTY_FIELD, "Error at line 5: App partition cannot have an empty subtype" HINT);
}

static void test_warnings(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "app, 1, 2, 32K, 1M\n"), OTA_OK);
    assert_string_equal(logged(f), "WARNING: Partition has name 'app' which is a partition type, but does not "
                                   "match this partition's type (0x1). Mistake in partition table?\n");
    rewind(f->opts.log);
    assert_int_equal(parse(f, "ota_0, app, ota_1, , 1M\n"), OTA_OK);
    assert_non_null(strstr(logged(f), "WARNING: Partition has name 'ota_0' which is a partition subtype, but this "
                                      "partition has non-matching type 0x0 and subtype 0x11. Mistake in partition "
                                      "table?\n"));
}

static void test_size_error(void **state)
{
    fixture_t *f = *state;
    f->opts.flash_size_mb = 16;
    expect_error(f, "\nfactory, app, factory, 0x10000, 20M\n        ", OTA_ERR_CSV_FLASH_SIZE,
                 "Partitions tables occupies 20.1MB of flash (21037056 bytes) which does not fit in configured "
                 "flash size 16MB. Change the flash size in menuconfig under the 'Serial Flasher Config' menu.");
}

/* ---- UTF-8 (upstream test data idf_testdata/) ---- */

static void test_utf8_bom_and_names(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "\xEF\xBB\xBFnvs, data, nvs, 0x9000, 0x6000\n"
                              "phy_\xd0\xb8\xd0\xbd\xd0\xb8\xd1\x82_, data, phy, 0xf000, 0x1000\n"),
                     OTA_OK);
    assert_string_equal(f->table.entries[0].label, "nvs");
    assert_string_equal(f->table.entries[1].label, "phy_\xd0\xb8\xd0\xbd\xd0\xb8\xd1\x82_");
}

/* ---- beyond upstream's tests ---- */

static void test_extra_subtypes(void **state)
{
    fixture_t *f = *state;
    partcsv_keywords_t kw = {0};
    f->opts.keywords = &kw;
    assert_int_equal(partcsv_keywords_add(&kw, "data, my_sub, 41", &f->err), OTA_OK);
    assert_int_equal(parse(f, "custom, data, my_sub, 0x110000, 64K\n"), OTA_OK);
    assert_int_equal(f->table.entries[0].subtype, 0x41);
    char *csv = partcsv_table_to_csv(&f->table, &kw, false);
    assert_non_null(strstr(csv, "\ncustom,data,my_sub,0x110000,64K,\n"));
    free(csv);

    assert_int_equal(partcsv_keywords_add(&kw, "data,other,0x02", &f->err), OTA_ERR_CSV_EXTRA_SUBTYPE);
    assert_string_equal(f->err.message, "Found duplicate value in partition subtype");
    assert_int_equal(partcsv_keywords_add(&kw, "Data,x,0x50", &f->err), OTA_ERR_CSV_EXTRA_SUBTYPE);
    assert_string_equal(f->err.message, "Error parsing custom subtypes: Invalid partition type");
    assert_int_equal(partcsv_keywords_add(&kw, "data,x", &f->err), OTA_ERR_CSV_EXTRA_SUBTYPE);

    /* spec §9.18: a keyword ending in k/m loses to the size suffix rule */
    assert_int_equal(partcsv_keywords_add(&kw, "data,blobm,0x42", &f->err), OTA_OK);
    assert_int_equal(parse(f, "x, data, blobm, 0x110000, 4K\n"), OTA_ERR_CSV_SYNTAX);
    assert_string_equal(f->err.message,
                        "Error at line 1: Value 'blob' is not valid. Known keywords: ota, phy, nvs, coredump, "
                        "nvs_keys, efuse, undefined, esphttpd, fat, spiffs, littlefs, tee_ota, my_sub, blobm" HINT);
    partcsv_keywords_free(&kw);
}

static void test_field_errors(void **state)
{
    fixture_t *f = *state;
    f->opts.table_offset = OTA_PART_TABLE_OFFSET_DEFAULT;
    expect_error(f, "a, data, nvs, 0x9000\n", OTA_ERR_CSV_EMPTY_FIELD, "Error at line 1: Size field can't be empty" HINT);
    expect_error(f, "a, data, nvs, 0x9000, 010\n", OTA_ERR_CSV_SYNTAX, "Error at line 1: Invalid field value 010" HINT);
    expect_error(f, "a, data, nvs, N/A, 4K\n", OTA_ERR_CSV_SYNTAX, "Error at line 1: Invalid field value N/A" HINT);
    expect_error(f, "a, 0x40, x, 0x9000, 4K\n", OTA_ERR_CSV_SYNTAX, "Error at line 1: Invalid field value x" HINT);
    expect_error(f, "a, dta, nvs, 0x9000, 4K\n", OTA_ERR_CSV_SYNTAX,
                 "Error at line 1: Value 'dta' is not valid. Known keywords: bootloader, partition_table, app, data" HINT);
    expect_error(f, "a, data, nvs, 0x9000, 0x6000, encrypted: readonly\n", OTA_ERR_CSV_UNKNOWN_FLAG,
                 "Error at line 1: CSV flag column contains unknown flag ' readonly'" HINT);
    expect_error(f, "a, data, nvs, 0x9000, 0x" "ffffffffffffffffffffff\n", OTA_ERR_CSV_RANGE,
                 "Error at line 1: Value '0xffffffffffffffffffffff' is out of range" HINT);
    expect_error(f, "a, data, nvs, 0x9000, 1kkkkkkkkkkk\n", OTA_ERR_CSV_RANGE,
                 "Error at line 1: Value '1kkkkkkkkkkk' is out of range" HINT);
    expect_error(f, "a, data, nvs, 0x9000, 8M\nb, data, fat, , 4096M\n", OTA_ERR_CSV_RANGE,
                 "Partition b invalid: size 0x100000000 does not fit in the binary entry");
    expect_error(f, "a, 256, 0, 0x9000, 4K\n", OTA_ERR_CSV_RANGE,
                 "Partition a invalid: type 0x100 does not fit in the binary entry");
    unsetenv("OTA_T_NOT_SET");
    expect_error(f, "$OTA_T_NOT_SET, data, nvs, 0x9000, 0x6000\n", OTA_ERR_CSV_UNKNOWN_VAR,
                 "unknown variable 'OTA_T_NOT_SET'");
    expect_error(f, "a, data, nvs, 0x9000, 0x6000\n\xff\n", OTA_ERR_CSV_ENCODING,
                 "CSV input is not text: expected UTF-8 (or UTF-16/32 with a BOM) without NUL characters");
}

static void test_empty_input_is_an_empty_table(void **state)
{
    fixture_t *f = *state;
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    assert_int_equal(parse(f, ""), OTA_OK);
    assert_int_equal(f->table.count, 0);
    assert_int_equal(parse(f, "# only a comment\n\n   \n"), OTA_OK);
    assert_int_equal(f->table.count, 0);
    serialize(f, bin); /* upstream writes just the MD5 entry (of nothing) */
    assert_memory_equal(bin, "\xeb\xeb", 2);
    assert_memory_equal(bin + 16, "\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e", 16);
}

static void test_too_many_rows(void **state)
{
    fixture_t *f = *state;
    size_t cap = 200 * 40 + 1, n = 0;
    char *csv = malloc(cap);
    for (int i = 0; i < 200; i++) {
        n += (size_t)snprintf(csv + n, cap - n, "p%03d, data, 0x40, , 4K\n", i);
    }
    expect_error(f, csv, OTA_ERR_CSV_TOO_MANY, "Binary partition table length (6432) longer than max");
    csv[94 * 23] = '\0'; /* 94 rows + MD5 entry: the most that fits */
    assert_int_equal(parse(f, csv), OTA_OK);
    assert_int_equal(f->table.count, 94);
    f->opts.disable_md5 = true;
    csv[94 * 23] = 'p';
    csv[95 * 23] = '\0';
    assert_int_equal(parse(f, csv), OTA_OK);
    assert_int_equal(f->table.count, 95);
    free(csv);
}

/* Deterministic byte mutations of a valid CSV and binary: every result is a table or a reasoned error. */
static void test_mutations_never_crash(void **state)
{
    fixture_t *f = *state;
    static const char base[] = "nvs, data, nvs, 0x9000, 0x6000,\notadata, data, ota, , 8K\n"
                               "factory, app, factory, 0x20000, 1M, encrypted:readonly\n";
    static const char alphabet[] = ",:#$-_kKmMxX0123456789 \t\n\r\xff\x80\xe2\xaa\x50\xeb";
    uint8_t buf[OTA_PART_TABLE_MAX_LEN];
    uint32_t seed = 12345;
    unsigned accepted = 0, refused = 0;
    f->opts.table_offset = OTA_PART_TABLE_OFFSET_DEFAULT;
    for (int round = 0; round < 3000; round++) {
        bool binary = round % 2;
        size_t len = binary ? sizeof k_longer_binary : sizeof base - 1;
        memcpy(buf, binary ? (const void *)k_longer_binary : base, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            buf[pos] = (uint8_t)alphabet[(seed >> 20) % (sizeof alphabet - 1)];
        }
        len -= round % 7 == 0 ? (seed >> 4) % 8 : 0;
        ota_err_t e = partcsv_parse(buf, len, &f->opts, &f->table, &f->err);
        if (e) {
            assert_true(f->err.message[0] != '\0');
            assert_int_equal(f->table.count, 0);
            refused++;
        } else {
            assert_true(f->table.count <= OTA_PART_MAX_ENTRIES);
            accepted++;
        }
    }
    print_message("mutations: %u accepted, %u refused\n", accepted, refused);
    assert_true(accepted > 100 && refused > 100); /* both paths really ran */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_simple_partition),
        T(test_require_type),
        T(test_type_subtype_names),
        T(test_unit_suffixes),
        T(test_default_offsets),
        T(test_negative_size_to_offset),
        T(test_overlapping_offsets_fail),
        T(test_unique_name_fail),
        T(test_bootloader_rows_need_offset),
        T(test_bootloader_and_part_table_partitions),
        T(test_binary_entry),
        T(test_multiple_entries),
        T(test_encrypted_flag),
        T(test_only_empty_subtype_is_not_0),
        T(test_parse_one_entry),
        T(test_parse_multiple_entries),
        T(test_bad_magic),
        T(test_bad_length),
        T(test_md5_mismatch_and_missing_end),
        T(test_binary_name_and_flags),
        T(test_output_simple_formatting),
        T(test_output_smart_formatting),
        T(test_check_secure_app_size),
        T(test_bad_alignment),
        T(test_overlap_part_table),
        T(test_only_one_otadata),
        T(test_otadata_must_have_fixed_size),
        T(test_app_cannot_have_empty_subtype),
        T(test_warnings),
        T(test_size_error),
        T(test_utf8_bom_and_names),
        T(test_extra_subtypes),
        T(test_field_errors),
        T(test_empty_input_is_an_empty_table),
        T(test_too_many_rows),
        T(test_mutations_never_crash),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
