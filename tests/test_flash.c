/*
 * The checked flash wrappers (src/flash.c) over a recording fake port: what
 * they refuse never reaches the port, what they accept reaches it unchanged,
 * and erase_range erases one sector per call, in order.
 */
#include <stdint.h>
#include <string.h>

#include "ota/flash.h"
#include "testutil.h"

#define SIZE 0x10000u
#define SECTOR 0x1000u
#define WS 16u
#define MAX_CALLS 32

enum kind { READ, WRITE, ERASE };

struct call {
    enum kind kind;
    uint32_t addr;
    size_t len;
    const void *buf;
};

struct fake {
    struct call calls[MAX_CALLS];
    size_t n;
    size_t fail_call; /* 1-based call number that returns fail_err; 0 = none */
    ota_err_t fail_err;
};

static ota_err_t record(struct fake *f, enum kind kind, uint32_t addr, size_t len, const void *buf)
{
    assert_true(f->n < MAX_CALLS);
    f->calls[f->n++] = (struct call){kind, addr, len, buf};
    return f->n == f->fail_call ? f->fail_err : OTA_OK;
}

static ota_err_t fake_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    return record(ctx, READ, addr, len, buf);
}

static ota_err_t fake_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    return record(ctx, WRITE, addr, len, buf);
}

static ota_err_t fake_erase(void *ctx, uint32_t addr)
{
    return record(ctx, ERASE, addr, SECTOR, NULL);
}

static ota_flash_t make_flash(struct fake *f, uint32_t write_size)
{
    memset(f, 0, sizeof *f);
    return (ota_flash_t){f, fake_read, fake_write, fake_erase, SIZE, SECTOR, write_size, 0xFF};
}

static void assert_call(const struct fake *f, size_t i, enum kind kind, uint32_t addr, size_t len)
{
    assert_true(i < f->n);
    assert_int_equal(f->calls[i].kind, kind);
    assert_int_equal(f->calls[i].addr, addr);
    assert_int_equal(f->calls[i].len, len);
}

static void test_in_range_edges(void **state)
{
    (void)state;
    struct fake f;
    ota_flash_t fl = make_flash(&f, WS);
    assert_true(ota_flash_in_range(&fl, 0, SIZE));
    assert_true(ota_flash_in_range(&fl, SIZE, 0));
    assert_true(ota_flash_in_range(&fl, SIZE - 1, 1));
    assert_false(ota_flash_in_range(&fl, SIZE, 1));
    assert_false(ota_flash_in_range(&fl, 0, SIZE + 1));
    assert_false(ota_flash_in_range(&fl, UINT32_MAX, 2));
    assert_false(ota_flash_in_range(&fl, 1, UINT64_MAX)); /* 1 + len wraps to 0 */
    assert_false(ota_flash_in_range(&fl, 0, (uint64_t)1 << 32));
}

static void test_read_checks(void **state)
{
    (void)state;
    struct fake f;
    ota_flash_t fl = make_flash(&f, WS);
    uint8_t buf[8];
    assert_int_equal(ota_flash_read(NULL, 0, buf, 1), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_flash_read(&fl, 0, NULL, 1), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_flash_read(&fl, SIZE, buf, 1), OTA_ERR_FLASH_RANGE);
    assert_int_equal(ota_flash_read(&fl, SIZE - 4, buf, 8), OTA_ERR_FLASH_RANGE);
    assert_int_equal(ota_flash_read(&fl, UINT32_MAX, buf, 2), OTA_ERR_FLASH_RANGE);
    assert_int_equal(ota_flash_read(&fl, 1, buf, SIZE_MAX), OTA_ERR_FLASH_RANGE);
    assert_int_equal(ota_flash_read(&fl, 0, buf, 0), OTA_OK);
    assert_int_equal(ota_flash_read(&fl, 0, NULL, 0), OTA_OK);
    assert_int_equal(f.n, 0);

    /* reads need no alignment and go through unchanged */
    assert_int_equal(ota_flash_read(&fl, 3, buf, 5), OTA_OK);
    assert_int_equal(ota_flash_read(&fl, SIZE - 8, buf, 8), OTA_OK);
    assert_int_equal(f.n, 2);
    assert_call(&f, 0, READ, 3, 5);
    assert_ptr_equal(f.calls[0].buf, buf);
    assert_call(&f, 1, READ, SIZE - 8, 8);
}

