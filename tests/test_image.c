/*
 * Image verification core (src/image.c, src/image_desc.c, src/chip.c).
 *
 * Images are built here with tools/imgpack.c and verified in a RAM flash
 * simulator. Expected digests come from mbedTLS over the bytes, expected
 * chip ids from the spec's table, descriptor fields from what the test put
 * in (or, for the upstream vector, from manifest.json's decoding), never
 * from the verifier itself.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgfile.h"
#include "imgpack.h"
#include "ota/image.h"
#include "ota_port/hash_mbedtls.h"
#include "ota_port/simflash.h"
#include "testutil.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* ---- helpers ------------------------------------------------------------ */

typedef struct image {
    uint8_t *data;
    size_t len;
} image_t;

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed ? seed : 1u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static image_t build(const imgpack_opts_t *o)
{
    image_t img = {NULL, 0};
    assert_int_equal(imgpack_build(o, &img.data, &img.len), OTA_OK);
    return img;
}

/* An app for chip with its descriptor, about `size` bytes. */
static image_t pack_app(uint16_t chip, uint32_t size, bool hash)
{
    ota_app_desc_t desc;
    imgpack_opts_t o;
    imgpack_app_desc(&desc, "test", "1.2.3", 5);
    imgpack_defaults(&o, chip);
    o.app_desc = &desc;
    o.target_size = size;
    o.hash_appended = hash;
    return build(&o);
}

/* An esp32c3 app with a mapped code segment and a RAM segment, so the image
 * has padding segments between them. */
static image_t pack_multi(bool hash)
{
    static uint8_t code[1024], dram[5000];
    fill_random(code, sizeof code, 7);
    fill_random(dram, sizeof dram, 8);
    imgpack_segment_t segs[] = {{0x42000020u, code, sizeof code}, {0x3FC80000u, dram, sizeof dram}};
    ota_app_desc_t desc;
    imgpack_opts_t o;
    imgpack_app_desc(&desc, "multi", "2.0", 0);
    imgpack_defaults(&o, OTA_CHIP_ESP32C3);
    o.app_desc = &desc;
    o.payload_len = 2000;
    o.hash_appended = hash;
    o.segments = segs;
    o.segment_count = 2;
    return build(&o);
}

static image_t copy_image(const image_t *src)
{
    image_t img = {malloc(src->len ? src->len : 1), src->len};
    assert_non_null(img.data);
    memcpy(img.data, src->data, src->len);
    return img;
}

/* Verify bytes as a file (partition at 0x10000, data_len = len). */
static ota_err_t verify_buf(const uint8_t *data, size_t len, ota_image_kind_t kind,
                            const ota_image_device_t *device, size_t buf_len, ota_image_info_t *info)
{
    imgfile_t f;
    assert_int_equal(imgfile_open(&f, data, len), OTA_OK);
    ota_err_t err = imgfile_verify(&f, kind, device, buf_len, info);
    imgfile_close(&f);
    return err;
}

static ota_err_t verify_img(const image_t *img, ota_image_kind_t kind, ota_image_info_t *info)
{
    return verify_buf(img->data, img->len, kind, NULL, 4096, info);
}

/* Verify bytes placed at part_offset in a partition of part_size bytes, the
 * data length unknown (as when checking what is in flash). */
static ota_err_t verify_at(const uint8_t *data, size_t len, uint32_t part_offset, uint32_t part_size,
                           ota_image_kind_t kind)
{
    ota_simflash_t sim;
    uint32_t size = (part_offset + part_size + 0xFFFu) & ~0xFFFu;
    ota_simflash_geometry_t geo = {size, 0x1000u, 1};
    assert_int_equal(ota_simflash_init_ram(&sim, &geo), OTA_OK);
    assert_int_equal(ota_flash_write(&sim.flash, part_offset, data, len), OTA_OK);
    mbedtls_sha256_context ctx;
    ota_hash_t sha;
    ota_port_sha256_init(&sha, &ctx);
    uint8_t buf[512];
    ota_image_verify_opts_t opts = {kind, NULL, false, 0};
    ota_err_t err = ota_image_verify(&sim.flash, part_offset, part_size, &opts, &sha, buf, sizeof buf, NULL);
    ota_simflash_close(&sim);
    return err;
}

/* Image offset of the checksum byte, from the segment headers (spec §4.3). */
static size_t checksum_offset(const image_t *img)
{
    size_t pos = OTA_IMAGE_HEADER_LEN;
    for (unsigned i = 0; i < img->data[1]; i++) {
        pos += OTA_IMAGE_SEG_HEADER_LEN + get_le32(img->data + pos + 4);
    }
    return pos | 15u;
}

/* ---- chips ---------------------------------------------------------------- */

static void test_chip_names_and_ids(void **state)
{
    (void)state;
    /* spec §4.1 */
    static const struct {
        const char *name;
        uint16_t id;
    } k_spec[] = {{"esp32", 0x00}, {"esp32s2", 0x02}, {"esp32c3", 0x05}, {"esp32s3", 0x09},
                  {"esp32c2", 0x0C}, {"esp32c6", 0x0D}, {"esp32h2", 0x10}, {"esp32p4", 0x12},
                  {"esp32c61", 0x14}, {"esp32c5", 0x17}, {"esp32h21", 0x19}, {"esp32h4", 0x1C},
                  {"esp32s31", 0x20}};
    size_t n = sizeof k_spec / sizeof k_spec[0];
    for (size_t i = 0; i < n; i++) {
        uint16_t id = 0xFFFF;
        assert_int_equal(ota_chip_id_from_name(k_spec[i].name, &id), OTA_OK);
        assert_int_equal(id, k_spec[i].id);
        assert_string_equal(ota_chip_name(k_spec[i].id), k_spec[i].name);
    }
    assert_non_null(ota_chip_at(n - 1));
    assert_null(ota_chip_at(n));
    uint16_t id;
    assert_int_equal(ota_chip_id_from_name("ESP32S3", &id), OTA_OK);
    assert_int_equal(id, 9);
    assert_int_equal(ota_chip_id_from_name("esp32s", &id), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_chip_id_from_name("esp32s33", &id), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_chip_id_from_name(NULL, &id), OTA_ERR_INVALID_ARG);
    assert_null(ota_chip_name(0x7777));
    const ota_chip_t *c3 = ota_chip_by_name("esp32c3");
    assert_true(ota_chip_addr_is_mapped(c3, 0x42000020u));
    assert_true(ota_chip_addr_is_mapped(c3, 0x3C000020u));
    assert_false(ota_chip_addr_is_mapped(c3, 0x3FC80000u));
    assert_false(ota_chip_addr_is_mapped(c3, 0x42800000u));
}

