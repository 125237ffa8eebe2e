/*
 * Runs tests/samples/native_ota_example.c, an application written only
 * against the ESP-IDF headers (esp_http_client read loop + esp_ota_*), on a
 * simulated device (tests/support/samplerun.h) against a real nginx over
 * HTTPS with a throw-away CA, and the fault-injecting server over HTTP.
 * Checks the update / reboot / confirm cycle, a rejected update that rolls
 * back, and failures (corrupt image, cut connection, wrong CA) that change
 * neither the running app nor otadata.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_idf_host.h"
#include "samplerun.h"
#include "testutil.h"

void app_main(void); /* the sample */

static const hostdev_build_t k_build = {.rollback = true};

static struct {
    char dir[64];
    tu_netserve_t ns;
    tu_image_t v1, v2, v3;
} g;

static void set_url(const char *base, const char *name)
{
    char url[256];
    snprintf(url, sizeof url, "%s/%s", base, name);
    setenv("EXAMPLE_FIRMWARE_UPG_URL", url, 1);
}

static int group_setup(void **state)
{
    (void)state;
    g.v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    g.v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 70000);
    g.v3 = tu_app_image(OTA_CHIP_ESP32C3, "3.0", 0, 60000);
    tu_sample_mkdir(g.dir, sizeof g.dir);
    tu_sample_publish(g.dir, "v2.bin", g.v2.data, g.v2.len);
    tu_sample_publish(g.dir, "v3.bin", g.v3.data, g.v3.len);
    g.v2.data[g.v2.len / 2] ^= 0x10;
    tu_sample_publish(g.dir, "corrupt.bin", g.v2.data, g.v2.len);
    g.v2.data[g.v2.len / 2] ^= 0x10;
    if (tu_netserve_start(&g.ns, g.dir) != 0) {
        return -1;
    }
    tu_sample_setenv_file("EXAMPLE_SERVER_CERT_PEM", g.ns.ca);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_netserve_stop(&g.ns);
    tu_sample_rmdir(g.dir);
    tu_image_free(&g.v1);
    tu_image_free(&g.v2);
    tu_image_free(&g.v3);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("EXAMPLE_DIAGNOSTIC_FAIL");
    tu_sample_setenv_file("EXAMPLE_SERVER_CERT_PEM", g.ns.ca);
    return tu_netserve_cmd(&g.ns, "reset", NULL, 0);
}

static void test_update_reboot_confirm(void **state)
{
    (void)state;
    hostdev_t *d = tu_sample_device(&g.v1);
    set_url(g.ns.https, "v2.bin");
    /* factory updates ota_0 and restarts; ota_0 confirms itself and finds nothing newer. */
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 8), 2);
    assert_string_equal(d->state.running, "ota_0");
    assert_string_equal(tu_sample_running_version(d), "2.0");
    assert_int_equal(tu_sample_state(d, "ota_0"), OTA_IMG_VALID);
    /* Power cycles change nothing now. */
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 8), 1);
    assert_string_equal(d->state.running, "ota_0");
    tu_sample_device_free(d);
}

static void test_rejected_update_rolls_back(void **state)
{
    (void)state;
    hostdev_t *d = tu_sample_device(&g.v1);
    set_url(g.ns.https, "v2.bin");
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 8), 2);
    set_url(g.ns.https, "v3.bin");
    setenv("EXAMPLE_DIAGNOSTIC_FAIL", "1", 1);
    /* ota_0 installs 3.0 in ota_1; ota_1 fails its diagnostic and rolls back; ota_0 then
     * skips 3.0 because that is the version that failed. */
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 8), 3);
    assert_string_equal(d->state.running, "ota_0");
    assert_string_equal(tu_sample_running_version(d), "2.0");
    assert_int_equal(tu_sample_state(d, "ota_1"), OTA_IMG_INVALID);
    tu_sample_device_free(d);
}

/* A failed update: one boot, and factory, otadata and the boot choice as before. */
static void assert_nothing_changes(const char *base, const char *name)
{
    hostdev_t *d = tu_sample_device(&g.v1);
    uint8_t otadata[0x2000];
    memcpy(otadata, d->sim.mem + TU_OTADATA, sizeof otadata);
    set_url(base, name);
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 8), 1);
    assert_string_equal(d->state.running, "factory");
    assert_memory_equal(d->sim.mem + TU_OTADATA, otadata, sizeof otadata);
    assert_memory_equal(d->sim.mem + 0x10000, g.v1.data, g.v1.len);
    tu_sample_device_free(d);
}

static void test_corrupt_image_changes_nothing(void **state)
{
    (void)state;
    assert_nothing_changes(g.ns.https, "corrupt.bin");
}

static void test_cut_connection_changes_nothing(void **state)
{
    (void)state;
    assert_int_equal(tu_netserve_cmd(&g.ns, "cuts 30000", NULL, 0), 0);
    assert_nothing_changes(g.ns.fault, "v2.bin");
}

static void test_wrong_ca_changes_nothing(void **state)
{
    (void)state;
    tu_sample_setenv_file("EXAMPLE_SERVER_CERT_PEM", g.ns.wrong_ca);
    assert_nothing_changes(g.ns.https, "v2.bin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_update_reboot_confirm, setup),
        cmocka_unit_test_setup(test_rejected_update_rolls_back, setup),
        cmocka_unit_test_setup(test_corrupt_image_changes_nothing, setup),
        cmocka_unit_test_setup(test_cut_connection_changes_nothing, setup),
        cmocka_unit_test_setup(test_wrong_ca_changes_nothing, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
