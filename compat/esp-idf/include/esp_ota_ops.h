/*
 * libota's ESP-IDF facade: esp_ota_ops, the application's OTA API (spec §3),
 * with ESP-IDF's names, signatures and return codes, running on the device
 * the host program attached (esp_idf_host_attach).
 *
 * Where libota is deliberately safer than ESP-IDF (docs/DESIGN.md), the codes
 * stay ESP-IDF's: a refused esp_ota_begin leaves no live handle; begin
 * refuses the otadata partition and partitions overlapping the running app
 * (ESP_ERR_OTA_PARTITION_CONFLICT); esp_ota_write_with_offset works in
 * sequential mode instead of asserting; esp_ota_set_boot_partition refuses
 * the test app (ESP_ERR_NOT_SUPPORTED) instead of booting ota_0, and refuses a
 * too old secure_version (ESP_ERR_OTA_SMALL_SEC_VER) without erasing the slot.
 */
#ifndef ESP_OTA_OPS_H
#define ESP_OTA_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_app_desc.h"
#include "esp_app_format.h"
#include "esp_bootloader_desc.h"
#include "esp_err.h"
#include "esp_flash_partitions.h"
#include "esp_partition.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_SIZE_UNKNOWN 0xffffffff           /* esp_ota_begin: erase the whole partition */
#define OTA_WITH_SEQUENTIAL_WRITES 0xfffffffe /* esp_ota_begin: erase sectors as data arrives */

#define ESP_ERR_OTA_BASE 0x1500
#define ESP_ERR_OTA_PARTITION_CONFLICT (ESP_ERR_OTA_BASE + 0x01)
#define ESP_ERR_OTA_SELECT_INFO_INVALID (ESP_ERR_OTA_BASE + 0x02)
#define ESP_ERR_OTA_VALIDATE_FAILED (ESP_ERR_OTA_BASE + 0x03)
#define ESP_ERR_OTA_SMALL_SEC_VER (ESP_ERR_OTA_BASE + 0x04)
#define ESP_ERR_OTA_ROLLBACK_FAILED (ESP_ERR_OTA_BASE + 0x05)
#define ESP_ERR_OTA_ROLLBACK_INVALID_STATE (ESP_ERR_OTA_BASE + 0x06)
#define ESP_ERR_OTA_ALREADY_IN_PROGRESS (ESP_ERR_OTA_BASE + 0x07)
#define ESP_ERR_OTA_SPI_MODE_MISMATCH (ESP_ERR_OTA_BASE + 0x08)

typedef uint32_t esp_ota_handle_t;

typedef enum {
    SECURE_BOOT_PUBLIC_KEY_INDEX_0,
    SECURE_BOOT_PUBLIC_KEY_INDEX_1,
    SECURE_BOOT_PUBLIC_KEY_INDEX_2,
} esp_ota_secure_boot_public_key_index_t;

/*
 * Start writing an update to `partition`. image_size: OTA_SIZE_UNKNOWN or 0
 * erases the whole partition now, OTA_WITH_SEQUENTIAL_WRITES erases as data
 * arrives, anything else erases that many bytes (rounded up to a sector).
 * ESP_ERR_INVALID_ARG (NULL, or an app partition that is not an OTA slot),
 * ESP_ERR_NOT_FOUND, ESP_ERR_OTA_PARTITION_CONFLICT, ESP_ERR_OTA_ALREADY_IN_PROGRESS,
 * ESP_ERR_OTA_ROLLBACK_INVALID_STATE, ESP_ERR_INVALID_SIZE, ESP_ERR_NOT_ALLOWED,
 * flash errors.
 */
esp_err_t esp_ota_begin(const esp_partition_t *partition, size_t image_size,
                        esp_ota_handle_t *out_handle);

/* Continue an interrupted update at image_offset without erasing (erase_size: as image_size above). */
esp_err_t esp_ota_resume(const esp_partition_t *partition, const size_t erase_size,
                         const size_t image_offset, esp_ota_handle_t *out_handle);

