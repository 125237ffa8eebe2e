/*
 * Host NOR flash simulator (port/include/ota_port/simflash.h).
 *
 * The RAM and file backends differ only in how `mem` is obtained and
 * released; every check, counter, wear update and injected fault lives in the
 * three flash callbacks below, shared by both.
 */
#include "ota_port/simflash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERASED 0xFFu

static bool is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1u)) == 0;
}

static bool geometry_ok(const ota_simflash_geometry_t *geo)
{
    return geo->size != 0 && is_pow2(geo->sector_size) && is_pow2(geo->write_size) &&
           geo->write_size <= geo->sector_size && geo->size % geo->sector_size == 0;
}

/* Pseudo-random junk of a partially erased sector: a pure function of the seed
 * and the byte's offset in the sector, so a replayed cut gives the same bytes. */
static uint8_t garbage_byte(uint32_t seed, uint32_t offset)
{
    uint32_t x = seed ^ (offset * 0x9E3779B9u);
    x ^= x >> 16;
    x *= 0x85EBCA6Bu;
    x ^= x >> 13;
    x *= 0xC2B2AE35u;
    x ^= x >> 16;
    return (uint8_t)x;
}

/* The checks every call passes before it counts (see the header). */
static ota_err_t check_access(const ota_simflash_t *sim, const void *buf, uint32_t addr,
                              size_t len, uint32_t align)
{
    if (!sim->powered) {
        return OTA_ERR_FLASH_POWER_LOSS;
    }
    if (!buf || len == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ota_flash_in_range(&sim->flash, addr, len)) {
        return OTA_ERR_FLASH_RANGE;
    }
    if ((addr | len) & (align - 1u)) {
        return OTA_ERR_FLASH_ALIGN;
    }
    return OTA_OK;
}

/*
 * Numbers a mutation that passed the checks and decides how many of its len
 * bytes take effect: all of them, none (injected I/O error), or the torn
 * prefix of a power cut, after which the flash stays off.
 */
static ota_err_t start_mutation(ota_simflash_t *sim, uint32_t len, uint32_t *effective)
{
    uint64_t n = ++sim->stats.mutations;
    *effective = len;
    if (sim->cut.at == n) {
        sim->powered = false;
        if (sim->cut.torn_bytes < len) {
            *effective = sim->cut.torn_bytes;
        }
        return OTA_ERR_FLASH_POWER_LOSS;
    }
    if (sim->fail.at == n) {
        *effective = 0;
        return OTA_ERR_FLASH_IO;
    }
    return OTA_OK;
}

static ota_err_t sim_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    ota_simflash_t *sim = ctx;
    ota_err_t err = check_access(sim, buf, addr, len, 1);
    if (err) {
        return err;
    }
    if (++sim->stats.reads == sim->fail.read_at) {
        return OTA_ERR_FLASH_IO;
    }
    memcpy(buf, sim->mem + addr, len);
    sim->stats.bytes_read += len;
    return OTA_OK;
}

/* True when programming src over dst only clears bits. */
static bool only_clears_bits(const uint8_t *dst, const uint8_t *src, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (src[i] & ~dst[i]) {
            return false;
        }
    }
    return true;
}

static ota_err_t sim_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    ota_simflash_t *sim = ctx;
    ota_err_t err = check_access(sim, buf, addr, len, sim->flash.write_size);
    if (err) {
        return err;
    }
    uint8_t *dst = sim->mem + addr;
    const uint8_t *src = buf;
    if (!sim->and_writes && !only_clears_bits(dst, src, len)) {
        return OTA_ERR_FLASH_NOT_ERASED;
    }
    uint32_t n;
    err = start_mutation(sim, (uint32_t)len, &n);
    n &= ~(sim->flash.write_size - 1u); /* a cut tears at write granularity */
    for (uint32_t i = 0; i < n; i++) {
        dst[i] &= src[i];
    }
    sim->stats.writes++;
    sim->stats.bytes_written += n;
    return err;
}

static ota_err_t sim_erase(void *ctx, uint32_t addr)
{
    ota_simflash_t *sim = ctx;
    uint32_t sector = sim->flash.sector_size;
    ota_err_t err = check_access(sim, sim->mem, addr, sector, sector);
    if (err) {
        return err;
    }
    uint32_t n;
    err = start_mutation(sim, sector, &n);
    uint8_t *dst = sim->mem + addr;
    memset(dst, ERASED, n);
    if (err == OTA_ERR_FLASH_POWER_LOSS && sim->cut.garbage) {
        for (uint32_t i = n; i < sector; i++) {
            dst[i] = garbage_byte(sim->cut.seed, i);
        }
    }
    if (err != OTA_ERR_FLASH_IO) {
        sim->wear[addr / sector]++;
    }
    sim->stats.erases++;
    sim->stats.bytes_erased += n;
    return err;
}

