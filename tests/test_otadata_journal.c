/*
 * Hardened otadata writes (src/otadata_journal.c): the journal record's place
 * and bytes, recovery after a cut at each step, retiring without restoring,
 * full spare areas, identical rewrites skipped, the erase order, and the
 * entries staying exactly ESP-IDF's. The power-loss runner (test_powercut,
 * build/powercut) covers the same code at every cut; these pin the format.
 */
#include <string.h>

#include "ota/boot.h"
#include "ota/otadata.h"
#include "otadev.h"
#include "testutil.h"

#define HARD OTA_WRITES_HARDENED

static void open_dev(tu_otadev_t *dev, uint32_t write_size)
{
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true, .write_size = write_size};
    tu_otadev_init(dev, &opts);
}

static const uint8_t *copy_bytes(const tu_otadev_t *dev, unsigned copy)
{
    return tu_otadev_otadata_bytes(dev) + copy * OTA_OTADATA_SECTOR_SIZE;
}

static void expect_entry(const tu_otadev_t *dev, unsigned copy, uint32_t seq, uint32_t state)
{
    ota_select_entry_t e[2];
    tu_otadev_entries(dev, e);
    assert_int_equal(e[copy].seq, seq);
    assert_int_equal(e[copy].state, state);
    assert_true(ota_select_entry_crc_ok(&e[copy]));
}

static ota_err_t store(tu_otadev_t *dev, unsigned copy, uint32_t seq, uint32_t state)
{
    ota_select_entry_t e;
    ota_select_entry_make(&e, seq, state);
    return ota_otadata_store(dev->flash, dev->otadata, copy, &e, HARD);
}

/* Record, erase, program, done mark; the record holds the previous 32 bytes. */
static void test_record_layout(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 1);
    tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_NEW);
    uint8_t before[OTA_OTADATA_ENTRY_SIZE];
    memcpy(before, copy_bytes(&dev, 1), sizeof before);
    assert_int_equal(store(&dev, 1, 2, OTA_IMG_PENDING_VERIFY), OTA_OK);
    expect_entry(&dev, 1, 2, OTA_IMG_PENDING_VERIFY);
    expect_entry(&dev, 0, 1, OTA_IMG_VALID);

    const tu_flashlog_t *log = &dev.log;
    assert_int_equal(log->count, 4);
    uint32_t slot0 = TU_OTADATA_OFFSET + OTA_OTADATA_ENTRY_SIZE; /* after copy 0's entry */
    assert_int_equal(log->ops[0].kind, TU_FLASHLOG_WRITE);
    assert_int_equal(log->ops[0].addr, slot0);
    assert_int_equal(log->ops[0].len, 44);
    assert_memory_equal(log->ops[0].data, "OTAJ", 4);
    assert_int_equal(log->ops[0].data[4], 1); /* target copy */
    assert_memory_equal(log->ops[0].data + 8, before, sizeof before);
    assert_int_equal(ota_crc32_le(0, log->ops[0].data, 40),
                     (uint32_t)log->ops[0].data[40] | (uint32_t)log->ops[0].data[41] << 8 |
                         (uint32_t)log->ops[0].data[42] << 16 | (uint32_t)log->ops[0].data[43] << 24);
    assert_int_equal(log->ops[1].kind, TU_FLASHLOG_ERASE);
    assert_int_equal(log->ops[1].addr, TU_OTADATA_OFFSET + OTA_OTADATA_SECTOR_SIZE);
    assert_int_equal(log->ops[2].addr, TU_OTADATA_OFFSET + OTA_OTADATA_SECTOR_SIZE);
    assert_int_equal(log->ops[3].addr, slot0 + 44); /* the done mark */
    assert_int_equal(log->ops[3].len, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(log->ops[3].data[i], 0);
    }
    tu_otadev_free(&dev);
}

/* A copy that holds no entry (blank, bad CRC) is written the ESP-IDF way. */
static void test_plain_write_when_nothing_to_keep(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 16);
    tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
    assert_int_equal(store(&dev, 1, 2, OTA_IMG_NEW), OTA_OK);
    assert_int_equal(dev.log.count, 2);
    assert_int_equal(dev.log.ops[0].kind, TU_FLASHLOG_ERASE);
    dev.sim.mem[TU_OTADATA_OFFSET + 28] ^= 0xFF; /* copy 0's CRC broken */
    tu_flashlog_clear(&dev.log);
    assert_int_equal(store(&dev, 0, 3, OTA_IMG_NEW), OTA_OK);
    assert_int_equal(dev.log.count, 2);
    tu_otadev_free(&dev);
}

