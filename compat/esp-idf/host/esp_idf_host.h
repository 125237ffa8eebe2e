/*
 * Host side of libota's ESP-IDF facade: what a host program does that
 * ESP-IDF's startup code and the chip do on a device. Not an ESP-IDF header.
 *
 * The facade keeps ESP-IDF's process-wide state (the attached device, the
 * canonical esp_partition_t objects, the update handles); this is how a host
 * program sets it up.
 */
#ifndef ESP_IDF_HOST_H
#define ESP_IDF_HOST_H

#include <stdbool.h>

#include "ota/ota.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Run ESP-IDF application code on ctx (an initialised libota context whose
 * cfg.running is the app that "runs"). Replaces a previous device: its
 * update handles are dropped. ctx must stay valid until detach or the next
 * attach. Returns 0, or -1 when the table has more partitions than the
 * facade holds.
 */
int esp_idf_host_attach(ota_ctx_t *ctx);

/* Forget the device and drop all update handles (frees the facade's memory). */
void esp_idf_host_detach(void);

/* The attached context, or NULL. */
ota_ctx_t *esp_idf_host_ctx(void);

/*
 * What esp_restart() does: call hook(arg), which must not return (e.g. it
 * longjmps back to the host program's boot loop). NULL hook: esp_restart()
 * aborts the program.
 */
void esp_idf_host_set_restart(void (*hook)(void *arg), void *arg);

/* CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP: let esp_https_ota use plain http:// (default: refused). */
void esp_idf_host_https_ota_allow_http(bool allow);

/* The esp_err_t ESP-IDF returns for a libota error in general (function-specific cases aside). */
int esp_idf_host_err(ota_err_t err);

#ifdef __cplusplus
}
#endif

#endif
