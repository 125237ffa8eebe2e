/*
 * A simulated ESP device on the host: the whole flash as a file (FLASH), its
 * partition table, the bootloader's decision, and a sidecar state file
 * FLASH.state for what a real device keeps outside the flash: the partition
 * the last boot started, the anti-rollback counter (eFuse) and the size of
 * its eFuse field, the chip, and the partition table offset. Used by the CLI (ota flash / data / boot / update),
 * the facade tests and the sample programs.
 *
 * The flash is loaded into a RAM simulator and nothing reaches the files
 * until hostdev_save(), which replaces flash and state file each atomically
 * (temporary file + rename). So a command that fails leaves both untouched.
 *
 * State file: text lines "key=value" (running, secure_version,
 * secure_version_bits, table_offset, chip, chip_rev, boots); unknown keys are
 * ignored, a missing file means a device that never booted, table at 0x8000,
 * any chip, counter 0 in the chip's largest field (hostdev_counter_bits_default).
 */
#ifndef OTA_TOOLS_HOSTDEV_H
#define OTA_TOOLS_HOSTDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/boot.h"
#include "ota/boot_image.h"
#include "ota/ota.h"
#include "ota/sigpolicy.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/simflash.h"

#define HOSTDEV_SECTOR 0x1000u
#define HOSTDEV_STATE_SUFFIX ".state"
#define HOSTDEV_RESUME_SUFFIX ".resume" /* download progress record of `ota device` */
#define HOSTDEV_CHIP_NAME_MAX 16u

typedef struct hostdev_state {
    char running[OTA_PART_LABEL_LEN + 1]; /* app the last boot started; "" = never booted */
    uint32_t secure_version;              /* anti-rollback counter: bits burnt */
    uint32_t secure_version_bits;         /* its eFuse field: the counter never exceeds it */
    uint32_t table_offset;
    char chip[HOSTDEV_CHIP_NAME_MAX];     /* "esp32c3"; "" = images for any chip are accepted */
    uint16_t chip_rev;                    /* OTA_CHIP_REV_ANY = not checked */
    uint32_t boots;                       /* boots so far (informational) */
} hostdev_state_t;

/* Secure Boot v2 public-key digests as the device's eFuse holds them. */
typedef struct hostdev_keys {
    const uint8_t (*digests)[OTA_SHA256_LEN];
    size_t count;     /* 0: signatures are not required; at most OTA_SIGV2_MAX_TRUSTED */
    uint32_t revoked; /* bit i set: digests[i] is revoked */
} hostdev_keys_t;

/* Build options of the device's bootloader and app. */
typedef struct hostdev_build {
    bool rollback;      /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    bool anti_rollback; /* CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK (implies rollback) */
    /* Secure Boot v2: with keys, bootloader and app accept only app images
     * signed by one of them (ota_sig_policy_check, any scheme). */
    hostdev_keys_t require_signed;
    ota_writes_t writes; /* otadata writes of bootloader and app: hardened (default) or ESP-IDF's */
} hostdev_build_t;

/* The anti-rollback counter as eFuse holds it. */
typedef struct hostdev_counter {
    uint32_t value;     /* = state.secure_version */
    uint32_t bits;      /* the field's size: the highest value it can reach */
    uint32_t remaining; /* bits - value: raises still possible */
} hostdev_counter_t;

/* An image the bootloader's check refused at the last boot. */
typedef struct hostdev_rejection {
    const ota_partition_t *partition;
    ota_err_t err;
} hostdev_rejection_t;

#define HOSTDEV_REJECTIONS_MAX (OTA_OTADATA_MAX_SLOTS + 2u) /* slots, factory, test */
#define HOSTDEV_COUNTER_BITS_MAX 32u

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
    mbedtls_sha512_context sha384_ctx;
    mbedtls_md5_context md5_ctx;
    ota_hash_t sha256, sha384, md5;
    ota_sig_engine_t sig_engine;
    ota_sig_policy_t sig_policy; /* "require signed", set up from the build */
    uint8_t sig_buf[OTA_SIGV2_BUF_MIN + HOSTDEV_SECTOR];
    uint8_t scratch[HOSTDEV_SECTOR];
    ota_boot_image_check_t boot_check;
    hostdev_rejection_t rejected[HOSTDEV_REJECTIONS_MAX]; /* at the last boot, one per partition */
    size_t rejected_count;
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

/* The counter's eFuse field size when the state file does not say: the
 * largest CONFIG_BOOTLOADER_APP_SEC_VER_SIZE_EFUSE_FIELD of the chip (spec
 * §2.7: ESP32 32, C2 4, C5 9, others and any chip 16). */
uint32_t hostdev_counter_bits_default(const hostdev_t *d);

/* Give the counter an eFuse field of `bits` bits (1..32, not below its value).
 * Errors: OTA_ERR_INVALID_ARG. */
ota_err_t hostdev_set_counter_bits(hostdev_t *d, uint32_t bits);

/* The anti-rollback counter and its remaining budget. */
hostdev_counter_t hostdev_counter(const hostdev_t *d);

/* Partition by label, or NULL. */
const ota_partition_t *hostdev_part(const hostdev_t *d, const char *label);

/* Erase the partition, then program data at its start (as esptool write-flash).
 * Errors: OTA_ERR_NOT_FOUND, OTA_ERR_OTA_TOO_LARGE, flash errors. */
ota_err_t hostdev_write_partition(hostdev_t *d, const char *label, const uint8_t *data, size_t len);

/*
 * Power on: run the bootloader's decision (ota_boot_select, images verified
 * for the device's chip and, with build->require_signed, their signatures;
 * secure_version from their descriptors), apply its otadata writes, record
 * the partition it starts, the counter and the images refused
 * (d->rejected). The counter refuses to go beyond its bits
 * (OTA_ERR_OTA_SEC_VER_EXHAUSTED, in res->raise_err; the boot goes on).
 * pins may be NULL (none held).
 * Errors: those of ota_boot_select() (OTA_ERR_BOOT_NO_IMAGE: nothing bootable;
 * state.running is then "").
 */
ota_err_t hostdev_boot(hostdev_t *d, const hostdev_build_t *build, const hostdev_pins_t *pins,
                       ota_boot_result_t *res);

/*
 * Set up d->ota for the app that runs now (state.running; none before the
 * first boot), with the counter's budget as cfg.secure_version_max and,
 * with build->require_signed, the signature policy.
 * Errors: OTA_ERR_INVALID_ARG (more keys than OTA_SIGV2_MAX_TRUSTED), those
 * of ota_init().
 */
ota_err_t hostdev_app(hostdev_t *d, const hostdev_build_t *build);

#endif
