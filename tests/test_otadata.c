/*
 * otadata unit tests: the CRC table and entry bytes of spec §2.2/§2.8, the
 * selection predicates, sequence numbers at the extremes, flash-geometry
 * handling, error codes, and the worked scenarios A-E of §2.8 end to end
 * (app-side API + bootloader decision on a simulated flash).
 */
#include <string.h>

#include "ota/boot.h"
#include "ota/otadata.h"
#include "otadev.h"
#include "testutil.h"

/* These tests check ESP-IDF's own write sequences (spec §2.5-§2.8). */
#define ESP_IDF OTA_WRITES_FAITHFUL

/* ---- helpers --------------------------------------------------------------- */

static void open_dev(tu_otadev_t *dev, unsigned app_count, bool factory)
{
    tu_otadev_opts_t opts = {.app_count = app_count, .has_factory = factory};
    tu_otadev_init(dev, &opts);
}

/* Boot once, as the ESP-IDF bootloader would, and name what it starts. */
static const char *boot(tu_otadev_t *dev, bool rollback)
{
    ota_boot_config_t cfg = {.rollback = rollback, .check_image = tu_otadev_check_image, .ctx = dev,
                             .writes = ESP_IDF};
    ota_boot_result_t res;
    assert_int_equal(ota_boot_select(dev->flash, &dev->table, &cfg, &res), OTA_OK);
    return res.partition->label;
}

static void expect_entry(const tu_otadev_t *dev, unsigned sector, uint32_t seq, uint32_t state)
{
    ota_select_entry_t e[2];
    tu_otadev_entries(dev, e);
    assert_int_equal(e[sector].seq, seq);
    assert_int_equal(e[sector].state, state);
    assert_true(ota_select_entry_crc_ok(&e[sector]));
}

static void expect_blank(const tu_otadev_t *dev, unsigned sector)
{
    const uint8_t *p = tu_otadev_otadata_bytes(dev) + sector * OTA_OTADATA_SECTOR_SIZE;
    for (size_t i = 0; i < OTA_OTADATA_SECTOR_SIZE; i++) {
        assert_int_equal(p[i], 0xFF);
    }
}

static ota_err_t set_boot(tu_otadev_t *dev, const char *label, bool rollback)
{
    return ota_otadata_set_boot_partition(dev->flash, &dev->table, tu_otadev_part(dev, label),
                                          rollback, ESP_IDF);
}

static const uint8_t *sector_bytes(const tu_otadev_t *dev, unsigned sector)
{
    return tu_otadev_otadata_bytes(dev) + sector * OTA_OTADATA_SECTOR_SIZE;
}

/* ---- entries (pure) -------------------------------------------------------- */

static void test_crc_table_of_spec(void **state)
{
    (void)state;
    /* §2.2: seq, CRC as ESP-IDF stores it, plain zlib CRC-32 of the same 4 bytes. */
    static const struct {
        uint32_t seq, crc, plain;
    } rows[] = {
        {0, 0xFFFFFFFF, 0x2144DF1C}, {1, 0x4743989A, 0x99F8B879}, {2, 0x55F63774, 0x8B4D1797},
        {3, 0xED4A5011, 0x33F170F2}, {4, 0x709D68A8, 0xAE26484B}, {5, 0xC8210FCD, 0x169A2F2E},
        {6, 0xDA94A023, 0x042F80C0}, {0xFFFFFFFF, 0x2144DF1C, 0xFFFFFFFF},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t le[4] = {(uint8_t)rows[i].seq, (uint8_t)(rows[i].seq >> 8),
                         (uint8_t)(rows[i].seq >> 16), (uint8_t)(rows[i].seq >> 24)};
        assert_int_equal(ota_otadata_crc(rows[i].seq), rows[i].crc);
        assert_int_equal(ota_crc32_le(0, le, 4), rows[i].plain);
    }
    assert_int_equal(ota_otadata_crc(7), 0x6228C746);
    assert_int_equal(ota_otadata_crc(9), 0x82F7B075);
    /* The standard CRC-32 check value, and chaining gives the same as one call. */
    assert_int_equal(ota_crc32_le(0, "123456789", 9), 0xCBF43926);
    assert_int_equal(ota_crc32_le(ota_crc32_le(0, "1234", 4), "56789", 5), 0xCBF43926);
}

