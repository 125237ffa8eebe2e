#include "spimodel.h"

/*
 * Winbond W25Q64JV datasheet (rev. I, 2017), AC electrical characteristics,
 * typical values; W25Q32JV lists the same. Reads: Fast Read Dual I/O (BBh) at
 * 80 MHz: 8 command clocks, 24 address bits over 2 lines (12 clocks), 8 mode
 * bits over 2 lines (4 clocks). Programs and erases: write enable (8 clocks)
 * then command + 24-bit address on one line (32 clocks); page program data on
 * one line. Status polling latency is not counted.
 */
const spimodel_params_t spimodel_w25q64jv = {
    .part = "W25Q64JV typ, 80 MHz, DIO read",
    .sector_erase_us = 45000.0,
    .block_erase_us = 150000.0,
    .page_program_us = 400.0,
    .byte_first_us = 30.0,
    .byte_next_us = 2.5,
    .page_size = 256,
    .sector_size = 0x1000,
    .block_size = 0x10000,
    .clock_mhz = 80.0,
    .read_lines = 2,
    .read_cmd_clocks = 8 + 12 + 4,
    .write_cmd_clocks = 8 + 32,
};

static double clocks_us(const spimodel_params_t *p, double clocks)
{
    return clocks / p->clock_mhz;
}

void spimodel_account_read(const spimodel_params_t *p, spimodel_tally_t *t, uint32_t len)
{
    t->reads++;
    t->read_bytes += len;
    t->read_us += clocks_us(p, p->read_cmd_clocks + 8.0 * len / p->read_lines);
}

/* One page-program command of n bytes (1 <= n <= page). */
static double page_us(const spimodel_params_t *p, uint32_t n)
{
    double cell = p->byte_first_us + (n - 1) * p->byte_next_us;
    if (cell > p->page_program_us) {
        cell = p->page_program_us;
    }
    return clocks_us(p, p->write_cmd_clocks + 8.0 * n) + cell;
}

void spimodel_account_program(const spimodel_params_t *p, spimodel_tally_t *t, uint32_t addr,
                              uint32_t len)
{
    t->writes++;
    t->write_bytes += len;
    while (len) {
        uint32_t room = p->page_size - addr % p->page_size; /* a command stops at the page end */
        uint32_t n = len < room ? len : room;
        t->pages++;
        t->program_us += page_us(p, n);
        addr += n;
        len -= n;
    }
}

void spimodel_account_erase(const spimodel_params_t *p, spimodel_tally_t *t, bool block)
{
    *(block ? &t->blocks : &t->erases) += 1;
    t->erase_us += clocks_us(p, p->write_cmd_clocks) + (block ? p->block_erase_us : p->sector_erase_us);
}

double spimodel_total_us(const spimodel_tally_t *t)
{
    return t->read_us + t->program_us + t->erase_us;
}

static ota_err_t model_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    spimodel_t *m = ctx;
    spimodel_account_read(m->params, &m->tally, (uint32_t)len);
    return m->inner->read(m->inner->ctx, addr, buf, len);
}

static ota_err_t model_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    spimodel_t *m = ctx;
    spimodel_account_program(m->params, &m->tally, addr, (uint32_t)len);
    return m->inner->write(m->inner->ctx, addr, buf, len);
}

static ota_err_t model_erase(void *ctx, uint32_t addr)
{
    spimodel_t *m = ctx;
    spimodel_account_erase(m->params, &m->tally, false);
    return m->inner->erase(m->inner->ctx, addr);
}

void spimodel_init(spimodel_t *m, const ota_flash_t *inner, const spimodel_params_t *params)
{
    *m = (spimodel_t){.flash = *inner, .inner = inner, .params = params};
    m->flash.ctx = m;
    m->flash.read = model_read;
    m->flash.write = model_write;
    m->flash.erase = model_erase;
}

/* The next erase command of a region: a block or a sector. */
static uint32_t erase_step(const spimodel_params_t *p, uint32_t addr, uint32_t len, bool use_blocks,
                           bool *as_block)
{
    *as_block = use_blocks && addr % p->block_size == 0 && len >= p->block_size;
    return *as_block ? p->block_size : p->sector_size;
}

void spimodel_account_erase_region(const spimodel_params_t *p, spimodel_tally_t *t, uint32_t addr,
                                   uint32_t len, bool use_blocks)
{
    while (len) {
        bool block;
        uint32_t n = erase_step(p, addr, len, use_blocks, &block);
        spimodel_account_erase(p, t, block);
        addr += n;
        len -= n;
    }
}

ota_err_t spimodel_erase_region(spimodel_t *m, uint32_t addr, uint32_t len, bool use_blocks)
{
    while (len) {
        bool block;
        uint32_t n = erase_step(m->params, addr, len, use_blocks, &block);
        ota_err_t err = ota_flash_erase_range(m->inner, addr, n);
        if (err) {
            return err;
        }
        spimodel_account_erase(m->params, &m->tally, block);
        addr += n;
        len -= n;
    }
    return OTA_OK;
}