static void test_write_checks(void **state)
{
    (void)state;
    struct fake f;
    ota_flash_t fl = make_flash(&f, WS);
    uint8_t buf[2 * WS] = {0};
    assert_int_equal(ota_flash_write(NULL, 0, buf, WS), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_flash_write(&fl, 0, NULL, WS), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_flash_write(&fl, SIZE, buf, WS), OTA_ERR_FLASH_RANGE);
    assert_int_equal(ota_flash_write(&fl, SIZE - WS, buf, 2 * WS), OTA_ERR_FLASH_RANGE);
    assert_int_equal(ota_flash_write(&fl, SIZE + 1, buf, 3), OTA_ERR_FLASH_RANGE); /* range first */
    assert_int_equal(ota_flash_write(&fl, 1, buf, WS), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_flash_write(&fl, WS / 2, buf, WS), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_flash_write(&fl, WS, buf, WS + 1), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_flash_write(&fl, WS, buf, WS - 1), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_flash_write(&fl, WS, buf, 0), OTA_OK);
    assert_int_equal(ota_flash_write(&fl, WS, NULL, 0), OTA_OK);
    assert_int_equal(f.n, 0);

    assert_int_equal(ota_flash_write(&fl, SIZE - 2 * WS, buf, 2 * WS), OTA_OK);
    assert_int_equal(f.n, 1);
    assert_call(&f, 0, WRITE, SIZE - 2 * WS, 2 * WS);
    assert_ptr_equal(f.calls[0].buf, buf);
}

static void test_write_size_one_takes_any_alignment(void **state)
{
    (void)state;
    struct fake f;
    ota_flash_t fl = make_flash(&f, 1);
    uint8_t buf[3] = {0};
    assert_int_equal(ota_flash_write(&fl, 7, buf, 3), OTA_OK);
    assert_call(&f, 0, WRITE, 7, 3);
}

static void test_erase_range_checks(void **state)
{
    (void)state;
    struct fake f;
    ota_flash_t fl = make_flash(&f, WS);
    assert_int_equal(ota_flash_erase_range(NULL, 0, SECTOR), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_flash_erase_range(&fl, WS, SECTOR), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_flash_erase_range(&fl, 0, SECTOR / 2), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_flash_erase_range(&fl, 0, SECTOR + WS), OTA_ERR_FLASH_ALIGN);
    assert_int_equal(ota_flash_erase_range(&fl, SIZE, SECTOR), OTA_ERR_FLASH_RANGE);
    assert_int_equal(ota_flash_erase_range(&fl, SECTOR, SIZE), OTA_ERR_FLASH_RANGE);
    assert_int_equal(ota_flash_erase_range(&fl, SECTOR, 0), OTA_OK);
    assert_int_equal(f.n, 0);
}

static void test_erase_range_one_call_per_sector(void **state)
{
    (void)state;
    struct fake f;
    ota_flash_t fl = make_flash(&f, WS);
    assert_int_equal(ota_flash_erase_range(&fl, 2 * SECTOR, 3 * SECTOR), OTA_OK);
    assert_int_equal(f.n, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_call(&f, i, ERASE, (2 + i) * SECTOR, SECTOR);
    }

    fl = make_flash(&f, WS);
    assert_int_equal(ota_flash_erase_range(&fl, 0, SIZE), OTA_OK);
    assert_int_equal(f.n, SIZE / SECTOR);
    assert_call(&f, SIZE / SECTOR - 1, ERASE, SIZE - SECTOR, SECTOR);
}

static void test_port_errors_returned(void **state)
{
    (void)state;
    struct fake f;
    ota_flash_t fl = make_flash(&f, WS);
    uint8_t buf[WS] = {0};
    f.fail_call = 1;
    f.fail_err = OTA_ERR_FLASH_IO;
    assert_int_equal(ota_flash_read(&fl, 0, buf, 1), OTA_ERR_FLASH_IO);
    f.fail_call = 2;
    f.fail_err = OTA_ERR_FLASH_NOT_ERASED;
    assert_int_equal(ota_flash_write(&fl, 0, buf, WS), OTA_ERR_FLASH_NOT_ERASED);

    /* erase_range stops at the first failing sector */
    fl = make_flash(&f, WS);
    f.fail_call = 2;
    f.fail_err = OTA_ERR_FLASH_POWER_LOSS;
    assert_int_equal(ota_flash_erase_range(&fl, 0, 4 * SECTOR), OTA_ERR_FLASH_POWER_LOSS);
    assert_int_equal(f.n, 2);
    assert_call(&f, 1, ERASE, SECTOR, SECTOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_range_edges),
        cmocka_unit_test(test_read_checks),
        cmocka_unit_test(test_write_checks),
        cmocka_unit_test(test_write_size_one_takes_any_alignment),
        cmocka_unit_test(test_erase_range_checks),
        cmocka_unit_test(test_erase_range_one_call_per_sector),
        cmocka_unit_test(test_port_errors_returned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
