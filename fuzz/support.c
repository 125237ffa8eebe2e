/* Helpers of the fuzz targets (fuzz/fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
    abort();
}

/* ---- Input ------------------------------------------------------------------ */

const uint8_t *fuzz_bytes(fuzz_input_t *in, size_t n, size_t *got)
{
    const uint8_t *p = in->data;
    *got = n < in->len ? n : in->len;
    in->data += *got;
    in->len -= *got;
    return p;
}

static uint32_t take_le(fuzz_input_t *in, unsigned n)
{
    size_t got;
    const uint8_t *p = fuzz_bytes(in, n, &got);
    uint32_t v = 0;
    for (size_t i = got; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

uint8_t fuzz_u8(fuzz_input_t *in)
{
    return (uint8_t)take_le(in, 1);
}

uint16_t fuzz_u16(fuzz_input_t *in)
{
    return (uint16_t)take_le(in, 2);
}

uint32_t fuzz_u32(fuzz_input_t *in)
{
    return take_le(in, 4);
}

/* ---- Guarded flash ---------------------------------------------------------- */

static bool inside(const fuzz_region_t *r, uint32_t addr, uint64_t len)
{
    return addr >= r->lo && (uint64_t)addr + len <= r->hi;
}

bool fuzz_overlap(uint32_t a, uint64_t alen, uint32_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

static bool allowed(const fuzz_guard_t *g, uint32_t addr, uint64_t len)
{
    const fuzz_region_t *f = &g->forbidden;
    if (fuzz_overlap(addr, len, f->lo, f->hi - f->lo)) {
        return false;
    }
    for (size_t i = 0; i < g->allowed_count; i++) {
        if (inside(&g->allowed[i], addr, len)) {
            return true;
        }
    }
    return false;
}

static ota_err_t guard_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    fuzz_guard_t *g = ctx;
    FUZZ_CHECK(inside(&g->read, addr, len));
    ota_err_t err = g->inner->read(g->inner->ctx, addr, buf, len);
    g->reads += err ? 0u : 1u;
    return err;
}

static ota_err_t guard_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    fuzz_guard_t *g = ctx;
    FUZZ_CHECK(allowed(g, addr, len));
    ota_err_t err = g->inner->write(g->inner->ctx, addr, buf, len);
    g->writes += err ? 0u : 1u;
    return err;
}

static ota_err_t guard_erase(void *ctx, uint32_t addr)
{
    fuzz_guard_t *g = ctx;
    FUZZ_CHECK(allowed(g, addr, g->inner->sector_size));
    ota_err_t err = g->inner->erase(g->inner->ctx, addr);
    g->erases += err ? 0u : 1u;
    return err;
}

void fuzz_guard_init(fuzz_guard_t *g, const ota_flash_t *inner)
{
    *g = (fuzz_guard_t){.inner = inner, .read = {0, inner->size}};
    g->flash = *inner;
    g->flash.ctx = g;
    g->flash.read = guard_read;
    g->flash.write = guard_write;
    g->flash.erase = guard_erase;
}

static fuzz_region_t clip(uint32_t addr, uint64_t len)
{
    uint64_t end = (uint64_t)addr + len;
    return (fuzz_region_t){addr, end > UINT32_MAX ? UINT32_MAX : (uint32_t)end};
}

void fuzz_guard_set_read(fuzz_guard_t *g, uint32_t addr, uint64_t len)
{
    g->read = clip(addr, len);
}

bool fuzz_guard_allow(fuzz_guard_t *g, uint32_t addr, uint64_t len)
{
    if (g->allowed_count == FUZZ_GUARD_REGIONS) {
        return false;
    }
    g->allowed[g->allowed_count++] = clip(addr, len);
    return true;
}

void fuzz_guard_forbid(fuzz_guard_t *g, uint32_t addr, uint64_t len)
{
    g->forbidden = clip(addr, len);
}

/* ---- Sparse flash ----------------------------------------------------------- */

static uint8_t *sparse_page(fuzz_sparse_t *s, uint32_t sector, bool create)
{
    for (unsigned i = 0; i < FUZZ_SPARSE_PAGES; i++) {
        if (s->used[i] && s->addr[i] == sector) {
            return s->mem[i];
        }
    }
    for (unsigned i = 0; create && i < FUZZ_SPARSE_PAGES; i++) {
        if (!s->used[i]) {
            s->used[i] = true;
            s->addr[i] = sector;
            memset(s->mem[i], 0xFF, FUZZ_SPARSE_SECTOR);
            return s->mem[i];
        }
    }
    return NULL;
}

/* Visit [addr, addr + len) sector by sector: fn(page or NULL, offset in page, offset in buf, n). */
typedef bool (*sparse_fn)(uint8_t *page, uint32_t off, uint8_t *buf, size_t n);

static bool sparse_walk(fuzz_sparse_t *s, uint32_t addr, uint8_t *buf, size_t len, bool create,
                        sparse_fn fn)
{
    size_t done = 0;
    while (done < len) {
        uint32_t a = addr + (uint32_t)done;
        uint32_t off = a % FUZZ_SPARSE_SECTOR;
        size_t n = FUZZ_SPARSE_SECTOR - off < len - done ? FUZZ_SPARSE_SECTOR - off : len - done;
        if (!fn(sparse_page(s, a - off, create), off, buf + done, n)) {
            return false;
        }
        done += n;
    }
    return true;
}

static bool copy_out(uint8_t *page, uint32_t off, uint8_t *buf, size_t n)
{
    memset(buf, 0xFF, n);
    if (page) {
        memcpy(buf, page + off, n);
    }
    return true;
}

static bool program(uint8_t *page, uint32_t off, uint8_t *buf, size_t n)
{
    for (size_t i = 0; page && i < n; i++) {
        FUZZ_CHECK((page[off + i] & buf[i]) == buf[i]); /* NOR: only 1 -> 0 */
        page[off + i] = buf[i];
    }
    return page != NULL;
}

static bool poke(uint8_t *page, uint32_t off, uint8_t *buf, size_t n)
{
    if (page) {
        memcpy(page + off, buf, n);
    }
    return page != NULL;
}

static ota_err_t sparse_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    sparse_walk(ctx, addr, buf, len, false, copy_out);
    return OTA_OK;
}

static ota_err_t sparse_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    /* program() only reads through buf; the walk's type is shared with reads. */
    return sparse_walk(ctx, addr, (uint8_t *)buf, len, true, program) ? OTA_OK : OTA_ERR_FLASH_IO;
}

static ota_err_t sparse_erase(void *ctx, uint32_t addr)
{
    fuzz_sparse_t *s = ctx;
    for (unsigned i = 0; i < FUZZ_SPARSE_PAGES; i++) {
        if (s->used[i] && s->addr[i] == addr) {
            s->used[i] = false;
        }
    }
    return OTA_OK;
}

void fuzz_sparse_init(fuzz_sparse_t *s, uint32_t size, uint32_t write_size)
{
    memset(s->used, 0, sizeof s->used);
    s->flash = (ota_flash_t){s, sparse_read, sparse_write, sparse_erase, size, FUZZ_SPARSE_SECTOR,
                             write_size, 0xFF};
}

void fuzz_sparse_poke(fuzz_sparse_t *s, uint32_t addr, const uint8_t *data, size_t len)
{
    if (addr >= s->flash.size) {
        return;
    }
    size_t room = s->flash.size - addr;
    sparse_walk(s, addr, (uint8_t *)data, len < room ? len : room, true, poke);
}