/* ---- valid images ------------------------------------------------------ */

static void check_valid(const image_t *img, uint32_t target)
{
    ota_image_info_t info;
    assert_int_equal(verify_img(img, OTA_IMAGE_APP, &info), OTA_OK);
    assert_true(info.complete);
    assert_int_equal(info.image_len, img->len);
    uint8_t digest[OTA_SHA256_LEN];
    ota_port_sha256(img->data, img->len - OTA_SHA256_LEN, digest);
    assert_memory_equal(info.hash_calc, digest, sizeof digest);
    assert_memory_equal(info.hash_stored, img->data + img->len - OTA_SHA256_LEN, OTA_SHA256_LEN);
    assert_int_equal(info.checksum_offset, img->len - OTA_SHA256_LEN - 1);
    assert_int_equal(info.checksum_stored, info.checksum_calc);
    assert_true(img->len + 32 > target && img->len < target + 32);
}

static void test_packed_apps_verify_1k_to_4m(void **state)
{
    (void)state;
    static const uint32_t k_sizes[] = {1 * KIB, 4 * KIB, 64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB};
    for (size_t i = 0; i < sizeof k_sizes / sizeof k_sizes[0]; i++) {
        image_t img = pack_app(OTA_CHIP_ESP32C3, k_sizes[i], true);
        check_valid(&img, k_sizes[i]);
        free(img.data);
    }
}

static void test_packed_apps_verify_on_every_chip(void **state)
{
    (void)state;
    for (size_t i = 0; ota_chip_at(i); i++) {
        const ota_chip_t *chip = ota_chip_at(i);
        image_t img = pack_app(chip->chip_id, 64 * KIB, true);
        ota_image_device_t dev = {chip->chip_id, OTA_CHIP_REV_ANY, 0, false};
        check_valid(&img, 64 * KIB);
        assert_int_equal(verify_buf(img.data, img.len, OTA_IMAGE_APP, &dev, 4096, NULL), OTA_OK);
        free(img.data);
    }
}

static void test_multi_segment_image_verifies(void **state)
{
    (void)state;
    image_t img = pack_multi(true);
    ota_image_info_t info;
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, &info), OTA_OK);
    assert_true(info.header.segment_count >= 3); /* descriptor, padding, code, ... */
    bool found = false;
    for (unsigned i = 0; i < info.segments_read; i++) {
        if (info.segments[i].load_addr == 0x42000020u) {
            found = true;
            assert_int_equal((IMGFILE_PART_OFFSET + info.segments[i].data_offset) % 0x10000u, 0x20u);
        }
    }
    assert_true(found);
    free(img.data);
}

/* ---- single-byte damage ------------------------------------------------ */

/* Flip one byte (XOR 0x5A keeps hash_appended nonzero) and expect failure. */
static int flip_fails(const image_t *img, size_t pos)
{
    image_t bad = copy_image(img);
    bad.data[pos] ^= 0x5A;
    ota_err_t err = verify_img(&bad, OTA_IMAGE_APP, NULL);
    free(bad.data);
    if (err == OTA_OK) {
        print_message("flip at 0x%zx was not detected\n", pos);
    }
    return err != OTA_OK;
}

static void test_flipped_bytes_in_every_region_fail(void **state)
{
    (void)state;
    image_t img = pack_multi(true);
    size_t ck = checksum_offset(&img), checked = 0, pos = OTA_IMAGE_HEADER_LEN;
    for (size_t i = 0; i < OTA_IMAGE_HEADER_LEN; i++, checked++) {
        assert_true(flip_fails(&img, i)); /* header */
    }
    for (unsigned s = 0; s < img.data[1]; s++) {
        uint32_t len = get_le32(img.data + pos + 4);
        for (size_t i = 0; i < OTA_IMAGE_SEG_HEADER_LEN; i++, checked++) {
            assert_true(flip_fails(&img, pos + i)); /* segment header */
        }
        size_t step = s == 0 ? 7 : len / 29 + 1; /* descriptor densely, the rest sampled */
        for (size_t i = 0; i < len; i += step, checked++) {
            assert_true(flip_fails(&img, pos + OTA_IMAGE_SEG_HEADER_LEN + i)); /* data, padding segments */
        }
        pos += OTA_IMAGE_SEG_HEADER_LEN + len;
    }
    for (size_t i = pos; i <= ck + OTA_SHA256_LEN; i++, checked++) {
        assert_true(flip_fails(&img, i)); /* tail padding, checksum, hash */
    }
    assert_true(checked > 200);
    free(img.data);
}

