/*
 * Update sessions of the core (include/ota/ota.h): erase modes, write
 * granularity, resume, conflicts, refusals, and what a failed update must
 * leave alone (running image, active otadata).
 *
 * The device is tests/support/otadev (nvs, otadata, phy, factory, ota_0..2,
 * 64 KiB apps) with real images built by imgpack, verified by the core.
 * Expectations come from the spec (§3.2, §3.3) and the images' own bytes.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "otadev.h"
#include "testimg.h"
#include "testutil.h"

#define IMG_SIZE 20000u /* five sectors and a bit */
#define SECTOR 0x1000u

typedef struct fixture {
    tu_otadev_t dev;
    ota_ctx_t ctx;
    tu_image_t img;
} fixture_t;

static fixture_t *open_dev(uint32_t write_size, const char *running, bool rollback)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    tu_otadev_opts_t opts = {.app_count = 3, .has_factory = true, .write_size = write_size};
    tu_otadev_init(&f->dev, &opts);
    f->img = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, IMG_SIZE);
    tu_image_t running_img = tu_app_image(OTA_CHIP_ESP32C3, "1.0", 0, IMG_SIZE);
    tu_otadev_put(&f->dev, running ? running : "factory", running_img.data, running_img.len);
    tu_image_free(&running_img);
    tu_otadev_ctx(&f->dev, &f->ctx, running, rollback);
    return f;
}

static void close_dev(fixture_t *f)
{
    tu_image_free(&f->img);
    tu_otadev_free(&f->dev);
    free(f);
}

static const ota_partition_t *part(fixture_t *f, const char *label)
{
    return tu_otadev_part(&f->dev, label);
}

static size_t count_ops(const fixture_t *f, tu_flashlog_kind_t kind)
{
    size_t n = 0;
    for (size_t i = 0; i < f->dev.log.count; i++) {
        n += f->dev.log.ops[i].kind == kind;
    }
    return n;
}

/* Dirty the given sectors of a partition (bypassing the log). */
static void dirty(fixture_t *f, const char *label, unsigned first, unsigned count)
{
    memset(f->dev.sim.mem + part(f, label)->offset + first * SECTOR, 0x5A, count * SECTOR);
}

static void write_chunked(ota_session_t *s, const tu_image_t *img, size_t chunk)
{
    for (size_t off = 0; off < img->len; off += chunk) {
        size_t n = img->len - off < chunk ? img->len - off : chunk;
        assert_int_equal(ota_write(s, img->data + off, n), OTA_OK);
    }
}

/* The partition holds exactly the image, then erased bytes. */
static void assert_holds(fixture_t *f, const char *label, const tu_image_t *img)
{
    const uint8_t *p = f->dev.sim.mem + part(f, label)->offset;
    assert_memory_equal(p, img->data, img->len);
    for (uint32_t i = (uint32_t)img->len; i < part(f, label)->size; i++) {
        assert_int_equal(p[i], 0xFF);
    }
}

static void full_update(fixture_t *f, const char *label, ota_erase_mode_t mode, size_t chunk)
{
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, label), mode, (uint32_t)f->img.len), OTA_OK);
    write_chunked(&s, &f->img, chunk);
    assert_int_equal(ota_end(&s), OTA_OK);
    assert_holds(f, label, &f->img);
}

/* ---- erase modes ------------------------------------------------------------------ */

static void test_erase_whole_skips_erased_sectors(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    dirty(f, "ota_1", 3, 2);
    dirty(f, "ota_1", 15, 1);
    tu_flashlog_clear(&f->dev.log);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_1"), OTA_ERASE_WHOLE, 0), OTA_OK);
    /* Only the three dirty sectors of the 16 are erased, and only once. */
    assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), 3);
    assert_int_equal(f->dev.log.ops[0].addr, part(f, "ota_1")->offset + 3 * SECTOR);
    assert_int_equal(f->dev.log.ops[2].addr, part(f, "ota_1")->offset + 15 * SECTOR);
    write_chunked(&s, &f->img, 4096);
    assert_int_equal(ota_end(&s), OTA_OK);
    assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), 3);
    close_dev(f);
}

