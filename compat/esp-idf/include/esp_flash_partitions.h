/*
 * libota's ESP-IDF facade: on-flash layouts of the partition table (spec
 * §1.2-§1.4) and of otadata (§2.1-§2.3).
 */
#ifndef ESP_FLASH_PARTITIONS_H
#define ESP_FLASH_PARTITIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_PARTITION_MAGIC 0x50AA
#define ESP_PARTITION_MAGIC_MD5 0xEBEB

#define PART_TYPE_APP 0x00
#define PART_SUBTYPE_FACTORY 0x00
#define PART_SUBTYPE_OTA_FLAG 0x10
#define PART_SUBTYPE_OTA_MASK 0x0f
#define PART_SUBTYPE_TEST 0x20

#define PART_TYPE_DATA 0x01
#define PART_SUBTYPE_DATA_OTA 0x00
#define PART_SUBTYPE_DATA_RF 0x01
#define PART_SUBTYPE_DATA_WIFI 0x02
#define PART_SUBTYPE_DATA_NVS_KEYS 0x04
#define PART_SUBTYPE_DATA_EFUSE_EM 0x05

#define PART_TYPE_BOOTLOADER 0x02
#define PART_TYPE_PARTITION_TABLE 0x03

#define PART_TYPE_END 0xff
#define PART_SUBTYPE_END 0xff

#define PART_FLAG_ENCRYPTED (1 << 0)
#define PART_FLAG_READONLY (1 << 1)

#define ESP_PARTITION_TABLE_MAX_LEN 0xC00

/* otadata entry states. */
typedef enum {
    ESP_OTA_IMG_NEW = 0x0U,            /* set by esp_ota_set_boot_partition with rollback */
    ESP_OTA_IMG_PENDING_VERIFY = 0x1U, /* first boot in progress */
    ESP_OTA_IMG_VALID = 0x2U,          /* confirmed by the app */
    ESP_OTA_IMG_INVALID = 0x3U,        /* rejected by the app */
    ESP_OTA_IMG_ABORTED = 0x4U,        /* not confirmed before a reset */
    ESP_OTA_IMG_UNDEFINED = 0xFFFFFFFFU,
} esp_ota_img_states_t;

/* One otadata copy (32 bytes at the start of each otadata sector). */
typedef struct {
    uint32_t ota_seq;
    uint8_t seq_label[20];
    uint32_t ota_state;
    uint32_t crc; /* CRC-32 of ota_seq (spec §2.2) */
} esp_ota_select_entry_t;

typedef struct {
    uint32_t offset;
    uint32_t size;
} esp_partition_pos_t;

/* One partition table entry (32 bytes). */
typedef struct {
    uint16_t magic;
    uint8_t type;
    uint8_t subtype;
    esp_partition_pos_t pos;
    uint8_t label[16];
    uint32_t flags;
} esp_partition_info_t;

_Static_assert(sizeof(esp_ota_select_entry_t) == 32, "otadata entry is 32 bytes");
_Static_assert(sizeof(esp_partition_info_t) == 32, "partition entry is 32 bytes");

/*
 * Check a table of ESP_PARTITION_TABLE_MAX_LEN bytes like the bootloader:
 * entries inside the attached device's flash, MD5 entry (when the host gave
 * an MD5 engine). *num_partitions gets the number of partitions.
 * ESP_ERR_INVALID_SIZE (partition past the flash) or ESP_ERR_INVALID_STATE.
 */
esp_err_t esp_partition_table_verify(const esp_partition_info_t *partition_table, bool log_errors,
                                     int *num_partitions);

#ifdef __cplusplus
}
#endif

#endif