static void test_flipped_data_without_hash_is_a_checksum_error(void **state)
{
    (void)state;
    image_t img = pack_multi(false);
    for (size_t pos = 0x20; pos < img.len - 16; pos += 997) {
        size_t seg = OTA_IMAGE_HEADER_LEN;
        bool in_header = false;
        for (unsigned s = 0; s < img.data[1]; s++) { /* skip segment headers */
            in_header = in_header || (pos >= seg && pos < seg + OTA_IMAGE_SEG_HEADER_LEN);
            seg += OTA_IMAGE_SEG_HEADER_LEN + get_le32(img.data + seg + 4);
        }
        if (in_header || pos >= seg) {
            continue;
        }
        image_t bad = copy_image(&img);
        bad.data[pos] ^= 0x01;
        assert_int_equal(verify_img(&bad, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_CHECKSUM);
        free(bad.data);
    }
    free(img.data);
}

/* ---- malformed input ---------------------------------------------------- */

static void test_every_prefix_is_truncated(void **state)
{
    (void)state;
    image_t img = pack_app(OTA_CHIP_ESP32C6, 0, true); /* 336 bytes: descriptor only */
    assert_int_equal(img.len, 336);
    for (size_t len = 0; len < img.len; len++) {
        assert_int_equal(verify_buf(img.data, len, OTA_IMAGE_APP, NULL, 64, NULL), OTA_ERR_IMG_TRUNCATED);
        assert_int_equal(verify_buf(img.data, len, OTA_IMAGE_FORMAT, NULL, 64, NULL), OTA_ERR_IMG_TRUNCATED);
    }
    free(img.data);
}

static void test_truncated_at_header_boundaries(void **state)
{
    (void)state;
    image_t img = pack_multi(true);
    size_t ck = checksum_offset(&img), pos = OTA_IMAGE_HEADER_LEN;
    size_t cuts[64], n = 0;
    cuts[n++] = 1, cuts[n++] = OTA_IMAGE_HEADER_LEN - 1, cuts[n++] = OTA_IMAGE_HEADER_LEN;
    for (unsigned s = 0; s < img.data[1] && n + 4 < 64; s++) {
        uint32_t len = get_le32(img.data + pos + 4);
        cuts[n++] = pos + 4;                             /* inside the segment header */
        cuts[n++] = pos + OTA_IMAGE_SEG_HEADER_LEN;      /* header complete, no data */
        cuts[n++] = pos + OTA_IMAGE_SEG_HEADER_LEN + len - (len ? 1 : 0); /* one data byte short */
        pos += OTA_IMAGE_SEG_HEADER_LEN + len;
    }
    cuts[n++] = ck;       /* checksum missing */
    cuts[n++] = ck + 1;   /* hash missing */
    cuts[n++] = ck + 32;  /* one hash byte missing */
    for (size_t i = 0; i < n; i++) {
        if (cuts[i] < img.len) {
            assert_int_equal(verify_buf(img.data, cuts[i], OTA_IMAGE_APP, NULL, 4096, NULL), OTA_ERR_IMG_TRUNCATED);
        }
    }
    free(img.data);
}

static void test_filled_and_garbage_inputs(void **state)
{
    (void)state;
    uint8_t *buf = malloc(8192);
    assert_non_null(buf);
    memset(buf, 0xFF, 8192);
    assert_int_equal(verify_buf(buf, 8192, OTA_IMAGE_APP, NULL, 4096, NULL), OTA_ERR_IMG_MAGIC);
    assert_int_equal(verify_buf(buf, 8192, OTA_IMAGE_FORMAT, NULL, 4096, NULL), OTA_ERR_IMG_MAGIC);
    memset(buf, 0x00, 8192);
    assert_int_equal(verify_buf(buf, 8192, OTA_IMAGE_APP, NULL, 4096, NULL), OTA_ERR_IMG_MAGIC);
    assert_int_equal(verify_at(buf, 8192, 0x10000, 0x2000, OTA_IMAGE_BOOTLOADER), OTA_ERR_IMG_MAGIC);
    /* Random bytes behind a valid magic and chip: some error, never a crash. */
    for (uint32_t seed = 1; seed <= 300; seed++) {
        fill_random(buf, 8192, seed);
        buf[0] = OTA_IMAGE_MAGIC;
        buf[12] = OTA_CHIP_ESP32C3, buf[13] = 0;
        buf[1] = (uint8_t)(seed % 18);
        buf[23] = 1; /* a hash: random bytes cannot pass by luck of a 1-byte checksum */
        size_t len = 64 + seed * 27 % 8000;
        assert_int_not_equal(verify_buf(buf, len, OTA_IMAGE_APP, NULL, 32 + seed % 100, NULL), OTA_OK);
        assert_int_not_equal(verify_buf(buf, len, OTA_IMAGE_FORMAT, NULL, 4096, NULL), OTA_OK);
    }
    free(buf);
}

static void test_bad_counts_and_lengths(void **state)
{
    (void)state;
    image_t img = pack_app(OTA_CHIP_ESP32C3, 4 * KIB, true);
    const size_t seg0_len = OTA_IMAGE_HEADER_LEN + 4;
    image_t bad = copy_image(&img);
    bad.data[1] = 17;
    assert_int_equal(verify_img(&bad, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_SEG_COUNT);
    assert_int_equal(verify_img(&bad, OTA_IMAGE_FORMAT, NULL), OTA_ERR_IMG_SEG_COUNT);
    bad.data[1] = img.data[1];
    put_le32(bad.data + seg0_len, 0xFFFFFFFCu); /* huge */
    assert_int_equal(verify_img(&bad, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_SEG_LEN);
    assert_int_equal(verify_img(&bad, OTA_IMAGE_FORMAT, NULL), OTA_ERR_IMG_TRUNCATED);
    put_le32(bad.data + seg0_len, 0x00FFFFFCu); /* just under 16 MiB, past the file */
    assert_int_equal(verify_img(&bad, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_TRUNCATED);
    /* The same in flash, where the data length is unknown: past the partition. */
    assert_int_equal(verify_at(bad.data, bad.len, 0x10000, 0x2000, OTA_IMAGE_APP), OTA_ERR_IMG_SEG_BOUNDS);
    put_le32(bad.data + seg0_len, get_le32(img.data + seg0_len) + 2); /* not a multiple of 4 */
    assert_int_equal(verify_img(&bad, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_SEG_LEN);
    free(bad.data);
    free(img.data);
}

static void test_partition_size_limits(void **state)
{
    (void)state;
    image_t img = pack_app(OTA_CHIP_ESP32C3, 4 * KIB, true);
    uint32_t len = (uint32_t)img.len;
    assert_int_equal(verify_at(img.data, img.len, 0x10000, len, OTA_IMAGE_APP), OTA_OK);
    assert_int_equal(verify_at(img.data, img.len, 0x10000, len - 1, OTA_IMAGE_APP), OTA_ERR_IMG_TOO_LONG);
    assert_int_equal(verify_at(img.data, img.len, 0x10000, len - 32, OTA_IMAGE_APP), OTA_ERR_IMG_TOO_LONG);
    assert_int_equal(verify_at(img.data, 16, 0x10000, 16, OTA_IMAGE_APP), OTA_ERR_IMG_TOO_LONG);
    free(img.data);
}

/* ---- buffer sizes ---------------------------------------------------------- */

static void same_result_for_all_buffers(const image_t *img, ota_err_t expected)
{
    static const size_t k_sizes[] = {OTA_IMAGE_BUF_MIN, 33, 47, 64, 100, 255, 256, 1000, 4096, 65536};
    ota_image_info_t ref, info;
    assert_int_equal(verify_buf(img->data, img->len, OTA_IMAGE_APP, NULL, 4096, &ref), expected);
    for (size_t i = 0; i < sizeof k_sizes / sizeof k_sizes[0]; i++) {
        assert_int_equal(verify_buf(img->data, img->len, OTA_IMAGE_APP, NULL, k_sizes[i], &info), expected);
        assert_int_equal(info.complete, ref.complete);
        assert_int_equal(info.segments_read, ref.segments_read);
        assert_memory_equal(info.segments, ref.segments, sizeof ref.segments);
        assert_int_equal(info.image_len, ref.image_len);
        assert_int_equal(info.checksum_calc, ref.checksum_calc);
        assert_memory_equal(info.hash_calc, ref.hash_calc, OTA_SHA256_LEN);
    }
    assert_int_equal(verify_buf(img->data, img->len, OTA_IMAGE_APP, NULL, OTA_IMAGE_BUF_MIN - 1, NULL),
                     OTA_ERR_INVALID_ARG);
}

static void test_buffer_size_does_not_change_results(void **state)
{
    (void)state;
    image_t img = pack_multi(true);
    same_result_for_all_buffers(&img, OTA_OK);
    image_t bad = copy_image(&img);
    bad.data[0x2000] ^= 0x10;
    same_result_for_all_buffers(&bad, OTA_ERR_IMG_CHECKSUM);
    bad.len = 0x3000;
    same_result_for_all_buffers(&bad, OTA_ERR_IMG_TRUNCATED);
    free(bad.data);
    free(img.data);
}

/* ---- descriptors ------------------------------------------------------------- */

static ota_err_t read_desc(const uint8_t *data, size_t len, uint32_t part_size, ota_app_desc_t *desc)
{
    imgfile_t f;
    assert_int_equal(imgfile_open(&f, data, len), OTA_OK);
    ota_err_t err = ota_image_read_app_desc(&f.sim.flash, IMGFILE_PART_OFFSET, part_size, desc);
    /* The secure_version alone: same checks, same answer. */
    uint32_t version = 1234;
    assert_int_equal(ota_image_read_secure_version(&f.sim.flash, IMGFILE_PART_OFFSET, part_size, &version),
                     err);
    assert_int_equal(version, desc->secure_version);
    /* The version alone: same checks, the same NUL-padded 33 bytes. */
    char text[33];
    memset(text, 'x', sizeof text);
    assert_int_equal(ota_image_read_app_version(&f.sim.flash, IMGFILE_PART_OFFSET, part_size, text),
                     err);
    assert_memory_equal(text, desc->version, sizeof text);
    imgfile_close(&f);
    return err;
}

static void assert_zero_desc(const ota_app_desc_t *d)
{
    ota_app_desc_t zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(d, &zero, sizeof zero);
}

/* An image without descriptor: segment 0 is 512 random bytes in RAM. */
static image_t pack_no_desc(uint16_t chip, uint32_t addr, uint32_t seg0_len)
{
    static uint8_t data[512];
    fill_random(data, sizeof data, 99);
    imgpack_segment_t seg = {addr, data, seg0_len};
    imgpack_opts_t o;
    imgpack_defaults(&o, chip);
    o.segments = &seg;
    o.segment_count = 1;
    return build(&o);
}

static void test_app_desc_read(void **state)
{
    (void)state;
    image_t img = pack_app(OTA_CHIP_ESP32S3, 8 * KIB, true);
    ota_app_desc_t d;
    assert_int_equal(read_desc(img.data, img.len, (uint32_t)img.len, &d), OTA_OK);
    assert_int_equal(d.magic_word, 0xABCD5432u);
    assert_string_equal(d.project_name, "test");
    assert_string_equal(d.version, "1.2.3");
    assert_string_equal(d.idf_ver, "libota");
    assert_int_equal(d.secure_version, 5);
    assert_int_equal(ota_image_check_secure_version(&d, 5), OTA_OK);
    assert_int_equal(ota_image_check_secure_version(&d, 6), OTA_ERR_IMG_SEC_VER);
    /* Too small a partition cannot hold one. */
    assert_int_equal(read_desc(img.data, img.len, 0x11F, &d), OTA_ERR_IMG_NO_DESC);
    assert_zero_desc(&d);
    uint32_t version = 1;
    assert_int_equal(ota_image_read_secure_version(NULL, 0, 0x1000, &version), OTA_ERR_INVALID_ARG);
    assert_int_equal(version, 0);
    char text[33] = "x";
    assert_int_equal(ota_image_read_app_version(NULL, 0, 0x1000, text), OTA_ERR_INVALID_ARG);
    assert_string_equal(text, "");
    free(img.data);
}

static void test_app_desc_absent_never_garbage(void **state)
{
    (void)state;
    ota_app_desc_t d;
    uint8_t erased[4096];
    memset(erased, 0xFF, sizeof erased);
    assert_int_equal(read_desc(erased, sizeof erased, sizeof erased, &d), OTA_ERR_IMG_NO_DESC);
    assert_zero_desc(&d);

    image_t img = pack_no_desc(OTA_CHIP_ESP32C3, 0x3FC80000u, 512);
    assert_int_equal(read_desc(img.data, img.len, (uint32_t)img.len, &d), OTA_ERR_IMG_NO_DESC);
    assert_zero_desc(&d);
    /* esp32c3 has a fixed MMU page: ESP-IDF does not require the descriptor there. */
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_OK);
    free(img.data);

    /* Configurable MMU page (esp32c6): segment 0 must start with it. */
    img = pack_no_desc(OTA_CHIP_ESP32C6, 0x40800000u, 512);
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_NO_DESC);
    assert_int_equal(verify_img(&img, OTA_IMAGE_FORMAT, NULL), OTA_OK);
    free(img.data);

    /* The magic is there but segment 0 is too short to hold the descriptor. */
    img = pack_app(OTA_CHIP_ESP32C3, 0, false);
    put_le32(img.data + OTA_IMAGE_HEADER_LEN + 4, 128);
    assert_int_equal(read_desc(img.data, img.len, (uint32_t)img.len, &d), OTA_ERR_IMG_NO_DESC);
    assert_zero_desc(&d);
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_SEG0_SHORT);
    free(img.data);
}

static void test_app_desc_of_upstream_vector(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    size_t len;
    uint8_t *data = tu_read_file(tu_vector_path("image/valid/esp32c6_appdesc.bin"), &len);
    assert_non_null(data);
    ota_app_desc_t d;
    assert_int_equal(ota_app_desc_parse(data + OTA_APP_DESC_OFFSET, len - OTA_APP_DESC_OFFSET, &d), OTA_OK);
    /* Values as decoded in manifest.json (layout.app_desc). */
    assert_int_equal(d.secure_version, 4294967295u);
    assert_string_equal(d.version, "_______________________________");
    assert_string_equal(d.project_name, "-------------------------------");
    assert_string_equal(d.time, "xxxxxxxxxxxxxxx");
    assert_string_equal(d.date, "yyyyyyyyyyyyyyy");
    assert_string_equal(d.idf_ver, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    assert_int_equal(d.min_efuse_blk_rev_full, 65535);
    assert_int_equal(d.max_efuse_blk_rev_full, 65535);
    assert_int_equal(d.mmu_page_size_log2, 0);
    static const uint8_t k_elf_sha_start[] = {0x10, 0xeb, 0x99, 0xe6};
    assert_memory_equal(d.app_elf_sha256, k_elf_sha_start, sizeof k_elf_sha_start);
    /* Encoding what was decoded gives back the same bytes, except the
     * reserved fields (0xFF in this vector, not kept). */
    uint8_t raw[OTA_APP_DESC_LEN];
    ota_app_desc_serialize(&d, raw);
    assert_memory_equal(raw, data + OTA_APP_DESC_OFFSET, 8);
    assert_memory_equal(raw + 16, data + OTA_APP_DESC_OFFSET + 16, 184 - 16);
    assert_int_equal(ota_app_desc_parse(data, len, &d), OTA_ERR_IMG_NO_DESC);
    assert_int_equal(ota_app_desc_parse(data + OTA_APP_DESC_OFFSET, 255, &d), OTA_ERR_IMG_TRUNCATED);
    free(data);
}

static void test_app_desc_long_strings_are_cut(void **state)
{
    (void)state;
    ota_app_desc_t d, back;
    imgpack_app_desc(&d, "p", "v", 1);
    memset(d.version, 'A', 32);
    d.version[32] = '\0';
    uint8_t raw[OTA_APP_DESC_LEN];
    ota_app_desc_serialize(&d, raw);
    assert_int_equal(raw[16 + 31], 0); /* NUL kept inside the 32-byte field */
    assert_int_equal(ota_app_desc_parse(raw, sizeof raw, &back), OTA_OK);
    assert_int_equal(strlen(back.version), 31);
    assert_string_equal(back.project_name, "p");
}

/* ---- bootloaders ----------------------------------------------------------- */

/* A bootloader descriptor written by hand from spec §4.4. */
static void boot_desc_bytes(uint8_t raw[OTA_BOOT_DESC_LEN])
{
    memset(raw, 0, OTA_BOOT_DESC_LEN);
    raw[0] = 80;
    raw[3] = 3;
    put_le32(raw + 4, 0x01020304u);
    memcpy(raw + 8, "v5.5-test", 9);
    memcpy(raw + 40, "Jan 01 2026 00:00:00", 20);
}

static image_t pack_bootloader(bool with_desc)
{
    static uint8_t desc[OTA_BOOT_DESC_LEN], code[1000];
    boot_desc_bytes(desc);
    if (!with_desc) {
        memset(desc, 0x11, sizeof desc);
    }
    fill_random(code, sizeof code, 3);
    imgpack_segment_t segs[] = {{0x3FCD5000u, desc, sizeof desc}, {0x403C0000u, code, sizeof code}};
    imgpack_opts_t o;
    imgpack_defaults(&o, OTA_CHIP_ESP32C3);
    o.segments = segs;
    o.segment_count = 2;
    return build(&o);
}

static void test_bootloader_images(void **state)
{
    (void)state;
    image_t img = pack_bootloader(true);
    assert_int_equal(verify_img(&img, OTA_IMAGE_BOOTLOADER, NULL), OTA_OK);
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_SEG0_SHORT);

    imgfile_t f;
    ota_boot_desc_t bd;
    assert_int_equal(imgfile_open(&f, img.data, img.len), OTA_OK);
    assert_int_equal(ota_image_read_boot_desc(&f.sim.flash, IMGFILE_PART_OFFSET, f.part_size, &bd), OTA_OK);
    imgfile_close(&f);
    assert_int_equal(bd.magic_byte, 80);
    assert_int_equal(bd.secure_version, 3);
    assert_int_equal(bd.version, 0x01020304u);
    assert_string_equal(bd.idf_ver, "v5.5-test");
    assert_string_equal(bd.date_time, "Jan 01 2026 00:00:00");

    /* The appended hash is not required for a bootloader (esptool may patch
     * header bytes 2-3 when flashing), but FORMAT still checks it. */
    image_t patched = copy_image(&img);
    patched.data[2] = 2;
    assert_int_equal(verify_img(&patched, OTA_IMAGE_BOOTLOADER, NULL), OTA_OK);
    assert_int_equal(verify_img(&patched, OTA_IMAGE_FORMAT, NULL), OTA_ERR_IMG_HASH);
    free(patched.data);

    ota_image_header_t h;
    assert_int_equal(ota_image_check_head(img.data, OTA_IMAGE_BOOT_HEAD_LEN, OTA_IMAGE_BOOTLOADER, NULL, &h,
                                          NULL, &bd),
                     OTA_OK);
    assert_int_equal(bd.version, 0x01020304u);
    free(img.data);

    img = pack_bootloader(false);
    assert_int_equal(ota_image_check_head(img.data, img.len, OTA_IMAGE_BOOTLOADER, NULL, NULL, NULL, &bd), OTA_OK);
    assert_int_equal(bd.magic_byte, 0);
    free(img.data);
}

/* ---- chip, revision, SPI mode ---------------------------------------------- */

static image_t pack_revs(uint16_t min_rev, uint16_t max_rev, uint8_t desc_spi_mode)
{
    ota_app_desc_t desc;
    imgpack_opts_t o;
    imgpack_app_desc(&desc, "rev", "1", 0);
    desc.spi_flash_mode = desc_spi_mode;
    imgpack_defaults(&o, OTA_CHIP_ESP32C3);
    o.app_desc = &desc;
    o.min_chip_rev_full = min_rev;
    o.max_chip_rev_full = max_rev;
    return build(&o);
}

static void test_chip_and_revision_checks(void **state)
{
    (void)state;
    image_t img = pack_revs(100, 199, 0);
    ota_image_header_t h;
    assert_int_equal(ota_image_header_parse(img.data, img.len, &h), OTA_OK);
    ota_image_device_t dev = {OTA_CHIP_ESP32C3, 150, 0, false};
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, NULL, &dev), OTA_OK);
    dev.chip_rev = 99;
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, NULL, &dev), OTA_ERR_IMG_CHIP_REV);
    assert_int_equal(ota_image_check_device(OTA_IMAGE_BOOTLOADER, &h, NULL, &dev), OTA_ERR_IMG_CHIP_REV);
    dev.chip_rev = 200;
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, NULL, &dev), OTA_ERR_IMG_CHIP_REV);
    assert_int_equal(ota_image_check_device(OTA_IMAGE_BOOTLOADER, &h, NULL, &dev), OTA_OK); /* max: apps only */
    dev.ignore_max_rev = true;
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, NULL, &dev), OTA_OK);
    dev.ignore_max_rev = false;
    dev.chip_rev = OTA_CHIP_REV_ANY;
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, NULL, &dev), OTA_OK);
    dev.chip_id = OTA_CHIP_ESP32S3;
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, NULL, &dev), OTA_ERR_IMG_CHIP);
    assert_int_equal(ota_image_check_device(OTA_IMAGE_FORMAT, &h, NULL, &dev), OTA_ERR_INVALID_ARG);

    /* The same through verification. */
    ota_image_device_t c3_200 = {OTA_CHIP_ESP32C3, 200, 0, false}, s3 = {OTA_CHIP_ESP32S3, 0, 0, false};
    assert_int_equal(verify_buf(img.data, img.len, OTA_IMAGE_APP, &c3_200, 4096, NULL), OTA_ERR_IMG_CHIP_REV);
    assert_int_equal(verify_buf(img.data, img.len, OTA_IMAGE_APP, &s3, 4096, NULL), OTA_ERR_IMG_CHIP);
    assert_int_equal(verify_buf(img.data, img.len, OTA_IMAGE_FORMAT, &s3, 4096, NULL), OTA_ERR_INVALID_ARG);
    free(img.data);

    /* Max 0 and 0xFFFF mean "not set". */
    for (int i = 0; i < 2; i++) {
        img = pack_revs(0, i ? 0xFFFFu : 0, 0);
        assert_int_equal(verify_buf(img.data, img.len, OTA_IMAGE_APP, &c3_200, 4096, NULL), OTA_OK);
        free(img.data);
    }
}