static void test_erase_image_size_only_what_is_announced(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    dirty(f, "ota_0", 0, 16);
    tu_flashlog_clear(&f->dev.log);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_IMAGE_SIZE, 5000), OTA_OK);
    assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), 2); /* ALIGN_UP(5000, 4096) */
    /* The image is bigger than announced: the next sectors are erased as data reaches them. */
    write_chunked(&s, &f->img, 1000);
    assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), (IMG_SIZE + SECTOR - 1) / SECTOR);
    assert_int_equal(ota_end(&s), OTA_OK);
    /* Sectors past the image keep their old bytes: nothing asked to erase them. */
    assert_int_equal(f->dev.sim.mem[part(f, "ota_0")->offset + 8 * SECTOR], 0x5A);
    close_dev(f);
}

static void test_erase_sequential_as_data_arrives(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    dirty(f, "ota_0", 0, 16);
    tu_flashlog_clear(&f->dev.log);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_int_equal(f->dev.log.count, 0);
    assert_int_equal(ota_write(&s, f->img.data, 100), OTA_OK);
    assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), 1);
    assert_int_equal(ota_write(&s, f->img.data + 100, SECTOR), OTA_OK); /* crosses into sector 1 */
    assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), 2);
    assert_int_equal(ota_write(&s, f->img.data + 100 + SECTOR, f->img.len - 100 - SECTOR), OTA_OK);
    assert_int_equal(ota_end(&s), OTA_OK);
    assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), (IMG_SIZE + SECTOR - 1) / SECTOR);
    /* Every erase happened before the first write into its sector. */
    for (size_t i = 0; i < f->dev.log.count; i++) {
        const tu_flashlog_op_t *op = &f->dev.log.ops[i];
        if (op->kind == TU_FLASHLOG_WRITE) {
            bool erased_before = false;
            for (size_t j = 0; j < i; j++) {
                const tu_flashlog_op_t *e = &f->dev.log.ops[j];
                erased_before |= e->kind == TU_FLASHLOG_ERASE && e->addr == op->addr / SECTOR * SECTOR;
            }
            assert_true(erased_before);
        }
    }
    close_dev(f);
}

static void test_erase_modes_on_blank_partition_erase_nothing(void **state)
{
    (void)state;
    static const ota_erase_mode_t modes[] = {OTA_ERASE_WHOLE, OTA_ERASE_IMAGE_SIZE,
                                             OTA_ERASE_SEQUENTIAL};
    for (size_t i = 0; i < 3; i++) {
        fixture_t *f = open_dev(1, "factory", false);
        tu_flashlog_clear(&f->dev.log);
        full_update(f, "ota_2", modes[i], 777);
        assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), 0);
        close_dev(f);
    }
}

/* ---- write granularity -------------------------------------------------------------- */

static void granularity_case(uint32_t write_size)
{
    static const size_t chunks[] = {1, 3, 7, 33, 256, 1000, 4096, 5003};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        fixture_t *f = open_dev(write_size, "ota_0", false);
        full_update(f, "ota_1", OTA_ERASE_SEQUENTIAL, chunks[i]);
        for (size_t k = 0; k < f->dev.log.count; k++) {
            const tu_flashlog_op_t *op = &f->dev.log.ops[k];
            if (op->kind == TU_FLASHLOG_WRITE) {
                assert_int_equal(op->addr % write_size, 0);
                assert_int_equal(op->len % write_size, 0);
            }
        }
        close_dev(f);
    }
}

static void test_granularity_1(void **state)
{
    (void)state;
    granularity_case(1);
}

static void test_granularity_4(void **state)
{
    (void)state;
    granularity_case(4);
}

static void test_granularity_16(void **state)
{
    (void)state;
    granularity_case(16);
}

static void test_granularity_256(void **state)
{
    (void)state;
    granularity_case(256);
}

static void test_unit_programmed_once(void **state)
{
    (void)state;
    /* With 16-byte units, 1-byte writes must still program each unit exactly once. */
    fixture_t *f = open_dev(16, "ota_0", false);
    full_update(f, "ota_1", OTA_ERASE_SEQUENTIAL, 1);
    assert_int_equal(count_ops(f, TU_FLASHLOG_WRITE), (IMG_SIZE + 15) / 16);
    close_dev(f);
}

/* ---- resume ---------------------------------------------------------------------------- */