static void test_entry_bytes_of_spec(void **state)
{
    (void)state;
    /* §2.8: seq | label (20 x FF) | state | crc, little-endian. */
    static const struct {
        uint32_t seq, state;
        const char *head, *tail;
    } rows[] = {
        {1, OTA_IMG_UNDEFINED, "01000000", "ffffffff9a984347"},
        {1, OTA_IMG_NEW, "01000000", "000000009a984347"},
        {1, OTA_IMG_PENDING_VERIFY, "01000000", "010000009a984347"},
        {1, OTA_IMG_VALID, "01000000", "020000009a984347"},
        {2, OTA_IMG_UNDEFINED, "02000000", "ffffffff7437f655"},
        {2, OTA_IMG_NEW, "02000000", "000000007437f655"},
        {2, OTA_IMG_ABORTED, "02000000", "040000007437f655"},
        {3, OTA_IMG_UNDEFINED, "03000000", "ffffffff11504aed"},
        {3, OTA_IMG_INVALID, "03000000", "0300000011504aed"},
        {4, OTA_IMG_UNDEFINED, "04000000", "ffffffffa8689d70"},
        {4, OTA_IMG_VALID, "04000000", "02000000a8689d70"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ota_select_entry_t e, back;
        uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
        char hex[2 * OTA_OTADATA_ENTRY_SIZE + 1], want[sizeof hex];
        ota_select_entry_make(&e, rows[i].seq, rows[i].state);
        ota_select_entry_encode(&e, raw);
        tu_hex(raw, sizeof raw, hex);
        strcpy(want, rows[i].head);
        for (int k = 0; k < 20; k++) {
            strcat(want, "ff");
        }
        strcat(want, rows[i].tail);
        assert_string_equal(hex, want);
        ota_select_entry_decode(raw, &back);
        assert_memory_equal(&back, &e, sizeof e);
    }
}

static void test_decode_is_little_endian(void **state)
{
    (void)state;
    uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
    for (size_t i = 0; i < sizeof raw; i++) {
        raw[i] = (uint8_t)i;
    }
    ota_select_entry_t e;
    ota_select_entry_decode(raw, &e);
    assert_int_equal(e.seq, 0x03020100);
    assert_int_equal(e.label[0], 4);
    assert_int_equal(e.label[19], 23);
    assert_int_equal(e.state, 0x1B1A1918);
    assert_int_equal(e.crc, 0x1F1E1D1C);
}

static void test_predicates(void **state)
{
    (void)state;
    ota_select_entry_t e;
    static const uint32_t selectable[] = {OTA_IMG_NEW, OTA_IMG_PENDING_VERIFY, OTA_IMG_VALID,
                                          OTA_IMG_UNDEFINED, 0x1234};
    for (size_t i = 0; i < sizeof selectable / sizeof selectable[0]; i++) {
        ota_select_entry_make(&e, 5, selectable[i]);
        assert_false(ota_select_entry_is_invalid(&e));
        assert_true(ota_select_entry_is_valid(&e));
        e.crc ^= 1;
        assert_false(ota_select_entry_is_invalid(&e)); /* the CRC is not part of is_invalid */
        assert_false(ota_select_entry_is_valid(&e));
        assert_true(ota_select_entry_is_initial(&e));
    }
    ota_select_entry_make(&e, 5, OTA_IMG_INVALID);
    assert_true(ota_select_entry_is_invalid(&e));
    ota_select_entry_make(&e, 5, OTA_IMG_ABORTED);
    assert_true(ota_select_entry_is_invalid(&e));
    assert_false(ota_select_entry_is_initial(&e)); /* bad state, but seq and CRC are fine */
    /* Erased seq with its matching CRC is still invalid. */
    ota_select_entry_make(&e, OTA_OTADATA_SEQ_ERASED, OTA_IMG_VALID);
    assert_true(ota_select_entry_is_invalid(&e));
    assert_true(ota_select_entry_is_initial(&e));
    /* Quirk: seq 0 has CRC 0xFFFFFFFF, so an erased CRC field passes. */
    uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
    memset(raw, 0xFF, sizeof raw);
    memset(raw, 0, 4);
    ota_select_entry_decode(raw, &e);
    assert_true(ota_select_entry_is_valid(&e));
    assert_string_equal(ota_img_state_name(OTA_IMG_PENDING_VERIFY), "PENDING_VERIFY");
    assert_string_equal(ota_img_state_name(OTA_IMG_UNDEFINED), "UNDEFINED");
    assert_string_equal(ota_img_state_name(77), "UNKNOWN");
}

static void test_select_and_slot(void **state)
{
    (void)state;
    ota_select_entry_t e[2];
    ota_select_entry_make(&e[0], 5, OTA_IMG_VALID);
    ota_select_entry_make(&e[1], 5, OTA_IMG_VALID);
    bool both[2] = {true, true}, first[2] = {true, false}, second[2] = {false, true},
         none[2] = {false, false};
    assert_int_equal(ota_otadata_select(e, both, true), 0); /* tie: index 0 */
    assert_int_equal(ota_otadata_select(e, both, false), 0);
    e[1].seq = 6;
    assert_int_equal(ota_otadata_select(e, both, true), 1);
    assert_int_equal(ota_otadata_select(e, both, false), 0);
    assert_int_equal(ota_otadata_select(e, first, true), 0);
    assert_int_equal(ota_otadata_select(e, second, false), 1);
    assert_int_equal(ota_otadata_select(e, none, true), -1);
    /* active(): bad CRC on the newer entry leaves the older one active. */
    assert_int_equal(ota_otadata_active(e), 0); /* e[1] has seq 6 but the CRC of 5 */
    e[1].crc = ota_otadata_crc(6);
    assert_int_equal(ota_otadata_active(e), 1);

    assert_int_equal(ota_otadata_slot(1, 2), 0);
    assert_int_equal(ota_otadata_slot(7, 4), 2);
    assert_int_equal(ota_otadata_slot(0, 2), 1);                 /* 0xFFFFFFFF % 2 */
    assert_int_equal(ota_otadata_slot(0, 3), 0xFFFFFFFFu % 3u);  /* = 0 */
    assert_int_equal(ota_otadata_slot(0xFFFFFFFE, 4), 1);
}

static void test_next_seq_examples_and_extremes(void **state)
{
    (void)state;
    uint32_t seq = 0;
    assert_int_equal(ota_otadata_next_seq(1, 1, 2, &seq), OTA_OK);
    assert_int_equal(seq, 2);
    assert_int_equal(ota_otadata_next_seq(2, 0, 2, &seq), OTA_OK);
    assert_int_equal(seq, 3);
    assert_int_equal(ota_otadata_next_seq(4, 0, 4, &seq), OTA_OK);
    assert_int_equal(seq, 5);
    assert_int_equal(ota_otadata_next_seq(0, 1, 2, &seq), OTA_OK); /* base (1+1)%2 = 0 */
    assert_int_equal(seq, 0);
    /* Found by fuzz_boot: 0 designates slot (2^32 - 1) % 3 = 0, not 2, so ota_2 of 3 gets 3. */
    assert_int_equal(ota_otadata_next_seq(0, 2, 3, &seq), OTA_OK);
    assert_int_equal(seq, 3);
    assert_int_equal(ota_otadata_slot(seq, 3), 2);
    assert_int_equal(ota_otadata_next_seq(0, 8, 9, &seq), OTA_OK);
    assert_int_equal(seq, 9);
    assert_int_equal(ota_otadata_next_seq(0, 3, 4, &seq), OTA_OK); /* power of two: 0 is right */
    assert_int_equal(seq, 0);
    /* Largest usable results. */
    assert_int_equal(ota_otadata_next_seq(0xFFFFFFFD, 1, 2, &seq), OTA_OK);
    assert_int_equal(seq, 0xFFFFFFFE);
    assert_int_equal(ota_otadata_next_seq(0xFFFFFFFE, 1, 4, &seq), OTA_OK);
    assert_int_equal(seq, 0xFFFFFFFE);
    /* 0xFFFFFFFF would be "erased" (ESP-IDF writes it); beyond it ESP-IDF loops forever. */
    seq = 42;
    assert_int_equal(ota_otadata_next_seq(0xFFFFFFFE, 0, 2, &seq), OTA_ERR_BOOT_SEQ_OVERFLOW);
    assert_int_equal(ota_otadata_next_seq(0xFFFFFFFE, 0, 4, &seq), OTA_ERR_BOOT_SEQ_OVERFLOW);
    assert_int_equal(ota_otadata_next_seq(0xFFFFFFFE, 3, 4, &seq), OTA_ERR_BOOT_SEQ_OVERFLOW);
    assert_int_equal(ota_otadata_next_seq(0xFFFFFFFF, 15, 16, &seq), OTA_ERR_BOOT_SEQ_OVERFLOW);
    assert_int_equal(seq, 42);
    assert_int_equal(ota_otadata_next_seq(1, 2, 2, &seq), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_otadata_next_seq(1, 0, 0, &seq), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_otadata_next_seq(1, 0, 2, NULL), OTA_ERR_INVALID_ARG);
}

/* ---- table ----------------------------------------------------------------- */

static void test_app_counts(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 4, true);
    assert_int_equal(ota_app_count(&dev.table), 4);
    assert_int_equal(ota_app_count_boot(&dev.table), 4);
    /* Remove ota_1: the bootloader still counts 3 entries, the app stops at the gap. */
    ota_partition_t *ota1 = (ota_partition_t *)tu_otadev_part(&dev, "ota_1");
    ota1->type = OTA_PART_TYPE_DATA;
    assert_int_equal(ota_app_count(&dev.table), 1);
    assert_int_equal(ota_app_count_boot(&dev.table), 3);
    tu_otadev_free(&dev);

    tu_otadev_opts_t opts = {.app_count = 16, .has_test = true};
    tu_otadev_init(&dev, &opts);
    assert_int_equal(ota_app_count(&dev.table), 16); /* ESP-IDF's app asserts here (§9.6) */
    assert_int_equal(ota_app_count_boot(&dev.table), 16);
    assert_ptr_equal(ota_otadata_partition(&dev.table), dev.otadata);
    tu_otadev_free(&dev);
}