static void test_spi_mode_check(void **state)
{
    (void)state;
    image_t img = pack_revs(0, 0, 3); /* descriptor says DIO */
    ota_image_header_t h;
    ota_app_desc_t d;
    ota_image_device_t dev = {OTA_CHIP_ESP32C3, OTA_CHIP_REV_ANY, 3, false};
    assert_int_equal(ota_image_check_head(img.data, img.len, OTA_IMAGE_APP, &dev, &h, &d, NULL), OTA_OK);
    dev.spi_flash_mode = 1;
    assert_int_equal(ota_image_check_head(img.data, img.len, OTA_IMAGE_APP, &dev, &h, &d, NULL),
                     OTA_ERR_IMG_SPI_MODE);
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, NULL, &dev), OTA_OK); /* no descriptor given */
    assert_int_equal(ota_image_check_device(OTA_IMAGE_BOOTLOADER, &h, &d, &dev), OTA_OK);
    dev.spi_flash_mode = 0; /* unknown on the device */
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, &d, &dev), OTA_OK);
    d.spi_flash_mode = 0; /* legacy image */
    dev.spi_flash_mode = 4;
    assert_int_equal(ota_image_check_device(OTA_IMAGE_APP, &h, &d, &dev), OTA_OK);
    free(img.data);
}

