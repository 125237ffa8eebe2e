/*
 * Runs tests/samples/native_ota_example.c, an application written only
 * against the ESP-IDF headers, on a simulated device: power on (bootloader
 * decision), app_main(), and on esp_restart() power on again, until app_main
 * returns. Checks the update / reboot / confirm cycle, a rejected update that
 * rolls back, and a corrupt firmware file that changes nothing.
 *
 * Device: factory + ota_0 + ota_1 (ESP-IDF's two-OTA layout), ESP32-C3,
 * bootloader and app built with rollback.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_idf_host.h"
#include "hostdev.h"
#include "testimg.h"
#include "testutil.h"

void app_main(void); /* the sample */

#define MAX_BOOTS 8u

static jmp_buf g_env;
static hostdev_t *g_dev;
static const hostdev_build_t k_build = {.rollback = true};

static void restart(void *arg)
{
    (void)arg;
    longjmp(g_env, 1);
}

static void add(ota_partition_table_t *t, const char *label, uint8_t type, uint8_t subtype,
                uint32_t offset, uint32_t size)
{
    ota_partition_t *p = &t->entries[t->count++];
    *p = (ota_partition_t){.type = type, .subtype = subtype, .offset = offset, .size = size};
    snprintf(p->label, sizeof p->label, "%s", label);
}

static hostdev_t *new_device(const tu_image_t *factory)
{
    ota_partition_table_t t = {.count = 0};
    add(&t, "nvs", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x9000, 0x4000);
    add(&t, "otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, 0xD000, 0x2000);
    add(&t, "phy_init", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_PHY, 0xF000, 0x1000);
    add(&t, "factory", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_FACTORY, 0x10000, 0x100000);
    add(&t, "ota_0", OTA_PART_TYPE_APP, 0x10, 0x110000, 0x100000);
    add(&t, "ota_1", OTA_PART_TYPE_APP, 0x11, 0x210000, 0x100000);
    uint8_t bin[OTA_PART_TABLE_MAX_LEN];
    mbedtls_md5_context md5_ctx;
    ota_hash_t md5;
    ota_port_md5_init(&md5, &md5_ctx);
    assert_int_equal(ota_partition_table_serialize(&t, &md5, bin, sizeof bin), OTA_OK);
    hostdev_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    assert_int_equal(hostdev_create(d, 0x400000, 0x8000, bin, sizeof bin, "esp32c3"), OTA_OK);
    assert_int_equal(hostdev_write_partition(d, "factory", factory->data, factory->len), OTA_OK);
    return d;
}

static void free_device(hostdev_t *d)
{
    esp_idf_host_detach();
    hostdev_close(d);
    free(d);
}

/* Power on and run the app until it returns instead of restarting; returns the number of boots. */
static unsigned run(hostdev_t *d)
{
    static volatile unsigned boots;
    g_dev = d;
    boots = 0;
    esp_idf_host_set_restart(restart, NULL);
    (void)setjmp(g_env); /* esp_restart() lands here */
    assert_true(++boots <= MAX_BOOTS);
    esp_idf_host_detach();
    ota_boot_result_t res;
    assert_int_equal(hostdev_boot(g_dev, &k_build, NULL, &res), OTA_OK);
    assert_int_equal(hostdev_app(g_dev, &k_build), OTA_OK);
    assert_int_equal(esp_idf_host_attach(&g_dev->ota), 0);
    app_main();
    esp_idf_host_set_restart(NULL, NULL);
    return boots;
}

static char g_path[64];

static void write_firmware(const tu_image_t *img)
{
    FILE *f = fopen(g_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(img->data, 1, img->len, f), img->len);
    assert_int_equal(fclose(f), 0);
    setenv("EXAMPLE_FIRMWARE_PATH", g_path, 1);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_path, sizeof g_path, "/tmp/ota-sample-%ld.bin", (long)getpid());
    unsetenv("EXAMPLE_DIAGNOSTIC_FAIL");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return 0;
}

static uint32_t state_of(hostdev_t *d, const char *label)
{
    uint32_t s = 0;
    assert_int_equal(ota_get_state_partition(&d->ota, hostdev_part(d, label), &s), OTA_OK);
    return s;
}

static const char *running_version(hostdev_t *d)
{
    static ota_app_desc_t desc;
    assert_int_equal(ota_get_partition_description(&d->ota, d->running, &desc), OTA_OK);
    return desc.version;
}

static void test_update_reboot_confirm(void **state)
{
    (void)state;
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    tu_image_t v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 70000);
    hostdev_t *d = new_device(&v1);
    write_firmware(&v2);
    /* factory updates ota_0 and restarts; ota_0 confirms itself and finds nothing newer. */
    assert_int_equal(run(d), 2);
    assert_string_equal(d->state.running, "ota_0");
    assert_string_equal(running_version(d), "2.0");
    assert_int_equal(state_of(d, "ota_0"), OTA_IMG_VALID);
    /* Power cycles change nothing now. */
    assert_int_equal(run(d), 1);
    assert_string_equal(d->state.running, "ota_0");
    free_device(d);
    tu_image_free(&v1);
    tu_image_free(&v2);
}

static void test_rejected_update_rolls_back(void **state)
{
    (void)state;
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    tu_image_t v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 70000);
    tu_image_t v3 = tu_app_image(OTA_CHIP_ESP32C3, "3.0", 0, 60000);
    hostdev_t *d = new_device(&v1);
    write_firmware(&v2);
    assert_int_equal(run(d), 2);
    write_firmware(&v3);
    setenv("EXAMPLE_DIAGNOSTIC_FAIL", "1", 1);
    /* ota_0 installs 3.0 in ota_1; ota_1 fails its diagnostic and rolls back; ota_0 then
     * skips 3.0 because that is the version that failed. */
    assert_int_equal(run(d), 3);
    assert_string_equal(d->state.running, "ota_0");
    assert_string_equal(running_version(d), "2.0");
    assert_int_equal(state_of(d, "ota_1"), OTA_IMG_INVALID);
    unsetenv("EXAMPLE_DIAGNOSTIC_FAIL");
    free_device(d);
    tu_image_free(&v1);
    tu_image_free(&v2);
    tu_image_free(&v3);
}

static void test_corrupt_firmware_changes_nothing(void **state)
{
    (void)state;
    tu_image_t v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    tu_image_t v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 70000);
    hostdev_t *d = new_device(&v1);
    v2.data[v2.len / 2] ^= 0x10;
    write_firmware(&v2);
    uint8_t otadata[0x2000];
    memcpy(otadata, d->sim.mem + 0xD000, sizeof otadata);
    assert_int_equal(run(d), 1);
    assert_string_equal(d->state.running, "factory");
    assert_memory_equal(d->sim.mem + 0xD000, otadata, sizeof otadata);
    assert_memory_equal(d->sim.mem + 0x10000, v1.data, v1.len);
    free_device(d);
    tu_image_free(&v1);
    tu_image_free(&v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_update_reboot_confirm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_update_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_firmware_changes_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
