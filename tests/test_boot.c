/*
 * The bootloader's decision beyond the vectors: the loading order when images
 * are bad (§2.6 step 7), anti-rollback (§2.7), the factory-reset and test-app
 * requests (§2.6 step 6), write failures, and argument errors.
 */
#include <stddef.h>
#include <string.h>

#include "ota/boot.h"
#include "ota/otadata.h"
#include "otadev.h"
#include "testutil.h"

/* Records raise_version calls; the device is the check_image context. */
typedef struct fixture {
    tu_otadev_t dev;
    ota_boot_config_t cfg;
    uint32_t raised[4];
    size_t raise_count;
    ota_err_t raise_result; /* what the counter answers */
} fixture_t;

static ota_err_t record_raise(void *ctx, uint32_t version)
{
    fixture_t *f = (fixture_t *)((char *)ctx - offsetof(fixture_t, dev));
    assert_true(f->raise_count < 4);
    f->raised[f->raise_count++] = version;
    return f->raise_result;
}

static void open_fixture(fixture_t *f, const tu_otadev_opts_t *opts, bool rollback)
{
    memset(f, 0, sizeof *f);
    tu_otadev_init(&f->dev, opts);
    f->cfg = (ota_boot_config_t){.rollback = rollback,
                                 .check_image = tu_otadev_check_image,
                                 .raise_version = record_raise,
                                 .ctx = &f->dev};
}

static ota_err_t run_boot(fixture_t *f, ota_boot_result_t *res)
{
    return ota_boot_select(f->dev.flash, &f->dev.table, &f->cfg, res);
}

static void expect_boot(fixture_t *f, const char *label, bool fell_back)
{
    ota_boot_result_t res;
    assert_int_equal(run_boot(f, &res), OTA_OK);
    assert_string_equal(res.partition->label, label);
    assert_int_equal(res.fell_back, fell_back);
}

static void test_load_order_with_bad_images(void **state)
{
    (void)state;
    /* Active slot 2: try 2, 1, 0, factory, then 3, then the test app. */
    static const char *const order[] = {"ota_2", "ota_1", "ota_0", "factory", "ota_3", "test"};
    tu_otadev_opts_t opts = {.app_count = 4, .has_factory = true, .has_test = true};
    fixture_t f;
    open_fixture(&f, &opts, false);
    tu_otadev_put_entry(&f.dev, 0, 3, OTA_IMG_VALID);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        f.dev.checks = 0;
        expect_boot(&f, order[i], i > 0);
        assert_int_equal(f.dev.checks, i + 1); /* every earlier candidate was tried once */
        tu_otadev_set_bad(&f.dev, order[i], true);
    }
    ota_boot_result_t res;
    assert_int_equal(run_boot(&f, &res), OTA_ERR_BOOT_NO_IMAGE);
    assert_null(res.partition);
    assert_int_equal(f.dev.log.count, 0);
    tu_otadev_free(&f.dev);
}

static void test_test_app_request(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true, .has_test = true};
    fixture_t f;
    open_fixture(&f, &opts, true);
    tu_otadev_put_entry(&f.dev, 0, 1, OTA_IMG_NEW);
    f.cfg.test_app_request = true;
    ota_boot_result_t res;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_string_equal(res.partition->label, "test");
    assert_int_equal(res.start_index, OTA_BOOT_INDEX_TEST);
    assert_int_equal(res.reason, OTA_BOOT_REASON_TEST_REQUEST);
    /* The selection still ran first: NEW became PENDING_VERIFY, as in ESP-IDF. */
    assert_int_equal(res.op_count, 1);
    assert_int_equal(res.ops[0].entry.state, OTA_IMG_PENDING_VERIFY);
    /* A bad test image is not replaced by another app. */
    tu_otadev_set_bad(&f.dev, "test", true);
    assert_int_equal(run_boot(&f, &res), OTA_ERR_BOOT_NO_IMAGE);
    tu_otadev_free(&f.dev);

    opts.has_test = false;
    open_fixture(&f, &opts, false);
    f.cfg.test_app_request = true;
    assert_int_equal(run_boot(&f, &res), OTA_ERR_BOOT_NO_TEST_APP);
    tu_otadev_free(&f.dev);
}

