/*
 * App image verification (ota_image_verify) over a RAM simflash, plus the
 * descriptor readers, the stream-head check and the Secure Boot v2 signature
 * sector (ota_sigv2_verify with the mbedTLS engine) on the same bytes.
 *
 * Input:
 *   0      flags: bits 0-1 kind (APP, BOOTLOADER, FORMAT, APP), 0x04 check
 *          against a device, 0x08 data length known, 0x10 one spare sector
 *          in the partition, 0x20 partition at 0x11000 (not MMU-page aligned)
 *          instead of 0x10000
 *   1-2    size of the second work buffer: 33 + (n % 8160)
 *   3-7    device: chip id (2), chip revision (2), SPI flash mode (1)
 *   8      signatures: 0x01 verify the signature sector, 0x02 trust the key of
 *          block (b >> 2) % 3 (so digests and signatures are checked, not only
 *          the key match), 0x10 that key is revoked, 0x20 ECDSA schemes only,
 *          0x40 no SHA-384 port
 *   9-     the image, at the start of the partition
 *
 * Invariants: reads stay inside the partition (inside the image bytes when
 * their length is known) and nothing is written; the result and everything
 * reported are the same with a 32-byte and with a larger work buffer; an
 * accepted image is complete, fits and has a matching checksum; an accepted
 * app on a chip whose MMU page is configurable has a readable descriptor; a
 * descriptor that cannot be read comes back zeroed; the signature verdict is
 * the same with the smallest and a larger scratch buffer, and a success names
 * a block that counted.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ota/image.h"
#include "ota/sigv2.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/sig_mbedtls.h"
#include "ota_port/simflash.h"

#define HEADER_LEN 9u
#define SECTOR 0x1000u

typedef struct image_case {
    ota_image_verify_opts_t opts;
    ota_image_device_t device;
    uint32_t part_offset, part_size;
    size_t buf_len;
    uint8_t sig;
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
    c->sig = fuzz_u8(&in);
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
    if (err == OTA_OK && c->opts.kind == OTA_IMAGE_APP && chip && chip->mmu_page_min_log2) {
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

/* ---- Signature sector -------------------------------------------------------- */

/* The key digest of block `index` of the sector, if that block parses. */
static bool block_key_digest(const ota_flash_t *flash, uint32_t sector, unsigned index,
                             uint8_t digest[OTA_SHA256_LEN])
{
    uint8_t block[OTA_SIGV2_BLOCK_SIZE];
    ota_sigv2_block_t blk;
    if (ota_flash_read(flash, sector + index * OTA_SIGV2_BLOCK_SIZE, block, sizeof block) != OTA_OK ||
        ota_sigv2_block_parse(block, &blk) != OTA_OK) {
        return false;
    }
    ota_port_sha256(blk.key, blk.layout.key_len, digest);
    return true;
}

static ota_err_t verify_sig(const image_case_t *c, const ota_flash_t *flash, uint32_t image_len,
                            const uint8_t (*trusted)[OTA_SHA256_LEN], size_t buf_len, ota_sigv2_result_t *res)
{
    mbedtls_sha256_context c256;
    mbedtls_sha512_context c384;
    ota_hash_t sha256, sha384;
    ota_sig_engine_t engine;
    ota_port_sha256_init(&sha256, &c256);
    ota_port_sha384_init(&sha384, &c384);
    ota_port_sig_engine_init(&engine);
    uint8_t *buf = malloc(buf_len);
    FUZZ_CHECK(buf != NULL);
    uint32_t ecdsa = OTA_SIG_SCHEME_BIT(OTA_SIG_ECDSA_P192) | OTA_SIG_SCHEME_BIT(OTA_SIG_ECDSA_P256) |
                     OTA_SIG_SCHEME_BIT(OTA_SIG_ECDSA_P384);
    ota_sigv2_cfg_t cfg = {flash, &sha256, c->sig & 0x40 ? NULL : &sha384, &engine, trusted, 2,
                           c->sig & 0x10 ? 1u : 0u, c->sig & 0x20 ? ecdsa : 0u, buf, buf_len};
    memset(res, 0, sizeof *res); /* an argument error leaves it untouched */
    ota_err_t err = ota_sigv2_verify(&cfg, c->part_offset, c->part_size, image_len, res);
    free(buf);
    return err;
}

static void check_signature(const image_case_t *c, const ota_flash_t *flash, ota_err_t err,
                            const ota_image_info_t *info)
{
    uint32_t image_len = err == OTA_OK ? info->image_len : (uint32_t)c->len;
    uint32_t sector = c->part_offset + ((image_len + OTA_SIGV2_SECTOR_SIZE - 1u) & ~(OTA_SIGV2_SECTOR_SIZE - 1u));
    uint8_t trusted[2][OTA_SHA256_LEN];
    memset(trusted, 0xA5, sizeof trusted);
    if (c->sig & 0x02) {
        (void)block_key_digest(flash, sector, (c->sig >> 2) % OTA_SIGV2_MAX_BLOCKS, trusted[0]);
    }
    ota_sigv2_result_t small, large;
    ota_err_t sig_err = verify_sig(c, flash, image_len, trusted, OTA_SIGV2_BUF_MIN, &small);
    FUZZ_CHECK(verify_sig(c, flash, image_len, trusted, OTA_SIGV2_BUF_MIN + c->buf_len, &large) == sig_err);
    FUZZ_CHECK(small.block == large.block && small.checked == large.checked);
    FUZZ_CHECK(small.checked <= OTA_SIGV2_MAX_BLOCKS);
    if (sig_err == OTA_OK) {
        FUZZ_CHECK(small.block >= 0 && (unsigned)small.block < small.checked &&
                   small.block_err[small.block] == OTA_OK && small.key_index == 0 && !(c->sig & 0x10));
    }
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
    if (c.sig & 0x01) {
        check_signature(&c, &guard.flash, err, &small);
    }
    ota_simflash_close(&sim);
    return 0;
}