/* ---- flash access ---------------------------------------------------------- */

static void test_write_unit_padding(void **state)
{
    (void)state;
    static const uint32_t units[] = {1, 16, 32, 64, 256};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        tu_otadev_t dev;
        tu_otadev_opts_t opts = {.app_count = 2, .write_size = units[i]};
        tu_otadev_init(&dev, &opts);
        ota_select_entry_t e;
        ota_select_entry_make(&e, 2, OTA_IMG_VALID);
        assert_int_equal(ota_otadata_write_entry(dev.flash, dev.otadata, 1, &e), OTA_OK);
        expect_entry(&dev, 1, 2, OTA_IMG_VALID);
        /* One erase of copy 1, one program of max(32, unit) bytes, the rest stays 0xFF. */
        assert_int_equal(dev.log.count, 2);
        assert_int_equal(dev.log.ops[0].kind, TU_FLASHLOG_ERASE);
        assert_int_equal(dev.log.ops[0].addr, TU_OTADATA_OFFSET + 0x1000);
        assert_int_equal(dev.log.ops[1].addr, TU_OTADATA_OFFSET + 0x1000);
        assert_int_equal(dev.log.ops[1].len, units[i] > 32 ? units[i] : 32);
        for (size_t k = 32; k < OTA_OTADATA_SECTOR_SIZE; k++) {
            assert_int_equal(sector_bytes(&dev, 1)[k], 0xFF);
        }
        expect_blank(&dev, 0);
        tu_otadev_free(&dev);
    }
}