/* Check (and with finalize_with_copy, copy to) `final` at esp_ota_end; before any write. */
esp_err_t esp_ota_set_final_partition(esp_ota_handle_t handle, const esp_partition_t *final,
                                      bool finalize_with_copy);

/* Append data. ESP_ERR_OTA_VALIDATE_FAILED when the first byte is not 0xE9 (apps). */
esp_err_t esp_ota_write(esp_ota_handle_t handle, const void *data, size_t size);

/* Write data at an offset of the partition (no checks of the content). */
esp_err_t esp_ota_write_with_offset(esp_ota_handle_t handle, const void *data, size_t size,
                                    uint32_t offset);

/* Finish: verify what was written; frees the handle whatever the result. */
esp_err_t esp_ota_end(esp_ota_handle_t handle);

/* Drop the handle; nothing is verified. */
esp_err_t esp_ota_abort(esp_ota_handle_t handle);

/* The partition the app runs from. */
const esp_partition_t *esp_ota_get_running_partition(void);

/* Verify the app in `partition` and make it the next boot. */
esp_err_t esp_ota_set_boot_partition(const esp_partition_t *partition);

/* The same without the image check. */
esp_err_t esp_ota_set_boot_partition_skip_validate(const esp_partition_t *partition);

/* What otadata designates for the next boot; NULL without an otadata partition. */
const esp_partition_t *esp_ota_get_boot_partition(void);

/* The OTA slot to update next (after start_from, NULL = the running partition). */
const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from);

/* ESP_ERR_NOT_SUPPORTED for non-app partitions, ESP_ERR_NOT_FOUND without a descriptor. */
esp_err_t esp_ota_get_partition_description(const esp_partition_t *partition,
                                            esp_app_desc_t *app_desc);

/* Of a bootloader partition, or (NULL) of the primary bootloader. */
esp_err_t esp_ota_get_bootloader_description(const esp_partition_t *bootloader_partition,
                                             esp_bootloader_desc_t *desc);

/* ota_0, ota_1, ... without a gap. */
uint8_t esp_ota_get_app_partition_count(void);

/* The active otadata entry becomes VALID (rollback cancelled). */
esp_err_t esp_ota_mark_app_valid_cancel_rollback(void);

/* The active entry becomes INVALID if there is something to roll back to. */
esp_err_t esp_ota_mark_app_invalid_rollback(void);

/* The same, then esp_restart() on success. */
esp_err_t esp_ota_mark_app_invalid_rollback_and_reboot(void);

/* The partition whose entry is INVALID or ABORTED (and whose image verifies), or NULL. */
const esp_partition_t *esp_ota_get_last_invalid_partition(void);

/* The otadata state of an OTA slot. ESP_ERR_NOT_SUPPORTED for other partitions. */
esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition,
                                      esp_ota_img_states_t *ota_state);

/* Erase the previously booted app partition and its otadata entry. */
esp_err_t esp_ota_erase_last_boot_app_partition(void);

/* Is there a verified app to roll back to? */
bool esp_ota_check_rollback_is_possible(void);

/* Erase the otadata entry that is not active. */
esp_err_t esp_ota_invalidate_inactive_ota_data_slot(void);

/*
 * Does an image (header, and for apps optionally its descriptor) suit the
 * device: chip id, revision range, SPI flash mode. ESP_ERR_INVALID_VERSION,
 * ESP_ERR_OTA_SPI_MODE_MISMATCH, ESP_ERR_INVALID_ARG.
 */
esp_err_t esp_ota_check_image_validity(esp_partition_type_t part_type,
                                       const esp_image_header_t *img_hdr,
                                       const esp_app_desc_t *app_desc);

/* Secure Boot key revocation: not available on this device (ESP_ERR_NOT_SUPPORTED). */
esp_err_t esp_ota_revoke_secure_boot_public_key(esp_ota_secure_boot_public_key_index_t index);

#ifdef __cplusplus
}
#endif

#endif