/* A cut at every step of the rewrite: recovery leaves the old or the new entry, never none. */
static void test_recover_after_each_cut(void **state)
{
    (void)state;
    for (uint32_t cut = 1; cut <= 4; cut++) {
        for (uint32_t torn = 0; torn < 3; torn++) {
            tu_otadev_t dev;
            open_dev(&dev, 1);
            tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
            tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_NEW);
            dev.sim.cut = (ota_simflash_cut_t){dev.sim.stats.mutations + cut, torn * 10, torn == 2, 7};
            assert_int_equal(store(&dev, 1, 2, OTA_IMG_PENDING_VERIFY), OTA_ERR_FLASH_POWER_LOSS);
            ota_simflash_power_on(&dev.sim);
            unsigned restored = 9;
            assert_int_equal(ota_otadata_recover(dev.flash, dev.otadata, true, &restored), OTA_OK);
            ota_select_entry_t e[2];
            tu_otadev_entries(&dev, e);
            /* A cut record or done mark leaves an entry; a damaged copy gets its entry back. */
            bool damaged = (cut == 2 && torn > 0) || cut == 3;
            assert_int_equal(restored, damaged ? 2u : 0u);
            assert_int_equal(e[1].seq, 2);
            assert_true(e[1].state == (cut == 4 ? OTA_IMG_PENDING_VERIFY : OTA_IMG_NEW));
            expect_entry(&dev, 0, 1, OTA_IMG_VALID);
            /* Resolved: a second recovery writes nothing. */
            tu_flashlog_clear(&dev.log);
            assert_int_equal(ota_otadata_recover(dev.flash, dev.otadata, true, &restored), OTA_OK);
            assert_int_equal(restored, 0);
            assert_int_equal(dev.log.count, 0);
            tu_otadev_free(&dev);
        }
    }
}

/* An app retires a record without restoring: the boot already happened on what is there. */
static void test_retire_without_restore(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 4);
    tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_NEW);
    dev.sim.cut = (ota_simflash_cut_t){dev.sim.stats.mutations + 3, 0, false, 0};
    assert_int_equal(store(&dev, 1, 2, OTA_IMG_PENDING_VERIFY), OTA_ERR_FLASH_POWER_LOSS);
    ota_simflash_power_on(&dev.sim);
    unsigned restored = 9;
    assert_int_equal(ota_otadata_recover(dev.flash, dev.otadata, false, &restored), OTA_OK);
    assert_int_equal(restored, 0);
    ota_select_entry_t e[2];
    tu_otadev_entries(&dev, e);
    assert_int_equal(e[1].seq, OTA_OTADATA_SEQ_ERASED); /* left as the stock bootloader saw it */
    /* Now retired: a bootloader that recovers later does not bring the entry back. */
    assert_int_equal(ota_otadata_recover(dev.flash, dev.otadata, true, &restored), OTA_OK);
    assert_int_equal(restored, 0);
    tu_otadev_free(&dev);
}

/* With 256-byte writes a copy holds 7 records: rewrites go on past that. */
static void test_full_spare_area_is_compacted(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 256);
    tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_NEW);
    for (unsigned i = 0; i < 20; i++) {
        assert_int_equal(store(&dev, 1, 2, i % 2 ? OTA_IMG_NEW : OTA_IMG_PENDING_VERIFY), OTA_OK);
        expect_entry(&dev, 0, 1, OTA_IMG_VALID);
    }
    expect_entry(&dev, 1, 2, OTA_IMG_NEW);
    /* And a cut in the middle of the 20th is still recovered. */
    dev.sim.cut = (ota_simflash_cut_t){dev.sim.stats.mutations + 3, 0, false, 0};
    assert_int_equal(store(&dev, 1, 2, OTA_IMG_VALID), OTA_ERR_FLASH_POWER_LOSS);
    ota_simflash_power_on(&dev.sim);
    assert_int_equal(ota_otadata_recover(dev.flash, dev.otadata, true, NULL), OTA_OK);
    expect_entry(&dev, 1, 2, OTA_IMG_NEW);
    expect_entry(&dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_free(&dev);
}