static void resume_case(uint32_t write_size, uint32_t cut)
{
    fixture_t *f = open_dev(write_size, "factory", false);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_int_equal(ota_write(&s, f->img.data, cut), OTA_OK);
    /* The device "loses power": what was buffered never reached the flash. */
    uint32_t on_flash = cut / write_size * write_size;
    assert_int_equal(ota_abort(&s), OTA_OK);
    assert_int_equal(ota_resume(&f->ctx, &s, part(f, "ota_0"), on_flash), OTA_OK);
    assert_int_equal(ota_write(&s, f->img.data + on_flash, f->img.len - on_flash), OTA_OK);
    assert_int_equal(ota_end(&s), OTA_OK);
    assert_holds(f, "ota_0", &f->img);
    close_dev(f);
}

static void test_resume_continues_without_erasing(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    dirty(f, "ota_0", 0, 16);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_int_equal(ota_write(&s, f->img.data, 9000), OTA_OK);
    assert_int_equal(ota_abort(&s), OTA_OK);
    tu_flashlog_clear(&f->dev.log);
    assert_int_equal(ota_resume(&f->ctx, &s, part(f, "ota_0"), 9000), OTA_OK);
    assert_int_equal(f->dev.log.count, 0);
    assert_int_equal(ota_write(&s, f->img.data + 9000, f->img.len - 9000), OTA_OK);
    assert_int_equal(ota_end(&s), OTA_OK);
    assert_memory_equal(f->dev.sim.mem + part(f, "ota_0")->offset, f->img.data, f->img.len);
    /* Sectors 3 and 4 were dirty and got erased; sectors 0-2 were not touched again. */
    assert_int_equal(count_ops(f, TU_FLASHLOG_ERASE), 2);
    close_dev(f);
}

static void test_resume_at_unaligned_offsets(void **state)
{
    (void)state;
    resume_case(1, 5001);
    resume_case(4, 5001);
    resume_case(16, 4096 + 15);
    resume_case(256, 12345);
}

static void test_resume_refuses_dirty_rest_of_sector(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_int_equal(ota_write(&s, f->img.data, 3000), OTA_OK);
    assert_int_equal(ota_abort(&s), OTA_OK);
    /* The caller's idea of the progress (2000) lags behind the flash (3000). */
    assert_int_equal(ota_resume(&f->ctx, &s, part(f, "ota_0"), 2000), OTA_ERR_OTA_RESUME_NOT_ERASED);
    assert_null(f->ctx.sessions);
    assert_int_equal(ota_resume(&f->ctx, &s, part(f, "ota_0"), part(f, "ota_0")->size + 1),
                     OTA_ERR_INVALID_ARG);
    close_dev(f);
}

/* ---- refusals and conflicts --------------------------------------------------------------- */

static void test_begin_refusals(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "ota_0", false);
    ota_session_t s, t;
    tu_flashlog_clear(&f->dev.log);
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_WHOLE, 0),
                     OTA_ERR_OTA_PARTITION_CONFLICT);
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "factory"), OTA_ERASE_WHOLE, 0),
                     OTA_ERR_OTA_NOT_UPDATABLE);
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "otadata"), OTA_ERASE_WHOLE, 0),
                     OTA_ERR_OTA_NOT_UPDATABLE);
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_1"), OTA_ERASE_IMAGE_SIZE, 0x10001),
                     OTA_ERR_OTA_TOO_LARGE);
    ota_partition_t moved = *part(f, "ota_1");
    moved.offset -= 1; /* ESP-IDF's "address - 1" copy */
    assert_int_equal(ota_begin(&f->ctx, &s, &moved, OTA_ERASE_WHOLE, 0), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_1"), (ota_erase_mode_t)9, 0),
                     OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_begin(NULL, &s, part(f, "ota_1"), OTA_ERASE_WHOLE, 0), OTA_ERR_INVALID_ARG);
    assert_null(f->ctx.sessions);
    assert_int_equal(f->dev.log.count, 0);

    /* An equal copy of a table entry is accepted and means that entry. */
    ota_partition_t copy = *part(f, "ota_1");
    assert_int_equal(ota_begin(&f->ctx, &s, &copy, OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_ptr_equal(s.part, part(f, "ota_1"));
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_2"), OTA_ERASE_WHOLE, 0),
                     OTA_ERR_INVALID_ARG); /* s is already live */
    assert_int_equal(ota_begin(&f->ctx, &t, part(f, "ota_1"), OTA_ERASE_WHOLE, 0),
                     OTA_ERR_OTA_ALREADY_IN_PROGRESS);
    assert_int_equal(ota_abort(&s), OTA_OK);
    assert_int_equal(ota_abort(&s), OTA_ERR_OTA_SESSION_CLOSED);
    close_dev(f);
}

