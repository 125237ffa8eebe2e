/*
 * Build-time features of the core, as ESP-IDF's bootloader Kconfig options
 * are. Each is 1 (compiled in, the default) or 0 (compiled out: its code is
 * not linked). Define them for every file of src/ alike, e.g.
 * -DOTA_CONFIG_BOOT_FACTORY_RESET=0; the host build (CMake) keeps every
 * feature in. A request for a feature that is compiled out is refused with
 * OTA_ERR_NOT_SUPPORTED before anything is read or written, never ignored:
 * a bootloader that passes such a request fails on the bench, not in the field.
 *
 * The other build options: OTA_OTADATA_MAX_WRITE_SIZE (ota/otadata.h) and
 * OTA_CHIP_ONLY (ota/image.h). docs/DESIGN.md, "Footprint", has what each
 * feature costs.
 */
#ifndef OTA_CONFIG_H
#define OTA_CONFIG_H

/*
 * Power-loss safe otadata writes (OTA_WRITES_HARDENED, ota/otadata.h): the
 * journal and the recovery. Without it only OTA_WRITES_FAITHFUL, ESP-IDF's
 * write sequence, is accepted.
 */
#ifndef OTA_CONFIG_HARDENED_WRITES
#define OTA_CONFIG_HARDENED_WRITES 1
#endif

/* ota_boot_select (ota/boot.h): ota_boot_config_t.rollback, CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE. */
#ifndef OTA_CONFIG_BOOT_ROLLBACK
#define OTA_CONFIG_BOOT_ROLLBACK 1
#endif

/* ota_boot_config_t.anti_rollback, CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK (needs rollback). */
#ifndef OTA_CONFIG_BOOT_ANTI_ROLLBACK
#define OTA_CONFIG_BOOT_ANTI_ROLLBACK OTA_CONFIG_BOOT_ROLLBACK
#endif

/* ota_boot_config_t.factory_reset_request, CONFIG_BOOTLOADER_FACTORY_RESET. */
#ifndef OTA_CONFIG_BOOT_FACTORY_RESET
#define OTA_CONFIG_BOOT_FACTORY_RESET 1
#endif

/* ota_boot_config_t.test_app_request, CONFIG_BOOTLOADER_APP_TEST. */
#ifndef OTA_CONFIG_BOOT_TEST_APP
#define OTA_CONFIG_BOOT_TEST_APP 1
#endif

#if OTA_CONFIG_BOOT_ANTI_ROLLBACK && !OTA_CONFIG_BOOT_ROLLBACK
#error "OTA_CONFIG_BOOT_ANTI_ROLLBACK needs OTA_CONFIG_BOOT_ROLLBACK (as in ESP-IDF)"
#endif

#endif
