/*
 * App image verification (ota_image_verify) over a RAM simflash, plus the
 * descriptor readers and the stream-head check on the same bytes.
 *
 * Input:
 *   0      flags: bits 0-1 kind (APP, BOOTLOADER, FORMAT, APP), 0x04 check
 *          against a device, 0x08 data length known, 0x10 one spare sector
 *          in the partition, 0x20 partition at 0x11000 (not MMU-page aligned)
 *          instead of 0x10000
 *   1-2    size of the second work buffer: 33 + (n % 8160)
 *   3-7    device: chip id (2), chip revision (2), SPI flash mode (1)
 *   8-     the image, at the start of the partition
 *
 * Invariants: reads stay inside the partition (inside the image bytes when
 * their length is known) and nothing is written; the result and everything
 * reported are the same with a 32-byte and with a larger work buffer; an
 * accepted image is complete, fits and has a matching checksum; an accepted
 * app on a chip whose MMU page is configurable has a readable descriptor; a
 * descriptor that cannot be read comes back zeroed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ota/image.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/simflash.h"

#define HEADER_LEN 8u
#define SECTOR 0x1000u

typedef struct image_case {
    ota_image_verify_opts_t opts;
    ota_image_device_t device;
    uint32_t part_offset, part_size;
    size_t buf_len;
    const uint8_t *image;
    size_t len;
} image_case_t;

static void parse_case(image_case_t *c, const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    uint8_t flags = fuzz_u8(&in);
    static const ota_image_kind_t k_kinds[] = {OTA_IMAGE_APP, OTA_IMAGE_BOOTLOADER, OTA_IMAGE_FORMAT,
                                               OTA_IMAGE_APP};
    c->buf_len = 33u + fuzz_u16(&in) % 8160u;
    c->device.chip_id = fuzz_u16(&in);
    c->device.chip_rev = fuzz_u16(&in);
    c->device.spi_flash_mode = fuzz_u8(&in);
    c->device.ignore_max_rev = flags & 0x40;
    c->image = fuzz_bytes(&in, SIZE_MAX, &c->len);
    c->opts = (ota_image_verify_opts_t){k_kinds[flags & 3u], flags & 0x04 ? &c->device : NULL,
                                        flags & 0x08, (uint32_t)c->len};
    c->part_offset = flags & 0x20 ? 0x11000u : 0x10000u;
    c->part_size = (((uint32_t)c->len + SECTOR - 1u) & ~(SECTOR - 1u)) + (flags & 0x10 ? SECTOR : 0u);
    c->part_size = c->part_size ? c->part_size : SECTOR;
}

static ota_err_t verify(const image_case_t *c, const ota_flash_t *flash, size_t buf_len,
                        ota_image_info_t *info)
{
    uint8_t *buf = malloc(buf_len);
    FUZZ_CHECK(buf != NULL);
    mbedtls_sha256_context ctx;
    ota_hash_t sha;
    ota_port_sha256_init(&sha, &ctx);
    ota_err_t err = ota_image_verify(flash, c->part_offset, c->part_size, &c->opts, &sha, buf, buf_len, info);
    free(buf);
    return err;
}

static bool is_zero(const void *p, size_t len)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

static void check_result(const image_case_t *c, ota_err_t err, const ota_image_info_t *info)
{
    uint32_t avail = c->opts.data_len_known ? c->opts.data_len : c->part_size;
    FUZZ_CHECK(info->segments_read <= OTA_IMAGE_MAX_SEGMENTS);
    FUZZ_CHECK(info->segments_read <= info->header.segment_count);
    if (err == OTA_OK) {
        FUZZ_CHECK(info->complete && info->image_len <= avail);
        FUZZ_CHECK(info->checksum_stored == info->checksum_calc);
        FUZZ_CHECK(info->checksum_offset % 16u == 15u && info->checksum_offset < info->image_len);
    }
}

/* The descriptor readers never return garbage; an accepted app on an
 * MMU-page-configurable chip has its descriptor. */
static void check_descriptors(const image_case_t *c, const ota_flash_t *flash, ota_err_t err,
                              const ota_image_info_t *info)
{
    ota_app_desc_t app;
    ota_boot_desc_t boot;
    ota_err_t app_err = ota_image_read_app_desc(flash, c->part_offset, c->part_size, &app);
    ota_err_t boot_err = ota_image_read_boot_desc(flash, c->part_offset, c->part_size, &boot);
    FUZZ_CHECK(app_err == OTA_OK || is_zero(&app, sizeof app));
    FUZZ_CHECK(boot_err == OTA_OK || is_zero(&boot, sizeof boot));
    const ota_chip_t *chip = ota_chip_by_id(info->header.chip_id);
    if (err == OTA_OK && c->opts.kind == OTA_IMAGE_APP && chip && chip->mmu_pages) {
        FUZZ_CHECK(app_err == OTA_OK && app.magic_word == OTA_APP_DESC_MAGIC);
    }
}

static void check_head(const image_case_t *c)
{
    ota_image_header_t hdr;
    ota_app_desc_t app;
    ota_boot_desc_t boot;
    ota_image_kind_t kind = c->opts.kind == OTA_IMAGE_BOOTLOADER ? OTA_IMAGE_BOOTLOADER : OTA_IMAGE_APP;
    ota_err_t err = ota_image_check_head(c->image, c->len, kind, c->opts.device, &hdr, &app, &boot);
    FUZZ_CHECK(err != OTA_OK || kind != OTA_IMAGE_APP || app.magic_word == OTA_APP_DESC_MAGIC);
    FUZZ_CHECK(err != OTA_OK || c->len >= (kind == OTA_IMAGE_APP ? OTA_IMAGE_HEAD_LEN : OTA_IMAGE_BOOT_HEAD_LEN));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    image_case_t c;
    if (size < HEADER_LEN || size - HEADER_LEN > 0x1000000u) {
        return 0;
    }
    parse_case(&c, data, size);
    ota_simflash_t sim;
    ota_simflash_geometry_t geo = {c.part_offset + c.part_size, SECTOR, 1};
    FUZZ_CHECK(ota_simflash_init_ram(&sim, &geo) == OTA_OK);
    FUZZ_CHECK(ota_flash_write(&sim.flash, c.part_offset, c.image, c.len) == OTA_OK);
    fuzz_guard_t guard;
    fuzz_guard_init(&guard, &sim.flash);
    fuzz_guard_set_read(&guard, c.part_offset, c.opts.data_len_known ? c.len : c.part_size);

    ota_image_info_t small, large;
    ota_err_t err = verify(&c, &guard.flash, OTA_IMAGE_BUF_MIN, &small);
    FUZZ_CHECK(verify(&c, &guard.flash, c.buf_len, &large) == err);
    FUZZ_CHECK(memcmp(&small, &large, sizeof small) == 0);
    check_result(&c, err, &small);
    fuzz_guard_set_read(&guard, c.part_offset, c.part_size);
    check_descriptors(&c, &guard.flash, err, &small);
    check_head(&c);
    ota_simflash_close(&sim);
    return 0;
}
