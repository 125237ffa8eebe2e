/*
 * ota_check_update_head(): the checks an app makes on an image's first bytes
 * before it writes anything (chip, the native example's version rules,
 * anti-rollback), on a simulated ESP32-C3 (tests/support/samplerun.h).
 */
#include <string.h>

#include "samplerun.h"
#include "testutil.h"

static const hostdev_build_t k_rollback = {.rollback = true};

/* Power on and set up the app's context. */
static void boot(hostdev_t *d, const hostdev_build_t *build)
{
    ota_boot_result_t res;
    assert_int_equal(hostdev_boot(d, build, NULL, &res), OTA_OK);
    assert_int_equal(hostdev_app(d, build), OTA_OK);
}

/* desc NULL: the caller does not look at the descriptor. */
static ota_err_t check(hostdev_t *d, const tu_image_t *img, ota_app_desc_t *desc)
{
    ota_app_desc_t unused;
    return ota_check_update_head(&d->ota, img->data, OTA_IMAGE_HEAD_LEN, desc ? desc : &unused);
}

static void test_chip_and_version_rules(void **state)
{
    (void)state;
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    tu_image_t v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 50000);
    tu_image_t s3 = tu_app_image(OTA_CHIP_ESP32S3, "2.0", 0, 50000);
    hostdev_t *d = tu_sample_device(&v1);
    boot(d, &k_rollback);
    ota_app_desc_t desc;
    assert_int_equal(check(d, &v2, &desc), OTA_OK);
    assert_string_equal(desc.version, "2.0");
    assert_int_equal(check(d, &v1, &desc), OTA_ERR_OTA_SAME_VERSION);
    assert_int_equal(check(d, &s3, &desc), OTA_ERR_IMG_CHIP);
    assert_string_equal(desc.version, "2.0"); /* said even when refused */
    assert_int_equal(ota_check_update_head(&d->ota, v2.data, 100, &desc), OTA_ERR_IMG_TRUNCATED);
    uint8_t junk[OTA_IMAGE_HEAD_LEN];
    memset(junk, 0x5A, sizeof junk);
    assert_int_equal(ota_check_update_head(&d->ota, junk, sizeof junk, &desc), OTA_ERR_IMG_MAGIC);
    assert_int_equal(desc.magic_word, 0);
    assert_int_equal(ota_check_update_head(NULL, v2.data, OTA_IMAGE_HEAD_LEN, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_check_update_head(&d->ota, NULL, 0, &desc), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_check_update_head(&d->ota, v2.data, OTA_IMAGE_HEAD_LEN, NULL),
                     OTA_ERR_INVALID_ARG); /* the descriptor is required */
    tu_sample_device_free(d);
    tu_image_free(&v1);
    tu_image_free(&v2);
    tu_image_free(&s3);
}

/* 3.0 is installed, fails its first boot and is rolled back: it is not wanted again. */
static void test_version_that_failed_before(void **state)
{
    (void)state;
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    tu_image_t v3 = tu_app_image(OTA_CHIP_ESP32C3, "3.0", 0, 50000);
    hostdev_t *d = tu_sample_device(&v1);
    boot(d, &k_rollback);
    assert_int_equal(check(d, &v3, NULL), OTA_OK);
    assert_int_equal(hostdev_write_partition(d, "ota_0", v3.data, v3.len), OTA_OK);
    assert_int_equal(ota_set_boot_partition(&d->ota, hostdev_part(d, "ota_0")), OTA_OK);
    boot(d, &k_rollback);
    assert_string_equal(d->state.running, "ota_0");
    assert_int_equal(ota_mark_app_invalid(&d->ota), OTA_OK);
    boot(d, &k_rollback);
    assert_string_equal(d->state.running, "factory");
    assert_int_equal(check(d, &v3, NULL), OTA_ERR_OTA_KNOWN_INVALID);
    tu_sample_device_free(d);
    tu_image_free(&v1);
    tu_image_free(&v3);
}

static void test_anti_rollback(void **state)
{
    (void)state;
    static const hostdev_build_t anti = {.rollback = true, .anti_rollback = true};
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 2, 50000);
    tu_image_t old = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 1, 50000);
    tu_image_t same = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 2, 50000);
    hostdev_t *d = tu_sample_device(&v1);
    d->state.secure_version = 2;
    boot(d, &anti);
    assert_int_equal(check(d, &old, NULL), OTA_ERR_IMG_SEC_VER);
    assert_int_equal(check(d, &same, NULL), OTA_OK);
    boot(d, &k_rollback); /* without anti-rollback the counter does not matter */
    assert_int_equal(check(d, &old, NULL), OTA_OK);
    tu_sample_device_free(d);
    tu_image_free(&v1);
    tu_image_free(&old);
    tu_image_free(&same);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chip_and_version_rules),
        cmocka_unit_test(test_version_that_failed_before),
        cmocka_unit_test(test_anti_rollback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