static void test_factory_reset(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true, .has_test = true};
    fixture_t f;
    open_fixture(&f, &opts, false);
    tu_otadev_put_entry(&f.dev, 1, 2, OTA_IMG_VALID);
    const ota_partition_t *nvs = tu_otadev_part(&f.dev, "nvs");
    const ota_partition_t *phy = tu_otadev_part(&f.dev, "phy_init");
    memset(f.dev.sim.mem + nvs->offset, 0x00, nvs->size);
    memset(f.dev.sim.mem + phy->offset, 0x00, phy->size);
    f.cfg.factory_reset_request = true;
    f.cfg.test_app_request = true; /* ignored after a factory reset */
    f.cfg.factory_reset_labels = "nvs_keys, nvs";
    f.cfg.factory_reset_erase_otadata = true;
    ota_boot_result_t res;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_true(res.factory_reset);
    assert_int_equal(res.factory_reset_err, OTA_OK);
    assert_string_equal(res.partition->label, "factory");
    assert_int_equal(res.op_count, 1);
    assert_int_equal(res.ops[0].kind, OTA_BOOT_OP_ERASE_OTADATA);
    assert_int_equal(f.dev.sim.mem[nvs->offset + nvs->size - 1], 0xFF);
    assert_int_equal(f.dev.sim.mem[phy->offset], 0x00); /* "phy_init" is not listed */
    ota_select_entry_t e[2];
    tu_otadev_entries(&f.dev, e);
    assert_int_equal(e[1].seq, OTA_OTADATA_SEQ_ERASED);
    tu_otadev_free(&f.dev);
}

static void test_factory_reset_keeping_otadata(void **state)
{
    (void)state;
    /* Without the otadata erase the selection simply runs twice: a NEW entry is
     * turned PENDING_VERIFY by the first pass and ABORTED by the second (ESP-IDF does the same). */
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true};
    fixture_t f;
    open_fixture(&f, &opts, true);
    tu_otadev_put_entry(&f.dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&f.dev, 1, 2, OTA_IMG_NEW);
    f.cfg.factory_reset_request = true;
    f.cfg.factory_reset_labels = "phy_init";
    ota_boot_result_t res;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_int_equal(res.op_count, 2);
    assert_int_equal(res.ops[0].entry.state, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(res.ops[1].entry.state, OTA_IMG_ABORTED);
    assert_string_equal(res.partition->label, "ota_0");
    assert_int_equal(res.active_entry, 0);
    tu_otadev_free(&f.dev);
}

static void test_anti_rollback_skips_old_versions(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2};
    fixture_t f;
    open_fixture(&f, &opts, true);
    f.cfg.anti_rollback = true;
    f.cfg.secure_version = 2;
    tu_otadev_put_entry(&f.dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&f.dev, 1, 2, OTA_IMG_VALID);
    tu_otadev_set_version(&f.dev, "ota_0", 2);
    tu_otadev_set_version(&f.dev, "ota_1", 1); /* newer entry, older firmware */
    ota_boot_result_t res;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_string_equal(res.partition->label, "ota_0");
    assert_int_equal(res.active_entry, 0);
    assert_int_equal(f.raise_count, 0); /* 2 is not above the counter */

    /* A newer version on the active VALID entry burns the counter before loading. */
    tu_otadev_set_version(&f.dev, "ota_1", 5);
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_string_equal(res.partition->label, "ota_1");
    assert_int_equal(f.raise_count, 1);
    assert_int_equal(f.raised[0], 5);
    assert_int_equal(res.secure_version, 5);

    /* Nothing at or above the counter: no image at all. */
    f.cfg.secure_version = 6;
    assert_int_equal(run_boot(&f, &res), OTA_ERR_BOOT_NO_IMAGE);
    assert_int_equal(res.reason, OTA_BOOT_REASON_NO_ACTIVE_ENTRY);
    tu_otadev_free(&f.dev);
}