static void test_unknown_chip_id(void **state)
{
    (void)state;
    image_t img = pack_app(OTA_CHIP_ESP32C3, 2 * KIB, true);
    img.data[12] = 0x77, img.data[13] = 0x77;
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_CHIP_UNKNOWN);
    assert_int_equal(verify_img(&img, OTA_IMAGE_BOOTLOADER, NULL), OTA_ERR_IMG_CHIP_UNKNOWN);
    assert_int_equal(verify_img(&img, OTA_IMAGE_FORMAT, NULL), OTA_ERR_IMG_HASH); /* header is hashed */
    free(img.data);
}

/* ---- MMU page rule ------------------------------------------------------------ */

static void test_mapped_segments_depend_on_partition_offset(void **state)
{
    (void)state;
    image_t img = pack_multi(true);
    assert_int_equal(verify_at(img.data, img.len, 0x10000, 0x40000, OTA_IMAGE_APP), OTA_OK);
    assert_int_equal(verify_at(img.data, img.len, 0x20000, 0x40000, OTA_IMAGE_APP), OTA_OK);
    assert_int_equal(verify_at(img.data, img.len, 0x18000, 0x40000, OTA_IMAGE_APP), OTA_ERR_IMG_MAP_ALIGN);
    assert_int_equal(verify_at(img.data, img.len, 0x18000, 0x40000, OTA_IMAGE_FORMAT), OTA_OK);
    /* A load address moved by 4 no longer matches its data offset. */
    size_t pos = OTA_IMAGE_HEADER_LEN;
    for (unsigned s = 0; s < img.data[1]; s++) {
        if (get_le32(img.data + pos) == 0x42000020u) {
            put_le32(img.data + pos, 0x42000024u);
        }
        pos += OTA_IMAGE_SEG_HEADER_LEN + get_le32(img.data + pos + 4);
    }
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_MAP_ALIGN);
    free(img.data);
}

