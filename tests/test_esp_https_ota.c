/*
 * The facade's esp_https_ota (compat/esp-idf/include/esp_https_ota.h) on a
 * simulated device (factory 1.0 running, tests/support/samplerun.h) against
 * nginx over HTTPS and the fault-injecting server: the exact ESP-IDF error
 * codes, the step-by-step API, resumption and partial downloads. After every
 * failure the running app, otadata and the update slot's untouched bytes are
 * what they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_https_ota.h"
#include "esp_idf_host.h"
#include "esp_ota_ops.h"
#include "samplerun.h"
#include "testutil.h"

static const hostdev_build_t k_build = {.rollback = true};

static struct {
    char dir[64], url[256];
    char *ca, *wrong_ca;
    tu_netserve_t ns;
    tu_image_t v1, v2, s3;
} g;

typedef struct snapshot {
    uint8_t otadata[0x2000];
    uint8_t *slot; /* ota_0, the update target */
} snapshot_t;

static void idle(void)
{
}

static char *text_of(const char *path)
{
    size_t len = 0;
    uint8_t *data = tu_read_file(path, &len);
    char *s = malloc(len + 1);
    assert_non_null(data);
    assert_non_null(s);
    memcpy(s, data, len);
    s[len] = '\0';
    free(data);
    return s;
}

static int group_setup(void **state)
{
    (void)state;
    g.v1 = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, 50000);
    g.v2 = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, 200000);
    g.s3 = tu_app_image(OTA_CHIP_ESP32S3, "2.0", 0, 50000);
    tu_sample_mkdir(g.dir, sizeof g.dir);
    tu_sample_publish(g.dir, "v2.bin", g.v2.data, g.v2.len);
    tu_sample_publish(g.dir, "s3.bin", g.s3.data, g.s3.len);
    uint8_t *junk = calloc(1, TU_SLOT + 4096);
    assert_non_null(junk);
    memcpy(junk, g.v2.data, g.v2.len);
    tu_sample_publish(g.dir, "big.bin", junk, TU_SLOT + 4096); /* a valid start, too long */
    memset(junk, 0x5A, 4096);
    tu_sample_publish(g.dir, "garbage.bin", junk, 4096);
    free(junk);
    if (tu_netserve_start(&g.ns, g.dir) != 0) {
        return -1;
    }
    g.ca = text_of(g.ns.ca);
    g.wrong_ca = text_of(g.ns.wrong_ca);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_netserve_stop(&g.ns);
    tu_sample_rmdir(g.dir);
    tu_image_free(&g.v1);
    tu_image_free(&g.v2);
    tu_image_free(&g.s3);
    free(g.ca);
    free(g.wrong_ca);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    esp_idf_host_https_ota_allow_http(false);
    return tu_netserve_cmd(&g.ns, "reset", NULL, 0);
}

/* A device running factory 1.0, attached to the facade. */
static hostdev_t *device(snapshot_t *snap)
{
    hostdev_t *d = tu_sample_device(&g.v1);
    assert_int_equal(tu_sample_run(d, &k_build, idle, 1), 1);
    memcpy(snap->otadata, d->sim.mem + TU_OTADATA, sizeof snap->otadata);
    snap->slot = malloc(TU_SLOT);
    assert_non_null(snap->slot);
    memcpy(snap->slot, d->sim.mem + TU_OTA_0, TU_SLOT);
    return d;
}

/* Nothing changed: factory still runs, otadata as it was; with slot_too, ota_0 unwritten. */
static void assert_untouched(hostdev_t *d, snapshot_t *snap, bool slot_too)
{
    assert_memory_equal(d->sim.mem + TU_OTADATA, snap->otadata, sizeof snap->otadata);
    assert_memory_equal(d->sim.mem + 0x10000, g.v1.data, g.v1.len);
    if (slot_too) {
        assert_memory_equal(d->sim.mem + TU_OTA_0, snap->slot, TU_SLOT);
    }
    assert_string_equal(esp_ota_get_boot_partition()->label, "factory");
    free(snap->slot);
    tu_sample_device_free(d);
}

static esp_http_client_config_t http(const char *base, const char *name, const char *ca)
{
    snprintf(g.url, sizeof g.url, "%s/%s", base, name);
    return (esp_http_client_config_t){.url = g.url, .cert_pem = ca, .timeout_ms = 2000};
}

