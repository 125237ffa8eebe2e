/*
 * src/otadata*.c built with ota/otadata.h's default OTA_OTADATA_MAX_WRITE_SIZE
 * (64: what an MCU build gets; the host build defines 256), linked on its own
 * (tests/CMakeLists.txt) over a RAM flash: 64-byte units work, journal
 * included, and larger ones are refused before anything is erased.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ota/otadata.h"

#define SECTOR 0x1000u

static uint8_t mem[2 * SECTOR];

static ota_err_t ram_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    (void)ctx;
    memcpy(buf, mem + addr, len);
    return OTA_OK;
}

static ota_err_t ram_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    (void)ctx;
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++) {
        mem[addr + i] &= b[i]; /* NOR: programming only clears bits */
    }
    return OTA_OK;
}

static ota_err_t ram_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    memset(mem + addr, 0xFF, SECTOR);
    return OTA_OK;
}

static ota_flash_t flash_of(uint32_t write_size)
{
    memset(mem, 0xFF, sizeof mem);
    return (ota_flash_t){.read = ram_read, .write = ram_write, .erase = ram_erase,
                         .size = sizeof mem, .sector_size = SECTOR, .write_size = write_size,
                         .erased_value = 0xFF};
}

static const ota_partition_t otadata = {.type = OTA_PART_TYPE_DATA,
                                        .subtype = OTA_PART_SUBTYPE_DATA_OTA,
                                        .offset = 0, .size = 2 * SECTOR};

static void test_default_is_64(void **state)
{
    (void)state;
    assert_int_equal(OTA_OTADATA_MAX_WRITE_SIZE, 64);
}

/* The largest unit: hardened rewrites journal their 44-byte record in 64 bytes. */
static void test_64_byte_units_journal(void **state)
{
    (void)state;
    ota_flash_t f = flash_of(64);
    ota_select_entry_t e, got[2];
    for (uint32_t seq = 1; seq <= 3; seq++) {
        ota_select_entry_make(&e, seq, OTA_IMG_VALID);
        assert_int_equal(ota_otadata_store(&f, &otadata, 0, &e, OTA_WRITES_HARDENED), OTA_OK);
    }
    assert_int_equal(ota_otadata_read(&f, &otadata, got), OTA_OK);
    assert_int_equal(got[0].seq, 3);
    /* The rewrites of copy 0 left done records in copy 1's spare area, past its entry unit. */
    assert_int_equal(mem[SECTOR + 64], 0x4F); /* "OTAJ", little-endian */
    unsigned restored = 7;
    assert_int_equal(ota_otadata_recover(&f, &otadata, true, &restored), OTA_OK);
    assert_int_equal(restored, 0);
}

static void test_larger_units_refused_before_erasing(void **state)
{
    (void)state;
    ota_flash_t f = flash_of(128);
    mem[0] = 0x01; /* something an erase would destroy */
    ota_select_entry_t e;
    ota_select_entry_make(&e, 1, OTA_IMG_VALID);
    assert_int_equal(ota_otadata_write_entry(&f, &otadata, 0, &e), OTA_ERR_OTADATA_WRITE_SIZE);
    assert_int_equal(ota_otadata_store(&f, &otadata, 0, &e, OTA_WRITES_HARDENED),
                     OTA_ERR_OTADATA_WRITE_SIZE);
    assert_int_equal(mem[0], 0x01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_64),
        cmocka_unit_test(test_64_byte_units_journal),
        cmocka_unit_test(test_larger_units_refused_before_erasing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
