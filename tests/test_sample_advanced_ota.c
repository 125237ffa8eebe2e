/*
 * Runs tests/samples/advanced_ota_example.c (esp_https_ota_begin /
 * get_img_desc / perform / is_complete_data_received / finish / abort,
 * written only against the ESP-IDF headers) on a simulated device with
 * rollback: an update that the new app confirms, the version check that
 * stops a second download, and a download cut halfway that the next boot
 * resumes with a Range request (resumption, the count kept in "NVS").
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
    tu_image_t v1, v2;
} g;

static void set_url(const char *base, const char *name)
{
    char url[256];
    snprintf(url, sizeof url, "%s/%s", base, name);
    setenv("EXAMPLE_FIRMWARE_UPGRADE_URL", url, 1);
}

static int group_setup(void **state)
{
    (void)state;
    g.v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    g.v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 200000);
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
    unsetenv("EXAMPLE_ENABLE_OTA_RESUMPTION");
    unsetenv("EXAMPLE_NVS_OTA_WR_LENGTH");
    tu_sample_setenv_file("EXAMPLE_SERVER_CERT_PEM", g.ns.ca);
    return tu_netserve_cmd(&g.ns, "reset", NULL, 0);
}

static void test_update_confirm_and_version_check(void **state)
{
    (void)state;
    hostdev_t *d = tu_sample_device(&g.v1);
    set_url(g.ns.https, "v2.bin");
    /* factory installs 2.0 and restarts; 2.0 confirms itself, sees its own version, stops. */
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 8), 2);
    assert_string_equal(d->state.running, "ota_0");
    assert_string_equal(tu_sample_running_version(d), "2.0");
    assert_int_equal(tu_sample_state(d, "ota_0"), OTA_IMG_VALID);
    tu_sample_device_free(d);
}

static void test_cut_download_resumes_after_reboot(void **state)
{
    (void)state;
    char requests[1024];
    hostdev_t *d = tu_sample_device(&g.v1);
    esp_idf_host_https_ota_allow_http(true); /* the fault server speaks plain HTTP */
    setenv("EXAMPLE_ENABLE_OTA_RESUMPTION", "1", 1);
    set_url(g.ns.fault, "v2.bin");
    assert_int_equal(tu_netserve_cmd(&g.ns, "cuts 100000", NULL, 0), 0);
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 8), 1); /* cut: the task gives up */
    assert_string_equal(getenv("EXAMPLE_NVS_OTA_WR_LENGTH"), "100000");
    assert_string_equal(d->state.running, "factory");
    /* next power-on: resumes at 100000 rounded down to the sector, installs, confirms */
    assert_int_equal(tu_sample_run(d, &k_build, app_main, 8), 2);
    esp_idf_host_https_ota_allow_http(false);
    assert_string_equal(d->state.running, "ota_0");
    assert_int_equal(tu_sample_state(d, "ota_0"), OTA_IMG_VALID);
    assert_memory_equal(d->sim.mem + TU_OTA_0, g.v2.data, g.v2.len);
    assert_int_equal(tu_netserve_cmd(&g.ns, "requests", requests, sizeof requests), 0);
    assert_string_equal(requests, "requests - bytes=98304- -");
    tu_sample_device_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_update_confirm_and_version_check, setup),
        cmocka_unit_test_setup(test_cut_download_resumes_after_reboot, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