static void test_readonly_target_refused(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    f->dev.table.entries[0].flags |= OTA_PART_FLAG_READONLY; /* nvs */
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "nvs"), OTA_ERASE_WHOLE, 0),
                     OTA_ERR_FLASH_READONLY);
    close_dev(f);
}

static void test_two_sessions_at_once(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "ota_0", false);
    tu_image_t other = tu_app_image(OTA_CHIP_ESP32C3, "3.0", 0, 9000);
    ota_session_t a, b;
    assert_int_equal(ota_begin(&f->ctx, &a, part(f, "ota_1"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_int_equal(ota_begin(&f->ctx, &b, part(f, "ota_2"), OTA_ERASE_WHOLE, 0), OTA_OK);
    assert_int_equal(a.handle + 1, b.handle);
    assert_ptr_equal(ota_session_find(&f->ctx, a.handle), &a);
    assert_ptr_equal(ota_session_find(&f->ctx, b.handle), &b);
    for (size_t off = 0; off < f->img.len; off += 1024) {
        size_t n = f->img.len - off < 1024 ? f->img.len - off : 1024;
        assert_int_equal(ota_write(&a, f->img.data + off, n), OTA_OK);
        if (off < other.len) {
            assert_int_equal(ota_write(&b, other.data + off, other.len - off < 1024 ? other.len - off : 1024),
                             OTA_OK);
        }
    }
    assert_int_equal(ota_end(&b), OTA_OK);
    assert_int_equal(ota_end(&a), OTA_OK);
    assert_null(ota_session_find(&f->ctx, a.handle));
    assert_holds(f, "ota_1", &f->img);
    assert_holds(f, "ota_2", &other);
    tu_image_free(&other);
    close_dev(f);
}

static void test_bad_first_byte_touches_nothing(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    dirty(f, "ota_0", 0, 1);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    tu_flashlog_clear(&f->dev.log);
    static const uint8_t junk[] = {0xE8, 0x01, 0x02};
    assert_int_equal(ota_write(&s, junk, sizeof junk), OTA_ERR_IMG_MAGIC);
    assert_int_equal(f->dev.log.count, 0);
    /* The session stays open: a correct stream may still follow (ESP-IDF behaves the same). */
    write_chunked(&s, &f->img, 4096);
    assert_int_equal(ota_end(&s), OTA_OK);
    close_dev(f);
}

static void test_oversize_image_refused(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    uint32_t size = part(f, "ota_0")->size;
    uint8_t *big = malloc(size + 1);
    assert_non_null(big);
    memcpy(big, f->img.data, f->img.len);
    memset(big + f->img.len, 0x11, size + 1 - f->img.len);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_int_equal(ota_write(&s, big, size - 10), OTA_OK);
    tu_flashlog_clear(&f->dev.log);
    assert_int_equal(ota_write(&s, big + size - 10, 11), OTA_ERR_OTA_TOO_LARGE);
    assert_int_equal(f->dev.log.count, 0); /* nothing of the refused call was written */
    assert_int_equal(ota_write_with_offset(&s, big, 16, size - 8), OTA_ERR_OTA_TOO_LARGE);
    assert_int_equal(ota_abort(&s), OTA_OK);
    /* The neighbouring partition is untouched. */
    assert_int_equal(f->dev.sim.mem[part(f, "ota_1")->offset], 0xFF);
    free(big);
    close_dev(f);
}

/* ---- end ------------------------------------------------------------------------------------ */

static void test_end_on_corrupt_image_leaves_otadata_untouched(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "ota_0", true);
    /* A confirmed running ota_0: s0 = {1, VALID}. */
    ota_select_entry_t e;
    ota_select_entry_make(&e, 1, OTA_IMG_VALID);
    uint8_t od[OTA_OTADATA_ENTRY_SIZE];
    ota_select_entry_encode(&e, od);
    tu_otadev_poke_otadata(&f->dev, od, sizeof od);
    uint8_t before[OTA_OTADATA_SIZE];
    memcpy(before, tu_otadev_otadata_bytes(&f->dev), sizeof before);
    uint8_t running_before[0x10000];
    memcpy(running_before, f->dev.sim.mem + part(f, "ota_0")->offset, sizeof running_before);

    static const size_t flips[] = {0x30, 0x150, IMG_SIZE / 2};
    for (size_t i = 0; i < 3; i++) {
        tu_image_t bad = tu_app_image(OTA_CHIP_ESP32C3, "2.0", 0, IMG_SIZE);
        bad.data[flips[i] < bad.len ? flips[i] : bad.len - 40] ^= 0x01;
        ota_session_t s;
        assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_1"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
        write_chunked(&s, &bad, 4000);
        ota_err_t err = ota_end(&s);
        assert_true(err == OTA_ERR_IMG_CHECKSUM || err == OTA_ERR_IMG_HASH);
        assert_null(f->ctx.sessions);
        tu_image_free(&bad);
    }
    /* A truncated image is reported as such, not as whatever follows on flash. */
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_1"), OTA_ERASE_WHOLE, 0), OTA_OK);
    assert_int_equal(ota_write(&s, f->img.data, f->img.len - 100), OTA_OK);
    assert_int_equal(ota_end(&s), OTA_ERR_IMG_TRUNCATED);
    /* And set_boot refuses the slot holding the broken image (it reads past the
     * written bytes, so the erased flash there makes the checksum fail). */
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_1")), OTA_ERR_IMG_CHECKSUM);

    assert_memory_equal(tu_otadev_otadata_bytes(&f->dev), before, sizeof before);
    assert_memory_equal(f->dev.sim.mem + part(f, "ota_0")->offset, running_before,
                        sizeof running_before);
    close_dev(f);
}

static void test_end_errors(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_int_equal(ota_write(&s, f->img.data, 0), OTA_OK);
    assert_int_equal(ota_end(&s), OTA_ERR_OTA_NO_DATA);
    assert_int_equal(ota_end(&s), OTA_ERR_OTA_SESSION_CLOSED);
    assert_int_equal(ota_write(&s, f->img.data, 1), OTA_ERR_OTA_SESSION_CLOSED);
    assert_int_equal(ota_end(NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_write(NULL, f->img.data, 1), OTA_ERR_INVALID_ARG);
    close_dev(f);
}

static void test_write_with_offset_any_order(void **state)
{
    (void)state;
    fixture_t *f = open_dev(4, "factory", false);
    dirty(f, "ota_2", 0, 5);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_2"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    /* 4 KiB blocks, last first (ESP-IDF's test writes them in order; order must not matter). */
    size_t blocks = (f->img.len + SECTOR - 1) / SECTOR;
    for (size_t i = blocks; i-- > 0;) {
        size_t n = f->img.len - i * SECTOR < SECTOR ? f->img.len - i * SECTOR : SECTOR;
        size_t padded = (n + 3) / 4 * 4;
        uint8_t buf[SECTOR];
        memset(buf, 0xFF, sizeof buf);
        memcpy(buf, f->img.data + i * SECTOR, n);
        assert_int_equal(ota_write_with_offset(&s, buf, padded, (uint32_t)(i * SECTOR)), OTA_OK);
    }
    assert_int_equal(ota_write_with_offset(&s, f->img.data, 3, 0x8000), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_write_with_offset(&s, f->img.data, 4, 0x8002), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_end(&s), OTA_OK);
    assert_holds(f, "ota_2", &f->img);
    close_dev(f);
}

/* ---- rollback and policy ----------------------------------------------------------------------- */

static void test_pending_verify_blocks_updates(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "ota_0", true);
    ota_select_entry_t e;
    ota_select_entry_make(&e, 1, OTA_IMG_PENDING_VERIFY);
    uint8_t od[OTA_OTADATA_ENTRY_SIZE];
    ota_select_entry_encode(&e, od);
    tu_otadev_poke_otadata(&f->dev, od, sizeof od);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_1"), OTA_ERASE_WHOLE, 0),
                     OTA_ERR_OTA_ROLLBACK_INVALID_STATE);
    assert_int_equal(ota_resume(&f->ctx, &s, part(f, "ota_1"), 0), OTA_ERR_OTA_ROLLBACK_INVALID_STATE);
    /* Data partitions are not app updates: allowed. */
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "nvs"), OTA_ERASE_WHOLE, 0), OTA_OK);
    assert_int_equal(ota_abort(&s), OTA_OK);
    assert_int_equal(ota_mark_app_valid(&f->ctx), OTA_OK);
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_1"), OTA_ERASE_WHOLE, 0), OTA_OK);
    assert_int_equal(ota_abort(&s), OTA_OK);
    close_dev(f);
}

