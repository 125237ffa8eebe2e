/*
 * libota's ESP-IDF facade: the image verifier's error codes (returned by
 * esp_partition_get_sha256) and the image format types.
 */
#ifndef ESP_IMAGE_FORMAT_H
#define ESP_IMAGE_FORMAT_H

#include "esp_app_format.h"
#include "esp_err.h"

#define ESP_ERR_IMAGE_BASE 0x2000
#define ESP_ERR_IMAGE_FLASH_FAIL (ESP_ERR_IMAGE_BASE + 1)
#define ESP_ERR_IMAGE_INVALID (ESP_ERR_IMAGE_BASE + 2)

#endif
