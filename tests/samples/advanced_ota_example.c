/*
 * An ESP-IDF application in the style of ESP-IDF's advanced_https_ota
 * example, written only against ESP-IDF headers: esp_https_ota_begin, the new
 * image's descriptor checked against the running version, the perform loop
 * with progress, is_complete_data_received, finish (or abort), restart. On
 * start it confirms itself if it runs for the first time after an update.
 *
 * Kconfig and embedded files come from the environment:
 * EXAMPLE_FIRMWARE_UPGRADE_URL, EXAMPLE_SERVER_CERT_PEM (the CA's PEM text),
 * EXAMPLE_ENABLE_OTA_RESUMPTION (set: resume an interrupted download). The
 * example keeps the bytes written in NVS so that resumption survives a
 * reboot; here "NVS" is the variable EXAMPLE_NVS_OTA_WR_LENGTH of the process
 * environment, which the host's restarts keep.
 */
#define _POSIX_C_SOURCE 200809L /* setenv: the "NVS" of this host */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_err.h"
#include "esp_http_client.h"
#include "esp_https_ota.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_system.h"

#define NVS_KEY "EXAMPLE_NVS_OTA_WR_LENGTH"

static const char *TAG = "advanced_https_ota_example";

void app_main(void);

static size_t nvs_ota_read_ota_wr_length(void)
{
    const char *v = getenv(NVS_KEY);
    return v ? (size_t)strtoul(v, NULL, 10) : 0;
}

static void nvs_ota_write_ota_wr_length(size_t len)
{
    char v[24];
    snprintf(v, sizeof v, "%zu", len);
    setenv(NVS_KEY, v, 1);
}

static esp_err_t validate_image_header(const esp_app_desc_t *new_app_info)
{
    const esp_partition_t *running = esp_ota_get_running_partition();
    esp_app_desc_t running_app_info;
    if (esp_ota_get_partition_description(running, &running_app_info) == ESP_OK) {
        ESP_LOGI(TAG, "Running firmware version: %s", running_app_info.version);
    }
    if (memcmp(new_app_info->version, running_app_info.version, sizeof new_app_info->version) == 0) {
        ESP_LOGW(TAG, "Current running version is the same as a new. We will not continue the update.");
        return ESP_FAIL;
    }
    return ESP_OK;
}

static esp_err_t http_client_init_cb(esp_http_client_handle_t http_client)
{
    return esp_http_client_set_header(http_client, "X-Example", "advanced_https_ota");
}

/* The perform loop, saving the progress for resumption. */
static esp_err_t download(esp_https_ota_handle_t handle, bool resumption)
{
    esp_err_t err;
    while ((err = esp_https_ota_perform(handle)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
        int len = esp_https_ota_get_image_len_read(handle);
        ESP_LOGD(TAG, "Image bytes read: %d of %d", len, esp_https_ota_get_image_size(handle));
        if (resumption && len > 0) {
            nvs_ota_write_ota_wr_length((size_t)len);
        }
    }
    return err;
}

static void ota_task(void)
{
    ESP_LOGI(TAG, "Starting Advanced OTA example");
    bool resumption = getenv("EXAMPLE_ENABLE_OTA_RESUMPTION") != NULL;
    esp_http_client_config_t config = {
        .url = getenv("EXAMPLE_FIRMWARE_UPGRADE_URL"),
        .cert_pem = getenv("EXAMPLE_SERVER_CERT_PEM"),
        .timeout_ms = 5000,
        .keep_alive_enable = true,
    };
    esp_https_ota_config_t ota_config = {
        .http_config = &config,
        .http_client_init_cb = http_client_init_cb,
        .ota_resumption = resumption,
        .ota_image_bytes_written = resumption ? nvs_ota_read_ota_wr_length() : 0,
    };
    esp_https_ota_handle_t https_ota_handle = NULL;
    esp_err_t err = esp_https_ota_begin(&ota_config, &https_ota_handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "ESP HTTPS OTA Begin failed (%s)", esp_err_to_name(err));
        return;
    }
    esp_app_desc_t app_desc;
    err = esp_https_ota_get_img_desc(https_ota_handle, &app_desc);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_https_ota_get_img_desc failed");
    } else if ((err = validate_image_header(&app_desc)) != ESP_OK) {
        ESP_LOGE(TAG, "image header verification failed");
    } else {
        err = download(https_ota_handle, resumption);
        if (esp_https_ota_is_complete_data_received(https_ota_handle) != true) {
            ESP_LOGE(TAG, "Complete data was not received.");
        } else {
            esp_err_t ota_finish_err = esp_https_ota_finish(https_ota_handle);
            if (err == ESP_OK && ota_finish_err == ESP_OK) {
                nvs_ota_write_ota_wr_length(0);
                ESP_LOGI(TAG, "ESP_HTTPS_OTA upgrade successful. Rebooting ...");
                esp_restart();
            }
            if (ota_finish_err == ESP_ERR_OTA_VALIDATE_FAILED) {
                ESP_LOGE(TAG, "Image validation failed, image is corrupted");
            }
            ESP_LOGE(TAG, "ESP_HTTPS_OTA upgrade failed 0x%x", ota_finish_err);
            return;
        }
    }
    esp_https_ota_abort(https_ota_handle);
    ESP_LOGE(TAG, "ESP_HTTPS_OTA upgrade failed");
}

void app_main(void)
{
    ESP_LOGI(TAG, "OTA example app_main start");
    const esp_partition_t *running = esp_ota_get_running_partition();
    esp_ota_img_states_t ota_state;
    if (esp_ota_get_state_partition(running, &ota_state) == ESP_OK &&
        ota_state == ESP_OTA_IMG_PENDING_VERIFY) {
        if (esp_ota_mark_app_valid_cancel_rollback() == ESP_OK) {
            ESP_LOGI(TAG, "App is valid, rollback cancelled successfully");
        } else {
            ESP_LOGE(TAG, "Failed to cancel rollback");
        }
    }
    ota_task();
}
