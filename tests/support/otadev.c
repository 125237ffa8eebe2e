#include "otadev.h"

#include <stdio.h>
#include <string.h>

#include "ota_port/hash_mbedtls.h"
#include "testutil.h"

#define APP_ALIGN 0x10000u
#define MIN_FLASH_SIZE 0x200000u

static void add_part(tu_otadev_t *dev, const char *label, uint8_t type, uint8_t subtype,
                     uint32_t offset, uint32_t size)
{
    assert_true(dev->table.count < OTA_PART_MAX_ENTRIES);
    ota_partition_t *p = &dev->table.entries[dev->table.count++];
    *p = (ota_partition_t){.type = type, .subtype = subtype, .offset = offset, .size = size};
    snprintf(p->label, sizeof p->label, "%s", label);
}

static uint32_t align_up(uint32_t v, uint32_t unit)
{
    return (v + unit - 1u) / unit * unit;
}

/* nvs, otadata, phy_init: the vectors' offsets on 4 KiB sectors, else one sector each
 * (otadata two) from 0x10000. Returns where the apps start. */
static uint32_t add_data_parts(tu_otadev_t *dev, uint32_t sector)
{
    if (sector <= 0x1000u) {
        add_part(dev, "nvs", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x9000, 0x4000);
        add_part(dev, "otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, TU_OTADATA_OFFSET,
                 OTA_OTADATA_SIZE);
        add_part(dev, "phy_init", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_PHY, 0xF000, 0x1000);
        return 0x10000u;
    }
    add_part(dev, "nvs", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x10000, sector);
    add_part(dev, "otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, 0x10000 + sector,
             2 * sector);
    add_part(dev, "phy_init", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_PHY, 0x10000 + 3 * sector,
             sector);
    return align_up(0x10000u + 4 * sector, APP_ALIGN);
}

/* [factory], ota_0 .. ota_{n-1}, [test] from off; returns the end. */
static uint32_t add_apps(tu_otadev_t *dev, const tu_otadev_opts_t *opts, uint32_t off)
{
    uint32_t size = align_up(opts->app_size ? opts->app_size : APP_ALIGN, APP_ALIGN);
    if (opts->has_factory) {
        add_part(dev, "factory", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_FACTORY, off, size);
        off += size;
    }
    for (unsigned i = 0; i < opts->app_count; i++, off += size) {
        char label[16];
        snprintf(label, sizeof label, "ota_%u", i);
        add_part(dev, label, OTA_PART_TYPE_APP, (uint8_t)(OTA_PART_SUBTYPE_OTA_MIN + i), off,
                 size);
    }
    if (opts->has_test) {
        add_part(dev, "test", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_TEST, off, size);
        off += size;
    }
    return off;
}

void tu_otadev_init(tu_otadev_t *dev, const tu_otadev_opts_t *opts)
{
    memset(dev, 0, sizeof *dev);
    dev->opts = *opts;
    assert_true(opts->app_count <= 16);
    uint32_t sector = opts->sector_size ? opts->sector_size : 0x1000u;
    uint32_t end = add_apps(dev, opts, add_data_parts(dev, sector));
    uint32_t size = opts->tight_flash || end > MIN_FLASH_SIZE ? align_up(end, sector) : MIN_FLASH_SIZE;
    ota_simflash_geometry_t geo = {size, sector, opts->write_size ? opts->write_size : 1};
    assert_int_equal(ota_simflash_init_ram(&dev->sim, &geo), OTA_OK);
    tu_flashlog_init(&dev->log, &dev->sim.flash);
    dev->flash = &dev->log.flash;
    dev->otadata = &dev->table.entries[1];
}

void tu_otadev_free(tu_otadev_t *dev)
{
    tu_flashlog_free(&dev->log);
    ota_simflash_close(&dev->sim);
}

static size_t part_index(const tu_otadev_t *dev, const char *label)
{
    for (size_t i = 0; i < dev->table.count; i++) {
        if (strcmp(dev->table.entries[i].label, label) == 0) {
            return i;
        }
    }
    fail_msg("no partition '%s' in the test table", label);
    return 0;
}

const ota_partition_t *tu_otadev_part(const tu_otadev_t *dev, const char *label)
{
    return &dev->table.entries[part_index(dev, label)];
}