static void test_one_call(void **state)
{
    (void)state;
    snapshot_t snap;
    hostdev_t *d = device(&snap);
    esp_http_client_config_t hc = http(g.ns.https, "v2.bin", g.ca);
    esp_https_ota_config_t cfg = {.http_config = &hc};
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    assert_string_equal(esp_ota_get_boot_partition()->label, "ota_0");
    assert_memory_equal(d->sim.mem + TU_OTA_0, g.v2.data, g.v2.len);
    free(snap.slot);
    tu_sample_device_free(d);
}

static void test_argument_errors(void **state)
{
    (void)state;
    snapshot_t snap;
    hostdev_t *d = device(&snap);
    esp_https_ota_handle_t h = &h;
    esp_http_client_config_t no_ca = http(g.ns.https, "v2.bin", NULL);
    esp_http_client_config_t plain = http(g.ns.fault, "v2.bin", NULL);
    esp_https_ota_config_t cfg = {.http_config = &no_ca};
    assert_int_equal(esp_https_ota(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota(&(esp_https_ota_config_t){0}), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_ERR_INVALID_ARG); /* cannot verify */
    assert_null(h);
    cfg.http_config = &plain;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_INVALID_ARG); /* http:// not allowed */
    assert_int_equal(esp_https_ota_begin(&cfg, NULL), ESP_ERR_INVALID_ARG);
    cfg.ota_resumption = true;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(esp_https_ota_perform(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota_finish(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota_abort(NULL), ESP_ERR_INVALID_ARG);
    assert_untouched(d, &snap, true);
}

static void test_server_errors(void **state)
{
    (void)state;
    snapshot_t snap;
    hostdev_t *d = device(&snap);
    esp_http_client_config_t missing = http(g.ns.https, "missing.bin", g.ca);
    esp_https_ota_config_t cfg = {.http_config = &missing};
    assert_int_equal(esp_https_ota(&cfg), ESP_FAIL);
    esp_http_client_config_t wrong = http(g.ns.https, "v2.bin", g.wrong_ca);
    cfg.http_config = &wrong;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_HTTP_CONNECT);
    esp_http_client_config_t closed = http("https://127.0.0.1:1", "v2.bin", g.ca);
    cfg.http_config = &closed;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_HTTP_CONNECT);
    assert_untouched(d, &snap, true);
}

static void test_bad_images_touch_nothing(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        esp_err_t err;
    } cases[] = {
        {"garbage.bin", ESP_ERR_OTA_VALIDATE_FAILED}, /* not an image */
        {"s3.bin", ESP_ERR_INVALID_VERSION},          /* for another chip */
        {"big.bin", ESP_ERR_INVALID_SIZE},            /* larger than the slot */
    };
    snapshot_t snap;
    hostdev_t *d = device(&snap);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        esp_http_client_config_t hc = http(g.ns.https, cases[i].name, g.ca);
        esp_https_ota_config_t cfg = {.http_config = &hc};
        assert_int_equal(esp_https_ota(&cfg), cases[i].err);
    }
    assert_untouched(d, &snap, true);
}

static void test_cut_and_stall(void **state)
{
    (void)state;
    snapshot_t snap;
    hostdev_t *d = device(&snap);
    esp_https_ota_handle_t h = NULL;
    esp_idf_host_https_ota_allow_http(true);
    esp_http_client_config_t hc = http(g.ns.fault, "v2.bin", NULL);
    esp_https_ota_config_t cfg = {.http_config = &hc};
    assert_int_equal(tu_netserve_cmd(&g.ns, "cuts 30000", NULL, 0), 0);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    esp_err_t err;
    while ((err = esp_https_ota_perform(h)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
    }
    assert_int_equal(err, ESP_FAIL);
    assert_false(esp_https_ota_is_complete_data_received(h));
    assert_int_equal(esp_https_ota_get_image_len_read(h), 30000);
    assert_int_equal(esp_https_ota_abort(h), ESP_OK);
    assert_int_equal(tu_netserve_cmd(&g.ns, "reset", NULL, 0), 0);
    assert_int_equal(tu_netserve_cmd(&g.ns, "stall 20000", NULL, 0), 0);
    hc.timeout_ms = 200;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_HTTP_EAGAIN); /* three silent reads */
    assert_untouched(d, &snap, false);
}

