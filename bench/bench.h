/*
 * libota benchmarks: shared helpers. Every benchmark prints one line per
 * figure, `bench: NAME value=V limit=L ratio=V/L unit=U [details]`, where V is
 * what libota costs in this run and L the physical limit measured or modelled
 * in the same run (bench/README.md says which way is better for each).
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <mbedtls/sha256.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota.h"
#include "ota_port/hash_openssl.h"
#include "ota_port/simflash.h"
#include "spimodel.h"

#define BENCH_KIB 1024u
#define BENCH_MIB (1024u * 1024u)
#define BENCH_CHUNK 4096u /* what the application hands to ota_write */

/* ---- Timing and reporting ------------------------------------------------ */

typedef struct bench_task {
    void (*fn)(void *arg);
    void *arg;
} bench_task_t;

uint64_t bench_now_ns(void);

/* One untimed warm-up round, then `rounds` rounds running every task once in
 * turn (so they share the machine's noise); median_ns[i] is task i's median
 * and, when min_ns is not NULL, min_ns[i] its fastest round. */
void bench_interleave(const bench_task_t *tasks, size_t n, unsigned rounds, double *median_ns,
                      double *min_ns);

/* Print the result line; ratio = value / limit. details may be NULL. */
void bench_report(const char *name, double value, double limit, const char *unit,
                  const char *details);

/* Abort the run with a message when err is set (a benchmark never hides a failure). */
void bench_check(ota_err_t err, const char *what);

/* ---- SHA-256 engines ------------------------------------------------------- */

typedef struct bench_sha {
    mbedtls_sha256_context mbedtls_ctx;
    ota_openssl_sha256_t openssl_state;
    ota_hash_t mbedtls, openssl;
    const ota_hash_t *fastest;
    const char *fastest_name;
} bench_sha_t;

/* Set up both engines, time them over the same buffer, report, pick the fastest. */
void bench_sha_init(bench_sha_t *sha);
void bench_sha_free(bench_sha_t *sha);

/* One SHA-256 pass over len bytes with engine h. */
void bench_sha_pass(const ota_hash_t *h, const void *data, size_t len);

/* ---- Images and devices ------------------------------------------------------ */

typedef struct bench_img {
    uint8_t *data;
    size_t len;
} bench_img_t;

/* An ESP32 app of about `size` bytes (tools/imgpack), SHA-256 appended. */
bench_img_t bench_image(const char *version, uint32_t size);
void bench_image_free(bench_img_t *img);

/* Length of the application's chunk at offset off (BENCH_CHUNK, less at the end). */
size_t bench_chunk_len(const bench_img_t *img, size_t off);

typedef enum bench_backend { BENCH_RAM, BENCH_FILE } bench_backend_t;

/*
 * A device: nvs, otadata at 0xD000, phy, ota_0 and ota_1 of slot_size from
 * 0x10000; 4 KiB sectors, byte writes. With model, the library sees the flash
 * through the SPI NOR timing model.
 */
typedef struct bench_dev {
    ota_simflash_t sim;
    spimodel_t model;
    const ota_flash_t *flash; /* what the library is given */
    ota_partition_table_t table;
    const ota_partition_t *slot[2];
    const ota_partition_t *otadata;
    ota_ctx_t ctx;
    const ota_hash_t *sha;
    char path[64]; /* file backend */
    uint8_t scratch[4096];
} bench_dev_t;

void bench_dev_open(bench_dev_t *d, bench_backend_t backend, uint32_t slot_size,
                    const ota_hash_t *sha, bool model);
void bench_dev_close(bench_dev_t *d);

/* (Re)initialise d->ctx: running app (NULL: unknown), rollback option. */
void bench_dev_ctx(bench_dev_t *d, const ota_partition_t *running, bool rollback);

/* Zero the simulator's counters and wear and the model's tally. */
void bench_dev_reset_counts(bench_dev_t *d);

/* Put bytes at a partition's start through the simulator, uncounted (the state before a run). */
void bench_dev_put(bench_dev_t *d, const ota_partition_t *p, const bench_img_t *img);

/* The application's update: begin(mode) / write in 4 KiB chunks / end / set_boot_partition. */
void bench_update(ota_ctx_t *ctx, const ota_partition_t *p, ota_erase_mode_t mode,
                  const bench_img_t *img);

/*
 * Power-on: ota_boot_select over d->flash, checking images fully (verify) or
 * by their descriptor only. Returns the partition it starts.
 */
const ota_partition_t *bench_boot(bench_dev_t *d, bool rollback, bool verify);

/* Sectors of `len` bytes (rounded up). */
uint32_t bench_sectors(uint32_t len);

#endif