/* 64 KiB sectors: copy 1 at one sector, each copy erased on its own; one sector is too small. */
static void test_large_sectors_one_copy_per_sector(void **state)
{
    (void)state;
    tu_otadev_t dev;
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true, .sector_size = 0x10000};
    tu_otadev_init(&dev, &opts);
    assert_int_equal(ota_otadata_copy_size(dev.flash), 0x10000);
    assert_int_equal(set_boot(&dev, "ota_0", false), OTA_OK);
    assert_int_equal(set_boot(&dev, "ota_1", false), OTA_OK);
    ota_select_entry_t e[2];
    tu_otadev_entries(&dev, e);
    assert_int_equal(e[0].seq, 1);
    assert_int_equal(e[1].seq, 2);
    assert_int_equal(dev.log.ops[2].kind, TU_FLASHLOG_ERASE);
    assert_int_equal(dev.log.ops[2].addr, dev.otadata->offset + 0x10000);
    assert_string_equal(boot(&dev, false), "ota_1");

    ota_partition_t *od = (ota_partition_t *)dev.otadata;
    od->size = OTA_OTADATA_SIZE; /* ESP-IDF's size holds one 64 KiB copy at most */
    assert_int_equal(ota_otadata_read(dev.flash, od, e), OTA_ERR_OTADATA_SIZE);
    assert_int_equal(set_boot(&dev, "ota_0", false), OTA_ERR_OTADATA_SIZE);
    tu_otadev_free(&dev);
}

static void test_write_unit_too_large_erases_nothing(void **state)
{
    (void)state;
    tu_otadev_t dev;
    tu_otadev_opts_t opts = {.app_count = 2, .write_size = 512};
    tu_otadev_init(&dev, &opts);
    dev.sim.mem[TU_OTADATA_OFFSET] = 0x01; /* something an erase would destroy */
    ota_select_entry_t e;
    ota_select_entry_make(&e, 1, OTA_IMG_VALID);
    assert_int_equal(ota_otadata_write_entry(dev.flash, dev.otadata, 0, &e),
                     OTA_ERR_OTADATA_WRITE_SIZE);
    assert_int_equal(ota_otadata_set_boot_slot(dev.flash, &dev.table, 0, false, ESP_IDF),
                     OTA_ERR_OTADATA_WRITE_SIZE);
    assert_int_equal(dev.log.count, 0);
    assert_int_equal(dev.sim.mem[TU_OTADATA_OFFSET], 0x01);
    assert_int_equal(ota_otadata_write_entry(dev.flash, dev.otadata, 2, &e), OTA_ERR_INVALID_ARG);
    tu_otadev_free(&dev);
}

