/*
 * An ESP-IDF application in the style of ESP-IDF's native_ota_example,
 * written only against ESP-IDF headers (it is compiled with nothing but
 * compat/esp-idf/include on its include path): the app_update API fed by an
 * esp_http_client read loop. What a chip's Kconfig and embedded files give
 * it comes from the environment: EXAMPLE_FIRMWARE_UPG_URL, and
 * EXAMPLE_SERVER_CERT_PEM (the CA's PEM text, server_cert_pem_start on a chip).
 *
 * On start it confirms or rejects itself if it is a first boot after an
 * update (diagnostic: EXAMPLE_DIAGNOSTIC_FAIL set means "the new firmware does
 * not work"), then updates the next OTA slot if the server has another
 * version than the one running and than the last rejected one, and restarts.
 * Every failure ends the task (app_main returns) with the running app as it was.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_app_format.h"
#include "esp_err.h"
#include "esp_flash_partitions.h"
#include "esp_http_client.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"

#define BUFFSIZE 1024

static const char *TAG = "native_ota_example";

void app_main(void);

static bool diagnostic(void)
{
    return getenv("EXAMPLE_DIAGNOSTIC_FAIL") == NULL;
}

/* First boot of an update: keep it, or roll back. */
static void confirm_or_roll_back(const esp_partition_t *running)
{
    esp_ota_img_states_t state;
    if (esp_ota_get_state_partition(running, &state) != ESP_OK ||
        state != ESP_OTA_IMG_PENDING_VERIFY) {
        return;
    }
    if (diagnostic()) {
        ESP_LOGI(TAG, "Diagnostics completed successfully! Continuing execution ...");
        ESP_ERROR_CHECK(esp_ota_mark_app_valid_cancel_rollback());
    } else {
        ESP_LOGE(TAG, "Diagnostics failed! Start rollback to the previous version ...");
        esp_ota_mark_app_invalid_rollback_and_reboot();
    }
}

/* Is the version in the image's descriptor worth installing? */
static bool wanted(const esp_app_desc_t *new_info, const esp_partition_t *running)
{
    esp_app_desc_t info;
    ESP_LOGI(TAG, "New firmware version: %s", new_info->version);
    if (esp_ota_get_partition_description(running, &info) == ESP_OK) {
        ESP_LOGI(TAG, "Running firmware version: %s", info.version);
        if (memcmp(new_info->version, info.version, sizeof info.version) == 0) {
            ESP_LOGW(TAG, "Current running version is the same as a new. We will not continue the update.");
            return false;
        }
    }
    const esp_partition_t *last_invalid = esp_ota_get_last_invalid_partition();
    if (last_invalid && esp_ota_get_partition_description(last_invalid, &info) == ESP_OK &&
        memcmp(info.version, new_info->version, sizeof info.version) == 0) {
        ESP_LOGW(TAG, "New version is the same as invalid version %s, which failed before.",
                 info.version);
        return false;
    }
    return true;
}

/* The first chunk must hold header, segment header and descriptor; begin only if wanted. */
static esp_err_t start(const char *buf, int len, const esp_partition_t *update_partition,
                       const esp_partition_t *running, esp_ota_handle_t *handle)
{
    const size_t head = sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t) +
                        sizeof(esp_app_desc_t);
    esp_app_desc_t new_info;
    if ((size_t)len < head) {
        ESP_LOGE(TAG, "received package is not fit len");
        return ESP_FAIL;
    }
    memcpy(&new_info, buf + head - sizeof new_info, sizeof new_info);
    if (!wanted(&new_info, running)) {
        return ESP_ERR_NOT_FINISHED;
    }
    esp_err_t err = esp_ota_begin(update_partition, OTA_WITH_SEQUENTIAL_WRITES, handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_begin failed (%s)", esp_err_to_name(err));
    }
    return err;
}