void tu_otadev_set_bad(tu_otadev_t *dev, const char *label, bool bad)
{
    dev->bad[part_index(dev, label)] = bad;
}

void tu_otadev_set_version(tu_otadev_t *dev, const char *label, uint32_t version)
{
    dev->secure_version[part_index(dev, label)] = version;
}

void tu_otadev_poke_otadata(tu_otadev_t *dev, const uint8_t *img, size_t len)
{
    assert_true(len <= dev->otadata->size);
    memset(dev->sim.mem + dev->otadata->offset, 0xFF, dev->otadata->size);
    memcpy(dev->sim.mem + dev->otadata->offset, img, len);
}

const uint8_t *tu_otadev_otadata_bytes(const tu_otadev_t *dev)
{
    return dev->sim.mem + dev->otadata->offset;
}

void tu_hex(const uint8_t *buf, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        snprintf(out + 2 * i, 3, "%02x", buf[i]);
    }
    out[2 * len] = '\0';
}

void tu_otadev_otadata_sha256_hex(const tu_otadev_t *dev, char hex[65])
{
    uint8_t digest[OTA_SHA256_LEN];
    ota_port_sha256(tu_otadev_otadata_bytes(dev), dev->otadata->size, digest);
    tu_hex(digest, sizeof digest, hex);
}

void tu_otadev_put_entry(tu_otadev_t *dev, unsigned sector, uint32_t seq, uint32_t state)
{
    ota_select_entry_t e;
    ota_select_entry_make(&e, seq, state);
    assert_int_equal(ota_otadata_write_entry(dev->flash, dev->otadata, sector, &e), OTA_OK);
    tu_flashlog_clear(&dev->log);
}

void tu_otadev_entries(const tu_otadev_t *dev, ota_select_entry_t e[2])
{
    for (unsigned i = 0; i < 2; i++) {
        ota_select_entry_decode(tu_otadev_otadata_bytes(dev) + i * ota_otadata_copy_size(&dev->sim.flash),
                                &e[i]);
    }
}

static size_t index_of(const tu_otadev_t *dev, const ota_partition_t *p)
{
    /* The library hands back pointers into dev->table. */
    assert_true(p >= dev->table.entries && p < dev->table.entries + dev->table.count);
    return (size_t)(p - dev->table.entries);
}

ota_err_t tu_otadev_image_ok(void *ctx, const ota_partition_t *p)
{
    tu_otadev_t *dev = ctx;
    size_t i = index_of(dev, p);
    dev->checks++;
    assert_int_equal(p->type, OTA_PART_TYPE_APP);
    return dev->bad[i] ? OTA_ERR_IMG_MAGIC : OTA_OK;
}

ota_err_t tu_otadev_check_image(void *ctx, const ota_partition_t *p, uint32_t *secure_version)
{
    tu_otadev_t *dev = ctx;
    ota_err_t err = tu_otadev_image_ok(ctx, p);
    *secure_version = dev->secure_version[index_of(dev, p)];
    return err;
}

void tu_otadev_config(tu_otadev_t *dev, ota_config_t *cfg, const char *running, bool rollback)
{
    ota_port_sha256_init(&dev->sha256, &dev->sha256_ctx);
    *cfg = (ota_config_t){
        .flash = dev->flash,
        .table = &dev->table,
        .running = running ? tu_otadev_part(dev, running) : NULL,
        .sha256 = &dev->sha256,
        .scratch = dev->scratch,
        .scratch_len = sizeof dev->scratch,
        .rollback = rollback,
        .otadata_writes = dev->opts.writes,
    };
}

void tu_otadev_ctx(tu_otadev_t *dev, ota_ctx_t *ctx, const char *running, bool rollback)
{
    ota_config_t cfg;
    tu_otadev_config(dev, &cfg, running, rollback);
    assert_int_equal(ota_init(ctx, &cfg), OTA_OK);
}

void tu_otadev_put(tu_otadev_t *dev, const char *label, const uint8_t *data, size_t len)
{
    const ota_partition_t *p = tu_otadev_part(dev, label);
    assert_true(len <= p->size);
    memset(dev->sim.mem + p->offset, 0xFF, p->size);
    memcpy(dev->sim.mem + p->offset, data, len);
}