static void test_small_or_missing_otadata(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    ota_partition_t *od = (ota_partition_t *)dev.otadata;
    od->size = 0x1000;
    ota_select_entry_t e[2];
    const ota_partition_t *p;
    assert_int_equal(ota_otadata_read(dev.flash, od, e), OTA_ERR_OTADATA_SIZE);
    assert_int_equal(set_boot(&dev, "ota_0", false), OTA_ERR_OTADATA_SIZE);
    assert_int_equal(ota_otadata_boot_partition(dev.flash, &dev.table, &p), OTA_ERR_OTADATA_SIZE);
    ota_boot_config_t cfg = {.check_image = tu_otadev_check_image, .ctx = &dev};
    ota_boot_result_t res;
    assert_int_equal(ota_boot_select(dev.flash, &dev.table, &cfg, &res), OTA_ERR_OTADATA_SIZE);
    assert_null(res.partition);

    /* No otadata at all: the app has nothing to write, the bootloader boots factory. */
    od->subtype = OTA_PART_SUBTYPE_DATA_NVS;
    assert_int_equal(set_boot(&dev, "ota_0", false), OTA_ERR_OTADATA_NONE);
    assert_int_equal(set_boot(&dev, "factory", false), OTA_ERR_OTADATA_NONE);
    assert_int_equal(ota_otadata_boot_partition(dev.flash, &dev.table, &p), OTA_ERR_OTADATA_NONE);
    assert_int_equal(ota_otadata_mark_valid(dev.flash, &dev.table, ESP_IDF), OTA_ERR_OTADATA_NONE);
    assert_int_equal(ota_boot_select(dev.flash, &dev.table, &cfg, &res), OTA_OK);
    assert_int_equal(res.reason, OTA_BOOT_REASON_NO_OTADATA);
    assert_string_equal(res.partition->label, "factory");
    assert_int_equal(dev.log.count, 0);
    tu_otadev_free(&dev);
}

/* ---- app-side operations --------------------------------------------------- */

static void test_set_boot_partition_refusals(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true, .has_test = true};
    tu_otadev_t dev;
    tu_otadev_init(&dev, &opts);
    assert_int_equal(set_boot(&dev, "test", false), OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(set_boot(&dev, "nvs", false), OTA_ERR_INVALID_ARG);
    ota_partition_t stranger = *tu_otadev_part(&dev, "ota_0");
    stranger.offset += 0x1000;
    assert_int_equal(ota_otadata_set_boot_partition(dev.flash, &dev.table, &stranger, false, ESP_IDF),
                     OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_otadata_set_boot_partition(dev.flash, &dev.table, NULL, false, ESP_IDF),
                     OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_otadata_set_boot_slot(dev.flash, &dev.table, 2, false, ESP_IDF),
                     OTA_ERR_OTADATA_SLOT);
    assert_int_equal(ota_otadata_otatool_switch(dev.flash, &dev.table, 2), OTA_ERR_OTADATA_SLOT);
    assert_int_equal(dev.log.count, 0);
    tu_otadev_free(&dev);
}

static void test_three_slot_sequence_of_spec(void **state)
{
    (void)state;
    /* §2.5: ota_0 s0 1, ota_1 s1 2, ota_2 s0 3, ota_1 s1 5, ota_0 s0 7, ota_2 s1 9. */
    static const struct {
        unsigned slot, sector;
        uint32_t seq;
    } steps[] = {{0, 0, 1}, {1, 1, 2}, {2, 0, 3}, {1, 1, 5}, {0, 0, 7}, {2, 1, 9}};
    tu_otadev_t dev;
    open_dev(&dev, 3, false);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        assert_int_equal(ota_otadata_set_boot_slot(dev.flash, &dev.table, steps[i].slot, false, ESP_IDF),
                         OTA_OK);
        expect_entry(&dev, steps[i].sector, steps[i].seq, OTA_IMG_UNDEFINED);
        char label[8] = "ota_0";
        label[4] = (char)('0' + steps[i].slot);
        assert_string_equal(boot(&dev, false), label);
    }
    tu_otadev_free(&dev);
}