static void test_mmu_page_from_descriptor(void **state)
{
    (void)state;
    /* esp32c6, 32 KiB pages: code at 0x42010020 gets data at an offset that
     * is right modulo 32 KiB but not modulo 64 KiB. */
    static uint8_t code[512];
    fill_random(code, sizeof code, 5);
    imgpack_segment_t seg = {0x42010020u, code, sizeof code};
    ota_app_desc_t desc;
    imgpack_opts_t o;
    imgpack_app_desc(&desc, "mmu", "1", 0);
    desc.mmu_page_size_log2 = 15;
    imgpack_defaults(&o, OTA_CHIP_ESP32C6);
    o.app_desc = &desc;
    o.segments = &seg;
    o.segment_count = 1;
    image_t img = build(&o);
    ota_image_info_t info;
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, &info), OTA_OK);
    assert_int_equal(info.mmu_page_size, 0x8000u);
    const size_t mmu_byte = OTA_APP_DESC_OFFSET + 180;
    img.data[mmu_byte] = 16; /* 64 KiB */
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, &info), OTA_ERR_IMG_MAP_ALIGN);
    assert_int_equal(info.mmu_page_size, 0x10000u);
    img.data[mmu_byte] = 0; /* old image: default page */
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_MAP_ALIGN);
    img.data[mmu_byte] = 12; /* 4 KiB is not an esp32c6 page size: default */
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_MAP_ALIGN);
    img.data[mmu_byte] = 13; /* 8 KiB: aligned again; the edit is only caught by the checksum */
    assert_int_equal(verify_img(&img, OTA_IMAGE_APP, NULL), OTA_ERR_IMG_CHECKSUM);
    free(img.data);
}