static void test_step_by_step(void **state)
{
    (void)state;
    snapshot_t snap;
    hostdev_t *d = device(&snap);
    esp_https_ota_handle_t h = NULL;
    esp_app_desc_t desc;
    esp_http_client_config_t hc = http(g.ns.https, "v2.bin", g.ca);
    esp_https_ota_config_t cfg = {.http_config = &hc};
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    assert_int_equal(esp_https_ota_get_status_code(h), 200);
    assert_int_equal(esp_https_ota_get_image_size(h), (int)g.v2.len);
    assert_int_equal(esp_https_ota_get_image_len_read(h), -1);
    assert_int_equal(esp_https_ota_get_img_desc(h, &desc), ESP_OK);
    assert_string_equal(desc.version, "2.0");
    assert_int_equal(esp_https_ota_get_img_desc(h, &desc), ESP_OK); /* again: same answer */
    assert_memory_equal(d->sim.mem + TU_OTA_0, snap.slot, TU_SLOT);   /* nothing written yet */
    assert_int_equal(esp_https_ota_perform(h), ESP_ERR_HTTPS_OTA_IN_PROGRESS);
    assert_int_equal(esp_https_ota_get_img_desc(h, &desc), ESP_ERR_INVALID_STATE);
    esp_err_t err;
    while ((err = esp_https_ota_perform(h)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
    }
    assert_int_equal(err, ESP_OK);
    assert_true(esp_https_ota_is_complete_data_received(h));
    assert_int_equal(esp_https_ota_get_image_len_read(h), (int)g.v2.len);
    assert_int_equal(esp_https_ota_finish(h), ESP_OK);
    assert_string_equal(esp_ota_get_boot_partition()->label, "ota_0");
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    assert_int_equal(esp_https_ota_finish(h), ESP_ERR_INVALID_STATE); /* nothing written */
    free(snap.slot);
    tu_sample_device_free(d);
}

/* Cut at 100000, then resume with the count the app saved: Range from the sector below. */
static void test_resumption(void **state)
{
    (void)state;
    char requests[512];
    snapshot_t snap;
    hostdev_t *d = device(&snap);
    esp_https_ota_handle_t h = NULL;
    esp_idf_host_https_ota_allow_http(true);
    esp_http_client_config_t hc = http(g.ns.fault, "v2.bin", NULL);
    esp_https_ota_config_t cfg = {.http_config = &hc, .ota_resumption = true};
    assert_int_equal(tu_netserve_cmd(&g.ns, "cuts 100000", NULL, 0), 0);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    while (esp_https_ota_perform(h) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
    }
    cfg.ota_image_bytes_written = (size_t)esp_https_ota_get_image_len_read(h);
    esp_https_ota_abort(h);
    assert_int_equal(cfg.ota_image_bytes_written, 100000);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    esp_app_desc_t desc;
    assert_int_equal(esp_https_ota_get_img_desc(h, &desc), ESP_OK); /* from flash */
    assert_string_equal(desc.version, "2.0");
    while (esp_https_ota_perform(h) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
    }
    assert_int_equal(esp_https_ota_get_image_len_read(h), (int)g.v2.len);
    assert_int_equal(esp_https_ota_finish(h), ESP_OK);
    assert_memory_equal(d->sim.mem + TU_OTA_0, g.v2.data, g.v2.len);
    assert_int_equal(tu_netserve_cmd(&g.ns, "requests", requests, sizeof requests), 0);
    assert_string_equal(requests, "requests - bytes=98304-");
    free(snap.slot);
    tu_sample_device_free(d);
}

/* A server that ignores Range: the resumed download starts over with its 200. */
static void test_resumption_without_range_support(void **state)
{
    (void)state;
    snapshot_t snap;
    hostdev_t *d = device(&snap);
    esp_idf_host_https_ota_allow_http(true);
    esp_http_client_config_t hc = http(g.ns.fault, "v2.bin", NULL);
    esp_https_ota_config_t cfg = {.http_config = &hc, .ota_resumption = true,
                                  .ota_image_bytes_written = 100000};
    esp_https_ota_handle_t h = NULL;
    assert_int_equal(tu_netserve_cmd(&g.ns, "ignore_range 1", NULL, 0), 0);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    while (esp_https_ota_perform(h) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
    }
    assert_int_equal(esp_https_ota_finish(h), ESP_OK);
    assert_memory_equal(d->sim.mem + TU_OTA_0, g.v2.data, g.v2.len);
    free(snap.slot);
    tu_sample_device_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_one_call, setup),
        cmocka_unit_test_setup(test_argument_errors, setup),
        cmocka_unit_test_setup(test_server_errors, setup),
        cmocka_unit_test_setup(test_bad_images_touch_nothing, setup),
        cmocka_unit_test_setup(test_cut_and_stall, setup),
        cmocka_unit_test_setup(test_step_by_step, setup),
        cmocka_unit_test_setup(test_resumption, setup),
        cmocka_unit_test_setup(test_resumption_without_range_support, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
