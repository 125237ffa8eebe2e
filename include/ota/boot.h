/*
 * The bootloader's decision (spec §2.6, §2.7): which app partition to start,
 * given the partition table, otadata and the images, and which otadata writes
 * that boot performs. One call, ota_boot_select(), bit-compatible with
 * ESP-IDF's bootloader_utility_get_selected_boot_partition() followed by
 * bootloader_utility_load_boot_image(), so a libota bootloader and an ESP-IDF
 * app (or the reverse) agree on every otadata state.
 *
 * It is deliberately separate from the update path: a bootloader links
 * otadata.c (entries, read/write) and boot.c only. It does not load or jump
 * to the image; the caller does that with result.partition.
 *
 * Differences from ESP-IDF, all on the safe side:
 *   - by default otadata writes are power-loss safe (cfg->writes, ota/otadata.h);
 *   - otadata write and counter raise errors are recorded in the result
 *     (ESP-IDF only logs them);
 *   - with anti-rollback, an entry counts as valid only if check_image accepts
 *     the whole image (ESP-IDF reads just the version from the descriptor), so
 *     a corrupt newest slot is skipped at selection rather than at loading.
 */
#ifndef OTA_BOOT_H
#define OTA_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/config.h"
#include "ota/err.h"
#include "ota/flash.h"
#include "ota/otadata.h"
#include "ota/partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Start indices as the ESP-IDF bootloader numbers them; OTA slots are 0..15. */
#define OTA_BOOT_INDEX_FACTORY (-1)
#define OTA_BOOT_INDEX_TEST (-2)

/*
 * Verify the app image in p. Return OTA_OK if it is bootable and store the
 * secure_version of its app descriptor (only read with anti_rollback).
 */
typedef ota_err_t (*ota_boot_check_image_fn)(void *ctx, const ota_partition_t *p,
                                             uint32_t *secure_version);

/* Burn the anti-rollback counter up to `version` (only ever called with a larger value). */
typedef ota_err_t (*ota_boot_raise_version_fn)(void *ctx, uint32_t version);

typedef struct ota_boot_config {
    bool rollback;      /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    bool anti_rollback; /* CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK (needs rollback) */
    uint32_t secure_version;                /* current anti-rollback counter */
    ota_boot_raise_version_fn raise_version; /* required with anti_rollback */

    ota_boot_check_image_fn check_image; /* required */
    void *ctx;                           /* passed to both callbacks */

    /* GPIO requests, already debounced by the caller (and ignored on deep-sleep wake). */
    bool test_app_request;       /* CONFIG_BOOTLOADER_APP_TEST pin held */
    bool factory_reset_request;  /* CONFIG_BOOTLOADER_FACTORY_RESET pin held */
    const char *factory_reset_labels; /* data partitions to erase: "nvs, phy" (comma/space separated) */
    bool factory_reset_erase_otadata; /* CONFIG_BOOTLOADER_OTA_DATA_ERASE */

    /*
     * How otadata is written (ota/otadata.h). HARDENED (the default) first
     * resolves journal records of writes a power cut interrupted, putting a
     * cut copy's previous entry back, and journals its own rewrites; FAITHFUL
     * is ESP-IDF's bootloader byte for byte.
     */
    ota_writes_t writes;
} ota_boot_config_t;

typedef enum ota_boot_reason {
    OTA_BOOT_REASON_NO_OTADATA,      /* no otadata partition: factory */
    OTA_BOOT_REASON_NOTHING_SELECTABLE, /* both entries invalid or no OTA slots: factory, else ota_0 */
    OTA_BOOT_REASON_INITIAL_OTADATA, /* anti-rollback, both entries blank/corrupt: factory, ota_0, ... */
    OTA_BOOT_REASON_ACTIVE_ENTRY,    /* the slot of the active otadata entry */
    OTA_BOOT_REASON_NO_ACTIVE_ENTRY, /* entries present but none valid: factory index */
    OTA_BOOT_REASON_TEST_REQUEST,    /* test app requested */
} ota_boot_reason_t;

/* A sentence describing the reason; never NULL. */
const char *ota_boot_reason_text(ota_boot_reason_t reason);

typedef enum ota_boot_op_kind {
    OTA_BOOT_OP_WRITE_ENTRY,   /* erase copy `sector`, program `entry` */
    OTA_BOOT_OP_ERASE_OTADATA, /* factory reset erased every otadata partition (one op, first error) */
    OTA_BOOT_OP_RESTORE_ENTRY, /* hardened: copy `sector` got back the entry a cut rewrite lost */
} ota_boot_op_kind_t;

typedef struct ota_boot_op {
    ota_boot_op_kind_t kind;
    unsigned sector;
    ota_select_entry_t entry;
    ota_err_t err; /* result of the flash operation; the boot went on regardless */
} ota_boot_op_t;

/* Recovery restores at most 2 entries, selection writes at most 2; a factory
 * reset adds an erase and a second selection. */
#define OTA_BOOT_MAX_OPS 8u

typedef struct ota_boot_result {
    const ota_partition_t *partition; /* the image to start (points into the table); NULL on error */
    int start_index;    /* where loading started: OTA_BOOT_INDEX_* or a slot */
    int active_entry;   /* otadata copy used, -1 none */
    ota_boot_reason_t reason;
    bool fell_back;        /* an image tried before this one was rejected */
    bool initial_contents; /* ota_has_initial_contents: sector 0 gets {slot+1, VALID} */
    bool factory_reset;    /* the factory-reset request was carried out */
    ota_err_t factory_reset_err; /* first erase error of the factory reset, else OTA_OK */
    uint32_t secure_version;     /* anti-rollback counter after this boot */
    ota_err_t raise_err;         /* a refused counter raise (e.g. counter exhausted), else OTA_OK */
    size_t op_count;
    ota_boot_op_t ops[OTA_BOOT_MAX_OPS]; /* otadata writes in the order performed */
    /* The two otadata entries as the decision last read them, with its own
     * state changes applied (all 0xFF without otadata). Kept here, in the
     * caller's memory, rather than on the bootloader's stack. */
    ota_select_entry_t entries[2];
} ota_boot_result_t;

/*
 * Decide what to boot and perform the bootloader's otadata writes.
 * Errors: OTA_ERR_INVALID_ARG (NULL flash/table/cfg/out, no check_image,
 * anti_rollback without raise_version, unknown cfg->writes),
 * OTA_ERR_NOT_SUPPORTED (a feature this build leaves out, ota/config.h:
 * rollback, anti_rollback, factory_reset_request, test_app_request, or
 * writes HARDENED; nothing is read or written), OTA_ERR_OTADATA_SIZE
 * (otadata smaller than two copies: ESP-IDF resets), flash read errors on
 * otadata, OTA_ERR_BOOT_NO_TEST_APP (test requested, no test partition),
 * OTA_ERR_BOOT_NO_IMAGE (nothing bootable). On error *out still lists the
 * writes already done.
 */
ota_err_t ota_boot_select(const ota_flash_t *flash, const ota_partition_table_t *table,
                          const ota_boot_config_t *cfg, ota_boot_result_t *out);

#ifdef __cplusplus
}
#endif

#endif
