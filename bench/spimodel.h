/*
 * A timing model of an SPI NOR flash (typical datasheet figures), applied to
 * the operations the library actually performs: spimodel_t is an ota_flash_t
 * that forwards every call to an inner flash (the simulator) and adds the
 * modelled duration of that call to a tally. The same accounting functions
 * price the ideal operation list of the physical minimum.
 */
#ifndef BENCH_SPIMODEL_H
#define BENCH_SPIMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/flash.h"

typedef struct spimodel_params {
    const char *part;      /* what the figures describe */
    double sector_erase_us; /* tSE, 4 KiB sector erase */
    double block_erase_us;  /* tBE2, 64 KiB block erase */
    double page_program_us; /* tPP, a whole page */
    double byte_first_us;   /* tBP1: a partial page costs tBP1 + (n - 1) * tBP2, at most tPP */
    double byte_next_us;    /* tBP2 */
    uint32_t page_size;     /* 256 */
    uint32_t sector_size;   /* 4 KiB: the library's erase unit (the simulator's sector) */
    uint32_t block_size;    /* 64 KiB */
    double clock_mhz;       /* SPI clock */
    unsigned read_lines;    /* data lines of the read command (2 = DIO) */
    unsigned read_cmd_clocks;  /* command + address + mode/dummy clocks of one read */
    unsigned write_cmd_clocks; /* write enable + command + address clocks of a program or erase */
} spimodel_params_t;

/* Winbond W25Q32JV / W25Q64JV typical figures, 80 MHz DIO reads (bench/README.md). */
extern const spimodel_params_t spimodel_w25q64jv;

typedef struct spimodel_tally {
    uint64_t reads, read_bytes;
    uint64_t writes, pages, write_bytes; /* pages: page-program commands */
    uint64_t erases, blocks;             /* 4 KiB sector / 64 KiB block erase commands */
    double read_us, program_us, erase_us;
} spimodel_tally_t;

/* Account one operation of the given size to t. */
void spimodel_account_read(const spimodel_params_t *p, spimodel_tally_t *t, uint32_t len);
void spimodel_account_program(const spimodel_params_t *p, spimodel_tally_t *t, uint32_t addr,
                              uint32_t len);
void spimodel_account_erase(const spimodel_params_t *p, spimodel_tally_t *t, bool block);

/* Erase commands for [addr, addr + len) (sector-aligned), as spimodel_erase_region sends them. */
void spimodel_account_erase_region(const spimodel_params_t *p, spimodel_tally_t *t, uint32_t addr,
                                   uint32_t len, bool use_blocks);

double spimodel_total_us(const spimodel_tally_t *t);

typedef struct spimodel {
    ota_flash_t flash; /* hand &m->flash to the library */
    const ota_flash_t *inner;
    const spimodel_params_t *params;
    spimodel_tally_t tally;
} spimodel_t;

/* Wrap inner (geometry copied). m must not move afterwards. */
void spimodel_init(spimodel_t *m, const ota_flash_t *inner, const spimodel_params_t *params);

/*
 * Erase [addr, addr + len) as ESP-IDF's esp_flash_erase_region does: a 64 KiB
 * block erase wherever the position is block-aligned and a whole block
 * remains (with use_blocks), else 4 KiB sectors. The inner flash is erased
 * sector by sector; the tally gets what the chip would have been sent.
 */
ota_err_t spimodel_erase_region(spimodel_t *m, uint32_t addr, uint32_t len, bool use_blocks);

#endif