static void test_sequence_overflow_keeps_running_slot(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    tu_otadev_put_entry(&dev, 0, 0xFFFFFFFE, OTA_IMG_VALID); /* slot (0xFFFFFFFD % 2) = 1 */
    tu_otadev_put_entry(&dev, 1, 1, OTA_IMG_VALID);
    assert_string_equal(boot(&dev, true), "ota_1");
    uint8_t before[OTA_OTADATA_SIZE];
    memcpy(before, tu_otadev_otadata_bytes(&dev), sizeof before);
    tu_flashlog_clear(&dev.log);

    assert_int_equal(set_boot(&dev, "ota_0", true), OTA_ERR_BOOT_SEQ_OVERFLOW);
    assert_int_equal(ota_otadata_otatool_switch(dev.flash, &dev.table, 0),
                     OTA_ERR_BOOT_SEQ_OVERFLOW);
    assert_int_equal(dev.log.count, 0);
    assert_memory_equal(tu_otadev_otadata_bytes(&dev), before, sizeof before);
    assert_string_equal(boot(&dev, true), "ota_1");
    /* The running slot can still be re-selected in place, and factory is still reachable. */
    assert_int_equal(set_boot(&dev, "ota_1", true), OTA_OK);
    expect_entry(&dev, 0, 0xFFFFFFFE, OTA_IMG_NEW);
    assert_int_equal(set_boot(&dev, "factory", true), OTA_OK);
    assert_string_equal(boot(&dev, true), "factory");
    tu_otadev_free(&dev);
}

static void test_label_kept_on_rewrite(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    ota_select_entry_t e;
    ota_select_entry_make(&e, 1, OTA_IMG_PENDING_VERIFY);
    memcpy(e.label, "factory-upgrade\0\0\0\0\0", 20);
    assert_int_equal(ota_otadata_write_entry(dev.flash, dev.otadata, 0, &e), OTA_OK);
    assert_int_equal(ota_otadata_mark_valid(dev.flash, &dev.table, ESP_IDF), OTA_OK);
    ota_select_entry_t now[2];
    tu_otadev_entries(&dev, now);
    assert_int_equal(now[0].state, OTA_IMG_VALID);
    assert_memory_equal(now[0].label, "factory-upgrade\0\0\0\0\0", 20);
    /* Already VALID: nothing is written. */
    tu_flashlog_clear(&dev.log);
    assert_int_equal(ota_otadata_mark_valid(dev.flash, &dev.table, ESP_IDF), OTA_OK);
    assert_int_equal(dev.log.count, 0);
    tu_otadev_free(&dev);
}

