/*
 * An ESP-IDF application in the style of ESP-IDF's simple_ota_example,
 * written only against ESP-IDF headers: one esp_https_ota() call, then
 * esp_restart(). What a chip's Kconfig and embedded files give it comes from
 * the environment: EXAMPLE_FIRMWARE_UPGRADE_URL, EXAMPLE_SERVER_CERT_PEM (the
 * CA's PEM text) and EXAMPLE_HTTP_REQUEST_SIZE (set: partial HTTP download in
 * requests of that many bytes).
 */
#include <stdio.h>
#include <stdlib.h>

#include "esp_err.h"
#include "esp_http_client.h"
#include "esp_https_ota.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"

#define HASH_LEN 32

static const char *TAG = "simple_ota_example";

void app_main(void);

static esp_err_t http_event_handler(esp_http_client_event_t *evt)
{
    switch (evt->event_id) {
    case HTTP_EVENT_ERROR:
        ESP_LOGD(TAG, "HTTP_EVENT_ERROR");
        break;
    case HTTP_EVENT_ON_CONNECTED:
        ESP_LOGD(TAG, "HTTP_EVENT_ON_CONNECTED");
        break;
    case HTTP_EVENT_HEADER_SENT:
        ESP_LOGD(TAG, "HTTP_EVENT_HEADER_SENT");
        break;
    case HTTP_EVENT_ON_HEADER:
        ESP_LOGD(TAG, "HTTP_EVENT_ON_HEADER, key=%s, value=%s", evt->header_key, evt->header_value);
        break;
    case HTTP_EVENT_ON_DATA:
        ESP_LOGD(TAG, "HTTP_EVENT_ON_DATA, len=%d", evt->data_len);
        break;
    case HTTP_EVENT_ON_FINISH:
        ESP_LOGD(TAG, "HTTP_EVENT_ON_FINISH");
        break;
    case HTTP_EVENT_DISCONNECTED:
        ESP_LOGD(TAG, "HTTP_EVENT_DISCONNECTED");
        break;
    case HTTP_EVENT_REDIRECT:
        ESP_LOGD(TAG, "HTTP_EVENT_REDIRECT");
        break;
    }
    return ESP_OK;
}

static void print_sha256(const uint8_t *image_hash, const char *label)
{
    char hash_print[HASH_LEN * 2 + 1];
    for (int i = 0; i < HASH_LEN; ++i) {
        sprintf(&hash_print[i * 2], "%02x", image_hash[i]);
    }
    ESP_LOGI(TAG, "%s %s", label, hash_print);
}

void app_main(void)
{
    uint8_t sha_256[HASH_LEN] = {0};
    if (esp_partition_get_sha256(esp_ota_get_running_partition(), sha_256) == ESP_OK) {
        print_sha256(sha_256, "SHA-256 for current firmware: ");
    }
    ESP_LOGI(TAG, "Starting OTA example task");
    esp_http_client_config_t config = {
        .url = getenv("EXAMPLE_FIRMWARE_UPGRADE_URL"),
        .cert_pem = getenv("EXAMPLE_SERVER_CERT_PEM"),
        .event_handler = http_event_handler,
        .keep_alive_enable = true,
    };
    esp_https_ota_config_t ota_config = {
        .http_config = &config,
    };
    const char *request_size = getenv("EXAMPLE_HTTP_REQUEST_SIZE");
    if (request_size) {
        ota_config.partial_http_download = true;
        ota_config.max_http_request_size = atoi(request_size);
    }
    ESP_LOGI(TAG, "Attempting to download update from %s", config.url);
    esp_err_t ret = esp_https_ota(&ota_config);
    if (ret == ESP_OK) {
        ESP_LOGI(TAG, "OTA Succeed, Rebooting...");
        esp_restart();
    }
    ESP_LOGE(TAG, "Firmware upgrade failed (%s)", esp_err_to_name(ret));
}
