/*
 * The core built with every optional feature of ota/config.h compiled out
 * (tests/CMakeLists.txt, as make size's "minimal" lines): asking for one of
 * them is refused with OTA_ERR_NOT_SUPPORTED before anything is written, and
 * what stays works. test_otadata_vectors runs in this build too
 * (otadata_vectors_minimal): its non-rollback boots match ESP-IDF's.
 */
#include <stddef.h>
#include <string.h>

#include "ota/boot.h"
#include "ota/ota.h"
#include "ota/otadata.h"
#include "otadev.h"
#include "testutil.h"

#if OTA_CONFIG_HARDENED_WRITES || OTA_CONFIG_BOOT_ROLLBACK || OTA_CONFIG_BOOT_ANTI_ROLLBACK || \
    OTA_CONFIG_BOOT_FACTORY_RESET || OTA_CONFIG_BOOT_TEST_APP
#error "tests/minimal_build.c is built with every optional feature out"
#endif

static ota_err_t never_raise(void *ctx, uint32_t version)
{
    (void)ctx;
    (void)version;
    fail_msg("the counter is never raised without anti-rollback");
    return OTA_ERR_INVALID_ARG;
}

static void open_device(tu_otadev_t *dev)
{
    tu_otadev_opts_t opts = {.app_count = 2, .has_factory = true, .has_test = true,
                             .writes = OTA_WRITES_FAITHFUL};
    tu_otadev_init(dev, &opts);
}

static ota_boot_config_t faithful_config(tu_otadev_t *dev)
{
    return (ota_boot_config_t){.check_image = tu_otadev_check_image,
                               .raise_version = never_raise,
                               .ctx = dev,
                               .writes = OTA_WRITES_FAITHFUL};
}

/* cfg is refused as not built in, and otadata is as it was. */
static void expect_refused(tu_otadev_t *dev, const ota_boot_config_t *cfg, const char *what)
{
    char before[65], after[65];
    tu_otadev_otadata_sha256_hex(dev, before);
    ota_boot_result_t res;
    ota_err_t err = ota_boot_select(dev->flash, &dev->table, cfg, &res);
    if (err != OTA_ERR_NOT_SUPPORTED) {
        fail_msg("%s: got %s, expected OTA_ERR_NOT_SUPPORTED", what, ota_err_name(err));
    }
    tu_otadev_otadata_sha256_hex(dev, after);
    assert_int_equal(dev->log.count, 0);
    assert_string_equal(before, after);
}

static void test_boot_refuses_features_not_built(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_device(&dev);
    /* With rollback this boot would write PENDING_VERIFY. */
    tu_otadev_put_entry(&dev, 0, 2, OTA_IMG_NEW);
    ota_boot_config_t cfg = faithful_config(&dev);
    cfg.rollback = true;
    expect_refused(&dev, &cfg, "rollback");
    cfg.anti_rollback = true;
    expect_refused(&dev, &cfg, "rollback + anti_rollback");
    cfg = faithful_config(&dev);
    cfg.factory_reset_request = true;
    cfg.factory_reset_erase_otadata = true;
    expect_refused(&dev, &cfg, "factory reset");
    cfg = faithful_config(&dev);
    cfg.test_app_request = true;
    expect_refused(&dev, &cfg, "test app");
    cfg = faithful_config(&dev);
    cfg.writes = OTA_WRITES_HARDENED;
    expect_refused(&dev, &cfg, "hardened writes");
    cfg.writes = (ota_writes_t)7; /* an unknown mode stays an argument error */
    ota_boot_result_t res;
    assert_int_equal(ota_boot_select(dev.flash, &dev.table, &cfg, &res), OTA_ERR_INVALID_ARG);
    tu_otadev_free(&dev);
}