static ota_err_t refuse_version_2(void *arg, const ota_flash_t *flash, const ota_partition_t *p,
                                  ota_image_kind_t kind, const ota_image_info_t *info)
{
    unsigned *calls = arg;
    ota_app_desc_t desc;
    (*calls)++;
    assert_int_equal(kind, OTA_IMAGE_APP);
    assert_true(info->complete);
    assert_int_equal(ota_image_read_app_desc(flash, p->offset, p->size, &desc), OTA_OK);
    return strcmp(desc.version, "2.0") == 0 ? OTA_ERR_IMG_SIG : OTA_OK;
}

static void test_image_policy_hook(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    unsigned calls = 0;
    f->ctx.cfg.image_policy = refuse_version_2;
    f->ctx.cfg.image_policy_ctx = &calls;
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_0"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    write_chunked(&s, &f->img, 4096);
    assert_int_equal(ota_end(&s), OTA_ERR_IMG_SIG);
    assert_int_equal(calls, 1);
    tu_flashlog_clear(&f->dev.log);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_0")), OTA_ERR_IMG_SIG);
    assert_int_equal(f->dev.log.count, 0);
    assert_int_equal(ota_set_boot_partition_skip_validate(&f->ctx, part(f, "ota_0")), OTA_OK);
    close_dev(f);
}