/* Setting the slot that is already set, in the same state, writes nothing. */
static void test_identical_rewrite_skipped(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 1);
    const ota_partition_t *ota0 = tu_otadev_part(&dev, "ota_0");
    assert_int_equal(ota_otadata_set_boot_partition(dev.flash, &dev.table, ota0, true, HARD), OTA_OK);
    tu_flashlog_clear(&dev.log);
    assert_int_equal(ota_otadata_set_boot_partition(dev.flash, &dev.table, ota0, true, HARD), OTA_OK);
    assert_int_equal(dev.log.count, 0);
    assert_int_equal(ota_otadata_set_boot_partition(dev.flash, &dev.table, ota0, true,
                                                    OTA_WRITES_FAITHFUL),
                     OTA_OK);
    assert_int_equal(dev.log.count, 2); /* ESP-IDF rewrites it anyway */
    tu_otadev_free(&dev);
}

/* The copy that is not active goes first, so a cut between the two erases keeps the boot. */
static void test_erase_inactive_copy_first(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_dev(&dev, 1);
    tu_otadev_put_entry(&dev, 0, 3, OTA_IMG_VALID);
    tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_VALID);
    assert_int_equal(ota_otadata_set_factory(dev.flash, &dev.table, HARD), OTA_OK);
    assert_int_equal(dev.log.count, 2);
    assert_int_equal(dev.log.ops[0].addr, TU_OTADATA_OFFSET + OTA_OTADATA_SECTOR_SIZE);
    assert_int_equal(dev.log.ops[1].addr, TU_OTADATA_OFFSET);
    tu_flashlog_clear(&dev.log);
    tu_otadev_put_entry(&dev, 0, 3, OTA_IMG_VALID);
    tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_VALID);
    assert_int_equal(ota_otadata_set_factory(dev.flash, &dev.table, OTA_WRITES_FAITHFUL), OTA_OK);
    assert_int_equal(dev.log.ops[0].addr, TU_OTADATA_OFFSET);
    tu_otadev_free(&dev);
}

/*
 * A whole update cycle in both modes: the two 32-byte entries, all ESP-IDF
 * reads, are the same after every step; only the spare areas differ.
 */
static void test_entries_identical_to_esp_idf(void **state)
{
    (void)state;
    tu_otadev_t dev[2];
    const ota_writes_t modes[2] = {OTA_WRITES_FAITHFUL, HARD};
    for (unsigned m = 0; m < 2; m++) {
        open_dev(&dev[m], 1);
    }
    static const char *const steps[] = {"ota_0", "boot", "valid", "ota_1", "boot", "invalid",
                                        "boot",  "ota_1", "boot", "boot", "ota_0", "factory"};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        for (unsigned m = 0; m < 2; m++) {
            tu_otadev_t *d = &dev[m];
            ota_boot_config_t cfg = {.rollback = true, .check_image = tu_otadev_check_image,
                                     .ctx = d, .writes = modes[m]};
            ota_boot_result_t res;
            if (!strcmp(steps[i], "boot")) {
                assert_int_equal(ota_boot_select(d->flash, &d->table, &cfg, &res), OTA_OK);
            } else if (!strcmp(steps[i], "valid")) {
                assert_int_equal(ota_otadata_mark_valid(d->flash, &d->table, modes[m]), OTA_OK);
            } else if (!strcmp(steps[i], "invalid")) {
                assert_int_equal(ota_otadata_mark_invalid(d->flash, &d->table, tu_otadev_image_ok, d,
                                                          modes[m]),
                                 OTA_OK);
            } else {
                assert_int_equal(ota_otadata_set_boot_partition(d->flash, &d->table,
                                                                tu_otadev_part(d, steps[i]), true,
                                                                modes[m]),
                                 OTA_OK);
            }
        }
        for (unsigned c = 0; c < 2; c++) {
            assert_memory_equal(copy_bytes(&dev[0], c), copy_bytes(&dev[1], c), OTA_OTADATA_ENTRY_SIZE);
        }
    }
    for (unsigned m = 0; m < 2; m++) {
        tu_otadev_free(&dev[m]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_layout),
        cmocka_unit_test(test_plain_write_when_nothing_to_keep),
        cmocka_unit_test(test_recover_after_each_cut),
        cmocka_unit_test(test_retire_without_restore),
        cmocka_unit_test(test_full_spare_area_is_compacted),
        cmocka_unit_test(test_identical_rewrite_skipped),
        cmocka_unit_test(test_erase_inactive_copy_first),
        cmocka_unit_test(test_entries_identical_to_esp_idf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
