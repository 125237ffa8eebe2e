/*
 * Host flash simulator: a NOR flash in RAM or backed by a file, with exact
 * operation counters, per-sector wear, and fault injection (power cut with
 * torn operations, I/O errors). It is the port used by the tests, the CLI,
 * the simulated device and the power-loss runner.
 *
 * NOR rules enforced on every call (the library should never break them):
 *   - range: addr + len <= size, else OTA_ERR_FLASH_RANGE
 *   - write: addr and len multiples of write_size, else OTA_ERR_FLASH_ALIGN
 *   - erase: addr a multiple of sector_size, else OTA_ERR_FLASH_ALIGN
 *   - program may only clear bits: a write that would turn a 0 into a 1 fails
 *     with OTA_ERR_FLASH_NOT_ERASED and changes nothing, unless `and_writes`
 *     is set, in which case the result is old & new (what real NOR does).
 *
 * A zero length or a NULL buffer is refused with OTA_ERR_INVALID_ARG (the
 * library never does either). Refused calls count nothing and change nothing.
 *
 * Counting: every call that passes the checks above counts as one operation
 * of its kind, including one that is torn by a power cut or fails with an
 * injected I/O error, so reads and mutations are numbered without gaps.
 * Mutating operations (writes and erases) are numbered 1, 2, 3... in one
 * sequence, `stats.mutations` (always writes + erases); power cuts and I/O
 * errors refer to that number. The byte counters count only bytes that took
 * effect: a torn write adds its programmed prefix, a torn erase the bytes it
 * set to 0xFF, a failed call nothing. Wear (erases per sector) counts every
 * erase that started, complete or torn, but not one that failed with I/O.
 *
 * Power cut: with cut.at = N > 0, mutation N is interrupted: for a write only
 * the first cut.torn_bytes bytes are programmed (rounded down to write_size);
 * for an erase only the first cut.torn_bytes bytes of the sector are set to
 * 0xFF and, if cut.garbage is set, the rest of the sector gets pseudo-random
 * bytes derived from cut.seed (a partially erased sector reads as junk).
 * That call and every later call return OTA_ERR_FLASH_POWER_LOSS without
 * effect until ota_simflash_power_on(). torn_bytes >= len means the operation
 * completed, then power was lost. The junk is a pure function of cut.seed and
 * the byte's offset in the sector: a replayed cut gives the same image.
 *
 * I/O error: with fail.at = N > 0, mutation N fails with OTA_ERR_FLASH_IO and
 * changes nothing; later calls work (a transient fault). fail.read_at = N > 0
 * does the same for the Nth read. If cut.at and fail.at name the same
 * mutation, the power cut wins. Both compare against the live counters, so
 * after ota_simflash_reset_stats() they refer to the renumbered operations.
 *
 * `sim->flash.ctx` points at the ota_simflash_t itself: do not move or copy
 * it after init. Nothing here is thread-safe.
 */
#ifndef OTA_PORT_SIMFLASH_H
#define OTA_PORT_SIMFLASH_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ota_simflash_stats {
    uint64_t reads, writes, erases;  /* calls that passed the checks, of each kind */
    uint64_t bytes_read, bytes_written, bytes_erased; /* bytes that took effect */
    uint64_t mutations;              /* writes + erases, numbering for cuts */
} ota_simflash_stats_t;

typedef struct ota_simflash_cut {
    uint64_t at;         /* 0 = no cut; else the mutation number to interrupt */
    uint32_t torn_bytes; /* how much of that mutation takes effect */
    bool garbage;        /* erase only: rest of the sector gets junk */
    uint32_t seed;       /* junk generator seed */
} ota_simflash_cut_t;

typedef struct ota_simflash_fail {
    uint64_t at;      /* 0 = none; else the mutation number that fails */
    uint64_t read_at; /* 0 = none; else the read number that fails */
} ota_simflash_fail_t;

typedef struct ota_simflash_geometry {
    uint32_t size;        /* multiple of sector_size */
    uint32_t sector_size; /* power of two */
    uint32_t write_size;  /* power of two, <= sector_size */
} ota_simflash_geometry_t;

typedef struct ota_simflash {
    ota_flash_t flash;   /* hand &sim->flash to the library */
    uint8_t *mem;        /* the flash contents (malloc'd or mmap'd) */
    uint32_t *wear;      /* erase count per sector */
    ota_simflash_stats_t stats;
    ota_simflash_cut_t cut;
    ota_simflash_fail_t fail;
    bool and_writes;     /* model AND instead of refusing 1-over-0 writes */
    bool powered;        /* false after a cut, until ota_simflash_power_on */
    int fd;              /* file-backed: the open file; RAM: -1 */
} ota_simflash_t;

/* A RAM flash, fully erased. Errors: OTA_ERR_INVALID_ARG (bad geometry), OTA_ERR_IO (no memory). */
ota_err_t ota_simflash_init_ram(ota_simflash_t *sim, const ota_simflash_geometry_t *geo);

/*
 * A flash backed by the file at path (mmap'd, changes are written through).
 * If the file does not exist it is created, geo->size bytes of 0xFF. If it
 * exists, its size must equal geo->size, or geo->size may be 0 to take the
 * file's size. The file is not created or changed on failure.
 * Errors: OTA_ERR_INVALID_ARG (bad geometry; the file's size differs from
 * geo->size, is 0 or exceeds 4 GiB; geo->size 0 and no file), OTA_ERR_IO
 * (open/mmap failed, errno set; or no memory).
 */
ota_err_t ota_simflash_open_file(ota_simflash_t *sim, const char *path,
                                 const ota_simflash_geometry_t *geo);

/* Release memory / unmap and close the file (contents are kept on disk).
 * Safe to call twice. */
void ota_simflash_close(ota_simflash_t *sim);

/* Restore power after a cut; counters and contents are kept, the cut is disarmed. */
void ota_simflash_power_on(ota_simflash_t *sim);

/* Zero the statistics and the wear counters (cut and fail stay armed). */
void ota_simflash_reset_stats(ota_simflash_t *sim);

#ifdef __cplusplus
}
#endif

#endif