/* The read loop; the update handle is ended or aborted here. */
static esp_err_t download(esp_http_client_handle_t client, const esp_partition_t *update_partition,
                          const esp_partition_t *running)
{
    static char buf[BUFFSIZE + 1];
    esp_ota_handle_t handle = 0;
    bool begun = false;
    int total = 0;
    for (;;) {
        int n = esp_http_client_read(client, buf, BUFFSIZE);
        if (n < 0) {
            ESP_LOGE(TAG, "Error: SSL data read error");
            break;
        }
        if (n == 0) {
            if (errno == ECONNRESET || errno == ENOTCONN) {
                ESP_LOGE(TAG, "Connection closed, errno = %d", errno);
            }
            break;
        }
        esp_err_t err = begun ? ESP_OK : start(buf, n, update_partition, running, &handle);
        if (err != ESP_OK) {
            return err;
        }
        begun = true;
        err = esp_ota_write(handle, buf, (size_t)n);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "esp_ota_write failed (%s)", esp_err_to_name(err));
            esp_ota_abort(handle);
            return err;
        }
        total += n;
    }
    ESP_LOGI(TAG, "Total Write binary data length: %d", total);
    if (!esp_http_client_is_complete_data_received(client)) {
        ESP_LOGE(TAG, "Error in receiving complete file");
        if (begun) {
            esp_ota_abort(handle);
        }
        return ESP_FAIL;
    }
    esp_err_t err = esp_ota_end(handle);
    if (err == ESP_ERR_OTA_VALIDATE_FAILED) {
        ESP_LOGE(TAG, "Image validation failed, image is corrupted");
    } else if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_end failed (%s)!", esp_err_to_name(err));
    }
    return err;
}

/* Open the URL; NULL (and the reason logged) when that fails. */
static esp_http_client_handle_t connect(void)
{
    esp_http_client_config_t config = {
        .url = getenv("EXAMPLE_FIRMWARE_UPG_URL"),
        .cert_pem = getenv("EXAMPLE_SERVER_CERT_PEM"),
        .timeout_ms = 5000,
        .keep_alive_enable = true,
    };
    esp_http_client_handle_t client = esp_http_client_init(&config);
    if (client == NULL) {
        ESP_LOGE(TAG, "Failed to initialise HTTP connection");
        return NULL;
    }
    esp_err_t err = esp_http_client_open(client, 0);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Failed to open HTTP connection: %s", esp_err_to_name(err));
        esp_http_client_cleanup(client);
        return NULL;
    }
    esp_http_client_fetch_headers(client);
    if (esp_http_client_get_status_code(client) != 200) {
        ESP_LOGE(TAG, "HTTP status %d", esp_http_client_get_status_code(client));
        esp_http_client_cleanup(client);
        return NULL;
    }
    return client;
}

void app_main(void)
{
    ESP_LOGI(TAG, "Starting OTA example task");
    const esp_partition_t *configured = esp_ota_get_boot_partition();
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (configured != running) {
        ESP_LOGW(TAG, "Configured OTA boot partition at offset 0x%08x, but running from offset 0x%08x",
                 configured ? (unsigned)configured->address : 0u, (unsigned)running->address);
    }
    ESP_LOGI(TAG, "Running partition type %d subtype %d (offset 0x%08x)", (int)running->type,
             (int)running->subtype, (unsigned)running->address);
    confirm_or_roll_back(running);

    esp_http_client_handle_t client = connect();
    if (!client) {
        return;
    }
    const esp_partition_t *update_partition = esp_ota_get_next_update_partition(NULL);
    ESP_LOGI(TAG, "Writing to partition subtype %d at offset 0x%x", (int)update_partition->subtype,
             (unsigned)update_partition->address);
    esp_err_t err = download(client, update_partition, running);
    esp_http_client_close(client);
    esp_http_client_cleanup(client);
    if (err != ESP_OK) {
        return;
    }
    err = esp_ota_set_boot_partition(update_partition);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_set_boot_partition failed (%s)!", esp_err_to_name(err));
        return;
    }
    ESP_LOGI(TAG, "Prepare to restart system!");
    esp_restart();
}
