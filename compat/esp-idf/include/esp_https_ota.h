/*
 * libota's ESP-IDF facade: esp_https_ota (spec §5), over esp_http_client.h
 * and esp_ota_ops.h as in ESP-IDF: begin connects and checks the answer,
 * perform streams the image into the update partition one read at a time,
 * finish verifies it and makes it the boot partition.
 *
 * Differences from ESP-IDF, each towards "a bad download never touches
 * anything": the image header (chip id, revision) is checked before
 * esp_ota_begin, not after; begin refuses a Content-Length larger than the
 * update partition (ESP_ERR_INVALID_SIZE); a resumed download is continued
 * only from a 206 whose Content-Range starts at the resume offset (any other
 * answer restarts from byte 0, a 200 is used as that restart); perform fails
 * with ESP_ERR_HTTP_EAGAIN after 3 consecutive reads without data (ESP-IDF
 * retries forever). No events are posted (there is no esp_event loop);
 * the decrypt callback, bootloader descriptors and HTTP authentication are
 * not provided. Plain http:// is refused unless the host program allowed it
 * (esp_idf_host_https_ota_allow_http(), CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP).
 */
#ifndef ESP_HTTPS_OTA_H
#define ESP_HTTPS_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_app_desc.h"
#include "esp_err.h"
#include "esp_http_client.h"
#include "esp_partition.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_ERR_HTTPS_OTA_BASE 0x9000
#define ESP_ERR_HTTPS_OTA_IN_PROGRESS (ESP_ERR_HTTPS_OTA_BASE + 1)

typedef void *esp_https_ota_handle_t;
typedef esp_err_t (*http_client_init_cb_t)(esp_http_client_handle_t);

typedef struct {
    const esp_http_client_config_t *http_config; /* required */
    http_client_init_cb_t http_client_init_cb;   /* called after the client is made */
    bool bulk_flash_erase;      /* erase the image's size at begin (default: sector by sector) */
    bool partial_http_download; /* the image in Range requests of max_http_request_size */
    int max_http_request_size;  /* 0: 64 KiB */
    uint32_t buffer_caps;       /* ignored */
    bool ota_resumption;        /* continue at ota_image_bytes_written (esp_https_ota_begin only) */
    size_t ota_image_bytes_written;
    struct {
        const esp_partition_t *staging; /* NULL: esp_ota_get_next_update_partition(NULL) */
        const esp_partition_t *final;   /* NULL: staging */
        bool finalize_with_copy;
    } partition;
} esp_https_ota_config_t;

/*
 * The whole update: begin, perform until done, finish (abort on error).
 * ESP_OK: the new app boots next (call esp_restart()). ESP_ERR_INVALID_ARG,
 * ESP_ERR_NOT_SUPPORTED (ota_resumption), and the errors of begin / perform
 * / finish.
 */
esp_err_t esp_https_ota(const esp_https_ota_config_t *ota_config);

/*
 * Connect and check the answer (*handle is NULL on error): ESP_ERR_INVALID_ARG
 * (NULL, no http_config or url, no way to verify the server, http:// not
 * allowed), ESP_ERR_HTTP_CONNECT, ESP_ERR_HTTP_FETCH_HEADER,
 * ESP_ERR_HTTP_NOT_MODIFIED (304), ESP_FAIL (other statuses, no update
 * partition), ESP_ERR_INVALID_SIZE (image larger than the partition),
 * ESP_ERR_NO_MEM.
 */
esp_err_t esp_https_ota_begin(const esp_https_ota_config_t *ota_config,
                              esp_https_ota_handle_t *handle);

/*
 * One step: ESP_ERR_HTTPS_OTA_IN_PROGRESS (call again), ESP_OK (the whole
 * image is written), or an error: ESP_ERR_INVALID_VERSION (chip id or
 * revision), ESP_ERR_OTA_VALIDATE_FAILED (not an app image), ESP_FAIL
 * (connection lost before the end), ESP_ERR_HTTP_EAGAIN (stalled), those of
 * esp_ota_begin / esp_ota_resume / esp_ota_write.
 */
esp_err_t esp_https_ota_perform(esp_https_ota_handle_t https_ota_handle);

/* Did the response deliver its whole body? */
bool esp_https_ota_is_complete_data_received(esp_https_ota_handle_t https_ota_handle);

/*
 * esp_ota_end, then (perform returned ESP_OK and the final partition is an
 * OTA slot) esp_ota_set_boot_partition; frees the handle whatever happens.
 * ESP_OK, ESP_ERR_INVALID_ARG, ESP_ERR_OTA_VALIDATE_FAILED and the errors of
 * esp_ota_end / esp_ota_set_boot_partition.
 */
esp_err_t esp_https_ota_finish(esp_https_ota_handle_t https_ota_handle);

/* Give up: esp_ota_abort if writing started, free the handle. ESP_OK, ESP_ERR_INVALID_ARG. */
esp_err_t esp_https_ota_abort(esp_https_ota_handle_t https_ota_handle);

/*
 * The new image's app descriptor, between begin and the first perform (read
 * from the stream, or from flash when resuming). ESP_OK, ESP_ERR_INVALID_ARG,
 * ESP_ERR_INVALID_STATE (perform already started), ESP_FAIL (no descriptor).
 */
esp_err_t esp_https_ota_get_img_desc(esp_https_ota_handle_t https_ota_handle,
                                     esp_app_desc_t *new_app_info);

/* Image bytes written so far, the resume offset included; -1 before perform started. */
int esp_https_ota_get_image_len_read(esp_https_ota_handle_t https_ota_handle);

/* The image's total size, -1 when unknown (chunked). */
int esp_https_ota_get_image_size(esp_https_ota_handle_t https_ota_handle);

/* HTTP status of the last response, -1 for a NULL handle. */
int esp_https_ota_get_status_code(esp_https_ota_handle_t https_ota_handle);

#ifdef __cplusplus
}
#endif

#endif
