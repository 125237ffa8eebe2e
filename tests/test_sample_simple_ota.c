/*
 * Runs tests/samples/simple_ota_example.c (esp_https_ota in one call, written
 * only against the ESP-IDF headers) on a simulated device against a real
 * nginx over HTTPS with a throw-away CA, and against the fault-injecting
 * server for a partial (Range by Range) download. The exact error codes are
 * test_esp_https_ota's business; here the flows: update and reboot into the
 * new app, and a failed update that leaves the device as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_idf_host.h"
#include "samplerun.h"
#include "testutil.h"

void app_main(void); /* the sample */

static const hostdev_build_t k_build = {.rollback = false};

static struct {
    char dir[64];
    tu_netserve_t ns;
    tu_image_t v1, v2;
} g;

static void set_url(const char *base, const char *name)
{
    char url[256];
    snprintf(url, sizeof url, "%s/%s", base, name);
    setenv("EXAMPLE_FIRMWARE_UPGRADE_URL", url, 1);
}

static void idle(void)
{
}

static int group_setup(void **state)
{
    (void)state;
    g.v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    g.v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 70000);
    tu_sample_mkdir(g.dir, sizeof g.dir);
    tu_sample_publish(g.dir, "v2.bin", g.v2.data, g.v2.len);
    return tu_netserve_start(&g.ns, g.dir);
}

static int group_teardown(void **state)
{
    (void)state;
    tu_netserve_stop(&g.ns);
    tu_sample_rmdir(g.dir);
    tu_image_free(&g.v1);
    tu_image_free(&g.v2);
    esp_idf_host_https_ota_allow_http(false);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("EXAMPLE_HTTP_REQUEST_SIZE");
    tu_sample_setenv_file("EXAMPLE_SERVER_CERT_PEM", g.ns.ca);
    return tu_netserve_cmd(&g.ns, "reset", NULL, 0);
}

/* One power-on of the sample (it restarts after a successful update), then one
 * more without it: the app the bootloader starts then. */
static void run_once_then_boot(hostdev_t *d)
{
    tu_sample_run(d, &k_build, app_main, 1);
    assert_int_equal(tu_sample_run(d, &k_build, idle, 1), 1);
}

static void test_update_and_reboot(void **state)
{
    (void)state;
    hostdev_t *d = tu_sample_device(&g.v1);
    set_url(g.ns.https, "v2.bin");
    run_once_then_boot(d);
    assert_string_equal(d->state.running, "ota_0");
    assert_string_equal(tu_sample_running_version(d), "2.0");
    assert_memory_equal(d->sim.mem + TU_OTA_0, g.v2.data, g.v2.len);
    tu_sample_device_free(d);
}

static void test_partial_http_download(void **state)
{
    (void)state;
    char requests[1024];
    hostdev_t *d = tu_sample_device(&g.v1);
    esp_idf_host_https_ota_allow_http(true); /* the fault server speaks plain HTTP */
    setenv("EXAMPLE_HTTP_REQUEST_SIZE", "16384", 1);
    set_url(g.ns.fault, "v2.bin");
    run_once_then_boot(d);
    esp_idf_host_https_ota_allow_http(false);
    assert_string_equal(d->state.running, "ota_0");
    assert_memory_equal(d->sim.mem + TU_OTA_0, g.v2.data, g.v2.len);
    assert_int_equal(tu_netserve_cmd(&g.ns, "requests", requests, sizeof requests), 0);
    /* 70000 bytes in requests of at most 16 KiB */
    assert_string_equal(requests, "requests bytes=0-16383 bytes=16384-32767 bytes=32768-49151 "
                                  "bytes=49152-65535 bytes=65536-69999");
    tu_sample_device_free(d);
}

static void test_failed_update_changes_nothing(void **state)
{
    (void)state;
    hostdev_t *d = tu_sample_device(&g.v1);
    uint8_t otadata[0x2000];
    memcpy(otadata, d->sim.mem + TU_OTADATA, sizeof otadata);
    set_url(g.ns.https, "missing.bin");
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 2), 1); /* returned: no restart */
    tu_sample_setenv_file("EXAMPLE_SERVER_CERT_PEM", g.ns.wrong_ca);
    set_url(g.ns.https, "v2.bin");
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 2), 1);
    assert_string_equal(d->state.running, "factory");
    assert_memory_equal(d->sim.mem + TU_OTADATA, otadata, sizeof otadata);
    tu_sample_device_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_update_and_reboot, setup),
        cmocka_unit_test_setup(test_partial_http_download, setup),
        cmocka_unit_test_setup(test_failed_update_changes_nothing, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