static void test_anti_rollback_new_entry_not_burned(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2};
    fixture_t f;
    open_fixture(&f, &opts, true);
    f.cfg.anti_rollback = true;
    f.cfg.secure_version = 1;
    tu_otadev_put_entry(&f.dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&f.dev, 1, 2, OTA_IMG_NEW);
    tu_otadev_set_version(&f.dev, "ota_0", 1);
    tu_otadev_set_version(&f.dev, "ota_1", 3);
    ota_boot_result_t res;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_string_equal(res.partition->label, "ota_1");
    assert_int_equal(res.ops[0].entry.state, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(f.raise_count, 0); /* only the app's mark_valid may burn it */
    tu_otadev_free(&f.dev);
}

static void test_anti_rollback_initial_otadata(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2};
    fixture_t f;
    open_fixture(&f, &opts, true);
    f.cfg.anti_rollback = true;
    f.cfg.secure_version = 1;
    tu_otadev_set_version(&f.dev, "ota_0", 0); /* too old */
    tu_otadev_set_version(&f.dev, "ota_1", 4);
    ota_boot_result_t res;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_int_equal(res.reason, OTA_BOOT_REASON_INITIAL_OTADATA);
    assert_int_equal(res.start_index, OTA_BOOT_INDEX_FACTORY);
    assert_string_equal(res.partition->label, "ota_1");
    assert_true(res.initial_contents);
    assert_int_equal(res.op_count, 1);
    assert_int_equal(res.ops[0].entry.seq, 2);
    assert_int_equal(res.ops[0].entry.state, OTA_IMG_VALID);
    assert_int_equal(f.raise_count, 1);
    assert_int_equal(f.raised[0], 4);
    tu_otadev_free(&f.dev);
}

static void test_anti_rollback_refused_raise_is_reported(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2};
    fixture_t f;
    open_fixture(&f, &opts, true);
    f.cfg.anti_rollback = true;
    f.cfg.secure_version = 2;
    f.raise_result = OTA_ERR_OTA_SEC_VER_EXHAUSTED; /* the eFuse field is full */
    tu_otadev_put_entry(&f.dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_set_version(&f.dev, "ota_0", 40);
    ota_boot_result_t res;
    /* As in ESP-IDF the image still boots; the counter stays where it was. */
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_string_equal(res.partition->label, "ota_0");
    assert_int_equal(f.raise_count, 1);
    assert_int_equal(f.raised[0], 40);
    assert_int_equal(res.secure_version, 2);
    assert_int_equal(res.raise_err, OTA_ERR_OTA_SEC_VER_EXHAUSTED);

    f.raise_result = OTA_OK;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_int_equal(res.secure_version, 40);
    assert_int_equal(res.raise_err, OTA_OK);
    tu_otadev_free(&f.dev);
}

static void test_write_failure_does_not_stop_the_boot(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true};
    fixture_t f;
    open_fixture(&f, &opts, true);
    tu_otadev_put_entry(&f.dev, 0, 1, OTA_IMG_NEW);
    f.dev.sim.fail.at = f.dev.sim.stats.mutations + 1; /* the bootloader's erase fails */
    ota_boot_result_t res;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_string_equal(res.partition->label, "ota_0");
    assert_int_equal(res.op_count, 1);
    assert_int_equal(res.ops[0].err, OTA_ERR_FLASH_IO);
    tu_otadev_free(&f.dev);
}