/* set_boot after ota_end trusts the verification ota_end just did; anything
 * that may have changed the slot since makes it read the image again. */
static void test_set_boot_trusts_last_end(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", false);
    full_update(f, "ota_0", OTA_ERASE_SEQUENTIAL, 4096);
    assert_ptr_equal(f->ctx.verified, part(f, "ota_0"));
    ota_simflash_reset_stats(&f->dev.sim);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_0")), OTA_OK);
    assert_true(f->dev.sim.stats.bytes_read < f->img.len / 4); /* otadata, not the image */

    /* A raw change reported with ota_forget_verified: the image is read again. */
    f->dev.sim.mem[part(f, "ota_0")->offset + 0x400] ^= 0x01;
    ota_forget_verified(&f->ctx, part(f, "ota_0"));
    assert_null(f->ctx.verified);
    assert_int_not_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_0")), OTA_OK);

    /* A new session on the slot forgets too, even if it is aborted. */
    full_update(f, "ota_1", OTA_ERASE_SEQUENTIAL, 4096);
    ota_session_t s;
    assert_int_equal(ota_begin(&f->ctx, &s, part(f, "ota_1"), OTA_ERASE_SEQUENTIAL, 0), OTA_OK);
    assert_null(f->ctx.verified);
    assert_int_equal(ota_abort(&s), OTA_OK);
    close_dev(f);
}

static ota_err_t counter_read(void *arg, uint32_t *v)
{
    *v = *(uint32_t *)arg;
    return OTA_OK;
}

static ota_err_t counter_raise(void *arg, uint32_t v)
{
    *(uint32_t *)arg = v;
    return OTA_OK;
}