/* Everything but the memory: flash descriptor, wear table, power. */
static ota_err_t init_common(ota_simflash_t *sim, const ota_simflash_geometry_t *geo,
                             uint8_t *mem, int fd)
{
    uint32_t *wear = calloc(geo->size / geo->sector_size, sizeof *wear);
    if (!wear) {
        return OTA_ERR_IO;
    }
    *sim = (ota_simflash_t){
        .flash = {sim, sim_read, sim_write, sim_erase, geo->size, geo->sector_size,
                  geo->write_size, ERASED},
        .mem = mem,
        .wear = wear,
        .powered = true,
        .fd = fd,
    };
    return OTA_OK;
}

ota_err_t ota_simflash_init_ram(ota_simflash_t *sim, const ota_simflash_geometry_t *geo)
{
    if (!sim || !geo || !geometry_ok(geo)) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t *mem = malloc(geo->size);
    if (!mem) {
        return OTA_ERR_IO;
    }
    memset(mem, ERASED, geo->size);
    ota_err_t err = init_common(sim, geo, mem, -1);
    if (err) {
        free(mem);
    }
    return err;
}

/* Opens path, creating it (empty) only when it does not exist yet. */
static int open_or_create(const char *path, bool *created)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    *created = false;
    if (fd < 0 && errno == ENOENT) {
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        *created = fd >= 0;
    }
    return fd;
}

/* The flash size for an opened file: geo->size, checked against the file's size. */
static ota_err_t file_size(int fd, bool created, const ota_simflash_geometry_t *geo,
                           uint32_t *size)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return OTA_ERR_IO;
    }
    if (created) {
        *size = geo->size;
        return ftruncate(fd, (off_t)geo->size) == 0 ? OTA_OK : OTA_ERR_IO;
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > UINT32_MAX ||
        (geo->size != 0 && (uint64_t)st.st_size != geo->size)) {
        return OTA_ERR_INVALID_ARG;
    }
    *size = (uint32_t)st.st_size;
    return OTA_OK;
}

/* Maps the file and builds the simulator over it; fd is owned by the caller on failure. */
static ota_err_t map_file(ota_simflash_t *sim, int fd, bool created,
                          const ota_simflash_geometry_t *geo)
{
    ota_simflash_geometry_t g = *geo;
    ota_err_t err = file_size(fd, created, geo, &g.size);
    if (err) {
        return err;
    }
    if (!geometry_ok(&g)) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t *mem = mmap(NULL, g.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        return OTA_ERR_IO;
    }
    if (created) {
        memset(mem, ERASED, g.size);
    }
    err = init_common(sim, &g, mem, fd);
    if (err) {
        munmap(mem, g.size);
    }
    return err;
}

ota_err_t ota_simflash_open_file(ota_simflash_t *sim, const char *path,
                                 const ota_simflash_geometry_t *geo)
{
    if (!sim || !path || !geo) {
        return OTA_ERR_INVALID_ARG;
    }
    if (geo->size != 0 && !geometry_ok(geo)) {
        return OTA_ERR_INVALID_ARG; /* before creating anything */
    }
    bool created;
    int fd = open_or_create(path, &created);
    if (fd < 0) {
        return OTA_ERR_IO;
    }
    if (created && geo->size == 0) {
        unlink(path);
        close(fd);
        return OTA_ERR_INVALID_ARG;
    }
    ota_err_t err = map_file(sim, fd, created, geo);
    if (err) {
        int saved = errno; /* report the cause, not the cleanup */
        if (created) {
            unlink(path);
        }
        close(fd);
        errno = saved;
    }
    return err;
}

void ota_simflash_close(ota_simflash_t *sim)
{
    if (!sim || !sim->mem) {
        return;
    }
    if (sim->fd >= 0) {
        munmap(sim->mem, sim->flash.size);
        close(sim->fd);
    } else {
        free(sim->mem);
    }
    free(sim->wear);
    sim->mem = NULL;
    sim->wear = NULL;
    sim->fd = -1;
}

void ota_simflash_power_on(ota_simflash_t *sim)
{
    sim->powered = true;
    sim->cut.at = 0;
}

void ota_simflash_reset_stats(ota_simflash_t *sim)
{
    sim->stats = (ota_simflash_stats_t){0};
    memset(sim->wear, 0, (sim->flash.size / sim->flash.sector_size) * sizeof *sim->wear);
}
