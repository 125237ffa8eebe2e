/*
 * A simulated ESP-style device for otadata / boot tests: a RAM simflash
 * behind a flashlog, and a partition table built in code like the vectors'
 * tables (nvs, otadata at 0xD000, phy, [factory], ota_0 .. ota_{n-1}, [test]),
 * with 64 KiB app partitions by default. With sectors larger than 4 KiB every
 * data partition is sector-aligned (nvs one sector, otadata two, phy one,
 * from 0x10000) and the apps follow on the next 64 KiB boundary. Images are not real: tu_otadev_image_ok and
 * tu_otadev_check_image accept every app partition unless the test marks it
 * bad, and report the secure_version the test set. tu_otadev_ctx() gives an
 * ota_ctx_t that verifies real images instead (put them with tu_otadev_put).
 */
#ifndef OTA_TEST_OTADEV_H
#define OTA_TEST_OTADEV_H

#include <stdbool.h>
#include <stdint.h>

#include "flashlog.h"
#include "ota/ota.h"
#include "ota/otadata.h"
#include "ota/partition.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/simflash.h"

#define TU_OTADATA_OFFSET 0xD000u

typedef struct tu_otadev_opts {
    unsigned app_count;  /* ota_0 .. ota_{app_count-1} */
    bool has_factory;
    bool has_test;
    uint32_t write_size;  /* 0 = 1 */
    uint32_t sector_size; /* 0 = 0x1000 */
    uint32_t app_size;    /* bytes per app partition, 0 = 0x10000; rounded up to 64 KiB */
    bool tight_flash;     /* the flash ends with the last partition (default: at least 2 MiB) */
    ota_writes_t writes;  /* otadata writes of tu_otadev_ctx() contexts */
} tu_otadev_opts_t;

typedef struct tu_otadev {
    tu_otadev_opts_t opts;
    ota_simflash_t sim;
    tu_flashlog_t log;
    const ota_flash_t *flash; /* = &log.flash: what the library is given */
    ota_partition_table_t table;
    const ota_partition_t *otadata;
    bool bad[OTA_PART_MAX_ENTRIES];                /* image rejected, by table index */
    uint32_t secure_version[OTA_PART_MAX_ENTRIES]; /* by table index */
    unsigned checks;                               /* image checks performed */
    mbedtls_sha256_context sha256_ctx;             /* for tu_otadev_ctx */
    ota_hash_t sha256;
    uint8_t scratch[1024];
} tu_otadev_t;

/* Build the device (asserts on failure). The flash is erased, the log empty. */
void tu_otadev_init(tu_otadev_t *dev, const tu_otadev_opts_t *opts);
void tu_otadev_free(tu_otadev_t *dev);

/* Partition by label ("factory", "ota_1", ...); fails the test if absent. */
const ota_partition_t *tu_otadev_part(const tu_otadev_t *dev, const char *label);

/* Mark the image of a partition (by label) bad or good; set its secure_version. */
void tu_otadev_set_bad(tu_otadev_t *dev, const char *label, bool bad);
void tu_otadev_set_version(tu_otadev_t *dev, const char *label, uint32_t version);

/* Put raw otadata bytes (len <= partition size) at the otadata partition, the
 * rest erased, bypassing the log. */
void tu_otadev_poke_otadata(tu_otadev_t *dev, const uint8_t *img, size_t len);

/* The otadata partition's bytes as they are now (0x2000 on 4 KiB sectors). */
const uint8_t *tu_otadev_otadata_bytes(const tu_otadev_t *dev);

/* SHA-256 of the otadata partition's bytes as lowercase hex (65 bytes with NUL). */
void tu_otadev_otadata_sha256_hex(const tu_otadev_t *dev, char hex[65]);

/* Store {seq, state} with its CRC as copy `sector` the way ESP-IDF writes it
 * (ota_otadata_write_entry, through the log), then clear the log: a test's
 * starting state. */
void tu_otadev_put_entry(tu_otadev_t *dev, unsigned sector, uint32_t seq, uint32_t state);

/* The two entries as stored now. */
void tu_otadev_entries(const tu_otadev_t *dev, ota_select_entry_t e[2]);

/* ota_image_ok_fn / ota_boot_check_image_fn over the marks above; ctx = the device. */
ota_err_t tu_otadev_image_ok(void *ctx, const ota_partition_t *p);
ota_err_t tu_otadev_check_image(void *ctx, const ota_partition_t *p, uint32_t *secure_version);

/*
 * An update context over the device's (logged) flash and table, verifying
 * real images for any chip: running = label of the running app (NULL: unknown).
 */
void tu_otadev_ctx(tu_otadev_t *dev, ota_ctx_t *ctx, const char *running, bool rollback);

/* The configuration tu_otadev_ctx uses, for a test to add to before ota_init. */
void tu_otadev_config(tu_otadev_t *dev, ota_config_t *cfg, const char *running, bool rollback);

/* Erase a partition and put data at its start, bypassing the log. */
void tu_otadev_put(tu_otadev_t *dev, const char *label, const uint8_t *data, size_t len);

/* Bytes to lowercase hex; out must hold 2*len+1. */
void tu_hex(const uint8_t *buf, size_t len, char *out);

#endif
