/*
 * Update sessions (ota_begin / ota_write / ota_write_with_offset / ota_end /
 * ota_abort, then ota_set_boot_partition) on a RAM simflash device:
 * nvs, otadata, phy_init, factory, ota_0, ota_1 (64 KiB apps).
 *
 * Input:
 *   0      flags: bits 0-1 erase mode (whole, image size, sequential, sequential),
 *          0x04 rollback, 0x08 running from ota_0 (else factory), 0x10 target
 *          the next update partition (else ota_1), 0x20 set_boot_partition after
 *          a good end, 0x40 abort instead of end, 0x80 write_with_offset
 *   1      flash write unit 1 << (b % 5)
 *   2-3    image_size for the image-size erase mode, in units of 4 bytes
 *   4      chunking: chunk lengths from a small PRNG seeded with this byte
 *   5-36   otadata entry 0 as stored (entry 1 stays erased)
 *   37-    the image stream
 *
 * Invariants: nothing outside the target partition and otadata is ever
 * erased or written, and never the running partition; a refused first byte
 * erases and writes nothing; after a good ota_end the partition holds exactly
 * the bytes written (tail padded with 0xFF) and verifies as an app; after a
 * good set_boot_partition otadata designates the target.
 */
#include <string.h>

#include "fuzz.h"
#include "ota/ota.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/simflash.h"

#define HEADER_LEN 37u
#define APP_SIZE 0x10000u
#define FLASH_SIZE (0x10000u + 3u * APP_SIZE)

typedef struct update_case {
    uint8_t flags;
    uint32_t write_size, image_size, rng;
    const uint8_t *otadata, *image;
    size_t image_len;
    ota_partition_table_t table;
    ota_simflash_t sim;
    fuzz_guard_t guard;
    mbedtls_sha256_context sha_ctx;
    ota_hash_t sha;
    uint8_t scratch[1024];
    ota_ctx_t ota;
} update_case_t;

static update_case_t g_case;

static void add(ota_partition_table_t *t, const char *label, uint8_t type, uint8_t subtype,
                uint32_t offset, uint32_t size)
{
    ota_partition_t *p = &t->entries[t->count++];
    *p = (ota_partition_t){.type = type, .subtype = subtype, .offset = offset, .size = size};
    strncpy(p->label, label, OTA_PART_LABEL_LEN);
}

static void make_table(ota_partition_table_t *t)
{
    *t = (ota_partition_table_t){0};
    add(t, "nvs", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_NVS, 0x9000, 0x4000);
    add(t, "otadata", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, 0xD000, OTA_OTADATA_SIZE);
    add(t, "phy_init", OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_PHY, 0xF000, 0x1000);
    add(t, "factory", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_FACTORY, 0x10000, APP_SIZE);
    add(t, "ota_0", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_OTA_MIN, 0x10000 + APP_SIZE, APP_SIZE);
    add(t, "ota_1", OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_OTA_MIN + 1, 0x10000 + 2 * APP_SIZE, APP_SIZE);
}

static const ota_partition_t *part(const update_case_t *c, const char *label)
{
    return ota_partition_find_first(&c->table, OTA_PART_TYPE_ANY, OTA_PART_SUBTYPE_ANY, label);
}

/* The device: otadata entry 0 from the input, the running partition guarded. */
static bool setup(update_case_t *c, const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    size_t got;
    c->flags = fuzz_u8(&in);
    c->write_size = 1u << (fuzz_u8(&in) % 5u);
    c->image_size = 4u * fuzz_u16(&in);
    c->rng = fuzz_u8(&in) | 0x100u;
    c->otadata = fuzz_bytes(&in, OTA_OTADATA_ENTRY_SIZE, &got);
    c->image = fuzz_bytes(&in, SIZE_MAX, &c->image_len);
    make_table(&c->table);
    ota_simflash_geometry_t geo = {FLASH_SIZE, 0x1000, c->write_size};
    FUZZ_CHECK(ota_simflash_init_ram(&c->sim, &geo) == OTA_OK);
    memcpy(c->sim.mem + part(c, "otadata")->offset, c->otadata, got);
    fuzz_guard_init(&c->guard, &c->sim.flash);
    ota_port_sha256_init(&c->sha, &c->sha_ctx);
    ota_config_t cfg = {
        .flash = &c->guard.flash, .table = &c->table,
        .running = part(c, c->flags & 0x08 ? "ota_0" : "factory"),
        .sha256 = &c->sha, .scratch = c->scratch, .scratch_len = sizeof c->scratch,
        .rollback = c->flags & 0x04,
    };
    if (ota_init(&c->ota, &cfg) != OTA_OK) {
        ota_simflash_close(&c->sim);
        return false;
    }
    fuzz_guard_forbid(&c->guard, cfg.running->offset, cfg.running->size);
    return true;
}

