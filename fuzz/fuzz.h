/*
 * Shared by the fuzz targets (fuzz/fuzz_*.c): invariant checks, an input
 * reader, and two flash ports that turn "no write outside X" into a crash.
 *
 * Every target defines LLVMFuzzerTestOneInput(). Built with clang and
 * -fsanitize=fuzzer it is a libFuzzer binary (`make fuzz`); built with
 * fuzz/replay.c it is a plain program that runs given files, which ctest uses
 * to replay fuzz/regress/ and the seeds in every build.
 */
#ifndef OTA_FUZZ_H
#define OTA_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/flash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the library: on failure print it and abort (a libFuzzer crash). */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* Bytes taken from the front of the input; past its end every byte is 0. */
typedef struct fuzz_input {
    const uint8_t *data;
    size_t len;
} fuzz_input_t;

uint8_t fuzz_u8(fuzz_input_t *in);
uint16_t fuzz_u16(fuzz_input_t *in);
uint32_t fuzz_u32(fuzz_input_t *in);
/* Up to n bytes (fewer at the end of the input); *got says how many. */
const uint8_t *fuzz_bytes(fuzz_input_t *in, size_t n, size_t *got);

/* ---- Guarded flash ------------------------------------------------------ */
/*
 * Wraps another port. Every read must fall inside the read window and every
 * write or erase inside one of the allowed regions and outside the forbidden
 * one, else FUZZ_CHECK fails: that is how "the verifier never reads outside
 * the partition" and "the boot decision never writes outside otadata" are
 * checked.
 */
#define FUZZ_GUARD_REGIONS 8u

typedef struct fuzz_region {
    uint32_t lo, hi; /* [lo, hi) */
} fuzz_region_t;

typedef struct fuzz_guard {
    ota_flash_t flash; /* hand &g->flash to the library */
    const ota_flash_t *inner;
    fuzz_region_t read;
    fuzz_region_t allowed[FUZZ_GUARD_REGIONS];
    size_t allowed_count;
    fuzz_region_t forbidden; /* empty: lo == hi */
    unsigned long reads, writes, erases; /* calls that reached the inner port successfully */
} fuzz_guard_t;

/* Reads anywhere in the flash, no mutation allowed. */
void fuzz_guard_init(fuzz_guard_t *g, const ota_flash_t *inner);
void fuzz_guard_set_read(fuzz_guard_t *g, uint32_t addr, uint64_t len);
/* Allow writes and erases in [addr, addr + len) (clipped to 32 bits); false
 * when FUZZ_GUARD_REGIONS regions are already allowed. */
bool fuzz_guard_allow(fuzz_guard_t *g, uint32_t addr, uint64_t len);
/* Refuse writes and erases touching [addr, addr + len), allowed or not. */
void fuzz_guard_forbid(fuzz_guard_t *g, uint32_t addr, uint64_t len);
/* Do [a, a + alen) and [b, b + blen) share a byte? */
bool fuzz_overlap(uint32_t a, uint64_t alen, uint32_t b, uint64_t blen);

/* ---- Sparse flash ------------------------------------------------------- */
/*
 * A NOR flash of any size where only sectors that were written hold memory
 * (at most FUZZ_SPARSE_PAGES; more is reported as OTA_ERR_FLASH_IO, which the
 * library must survive like any flash error). Everything else reads erased.
 * Programming a 0 bit back to 1 is a library bug (it must erase first) and
 * fails FUZZ_CHECK.
 */
#define FUZZ_SPARSE_SECTOR 0x1000u
#define FUZZ_SPARSE_PAGES 16u

typedef struct fuzz_sparse {
    ota_flash_t flash;
    uint32_t addr[FUZZ_SPARSE_PAGES];
    bool used[FUZZ_SPARSE_PAGES];
    uint8_t mem[FUZZ_SPARSE_PAGES][FUZZ_SPARSE_SECTOR];
} fuzz_sparse_t;

/* size: a multiple of the sector; write_size: a power of two <= the sector. */
void fuzz_sparse_init(fuzz_sparse_t *s, uint32_t size, uint32_t write_size);
/* Put bytes into the flash directly (no NOR rule, no guard); clipped to the flash. */
void fuzz_sparse_poke(fuzz_sparse_t *s, uint32_t addr, const uint8_t *data, size_t len);

#endif