static void test_queries_without_active_entry(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    const ota_partition_t *p = NULL;
    uint32_t st;
    bool possible = true;
    assert_int_equal(ota_otadata_mark_valid(dev.flash, &dev.table, ESP_IDF), OTA_ERR_OTA_NO_ACTIVE);
    assert_int_equal(ota_otadata_mark_invalid(dev.flash, &dev.table, tu_otadev_image_ok, &dev, ESP_IDF),
                     OTA_ERR_OTA_NO_ACTIVE);
    assert_int_equal(ota_otadata_rollback_possible(dev.flash, &dev.table, tu_otadev_image_ok, &dev,
                                                   &possible),
                     OTA_OK);
    assert_false(possible);
    assert_int_equal(ota_otadata_invalidate_inactive(dev.flash, &dev.table,
                                                     tu_otadev_part(&dev, "factory"), ESP_IDF),
                     OTA_ERR_OTA_NO_ACTIVE);
    assert_int_equal(ota_otadata_state_of(dev.flash, &dev.table, tu_otadev_part(&dev, "ota_0"), &st),
                     OTA_ERR_NOT_FOUND);
    assert_int_equal(
        ota_otadata_state_of(dev.flash, &dev.table, tu_otadev_part(&dev, "factory"), &st),
        OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(ota_otadata_last_invalid_partition(dev.flash, &dev.table, tu_otadev_image_ok,
                                                        &dev, &p),
                     OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_otadata_boot_partition(dev.flash, &dev.table, &p), OTA_OK);
    assert_string_equal(p->label, "factory");
    assert_int_equal(dev.log.count, 0);
    tu_otadev_free(&dev);
}

/* ---- scenarios A-E of spec §2.8 -------------------------------------------- */

static void test_scenario_a_rollback_off(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    assert_string_equal(boot(&dev, false), "factory");
    assert_int_equal(set_boot(&dev, "ota_0", false), OTA_OK);
    expect_entry(&dev, 0, 1, OTA_IMG_UNDEFINED);
    assert_string_equal(boot(&dev, false), "ota_0");
    assert_int_equal(set_boot(&dev, "ota_1", false), OTA_OK);
    expect_entry(&dev, 1, 2, OTA_IMG_UNDEFINED);
    assert_string_equal(boot(&dev, false), "ota_1");
    assert_int_equal(set_boot(&dev, "ota_0", false), OTA_OK);
    expect_entry(&dev, 0, 3, OTA_IMG_UNDEFINED);
    assert_string_equal(boot(&dev, false), "ota_0");

    /* Same slot again: copy 0 rewritten in place with identical bytes, copy 1 untouched. */
    uint8_t before[OTA_OTADATA_SIZE];
    memcpy(before, tu_otadev_otadata_bytes(&dev), sizeof before);
    tu_flashlog_clear(&dev.log);
    assert_int_equal(set_boot(&dev, "ota_0", false), OTA_OK);
    assert_memory_equal(tu_otadev_otadata_bytes(&dev), before, sizeof before);
    assert_int_equal(dev.log.count, 2);
    assert_int_equal(dev.log.ops[0].addr, TU_OTADATA_OFFSET);

    assert_int_equal(set_boot(&dev, "factory", false), OTA_OK);
    expect_blank(&dev, 0);
    expect_blank(&dev, 1);
    assert_string_equal(boot(&dev, false), "factory");
    tu_otadev_free(&dev);
}

/* B up to "ota_1 is on its first boot" (PENDING_VERIFY). */
static void run_until_ota1_pending(tu_otadev_t *dev)
{
    assert_int_equal(set_boot(dev, "ota_0", true), OTA_OK);
    expect_entry(dev, 0, 1, OTA_IMG_NEW);
    assert_string_equal(boot(dev, true), "ota_0");
    expect_entry(dev, 0, 1, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(ota_otadata_mark_valid(dev->flash, &dev->table, ESP_IDF), OTA_OK);
    expect_entry(dev, 0, 1, OTA_IMG_VALID);
    assert_int_equal(set_boot(dev, "ota_1", true), OTA_OK);
    expect_entry(dev, 1, 2, OTA_IMG_NEW);
    assert_string_equal(boot(dev, true), "ota_1");
    expect_entry(dev, 1, 2, OTA_IMG_PENDING_VERIFY);
}

static void test_scenario_b_never_confirmed(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    run_until_ota1_pending(&dev);
    /* Reset before mark_valid: the bootloader aborts ota_1 and rolls back. */
    assert_string_equal(boot(&dev, true), "ota_0");
    expect_entry(&dev, 1, 2, OTA_IMG_ABORTED);
    expect_entry(&dev, 0, 1, OTA_IMG_VALID);
    uint32_t st;
    assert_int_equal(ota_otadata_state_of(dev.flash, &dev.table, tu_otadev_part(&dev, "ota_1"), &st),
                     OTA_OK);
    assert_int_equal(st, OTA_IMG_ABORTED);
    const ota_partition_t *p;
    assert_int_equal(ota_otadata_last_invalid_partition(dev.flash, &dev.table, tu_otadev_image_ok,
                                                        &dev, &p),
                     OTA_OK);
    assert_string_equal(p->label, "ota_1");
    /* A corrupt rejected image is not reported. */
    tu_otadev_set_bad(&dev, "ota_1", true);
    assert_int_equal(ota_otadata_last_invalid_partition(dev.flash, &dev.table, tu_otadev_image_ok,
                                                        &dev, &p),
                     OTA_ERR_NOT_FOUND);
    tu_otadev_free(&dev);
}

static void test_scenario_c_app_rejects(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    run_until_ota1_pending(&dev);
    /* What esp_ota_begin checks before refusing with ROLLBACK_INVALID_STATE. */
    uint32_t st;
    assert_int_equal(ota_otadata_state_of(dev.flash, &dev.table, tu_otadev_part(&dev, "ota_1"), &st),
                     OTA_OK);
    assert_int_equal(st, OTA_IMG_PENDING_VERIFY);

    /* Without a good previous image there is nothing to roll back to: nothing written. */
    tu_otadev_set_bad(&dev, "ota_0", true);
    tu_flashlog_clear(&dev.log);
    assert_int_equal(ota_otadata_mark_invalid(dev.flash, &dev.table, tu_otadev_image_ok, &dev, ESP_IDF),
                     OTA_ERR_OTA_ROLLBACK_FAILED);
    assert_int_equal(dev.log.count, 0);

    tu_otadev_set_bad(&dev, "ota_0", false);
    bool possible = false;
    assert_int_equal(ota_otadata_rollback_possible(dev.flash, &dev.table, tu_otadev_image_ok, &dev,
                                                   &possible),
                     OTA_OK);
    assert_true(possible);
    assert_int_equal(ota_otadata_mark_invalid(dev.flash, &dev.table, tu_otadev_image_ok, &dev, ESP_IDF),
                     OTA_OK);
    expect_entry(&dev, 1, 2, OTA_IMG_INVALID);
    assert_string_equal(boot(&dev, true), "ota_0");
    tu_otadev_free(&dev);
}

static void test_scenario_c_rollback_to_factory(void **state)
{
    (void)state;
    /* Only one entry: rolling back means the factory app, if its image is good. */
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_PENDING_VERIFY);
    tu_otadev_set_bad(&dev, "factory", true);
    assert_int_equal(ota_otadata_mark_invalid(dev.flash, &dev.table, tu_otadev_image_ok, &dev, ESP_IDF),
                     OTA_ERR_OTA_ROLLBACK_FAILED);
    tu_otadev_set_bad(&dev, "factory", false);
    assert_int_equal(ota_otadata_mark_invalid(dev.flash, &dev.table, tu_otadev_image_ok, &dev, ESP_IDF),
                     OTA_OK);
    assert_string_equal(boot(&dev, true), "factory");
    tu_otadev_free(&dev);
}

static void test_scenario_d_begin_invalidates_other_slot(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, true);
    tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_VALID);
    const ota_partition_t *ota0 = tu_otadev_part(&dev, "ota_0");
    const ota_partition_t *ota1 = tu_otadev_part(&dev, "ota_1");
    /* The inactive copy designates ota_0: refusing when that is what runs. */
    assert_int_equal(ota_otadata_invalidate_inactive(dev.flash, &dev.table, ota0, ESP_IDF),
                     OTA_ERR_OTA_PARTITION_CONFLICT);
    assert_int_equal(ota_otadata_invalidate_inactive(dev.flash, &dev.table, NULL, ESP_IDF),
                     OTA_ERR_INVALID_ARG);
    tu_flashlog_clear(&dev.log);
    assert_int_equal(ota_otadata_invalidate_inactive(dev.flash, &dev.table, ota1, ESP_IDF), OTA_OK);
    expect_blank(&dev, 0);
    expect_entry(&dev, 1, 2, OTA_IMG_VALID);
    assert_int_equal(dev.log.count, 1); /* one sector erase, no app erase */
    uint32_t st;
    assert_int_equal(ota_otadata_state_of(dev.flash, &dev.table, ota0, &st), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_otadata_invalidate_inactive(dev.flash, &dev.table, ota1, ESP_IDF),
                     OTA_ERR_OTADATA_NO_INACTIVE);

    /* erase_last_boot_app also wipes the app partition of that copy. */
    tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
    memset(dev.sim.mem + ota0->offset, 0x00, 16);
    assert_int_equal(ota_otadata_erase_last_boot_app(dev.flash, &dev.table, ota1, ESP_IDF), OTA_OK);
    expect_blank(&dev, 0);
    for (size_t i = 0; i < ota0->size; i++) {
        if (dev.sim.mem[ota0->offset + i] != 0xFF) {
            fail_msg("ota_0 byte %zu not erased", i);
        }
    }
    tu_otadev_free(&dev);
}