static size_t next_chunk(update_case_t *c, size_t left)
{
    c->rng = c->rng * 1103515245u + 12345u;
    size_t n = 1u + (c->rng >> 16) % 4096u;
    return n < left ? n : left;
}

/* Stream the image; returns the bytes accepted before the first error. */
static size_t stream(update_case_t *c, ota_session_t *s, ota_err_t *err)
{
    size_t done = 0;
    *err = OTA_OK;
    while (done < c->image_len && !*err) {
        size_t n = next_chunk(c, c->image_len - done);
        *err = c->flags & 0x80 ? ota_write_with_offset(s, c->image + done, n, (uint32_t)done)
                               : ota_write(s, c->image + done, n);
        done += *err ? 0 : n;
    }
    return done;
}

/* The partition starts with the bytes written, the last write unit padded with 0xFF. */
static void check_written(const update_case_t *c, const ota_partition_t *p, size_t len)
{
    const uint8_t *flash = c->sim.mem + p->offset;
    FUZZ_CHECK(memcmp(flash, c->image, len) == 0);
    for (size_t i = len; i % c->write_size != 0; i++) {
        FUZZ_CHECK(flash[i] == 0xFF);
    }
}

static void finish(update_case_t *c, ota_session_t *s, const ota_partition_t *p, size_t written)
{
    if (c->flags & 0x40) {
        FUZZ_CHECK(ota_abort(s) == OTA_OK);
        return;
    }
    if (ota_end(s) != OTA_OK) {
        return;
    }
    check_written(c, p, written);
    FUZZ_CHECK(ota_verify_partition(&c->ota, p, NULL) == OTA_OK);
    const ota_partition_t *boot = NULL;
    if ((c->flags & 0x20) && ota_set_boot_partition(&c->ota, p) == OTA_OK) {
        FUZZ_CHECK(ota_get_boot_partition(&c->ota, &boot) == OTA_OK && boot == p);
    }
}

static void run_update(update_case_t *c)
{
    static const ota_erase_mode_t k_modes[] = {OTA_ERASE_WHOLE, OTA_ERASE_IMAGE_SIZE, OTA_ERASE_SEQUENTIAL,
                                               OTA_ERASE_SEQUENTIAL};
    const ota_partition_t *p = c->flags & 0x10 ? ota_get_next_update_partition(&c->ota, NULL)
                                               : part(c, "ota_1");
    if (!p) {
        return;
    }
    FUZZ_CHECK(fuzz_guard_allow(&c->guard, p->offset, p->size));
    FUZZ_CHECK(fuzz_guard_allow(&c->guard, part(c, "otadata")->offset, OTA_OTADATA_SIZE));
    ota_session_t s = {0};
    if (ota_begin(&c->ota, &s, p, k_modes[c->flags & 3u], c->image_size) != OTA_OK) {
        return;
    }
    unsigned long mutations = c->guard.writes + c->guard.erases;
    ota_err_t err;
    size_t written = stream(c, &s, &err);
    if (err == OTA_ERR_IMG_MAGIC && written == 0) {
        FUZZ_CHECK(c->guard.writes + c->guard.erases == mutations);
    }
    finish(c, &s, p, written);
    FUZZ_CHECK(ota_session_find(&c->ota, s.handle) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    update_case_t *c = &g_case;
    if (size < HEADER_LEN || !setup(c, data, size)) {
        return 0;
    }
    run_update(c);
    ota_simflash_close(&c->sim);
    return 0;
}