/* ---- stream head --------------------------------------------------------------- */

static void test_check_head(void **state)
{
    (void)state;
    image_t img = pack_app(OTA_CHIP_ESP32C3, 4 * KIB, true);
    ota_image_header_t h;
    ota_app_desc_t d;
    ota_image_device_t c3 = {OTA_CHIP_ESP32C3, 0, 0, false}, c6 = {OTA_CHIP_ESP32C6, 0, 0, false};
    assert_int_equal(ota_image_check_head(img.data, OTA_IMAGE_HEAD_LEN, OTA_IMAGE_APP, &c3, &h, &d, NULL), OTA_OK);
    assert_int_equal(h.chip_id, OTA_CHIP_ESP32C3);
    assert_string_equal(d.project_name, "test");
    assert_int_equal(ota_image_check_head(img.data, OTA_IMAGE_HEAD_LEN, OTA_IMAGE_APP, &c6, NULL, NULL, NULL),
                     OTA_ERR_IMG_CHIP);
    assert_int_equal(ota_image_check_head(img.data, OTA_IMAGE_HEAD_LEN - 1, OTA_IMAGE_APP, NULL, NULL, NULL, NULL),
                     OTA_ERR_IMG_TRUNCATED);
    assert_int_equal(ota_image_check_head(img.data, 0, OTA_IMAGE_APP, NULL, NULL, NULL, NULL), OTA_ERR_IMG_TRUNCATED);
    assert_int_equal(ota_image_check_head(img.data, 10, OTA_IMAGE_APP, NULL, NULL, NULL, NULL), OTA_ERR_IMG_TRUNCATED);
    assert_int_equal(ota_image_check_head(img.data, img.len, OTA_IMAGE_FORMAT, NULL, NULL, NULL, NULL),
                     OTA_ERR_INVALID_ARG);

    image_t bad = copy_image(&img);
    bad.data[0] = 0xE8;
    assert_int_equal(ota_image_check_head(bad.data, 1, OTA_IMAGE_APP, NULL, &h, NULL, NULL), OTA_ERR_IMG_MAGIC);
    assert_int_equal(h.magic, 0xE8);
    memcpy(bad.data, img.data, img.len);
    bad.data[1] = 17;
    assert_int_equal(ota_image_check_head(bad.data, bad.len, OTA_IMAGE_APP, NULL, NULL, NULL, NULL),
                     OTA_ERR_IMG_SEG_COUNT);
    memcpy(bad.data, img.data, img.len);
    put_le32(bad.data + 28, get_le32(img.data + 28) + 2);
    assert_int_equal(ota_image_check_head(bad.data, bad.len, OTA_IMAGE_APP, NULL, NULL, NULL, NULL),
                     OTA_ERR_IMG_SEG_LEN);
    put_le32(bad.data + 28, 128);
    assert_int_equal(ota_image_check_head(bad.data, bad.len, OTA_IMAGE_APP, NULL, NULL, NULL, NULL),
                     OTA_ERR_IMG_SEG0_SHORT);
    memcpy(bad.data, img.data, img.len);
    bad.data[OTA_APP_DESC_OFFSET] ^= 1;
    assert_int_equal(ota_image_check_head(bad.data, bad.len, OTA_IMAGE_APP, NULL, NULL, &d, NULL),
                     OTA_ERR_IMG_NO_DESC);
    assert_zero_desc(&d);
    free(bad.data);
    free(img.data);
}