/* What a bootloader without rollback does (ESP-IDF without the Kconfig option). */
static void test_boot_without_rollback(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_device(&dev);
    tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
    tu_otadev_put_entry(&dev, 1, 2, OTA_IMG_NEW);
    ota_boot_config_t cfg = faithful_config(&dev);
    ota_boot_result_t res;
    assert_int_equal(ota_boot_select(dev.flash, &dev.table, &cfg, &res), OTA_OK);
    assert_string_equal(res.partition->label, "ota_1");
    assert_int_equal(res.active_entry, 1);
    assert_int_equal(res.op_count, 0); /* NEW stays NEW: nothing written */
    assert_int_equal(dev.log.count, 0);

    /* A bad newest image still falls back, down the loading order. */
    tu_otadev_set_bad(&dev, "ota_1", true);
    assert_int_equal(ota_boot_select(dev.flash, &dev.table, &cfg, &res), OTA_OK);
    assert_string_equal(res.partition->label, "ota_0");
    assert_true(res.fell_back);
    assert_int_equal(dev.log.count, 0);
    tu_otadev_free(&dev);
}

/* Every otadata operation that takes a mode refuses HARDENED untouched; FAITHFUL writes. */
static void test_otadata_hardened_not_built(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_device(&dev);
    tu_otadev_put_entry(&dev, 0, 1, OTA_IMG_VALID);
    ota_select_entry_t e;
    ota_select_entry_make(&e, 2, OTA_IMG_NEW);
    unsigned restored = 7;
    assert_int_equal(ota_otadata_store(dev.flash, dev.otadata, 1, &e, OTA_WRITES_HARDENED),
                     OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(ota_otadata_recover(dev.flash, dev.otadata, true, &restored),
                     OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(restored, 0);
    assert_int_equal(ota_otadata_erase(dev.flash, dev.otadata, OTA_WRITES_HARDENED),
                     OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(ota_otadata_set_boot_slot(dev.flash, &dev.table, 1, false, OTA_WRITES_HARDENED),
                     OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(ota_otadata_set_factory(dev.flash, &dev.table, OTA_WRITES_HARDENED),
                     OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(ota_otadata_mark_valid(dev.flash, &dev.table, OTA_WRITES_HARDENED),
                     OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(dev.log.count, 0);

    assert_int_equal(ota_otadata_set_boot_slot(dev.flash, &dev.table, 1, false, OTA_WRITES_FAITHFUL),
                     OTA_OK);
    ota_select_entry_t now[2];
    tu_otadev_entries(&dev, now);
    assert_int_equal(now[1].seq, 2);
    assert_int_equal(now[1].state, OTA_IMG_UNDEFINED);
    assert_int_equal(ota_otadata_set_factory(dev.flash, &dev.table, OTA_WRITES_FAITHFUL), OTA_OK);
    tu_otadev_entries(&dev, now);
    assert_int_equal(now[0].seq, OTA_OTADATA_SEQ_ERASED);
    assert_int_equal(now[1].seq, OTA_OTADATA_SEQ_ERASED);
    tu_otadev_free(&dev);
}

static void test_ota_init_needs_faithful_writes(void **state)
{
    (void)state;
    tu_otadev_t dev;
    open_device(&dev);
    ota_ctx_t ctx;
    ota_config_t cfg;
    tu_otadev_config(&dev, &cfg, "factory", false);
    cfg.otadata_writes = OTA_WRITES_HARDENED;
    assert_int_equal(ota_init(&ctx, &cfg), OTA_ERR_NOT_SUPPORTED);
    cfg.otadata_writes = OTA_WRITES_FAITHFUL;
    assert_int_equal(ota_init(&ctx, &cfg), OTA_OK);
    assert_int_equal(ota_set_boot_partition_skip_validate(&ctx, tu_otadev_part(&dev, "ota_0")),
                     OTA_OK);
    const ota_partition_t *boot = NULL;
    assert_int_equal(ota_get_boot_partition(&ctx, &boot), OTA_OK);
    assert_string_equal(boot->label, "ota_0");
    tu_otadev_free(&dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boot_refuses_features_not_built),
        cmocka_unit_test(test_boot_without_rollback),
        cmocka_unit_test(test_otadata_hardened_not_built),
        cmocka_unit_test(test_ota_init_needs_faithful_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
