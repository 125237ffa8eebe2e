/* esp_err_to_name and the ESP_ERROR_CHECK failure path. */
#include "esp_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_http_client.h"
#include "esp_https_ota.h"
#include "esp_image_format.h"
#include "esp_ota_ops.h"

#define NAME(code) {code, #code}

static const struct {
    esp_err_t code;
    const char *name;
} k_names[] = {
    NAME(ESP_OK),
    NAME(ESP_FAIL),
    NAME(ESP_ERR_NO_MEM),
    NAME(ESP_ERR_INVALID_ARG),
    NAME(ESP_ERR_INVALID_STATE),
    NAME(ESP_ERR_INVALID_SIZE),
    NAME(ESP_ERR_NOT_FOUND),
    NAME(ESP_ERR_NOT_SUPPORTED),
    NAME(ESP_ERR_TIMEOUT),
    NAME(ESP_ERR_INVALID_RESPONSE),
    NAME(ESP_ERR_INVALID_CRC),
    NAME(ESP_ERR_INVALID_VERSION),
    NAME(ESP_ERR_INVALID_MAC),
    NAME(ESP_ERR_NOT_FINISHED),
    NAME(ESP_ERR_NOT_ALLOWED),
    NAME(ESP_ERR_FLASH_OP_FAIL),
    NAME(ESP_ERR_FLASH_OP_TIMEOUT),
    NAME(ESP_ERR_IMAGE_FLASH_FAIL),
    NAME(ESP_ERR_IMAGE_INVALID),
    NAME(ESP_ERR_OTA_PARTITION_CONFLICT),
    NAME(ESP_ERR_OTA_SELECT_INFO_INVALID),
    NAME(ESP_ERR_OTA_VALIDATE_FAILED),
    NAME(ESP_ERR_OTA_SMALL_SEC_VER),
    NAME(ESP_ERR_OTA_ROLLBACK_FAILED),
    NAME(ESP_ERR_OTA_ROLLBACK_INVALID_STATE),
    NAME(ESP_ERR_OTA_ALREADY_IN_PROGRESS),
    NAME(ESP_ERR_OTA_SPI_MODE_MISMATCH),
    NAME(ESP_ERR_HTTP_MAX_REDIRECT),
    NAME(ESP_ERR_HTTP_CONNECT),
    NAME(ESP_ERR_HTTP_WRITE_DATA),
    NAME(ESP_ERR_HTTP_FETCH_HEADER),
    NAME(ESP_ERR_HTTP_INVALID_TRANSPORT),
    NAME(ESP_ERR_HTTP_CONNECTING),
    NAME(ESP_ERR_HTTP_EAGAIN),
    NAME(ESP_ERR_HTTP_CONNECTION_CLOSED),
    NAME(ESP_ERR_HTTP_NOT_MODIFIED),
    NAME(ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE),
    NAME(ESP_ERR_HTTP_READ_TIMEOUT),
    NAME(ESP_ERR_HTTP_INCOMPLETE_DATA),
    NAME(ESP_ERR_HTTPS_OTA_IN_PROGRESS),
};

const char *esp_err_to_name(esp_err_t code)
{
    for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++) {
        if (k_names[i].code == code) {
            return k_names[i].name;
        }
    }
    return "UNKNOWN ERROR";
}

const char *esp_err_to_name_r(esp_err_t code, char *buf, size_t buflen)
{
    if (buf && buflen) {
        snprintf(buf, buflen, "%s", esp_err_to_name(code));
    }
    return buf;
}

void _esp_error_check_failed_without_abort(esp_err_t rc, const char *file, int line,
                                           const char *function, const char *expression)
{
    fprintf(stderr, "ESP_ERROR_CHECK failed: esp_err_t 0x%x (%s) at %s:%d\nfunction: %s\nexpression: %s\n",
            (unsigned)rc, esp_err_to_name(rc), file, line, function, expression);
}

void _esp_error_check_failed(esp_err_t rc, const char *file, int line, const char *function,
                             const char *expression)
{
    _esp_error_check_failed_without_abort(rc, file, line, function, expression);
    abort();
}