/* ---- arguments and port errors --------------------------------------------------- */

typedef struct counting_hash {
    mbedtls_sha256_context ctx;
    ota_hash_t inner;
    int finishes, updates, fail_update_at;
} counting_hash_t;

static ota_err_t ch_start(void *ctx)
{
    counting_hash_t *c = ctx;
    return c->inner.start(c->inner.ctx);
}

static ota_err_t ch_update(void *ctx, const void *data, size_t len)
{
    counting_hash_t *c = ctx;
    if (++c->updates == c->fail_update_at) {
        return OTA_ERR_IO;
    }
    return c->inner.update(c->inner.ctx, data, len);
}

static ota_err_t ch_finish(void *ctx, uint8_t *digest)
{
    counting_hash_t *c = ctx;
    c->finishes++;
    return c->inner.finish(c->inner.ctx, digest);
}

static void test_arguments_and_port_errors(void **state)
{
    (void)state;
    image_t img = pack_app(OTA_CHIP_ESP32C3, 16 * KIB, true);
    imgfile_t f;
    assert_int_equal(imgfile_open(&f, img.data, img.len), OTA_OK);
    counting_hash_t ch = {0};
    ota_port_sha256_init(&ch.inner, &ch.ctx);
    ota_hash_t sha = {&ch, ch_start, ch_update, ch_finish, OTA_SHA256_LEN};
    uint8_t buf[256];
    ota_image_verify_opts_t opts = {OTA_IMAGE_APP, NULL, true, f.len};
    const ota_flash_t *fl = &f.sim.flash;
    const uint32_t off = IMGFILE_PART_OFFSET, size = f.part_size;

    assert_int_equal(ota_image_verify(NULL, off, size, &opts, &sha, buf, sizeof buf, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_image_verify(fl, off, size, NULL, &sha, buf, sizeof buf, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_image_verify(fl, off, size, &opts, NULL, buf, sizeof buf, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_image_verify(fl, off, size, &opts, &sha, NULL, sizeof buf, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_image_verify(fl, off, size + 0x1000, &opts, &sha, buf, sizeof buf, NULL),
                     OTA_ERR_FLASH_RANGE);
    opts.data_len = size + 1;
    assert_int_equal(ota_image_verify(fl, off, size, &opts, &sha, buf, sizeof buf, NULL), OTA_ERR_INVALID_ARG);
    opts.data_len = f.len;
    opts.kind = (ota_image_kind_t)7;
    assert_int_equal(ota_image_verify(fl, off, size, &opts, &sha, buf, sizeof buf, NULL), OTA_ERR_INVALID_ARG);
    opts.kind = OTA_IMAGE_APP;
    assert_int_equal(ch.finishes, 0);

    /* A hash engine error stops verification; the engine is still finished. */
    ch.fail_update_at = 5;
    assert_int_equal(ota_image_verify(fl, off, size, &opts, &sha, buf, sizeof buf, NULL), OTA_ERR_IO);
    assert_int_equal(ch.finishes, 1);
    ch.fail_update_at = 0;
    assert_int_equal(ota_image_verify(fl, off, size, &opts, &sha, buf, sizeof buf, NULL), OTA_OK);
    assert_int_equal(ch.finishes, 2);

    /* A flash read error is returned as such, and the engine finished. */
    f.sim.fail.read_at = f.sim.stats.reads + 4;
    assert_int_equal(ota_image_verify(fl, off, size, &opts, &sha, buf, sizeof buf, NULL), OTA_ERR_FLASH_IO);
    assert_int_equal(ch.finishes, 3);
    imgfile_close(&f);
    free(img.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chip_names_and_ids),
        cmocka_unit_test(test_packed_apps_verify_1k_to_4m),
        cmocka_unit_test(test_packed_apps_verify_on_every_chip),
        cmocka_unit_test(test_multi_segment_image_verifies),
        cmocka_unit_test(test_flipped_bytes_in_every_region_fail),
        cmocka_unit_test(test_flipped_data_without_hash_is_a_checksum_error),
        cmocka_unit_test(test_every_prefix_is_truncated),
        cmocka_unit_test(test_truncated_at_header_boundaries),
        cmocka_unit_test(test_filled_and_garbage_inputs),
        cmocka_unit_test(test_bad_counts_and_lengths),
        cmocka_unit_test(test_partition_size_limits),
        cmocka_unit_test(test_buffer_size_does_not_change_results),
        cmocka_unit_test(test_app_desc_read),
        cmocka_unit_test(test_app_desc_absent_never_garbage),
        cmocka_unit_test(test_app_desc_of_upstream_vector),
        cmocka_unit_test(test_app_desc_long_strings_are_cut),
        cmocka_unit_test(test_bootloader_images),
        cmocka_unit_test(test_chip_and_revision_checks),
        cmocka_unit_test(test_spi_mode_check),
        cmocka_unit_test(test_unknown_chip_id),
        cmocka_unit_test(test_mapped_segments_depend_on_partition_offset),
        cmocka_unit_test(test_mmu_page_from_descriptor),
        cmocka_unit_test(test_check_head),
        cmocka_unit_test(test_arguments_and_port_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