static void test_scenario_e_no_factory_blank(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 2, false);
    assert_string_equal(boot(&dev, false), "ota_0");
    expect_entry(&dev, 0, 1, OTA_IMG_VALID);
    expect_blank(&dev, 1);
    tu_otadev_free(&dev);

    open_dev(&dev, 2, false);
    tu_otadev_set_bad(&dev, "ota_0", true);
    assert_string_equal(boot(&dev, false), "ota_1");
    expect_entry(&dev, 0, 2, OTA_IMG_VALID);
    tu_otadev_free(&dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_table_of_spec),
        cmocka_unit_test(test_entry_bytes_of_spec),
        cmocka_unit_test(test_decode_is_little_endian),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_select_and_slot),
        cmocka_unit_test(test_next_seq_examples_and_extremes),
        cmocka_unit_test(test_app_counts),
        cmocka_unit_test(test_write_unit_padding),
        cmocka_unit_test(test_large_sectors_one_copy_per_sector),
        cmocka_unit_test(test_write_unit_too_large_erases_nothing),
        cmocka_unit_test(test_small_or_missing_otadata),
        cmocka_unit_test(test_set_boot_partition_refusals),
        cmocka_unit_test(test_three_slot_sequence_of_spec),
        cmocka_unit_test(test_sequence_overflow_keeps_running_slot),
        cmocka_unit_test(test_label_kept_on_rewrite),
        cmocka_unit_test(test_queries_without_active_entry),
        cmocka_unit_test(test_scenario_a_rollback_off),
        cmocka_unit_test(test_scenario_b_never_confirmed),
        cmocka_unit_test(test_scenario_c_app_rejects),
        cmocka_unit_test(test_scenario_c_rollback_to_factory),
        cmocka_unit_test(test_scenario_d_begin_invalidates_other_slot),
        cmocka_unit_test(test_scenario_e_no_factory_blank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