static void test_argument_errors(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true};
    fixture_t f;
    open_fixture(&f, &opts, true);
    tu_otadev_put_entry(&f.dev, 0, 1, OTA_IMG_NEW);
    ota_boot_result_t res;
    ota_boot_config_t cfg = f.cfg;
    cfg.writes = (ota_writes_t)(OTA_WRITES_FAITHFUL + 1);
    assert_int_equal(ota_boot_select(f.dev.flash, &f.dev.table, &cfg, &res), OTA_ERR_INVALID_ARG);
    cfg = f.cfg;
    cfg.check_image = NULL;
    assert_int_equal(ota_boot_select(f.dev.flash, &f.dev.table, &cfg, &res), OTA_ERR_INVALID_ARG);
    cfg = f.cfg;
    cfg.anti_rollback = true;
    cfg.raise_version = NULL;
    assert_int_equal(ota_boot_select(f.dev.flash, &f.dev.table, &cfg, &res), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_boot_select(NULL, &f.dev.table, &f.cfg, &res), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_boot_select(f.dev.flash, &f.dev.table, &f.cfg, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(f.dev.log.count, 0); /* refused calls never write */
    tu_otadev_free(&f.dev);
}

/* res.entries is otadata as the decision left it: what the flash holds afterwards. */
static void expect_entries_on_flash(fixture_t *f, const ota_boot_result_t *res)
{
    ota_select_entry_t flash_e[2];
    assert_int_equal(ota_otadata_read(f->dev.flash, f->dev.otadata, flash_e), OTA_OK);
    assert_memory_equal(res->entries, flash_e, sizeof flash_e);
}

static void test_result_entries(void **state)
{
    (void)state;
    tu_otadev_opts_t opts = {.app_count = 2, .write_size = 16};
    fixture_t f;
    ota_boot_result_t res;
    /* A trial boot: copy 1 turned NEW -> PENDING_VERIFY, copy 0 as it was. */
    open_fixture(&f, &opts, true);
    tu_otadev_put_entry(&f.dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&f.dev, 1, 2, OTA_IMG_NEW);
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_int_equal(res.entries[1].state, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(res.entries[0].state, OTA_IMG_VALID);
    expect_entries_on_flash(&f, &res);
    /* The next boot aborts it and falls back to copy 0's slot. */
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_int_equal(res.entries[1].state, OTA_IMG_ABORTED);
    assert_string_equal(res.partition->label, "ota_0");
    expect_entries_on_flash(&f, &res);
    tu_otadev_free(&f.dev);

    /* Initial contents (anti-rollback, blank otadata): copy 0 gets {slot + 1, VALID}. */
    open_fixture(&f, &opts, true);
    f.cfg.anti_rollback = true;
    assert_int_equal(run_boot(&f, &res), OTA_OK);
    assert_true(res.initial_contents);
    assert_int_equal(res.entries[0].seq, 1);
    assert_int_equal(res.entries[0].state, OTA_IMG_VALID);
    expect_entries_on_flash(&f, &res);
    tu_otadev_free(&f.dev);
}

static void test_reason_texts_are_distinct(void **state)
{
    (void)state;
    for (int i = OTA_BOOT_REASON_NO_OTADATA; i <= OTA_BOOT_REASON_TEST_REQUEST; i++) {
        assert_string_not_equal(ota_boot_reason_text((ota_boot_reason_t)i), "unknown reason");
        for (int j = i + 1; j <= OTA_BOOT_REASON_TEST_REQUEST; j++) {
            assert_string_not_equal(ota_boot_reason_text((ota_boot_reason_t)i),
                                    ota_boot_reason_text((ota_boot_reason_t)j));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_order_with_bad_images),
        cmocka_unit_test(test_test_app_request),
        cmocka_unit_test(test_factory_reset),
        cmocka_unit_test(test_factory_reset_keeping_otadata),
        cmocka_unit_test(test_anti_rollback_skips_old_versions),
        cmocka_unit_test(test_anti_rollback_new_entry_not_burned),
        cmocka_unit_test(test_anti_rollback_refused_raise_is_reported),
        cmocka_unit_test(test_anti_rollback_initial_otadata),
        cmocka_unit_test(test_write_failure_does_not_stop_the_boot),
        cmocka_unit_test(test_argument_errors),
        cmocka_unit_test(test_result_entries),
        cmocka_unit_test(test_reason_texts_are_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
