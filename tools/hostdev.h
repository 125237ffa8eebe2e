/*
 * A simulated ESP device on the host: the whole flash as a file (FLASH), its
 * partition table, the bootloader's decision, and a sidecar state file
 * FLASH.state for what a real device keeps outside the flash: the partition
 * the last boot started, the anti-rollback counter (eFuse), the chip, and the
 * partition table offset. Used by the CLI (ota flash / data / boot / update),
 * the facade tests and the sample programs.
 *
 * The flash is loaded into a RAM simulator and nothing reaches the files
 * until hostdev_save(), which replaces flash and state file each atomically
 * (temporary file + rename). So a command that fails leaves both untouched.
 *
 * State file: text lines "key=value" (running, secure_version, table_offset,
 * chip, chip_rev, boots); unknown keys are ignored, a missing file means a
 * device that never booted, table at 0x8000, any chip.
 */
#ifndef OTA_TOOLS_HOSTDEV_H
#define OTA_TOOLS_HOSTDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/boot.h"
#include "ota/ota.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/simflash.h"

#define HOSTDEV_SECTOR 0x1000u
#define HOSTDEV_STATE_SUFFIX ".state"
#define HOSTDEV_RESUME_SUFFIX ".resume" /* download progress record of `ota device` */
#define HOSTDEV_CHIP_NAME_MAX 16u

typedef struct hostdev_state {
    char running[OTA_PART_LABEL_LEN + 1]; /* app the last boot started; "" = never booted */
    uint32_t secure_version;              /* anti-rollback counter */
    uint32_t table_offset;
    char chip[HOSTDEV_CHIP_NAME_MAX];     /* "esp32c3"; "" = images for any chip are accepted */
    uint16_t chip_rev;                    /* OTA_CHIP_REV_ANY = not checked */
    uint32_t boots;                       /* boots so far (informational) */
} hostdev_state_t;

/* Build options of the device's bootloader and app. */
typedef struct hostdev_build {
    bool rollback;      /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    bool anti_rollback; /* CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK (implies rollback) */
} hostdev_build_t;

/* Pins held at one power-on (ESP-IDF's factory-reset and app-test GPIOs). */
typedef struct hostdev_pins {
    bool factory_reset;               /* erase otadata and the data partitions listed below */
    const char *factory_reset_labels; /* "nvs, phy_init" (CONFIG_BOOTLOADER_DATA_FACTORY_RESET) */
    bool test_app;                    /* boot the test app */
} hostdev_pins_t;

typedef struct hostdev {
    ota_simflash_t sim;
    ota_partition_table_t table;
    hostdev_state_t state;
    ota_image_device_t device; /* valid when state.chip is set */
    const ota_partition_t *running;
    mbedtls_sha256_context sha256_ctx;
    mbedtls_md5_context md5_ctx;
    ota_hash_t sha256, md5;
    uint8_t scratch[HOSTDEV_SECTOR];
    ota_ctx_t ota;         /* the app's context, set up by hostdev_app() */
    char error[320];       /* why the last call failed, for messages */
} hostdev_t;

/*
 * A blank device: flash_size bytes of 0xFF with the binary table table_bin
 * (table_len <= one sector) at table_offset; chip NULL or "" = any chip.
 * Errors: OTA_ERR_INVALID_ARG (geometry, table position, unknown chip),
 * partition table errors, OTA_ERR_IO.
 */
ota_err_t hostdev_create(hostdev_t *d, uint32_t flash_size, uint32_t table_offset,
                         const uint8_t *table_bin, size_t table_len, const char *chip);

/* Load FLASH and FLASH.state. Errors: OTA_ERR_IO (files), OTA_ERR_INVALID_ARG
 * (state file malformed or naming an unknown partition), partition table errors. */
ota_err_t hostdev_load(hostdev_t *d, const char *flash_path);

/* Write FLASH and FLASH.state, each atomically. Errors: OTA_ERR_IO. */
ota_err_t hostdev_save(hostdev_t *d, const char *flash_path);

void hostdev_close(hostdev_t *d);

/* Partition by label, or NULL. */
const ota_partition_t *hostdev_part(const hostdev_t *d, const char *label);

/* Erase the partition, then program data at its start (as esptool write-flash).
 * Errors: OTA_ERR_NOT_FOUND, OTA_ERR_OTA_TOO_LARGE, flash errors. */
ota_err_t hostdev_write_partition(hostdev_t *d, const char *label, const uint8_t *data, size_t len);

/*
 * Power on: run the bootloader's decision (ota_boot_select, images verified
 * for the device's chip, secure_version from their descriptors), apply its
 * otadata writes, record the partition it starts and the counter. pins may
 * be NULL (none held).
 * Errors: those of ota_boot_select() (OTA_ERR_BOOT_NO_IMAGE: nothing bootable;
 * state.running is then "").
 */
ota_err_t hostdev_boot(hostdev_t *d, const hostdev_build_t *build, const hostdev_pins_t *pins,
                       ota_boot_result_t *res);

/*
 * Set up d->ota for the app that runs now (state.running; none before the
 * first boot). Errors: those of ota_init().
 */
ota_err_t hostdev_app(hostdev_t *d, const hostdev_build_t *build);

#endif
