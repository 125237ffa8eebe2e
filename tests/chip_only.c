/*
 * src/chip.c built with -DOTA_CHIP_ONLY=OTA_CHIP_ESP32C6 (tests/CMakeLists.txt),
 * linked on its own: the one-chip table an MCU build may choose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ota/image.h"

static void test_only_that_chip(void **state)
{
    (void)state;
    const ota_chip_t *c6 = ota_chip_by_id(OTA_CHIP_ESP32C6);
    assert_non_null(c6);
    assert_string_equal(ota_chip_name(OTA_CHIP_ESP32C6), "esp32c6");
    assert_int_equal(ota_chip_desc_addr(c6), 0x42000020u);
    assert_ptr_equal(ota_chip_at(0), c6);
    assert_null(ota_chip_at(1));
    assert_ptr_equal(ota_chip_by_name("ESP32C6"), c6);

    assert_null(ota_chip_by_id(OTA_CHIP_ESP32));
    assert_null(ota_chip_by_id(OTA_CHIP_ESP32C3));
    assert_null(ota_chip_by_name("esp32"));
    uint16_t id = 0x1234;
    assert_int_equal(ota_chip_id_from_name("esp32s3", &id), OTA_ERR_NOT_FOUND);
    assert_null(ota_chip_name(OTA_CHIP_ESP32S3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_that_chip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