static void test_anti_rollback(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "factory", true);
    uint32_t counter = 3;
    f->ctx.cfg.anti_rollback = true;
    f->ctx.cfg.read_secure_version = counter_read;
    f->ctx.cfg.raise_secure_version = counter_raise;
    f->ctx.cfg.secure_version_ctx = &counter;
    tu_image_t old = tu_app_image(OTA_CHIP_ESP32C3, "old", 2, 9000);
    tu_image_t cur = tu_app_image(OTA_CHIP_ESP32C3, "new", 5, 9000);
    tu_otadev_put(&f->dev, "ota_0", old.data, old.len);
    tu_otadev_put(&f->dev, "ota_1", cur.data, cur.len);
    tu_flashlog_clear(&f->dev.log);
    /* Lower secure_version: refused, and unlike ESP-IDF the slot is not erased. */
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_0")), OTA_ERR_OTA_SMALL_SEC_VER);
    assert_int_equal(f->dev.log.count, 0);
    assert_memory_equal(f->dev.sim.mem + part(f, "ota_0")->offset, old.data, old.len);
    assert_int_equal(ota_set_boot_partition(&f->ctx, part(f, "ota_1")), OTA_OK);

    /* Running ota_1 after its first boot: confirming burns its version. */
    ota_select_entry_t e[2];
    tu_otadev_entries(&f->dev, e);
    assert_int_equal(e[0].seq, 2);
    assert_int_equal(e[0].state, OTA_IMG_NEW);
    f->ctx.cfg.running = part(f, "ota_1");
    assert_int_equal(ota_mark_app_valid(&f->ctx), OTA_OK);
    assert_int_equal(counter, 5);
    tu_image_free(&old);
    tu_image_free(&cur);
    close_dev(f);
}

static void test_init_and_queries(void **state)
{
    (void)state;
    fixture_t *f = open_dev(1, "ota_0", false);
    ota_config_t cfg = f->ctx.cfg;
    ota_partition_t copy = *part(f, "ota_0");
    cfg.running = &copy;
    ota_ctx_t ctx;
    assert_int_equal(ota_init(&ctx, &cfg), OTA_OK);
    assert_ptr_equal(ota_get_running_partition(&ctx), part(f, "ota_0"));
    assert_ptr_equal(ota_get_next_update_partition(&ctx, NULL), part(f, "ota_1"));
    assert_ptr_equal(ota_get_next_update_partition(&ctx, part(f, "ota_2")), part(f, "ota_0"));
    assert_ptr_equal(ota_get_next_update_partition(&ctx, part(f, "nvs")), part(f, "ota_0"));
    assert_int_equal(ota_get_app_partition_count(&ctx), 3);
    cfg.running = part(f, "nvs");
    assert_int_equal(ota_init(&ctx, &cfg), OTA_ERR_INVALID_ARG);
    cfg.running = NULL;
    assert_int_equal(ota_init(&ctx, &cfg), OTA_OK);
    assert_ptr_equal(ota_get_next_update_partition(&ctx, NULL), part(f, "ota_0"));
    assert_int_equal(ota_invalidate_inactive_ota_data_slot(&ctx), OTA_ERR_INVALID_STATE);
    cfg.scratch_len = OTA_SCRATCH_MIN - 1;
    assert_int_equal(ota_init(&ctx, &cfg), OTA_ERR_INVALID_ARG);
    cfg.scratch_len = sizeof f->dev.scratch;
    cfg.anti_rollback = true; /* without counter accessors */
    assert_int_equal(ota_init(&ctx, &cfg), OTA_ERR_INVALID_ARG);
    close_dev(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_queries),
        cmocka_unit_test(test_erase_whole_skips_erased_sectors),
        cmocka_unit_test(test_erase_image_size_only_what_is_announced),
        cmocka_unit_test(test_erase_sequential_as_data_arrives),
        cmocka_unit_test(test_erase_modes_on_blank_partition_erase_nothing),
        cmocka_unit_test(test_granularity_1),
        cmocka_unit_test(test_granularity_4),
        cmocka_unit_test(test_granularity_16),
        cmocka_unit_test(test_granularity_256),
        cmocka_unit_test(test_unit_programmed_once),
        cmocka_unit_test(test_resume_continues_without_erasing),
        cmocka_unit_test(test_resume_at_unaligned_offsets),
        cmocka_unit_test(test_resume_refuses_dirty_rest_of_sector),
        cmocka_unit_test(test_begin_refusals),
        cmocka_unit_test(test_readonly_target_refused),
        cmocka_unit_test(test_two_sessions_at_once),
        cmocka_unit_test(test_bad_first_byte_touches_nothing),
        cmocka_unit_test(test_oversize_image_refused),
        cmocka_unit_test(test_end_on_corrupt_image_leaves_otadata_untouched),
        cmocka_unit_test(test_end_errors),
        cmocka_unit_test(test_write_with_offset_any_order),
        cmocka_unit_test(test_pending_verify_blocks_updates),
        cmocka_unit_test(test_image_policy_hook),
        cmocka_unit_test(test_set_boot_trusts_last_end),
        cmocka_unit_test(test_anti_rollback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
